"""Rendered blocks load into a real Kea 2.2: every mode, backups, basic auth, state-machine, multi-threading,
DHCPv6; and a hub-and-spoke block into real Kea 2.6.3 and 3.0.3 (kealab's roots, when cached). Each block is
put into a minimal server config and started in a throw-away kea-dhcp4/6 (see test_validate_kea22.py); peer URLs
point at 127.254.0.x, where nothing listens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .test_validate_kea22 import BINARIES, HOOKS_DIR, KeaLoad, load_all, load_config
from netbox_kea_ha.kea.ha import KeaVersion, Peer, Relationship
from netbox_kea_ha.kea.render import RenderContext, render_hooks_libraries

pytestmark = [
    pytest.mark.kea,
    pytest.mark.skipif(not Path(BINARIES['Dhcp4']).exists(), reason='Kea 2.2 (kea-dhcp4) is not installed'),
]

TIMERS = {'heartbeat-delay': 1000, 'max-response-delay': 3000, 'max-ack-delay': 2000, 'max-unacked-clients': 0}


def peers(*roles: str, **more: Any) -> tuple[Peer, ...]:
    return tuple(
        Peer(f'server{i}', f'http://127.254.0.{i}:8000/', role, **more) for i, role in enumerate(roles, start=1)
    )


CONTEXTS: dict[str, RenderContext] = {
    'load-balancing': RenderContext(
        'server1',
        HOOKS_DIR,
        'dhcp4',
        (Relationship('server1', 'load-balancing', peers('primary', 'secondary'), TIMERS),),
    ),
    'load-balancing backup, seen from the backup': RenderContext(
        'server3',
        HOOKS_DIR,
        'dhcp4',
        (Relationship('server3', 'load-balancing', peers('primary', 'secondary', 'backup'), TIMERS),),
    ),
    'hot-standby, seen from the standby': RenderContext(
        'server2', HOOKS_DIR, 'dhcp4', (Relationship('server2', 'hot-standby', peers('primary', 'standby'), TIMERS),)
    ),
    'passive-backup': RenderContext(
        'server1',
        HOOKS_DIR,
        'dhcp4',
        (Relationship('server1', 'passive-backup', peers('primary', 'backup', 'backup'), {'wait-backup-ack': True}),),
    ),
    'basic auth': RenderContext(
        'server1',
        HOOKS_DIR,
        'dhcp4',
        (
            Relationship(
                'server1',
                'load-balancing',
                peers('primary', 'secondary', basic_auth_user='kea-ha', basic_auth_password='pw-1'),
                TIMERS,
            ),
        ),
    ),
    'state-machine and every 2.2 parameter': RenderContext(
        'server1',
        HOOKS_DIR,
        'dhcp4',
        (
            Relationship(
                'server1',
                'load-balancing',
                peers('primary', 'secondary', auto_failover=True),
                {
                    **TIMERS,
                    'delayed-updates-limit': 50,
                    'send-lease-updates': True,
                    'sync-leases': True,
                    'sync-timeout': 30000,
                    'sync-page-limit': 500,
                    'wait-backup-ack': False,
                    'require-client-certs': True,
                    'restrict-commands': True,
                    'multi-threading.enable-multi-threading': False,
                    'multi-threading.http-dedicated-listener': False,
                    'multi-threading.http-listener-threads': 0,
                    'multi-threading.http-client-threads': 0,
                },
                state_machine={'states': [{'state': 'waiting', 'pause': 'once'}, {'state': 'ready', 'pause': 'never'}]},
            ),
        ),
    ),
    'dhcp6': RenderContext(
        'server2',
        HOOKS_DIR,
        'dhcp6',
        (Relationship('server2', 'load-balancing', peers('primary', 'secondary'), TIMERS),),
    ),
}


@pytest.fixture(scope='module')
def loads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeaLoad]:
    configs = {}
    for name, context in CONTEXTS.items():
        family = 'Dhcp4' if context.family == 'dhcp4' else 'Dhcp6'
        configs[name] = {family: {'hooks-libraries': render_hooks_libraries(context)}}
    return load_all(configs, tmp_path_factory.mktemp('render22'))


@pytest.mark.parametrize('name', list(CONTEXTS))
def test_rendered_block_loads_in_kea22(name: str, loads: dict[str, KeaLoad]) -> None:
    """Kea 2.2 starts with the rendered block, the HA hook configured (HA_CONFIGURATION_SUCCESSFUL)."""
    result = loads[name]
    assert result.accepted, f'{result.error}\n{result.log[-2000:]}'
    assert 'HA_CONFIGURATION_SUCCESSFUL' in result.log and 'LEASE_CMDS_INIT_OK' in result.log


def _hub(version: KeaVersion, ports: tuple[int, int, int, int]) -> RenderContext:
    def rel(this: str, names: tuple[str, str], p: tuple[int, int]) -> Relationship:
        return Relationship(
            this,
            'hot-standby',
            (
                Peer(names[0], f'http://127.254.0.1:{p[0]}/', 'primary'),
                Peer(names[1], f'http://127.254.0.2:{p[1]}/', 'standby'),
            ),
            TIMERS,
        )

    return RenderContext(
        'server2',
        '',
        'dhcp4',
        (rel('server2', ('server1', 'server2'), ports[:2]), rel('server4', ('server3', 'server4'), ports[2:])),
        kea_version=version,
    )


@pytest.mark.parametrize(
    ('series', 'ports'), [('2.6', (19201, 19202, 19203, 19204)), ('3.0', (19211, 19212, 19213, 19214))]
)
def test_rendered_hub_loads_in_kea26_and_30(series: str, ports: tuple[int, int, int, int], tmp_path: Path) -> None:
    """A hub-and-spoke block with bare library names, rendered for 2.6.3 / 3.0.3, loads in that real Kea."""
    roots = pytest.importorskip('kealab.roots')
    if not roots.root_ready(series):
        pytest.skip(f'no cached Kea {series} root')
    root = roots.ensure_root(series)
    version = KeaVersion(2, 6, 3) if series == '2.6' else KeaVersion(3, 0, 3)
    hooks = render_hooks_libraries(_hub(version, ports))
    assert [h['library'] for h in hooks] == ['libdhcp_lease_cmds.so', 'libdhcp_ha.so']
    result = load_config({'Dhcp4': {'hooks-libraries': hooks}}, tmp_path, root=root)
    assert result.accepted, f'{result.error}\n{result.log[-2000:]}'
    assert result.log.count('HA_SERVICE_STARTED') == 2
