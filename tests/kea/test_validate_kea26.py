"""The validator against real Kea 2.6 and 3.0, run chrooted in kealab's Debian 13 roots (kea-2.6-3.0-observed.md).

1. Every Kea 2.2 error case of test_validate_kea22.py that is not version-specific: 2.6 and 3.0 refuse it with
   the same text, and the validator (told the version) gives that text first.
2. What changed with 2.6/3.0: hub-and-spoke rules (hot-standby only, unique names, one listener per hub name),
   the 2.6 texts for an empty list or a non-map relationship, max-rejected-lease-updates, bare library names,
   Kea's multi-threading default, 3.x HTTP control sockets on the dedicated listener's port.

Skipped when the roots are not cached (kealab.roots builds them with debootstrap on first use elsewhere).
Every process runs in its own directory inside the root and is killed by PID at once; peer URLs and listeners
use 127.254.0.x, each accepted case its own ports.
"""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .test_validate_kea22 import (
    HA,
    HA_PATH,
    HOOKS_DIR,
    LEASE_CMDS,
    REJECTED,
    KeaLoad,
    Rejected,
    assert_first_error,
    check_kea_refused,
    config,
    load_all,
    one,
    peer,
    relationship,
)
from kealab.runtime import enter_root
from netbox_kea_ha.kea.ha import KeaVersion
from netbox_kea_ha.kea.validate import errors, validate_config, warnings

roots = pytest.importorskip('kealab.roots')

pytestmark = pytest.mark.kea

#: 2.2 cases whose outcome differs in 2.6/3.0 (they have their own cases below).
VERSION_SPECIFIC = {
    'two relationships (2.2)',
    'empty relationship list (2.2)',
    'relationship not a map (2.2)',
    'bare library name (2.2)',
    'blank library',
}
LISTENER_CLASH = (
    'Error initializing hooks: CmdHttpListener::run failed: unable to setup TCP acceptor for listening to the '
    'incoming HTTP requests: bind: Address already in use'
)
TIMERS = {'heartbeat-delay': 1000, 'max-response-delay': 3000, 'max-ack-delay': 2000, 'max-unacked-clients': 0}


def hs(this: str, names: tuple[str, str], ports: tuple[int, int], **more: Any) -> dict[str, Any]:
    """A hot-standby relationship (primary, standby) on 127.254.0.1 / .2 with the given listener ports."""
    return {
        'this-server-name': this,
        'mode': 'hot-standby',
        **TIMERS,
        'peers': [
            {'name': names[0], 'url': f'http://127.254.0.1:{ports[0]}/', 'role': 'primary'},
            {'name': names[1], 'url': f'http://127.254.0.2:{ports[1]}/', 'role': 'standby'},
        ],
        **more,
    }


def hub(ports: tuple[int, int, int, int], **more: Any) -> dict[str, Any]:
    """The observed hub: server2 standby for server1, server4 standby for server3 (kea-2.6-3.0-observed.md §3.5)."""
    return config(
        [
            hs('server2', ('server1', 'server2'), ports[:2], **more),
            hs('server4', ('server3', 'server4'), ports[2:], **more),
        ]
    )


REL = f'{HA_PATH}[1]'
SPECIFIC_REJECTED: dict[str, tuple[Rejected, str]] = {
    'hub with a load-balancing relationship': (
        Rejected(
            config([
                hs('server2', ('server1', 'server2'), (19001, 19002)),
                relationship(
                    this_server_name='server3',
                    peers=[peer('server3', 'primary', 3), peer('server4', 'secondary', 4)],
                ),
            ]),
            f'{REL}.mode',
            "multiple HA relationships are only supported for 'hot-standby' mode",
            'ha.hub-not-hot-standby',
        ),
        '2.6',
    ),
    'hub of two load-balancing relationships': (
        Rejected(
            config([
                relationship(),
                relationship(
                    this_server_name='server3',
                    peers=[peer('server3', 'primary', 3), peer('server4', 'secondary', 4)],
                ),
            ]),
            f'{HA_PATH}[0].mode',
            "multiple HA relationships are only supported for 'hot-standby' mode",
            'ha.hub-not-hot-standby',
        ),
        '2.6',
    ),
    'hub names not unique': (
        Rejected(
            config([
                hs('server2', ('server1', 'server2'), (19011, 19012)),
                hs('server4', ('server1', 'server4'), (19013, 19014)),
            ]),
            f'{REL}.peers[0].name',
            "server names must be unique for different relationships: a relationship 'server1' already exists",
            'ha.server-name-not-unique',
        ),
        '2.6',
    ),
    'hub names on one listener': (
        Rejected(
            hub((19021, 19022, 19023, 19022)),
            f'{REL}.peers[1].url',
            f"{LISTENER_CLASH} (the dedicated HA listeners of 'server2' and 'server4' both use "
            'http://127.254.0.2:19022/: give each hub name its own port, or set http-dedicated-listener false in '
            'every relationship)',
            'ha.listener-url-clash',
            kea_text=LISTENER_CLASH,
        ),
        '2.6',
    ),
    'empty relationship list': (
        Rejected(config([]), HA_PATH, 'a list of HA configurations must not be empty', 'ha.empty-list'),
        '2.6',
    ),
    'relationship not a map': (
        Rejected(
            config(['server1']), f'{HA_PATH}[0]', 'HA configuration for a relationship must be a map',
            'ha.relationship-not-map',
        ),
        '2.6',
    ),
    'blank library': (
        Rejected(
            config(hooks=[{'library': ' '}]), 'hooks-libraries[0].library',
            "hooks library configuration error: path: '' has no filename", 'hooks.blank-library',
        ),
        '2.6',
    ),
    'library outside the hooks directory': (
        Rejected(
            config(hooks=[{'library': '/opt/kea/hooks/libdhcp_lease_cmds.so'}]), 'hooks-libraries[0].library',
            "hooks library configuration error: invalid path specified: '/opt/kea/hooks', supported path is "
            f"'{HOOKS_DIR}'",
            'hooks.library-outside-hooks-dir',
        ),
        '2.6',
    ),
    'max-rejected-lease-updates negative': (
        Rejected(
            one(max_rejected_lease_updates=-1), f'{HA_PATH}[0].max-rejected-lease-updates',
            "'max-rejected-lease-updates' must not be negative", 'ha.negative',
        ),
        '2.6',
    ),
    'control socket on the listener port (3.x)': (
        Rejected(
            {
                'Dhcp4': {
                    **config([hs('server1', ('server1', 'server2'), (19031, 19032))])['Dhcp4'],
                    'control-sockets': [
                        {'socket-type': 'http', 'socket-address': '127.254.0.1', 'socket-port': 19031}
                    ],
                }
            },
            f'{HA_PATH}[0].peers[0].url',
            f"{LISTENER_CLASH} (the dedicated HA listener of 'server1' and control-sockets[0] both use "
            '127.254.0.1:19031: give the HA listener its own port, or set http-dedicated-listener false and point '
            'the peers at the control socket)',
            'ha.listener-control-socket-clash',
            kea_text=LISTENER_CLASH,
        ),
        '3.0',
    ),
}  # fmt: skip

ACCEPTED_26: dict[str, tuple[dict[str, Any], tuple[str, ...], str]] = {
    'the observed hub': (hub((19101, 19102, 19103, 19104)), (), '2.6'),
    'hub with listeners off, both names on one URL': (
        hub((19111, 19112, 19113, 19112), **{'multi-threading': {'http-dedicated-listener': False}}),
        (),
        '2.6',
    ),
    'bare library names': (
        config(hooks=[
            {'library': 'libdhcp_lease_cmds.so'},
            {'library': 'libdhcp_ha.so', 'parameters': {'high-availability': [
                hs('server1', ('server1', 'server2'), (19121, 19122))]}},
        ]),
        (),
        '2.6',
    ),
    'max-rejected-lease-updates': (
        config([hs('server1', ('server1', 'server2'), (19131, 19132), **{'max-rejected-lease-updates': 5})]),
        (),
        '2.6',
    ),
    "Kea's multi-threading off: HA multi-threading silently off": (
        {'Dhcp4': {
            **config([hs('server1', ('server1', 'server2'), (19141, 19142))])['Dhcp4'],
            'multi-threading': {'enable-multi-threading': False},
        }},
        ('ha.mt-without-dhcp-mt',),
        '2.6',
    ),
    'control socket next to the listener (3.x)': (
        {'Dhcp4': {
            **config([hs('server1', ('server1', 'server2'), (19151, 19152))])['Dhcp4'],
            'control-sockets': [{'socket-type': 'http', 'socket-address': '127.254.0.1', 'socket-port': 19153}],
        }},
        (),
        '3.0',
    ),
}  # fmt: skip


def _version(root: Path) -> KeaVersion:
    out = subprocess.run([*enter_root(root), 'kea-dhcp4', '-v'], capture_output=True, text=True, check=True)
    return KeaVersion.parse(out.stdout)


@pytest.fixture(scope='module', params=['2.6', '3.0'])
def kea(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, KeaVersion, dict]:
    """Every case loaded into the real Kea of this root (concurrently): (series, exact version, results)."""
    series = request.param
    if not roots.root_ready(series):
        pytest.skip(f'no cached Kea {series} root (kealab.roots builds it on first use)')
    root = roots.ensure_root(series)
    version = _version(root)
    configs: dict[str, Any] = {f'shared: {k}': c.config for k, c in REJECTED.items() if k not in VERSION_SPECIFIC}
    configs |= {f'specific: {k}': c.config for k, (c, since) in SPECIFIC_REJECTED.items() if series >= since}
    configs |= {f'accepted: {k}': c for k, (c, _w, since) in ACCEPTED_26.items() if series >= since}
    return series, version, load_all(configs, tmp_path_factory.mktemp(f'kea{series}'), root=root)


@pytest.mark.parametrize('case_id', [k for k in REJECTED if k not in VERSION_SPECIFIC])
def test_same_rules_and_texts_as_22(case_id: str, kea: tuple[str, KeaVersion, dict[str, KeaLoad]]) -> None:
    """Kea 2.6 / 3.0 refuse the 2.2 cases with the same texts; so does the validator told the version."""
    series, version, results = kea
    case = REJECTED[case_id]
    assert_first_error(case, version=version, hooks_dir=HOOKS_DIR)
    check_kea_refused(case, results[f'shared: {case_id}'], series)


@pytest.mark.parametrize('case_id', list(SPECIFIC_REJECTED))
def test_rules_of_26_and_30(case_id: str, kea: tuple[str, KeaVersion, dict[str, KeaLoad]]) -> None:
    """The rules that are new or different in 2.6 / 3.0, with Kea's texts."""
    series, version, results = kea
    case, since = SPECIFIC_REJECTED[case_id]
    if series < since:
        pytest.skip(f'a Kea {since} case')
    assert_first_error(case, version=version, hooks_dir=HOOKS_DIR)
    check_kea_refused(case, results[f'specific: {case_id}'], series)


@pytest.mark.parametrize('case_id', list(ACCEPTED_26))
def test_accepted_by_26_and_30(case_id: str, kea: tuple[str, KeaVersion, dict[str, KeaLoad]]) -> None:
    """Kea 2.6 / 3.0 load it; no error from the validator, and only the expected warnings."""
    series, version, results = kea
    cfg, codes, since = ACCEPTED_26[case_id]
    if series < since:
        pytest.skip(f'a Kea {since} case')
    result = results[f'accepted: {case_id}']
    assert result.accepted, f'Kea {series} refused it: {result.error}\n{result.log[-2000:]}'
    findings = validate_config(cfg, version=version, hooks_dir=HOOKS_DIR)
    assert errors(findings) == []
    assert sorted({f.code for f in warnings(findings)}) == sorted(codes)


def test_22_config_is_refused_by_26_for_the_hub_only() -> None:
    """Sanity of the tables: the hub is an error for 2.2 and fine for 2.6 (no Kea needed)."""
    cfg = copy.deepcopy(ACCEPTED_26['the observed hub'][0])
    assert [f.code for f in errors(validate_config(cfg))] == ['ha.relationship-count']
    assert errors(validate_config(cfg, version=KeaVersion(2, 6, 3))) == []
    assert HA.endswith('libdhcp_ha.so') and LEASE_CMDS.endswith('libdhcp_lease_cmds.so')
