"""
Every error rule of the validator, asserted twice: our finding carries the exact message (and field and code),
and a real Kea 2.2 `kea-dhcp4` refuses the same config at load with the same text (kea-2.2-observed.md §5:
neither `-t` nor `config-test` checks HA parameters, so each config is loaded into a throw-away process).
Configs Kea accepts are checked too: our validator must not call them errors (it may warn).

The Kea processes run concurrently (a thread pool), each in its own directory, with `"interfaces": []`, an
in-memory lease database and no control socket; each is killed by its PID as soon as it started or exited.
Peer URLs point at 127.254.0.x, where nothing listens.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kealab.runtime import enter_root
from netbox_kea_ha.kea.validate import errors, strip_position, validate_config, warnings

HOOKS_DIR = '/usr/lib/x86_64-linux-gnu/kea/hooks'
HA = f'{HOOKS_DIR}/libdhcp_ha.so'
LEASE_CMDS = f'{HOOKS_DIR}/libdhcp_lease_cmds.so'
BINARIES = {'Dhcp4': '/usr/sbin/kea-dhcp4', 'Dhcp6': '/usr/sbin/kea-dhcp6'}
HA_PATH = 'hooks-libraries[1].parameters.high-availability'
REL = f'{HA_PATH}[0]'

pytestmark = [
    pytest.mark.kea,
    pytest.mark.skipif(not Path(BINARIES['Dhcp4']).exists(), reason='Kea 2.2 (kea-dhcp4) is not installed'),
]


# --------------------------------------------------------------------------------------------------------------
# A real, throw-away Kea
# --------------------------------------------------------------------------------------------------------------

_STARTED = re.compile(r'DHCP[46]_STARTED ')
_ERRORS = (
    re.compile(r'HA_CONFIGURATION_FAILED failed to configure High Availability hooks library: (.*)$', re.M),
    re.compile(r'HA_MISSING_CONFIGURATION (.*)$', re.M),
    re.compile(r'DHCP[46]_PARSER_FAIL failed to create or run parser for configuration element [^:]*: (.*)$', re.M),
    re.compile(r'DHCP[46]_CONFIG_LOAD_FAIL configuration error using file: .*?, reason: (.*)$', re.M),
)


@dataclass(frozen=True)
class KeaLoad:
    """What a real Kea did with a config."""

    accepted: bool
    #: Kea's error text (the HA hook's message if it logged one, else the parser's or the load failure's).
    error: str | None
    log: str


def load_config(config: Mapping[str, Any], workdir: Path, timeout: float = 8.0, root: Path | None = None) -> KeaLoad:
    """Start Kea on `config` in `workdir`; return once it started (then kill it by PID) or exited.

    `root`: a Debian root holding another Kea version (kealab.roots); Kea then runs chrooted there, in a fresh
    directory under the root's /srv/kv (mode 0750, as Kea >= 2.6.3 wants), which is removed afterwards.
    """
    config = copy.deepcopy(dict(config))
    family = next(k for k in ('Dhcp4', 'Dhcp6') if k in config)
    config[family].setdefault('interfaces-config', {'interfaces': []})
    config[family].setdefault('lease-database', {'type': 'memfile', 'persist': False})
    binary = BINARIES[family]
    if root is None:
        inside = workdir
        if family == 'Dhcp6':
            config[family].setdefault('data-directory', str(workdir))  # the DUID file
        argv = [binary, '-c', str(workdir / 'kea.json')]
    else:
        inside = Path('/srv/kv') / f'validate-{uuid.uuid4().hex[:12]}'
        workdir = root / inside.relative_to('/')
        argv = [*enter_root(root), binary, '-c', str(inside / 'kea.json')]
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o750)
    (workdir / 'kea.json').write_text(json.dumps(config, indent=1))
    log_path = workdir / 'kea.log'
    env = {'PATH': '/usr/sbin:/usr/bin:/bin'}
    for name in ('PIDFILE', 'LOCKFILE', 'CONTROL_SOCKET', 'DHCP_DATA', 'LOG_FILE'):
        env[f'KEA_{name}_DIR'] = str(inside)
    try:
        with log_path.open('wb') as log:
            proc = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=workdir,
                start_new_session=True,
            )
        started = False
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and proc.poll() is None:
                if _STARTED.search(log_path.read_text(errors='replace')):
                    started = True
                    break
                time.sleep(0.02)
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)  # chroot execs Kea: this PID is Kea's
            proc.wait(timeout=10)
        text = log_path.read_text(errors='replace')
    finally:
        if root is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    error = next((m[1].strip() for p in _ERRORS if (m := p.search(text))), None)
    return KeaLoad(started and error is None, error, text)


def load_all(
    configs: Mapping[str, Mapping[str, Any]], workdir: Path, workers: int = 4, root: Path | None = None
) -> dict[str, KeaLoad]:
    """Load many configs concurrently, one process and directory each."""

    def run(item: tuple[str, Mapping[str, Any]]) -> tuple[str, KeaLoad]:
        key, config = item
        where = workdir / re.sub(r'[^A-Za-z0-9_.-]', '_', key)[:60]
        result = load_config(config, where, root=root)
        if result.accepted:
            shutil.rmtree(where, ignore_errors=True)
        return key, result

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(run, configs.items()))


# --------------------------------------------------------------------------------------------------------------
# Config builders
# --------------------------------------------------------------------------------------------------------------


def peer(name: str, role: str, n: int, **more: Any) -> dict[str, Any]:
    """A peer entry at 127.254.0.n:8000."""
    return {'name': name, 'url': f'http://127.254.0.{n}:8000/', 'role': role, **more}


LB_PEERS = [peer('server1', 'primary', 1), peer('server2', 'secondary', 2)]


def relationship(mode: str = 'load-balancing', peers: list[Any] | None = None, **more: Any) -> dict[str, Any]:
    """A relationship as server1 sees it; `more` keys set (None removes a key)."""
    rel: dict[str, Any] = {'this-server-name': 'server1', 'mode': mode, 'heartbeat-delay': 1000,
                           'max-response-delay': 3000, 'max-ack-delay': 2000, 'max-unacked-clients': 0,
                           'peers': copy.deepcopy(LB_PEERS if peers is None else peers)}  # fmt: skip
    for key, value in more.items():
        key = key.replace('_', '-')
        if value is None:
            rel.pop(key, None)
        else:
            rel[key] = value
    return rel


def config(ha: Any = None, *, family: str = 'Dhcp4', hooks: list[Any] | None = None, **server: Any) -> dict[str, Any]:
    """A server config: lease_cmds, then the HA hook with `ha` as its high-availability list."""
    if hooks is None:
        ha = [relationship()] if ha is None else ha
        hooks = [{'library': LEASE_CMDS}, {'library': HA, 'parameters': {'high-availability': ha}}]
    return {family: {'hooks-libraries': hooks, **server}}


def one(mode: str = 'load-balancing', peers: list[Any] | None = None, **more: Any) -> dict[str, Any]:
    """A server config with one relationship."""
    return config([relationship(mode, peers, **more)])


def with_peer(index: int, **changes: Any) -> dict[str, Any]:
    """The LB pair with one peer changed (None removes a key)."""
    peers = copy.deepcopy(LB_PEERS)
    for key, value in changes.items():
        key = key.replace('_', '-')
        if value is None:
            peers[index].pop(key, None)
        else:
            peers[index][key] = value
    return one(peers=peers)


# --------------------------------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejected:
    """A config Kea 2.2 refuses: our first error must be (field, message, code), and Kea's text the message."""

    config: dict[str, Any]
    field: str
    message: str
    code: str
    incomplete: bool = False
    #: Kea's text when ours differs: ours appends advice in parentheses, or Kea's is a bison syntax error
    #: ("syntax error, unexpected ...", compared as a substring: it names a file position).
    kea_text: str | None = None


@dataclass(frozen=True)
class Accepted:
    """A config Kea 2.2 loads: no error from us, and the listed warning codes."""

    config: dict[str, Any]
    warning_codes: tuple[str, ...] = ()


def _pb(*peers: dict[str, Any]) -> dict[str, Any]:
    return one('passive-backup', list(peers))


REJECTED: dict[str, Rejected] = {
    # --- HAConfig::validate(): this server, roles per mode ---
    'this-server-name not among peers': Rejected(
        one(this_server_name='server9'),
        f'{REL}.this-server-name',
        "no peer configuration specified for the 'server9'",
        'ha.no-peer-for-this-server',
        incomplete=True,
    ),
    'two primaries': Rejected(
        one(peers=[peer('server1', 'primary', 1), peer('server2', 'primary', 2)]),
        f'{REL}.peers',
        'multiple primary servers specified',
        'ha.multiple-primary',
    ),
    'two secondaries': Rejected(
        one(peers=[peer('server1', 'secondary', 1), peer('server2', 'secondary', 2)]),
        f'{REL}.peers',
        'multiple secondary servers specified',
        'ha.multiple-secondary',
    ),
    'LB three actives': Rejected(
        one(peers=[*LB_PEERS, peer('server3', 'primary', 3)]),
        f'{REL}.peers',
        'multiple primary servers specified',
        'ha.multiple-primary',
    ),
    'LB no primary': Rejected(
        one(peers=[peer('server1', 'secondary', 1), peer('server2', 'backup', 2)]),
        f'{REL}.peers',
        'primary server required in the load balancing configuration',
        'ha.primary-required',
        incomplete=True,
    ),
    'LB with standby': Rejected(
        one(peers=[peer('server1', 'primary', 1), peer('server2', 'standby', 2)]),
        f'{REL}.peers',
        'standby servers not allowed in the load balancing configuration',
        'ha.standby-not-allowed',
    ),
    'LB one peer': Rejected(
        one(peers=[peer('server1', 'primary', 1)]),
        f'{REL}.peers',
        'secondary server required in the load balancing configuration',
        'ha.secondary-required',
        incomplete=True,
    ),
    'HS with secondary': Rejected(
        one('hot-standby'),
        f'{REL}.peers',
        'secondary servers not allowed in the hot standby configuration',
        'ha.secondary-not-allowed',
    ),
    'HS no standby': Rejected(
        one('hot-standby', [peer('server1', 'primary', 1), peer('server2', 'backup', 2)]),
        f'{REL}.peers',
        'standby server required in the hot standby configuration',
        'ha.standby-required',
        incomplete=True,
    ),
    'HS two standbys': Rejected(
        one('hot-standby', [peer('server1', 'standby', 1), peer('server2', 'standby', 2)]),
        f'{REL}.peers',
        'multiple standby servers specified',
        'ha.multiple-standby',
    ),
    'HS no primary': Rejected(
        one('hot-standby', [peer('server1', 'standby', 1), peer('server2', 'backup', 2)]),
        f'{REL}.peers',
        'primary server required in the hot standby configuration',
        'ha.primary-required',
        incomplete=True,
    ),
    'PB with secondary': Rejected(
        _pb(peer('server1', 'primary', 1), peer('server2', 'secondary', 2)),
        f'{REL}.peers',
        'secondary servers not allowed in the passive backup configuration',
        'ha.secondary-not-allowed',
    ),
    'PB with standby': Rejected(
        _pb(peer('server1', 'primary', 1), peer('server2', 'standby', 2)),
        f'{REL}.peers',
        'standby servers not allowed in the passive backup configuration',
        'ha.standby-not-allowed',
    ),
    'PB no primary': Rejected(
        _pb(peer('server1', 'backup', 1), peer('server2', 'backup', 2)),
        f'{REL}.peers',
        'primary server required in the passive backup configuration',
        'ha.primary-required',
        incomplete=True,
    ),
    'wait-backup-ack in LB': Rejected(
        one(wait_backup_ack=True),
        f'{REL}.wait-backup-ack',
        "'wait-backup-ack' must be set to false in the load balancing configuration",
        'ha.wait-backup-ack-not-passive-backup',
    ),
    'wait-backup-ack in HS': Rejected(
        one('hot-standby', [peer('server1', 'primary', 1), peer('server2', 'standby', 2)], wait_backup_ack=True),
        f'{REL}.wait-backup-ack',
        "'wait-backup-ack' must be set to false in the hot standby configuration",
        'ha.wait-backup-ack-not-passive-backup',
    ),
    'delayed updates in HS': Rejected(
        one('hot-standby', [peer('server1', 'primary', 1), peer('server2', 'standby', 2)], delayed_updates_limit=10),
        f'{REL}.delayed-updates-limit',
        "'delayed-updates-limit' must be set to 0 in the hot standby configuration",
        'ha.delayed-updates-not-load-balancing',
    ),
    'delayed updates in PB': Rejected(
        one('passive-backup', [peer('server1', 'primary', 1)], delayed_updates_limit=10),
        f'{REL}.delayed-updates-limit',
        "'delayed-updates-limit' must be set to 0 in the passive backup configuration",
        'ha.delayed-updates-not-load-balancing',
    ),
    # --- URLs ---
    'url not a url': Rejected(
        with_peer(1, url='not a url'),
        f'{REL}.peers[1].url',
        'invalid URL: url not a url lacks http or https scheme for server server2',
        'ha.invalid-url',
    ),
    'url bad scheme': Rejected(
        with_peer(1, url='ftp://127.254.0.2:8000/'),
        f'{REL}.peers[1].url',
        'invalid URL: invalid scheme ftp in ftp://127.254.0.2:8000/ for server server2',
        'ha.invalid-url',
    ),
    'url without //': Rejected(
        with_peer(1, url='http:127.254.0.2'),
        f'{REL}.peers[1].url',
        'invalid URL: expected :// after scheme in http:127.254.0.2 for server server2',
        'ha.invalid-url',
    ),
    'url without host': Rejected(
        with_peer(1, url='http://'),
        f'{REL}.peers[1].url',
        'invalid URL: hostname missing in http:// for server server2',
        'ha.invalid-url',
    ),
    'url unclosed bracket': Rejected(
        with_peer(1, url='http://[::1:8000/'),
        f'{REL}.peers[1].url',
        'invalid URL: expected ] after IPv6 address in http://[::1:8000/ for server server2',
        'ha.invalid-url',
    ),
    'url empty brackets': Rejected(
        with_peer(1, url='http://[]:8000/'),
        f'{REL}.peers[1].url',
        'invalid URL: expected IPv6 address within [] in http://[]:8000/ for server server2',
        'ha.invalid-url',
    ),
    'url colon without port': Rejected(
        with_peer(1, url='http://127.254.0.2:'),
        f'{REL}.peers[1].url',
        'invalid URL: expected port number after : in http://127.254.0.2: for server server2',
        'ha.invalid-url',
    ),
    'url bad port': Rejected(
        with_peer(1, url='http://127.254.0.2:80a/'),
        f'{REL}.peers[1].url',
        'invalid URL: invalid port number 80a in http://127.254.0.2:80a/ for server server2',
        'ha.invalid-url',
    ),
    'url IPv6 without brackets': Rejected(
        with_peer(1, url='http://fe80::1/'),
        f'{REL}.peers[1].url',
        'invalid URL: invalid port number :1 in http://fe80::1/ for server server2',
        'ha.invalid-url',
    ),
    'url hostname': Rejected(
        with_peer(1, url='http://localhost:18032/'),
        f'{REL}.peers[1].url',
        "bad url 'http://localhost:18032/': Failed to convert string to address 'localhost': Invalid argument "
        'for server server2',
        'ha.url-not-ip',
    ),
    'url leading zero port is normalised in the message': Rejected(
        with_peer(1, url='http://host.example:08000'),
        f'{REL}.peers[1].url',
        "bad url 'http://host.example:8000': Failed to convert string to address 'host.example': Invalid argument "
        'for server server2',
        'ha.url-not-ip',
    ),
    'url first bad peer by name order': Rejected(
        one(
            peers=[peer('zeta', 'primary', 1, url='http://b/'), peer('alpha', 'secondary', 2, url='http://a/')],
            this_server_name='zeta',
        ),
        f'{REL}.peers[1].url',
        "bad url 'http://a/': Failed to convert string to address 'a': Invalid argument for server alpha",
        'ha.url-not-ip',
    ),
    'https without TLS': Rejected(
        with_peer(1, url='https://127.254.0.2:18032/'),
        f'{REL}.peers[1].url',
        "bad url 'https://127.254.0.2:18032/': https scheme is not supported for server server2 where TLS is disabled",
        'ha.https-without-tls',
    ),
    'only trust-anchor (global)': Rejected(
        one(trust_anchor='/nonexistent/ca.pem'),
        f'{REL}.peers[0].cert-file',
        'bad TLS config for server server1: cert-file parameter is missing or empty: all or none of TLS '
        'parameters must be set',
        'ha.tls-incomplete',
    ),
    'only key-file (peer)': Rejected(
        with_peer(1, key_file='/nonexistent/key.pem'),
        f'{REL}.peers[1].trust-anchor',
        'bad TLS config for server server2: trust-anchor parameter is missing or empty: all or none of TLS '
        'parameters must be set',
        'ha.tls-incomplete',
    ),
    # --- parse: structure and types ---
    'missing url': Rejected(
        with_peer(1, url=None), f'{REL}.peers[1].url', "missing parameter 'url'", 'ha.missing-parameter'
    ),
    'missing name': Rejected(
        with_peer(1, name=None), f'{REL}.peers[1].name', "missing parameter 'name'", 'ha.missing-parameter'
    ),
    'missing role': Rejected(
        with_peer(1, role=None), f'{REL}.peers[1].role', "missing parameter 'role'", 'ha.missing-parameter'
    ),
    'duplicate peer names': Rejected(
        with_peer(1, name='server1'),
        f'{REL}.peers[1].name',
        "peer with name 'server1' already specified",
        'ha.duplicate-peer-name',
    ),
    'blank peer name': Rejected(
        with_peer(1, name=' \t '), f'{REL}.peers[1].name', 'peer name must not be empty', 'ha.empty-peer-name'
    ),
    'peer name not a string': Rejected(
        with_peer(1, name=2), f'{REL}.peers[1].name', "invalid type specified for parameter 'name'", 'ha.invalid-type'
    ),
    'role tertiary': Rejected(
        with_peer(1, role='tertiary'),
        f'{REL}.peers[1].role',
        "unsupported value 'tertiary' for role parameter",
        'ha.unsupported-role',
    ),
    'auto-failover not a boolean': Rejected(
        with_peer(1, auto_failover='yes'),
        f'{REL}.peers[1].auto-failover',
        "invalid type specified for parameter 'auto-failover'",
        'ha.invalid-type',
    ),
    'peer trust-anchor not a string': Rejected(
        with_peer(1, trust_anchor=5),
        f'{REL}.peers[1].trust-anchor',
        "invalid type specified for parameter 'trust-anchor'",
        'ha.invalid-type',
    ),
    'password and password file': Rejected(
        with_peer(1, basic_auth_user='ha', basic_auth_password='secret1', basic_auth_password_file='/etc/pw'),
        f'{REL}.peers[1].basic-auth-password',
        "only one of basic-auth-password and basic-auth-password-file parameter can be configured in peer 'server2'",
        'ha.password-and-password-file',
    ),
    'user with colon': Rejected(
        with_peer(1, basic_auth_user='ha:user', basic_auth_password='x'),
        f'{REL}.peers[1].basic-auth-user',
        "user 'ha:user' must not contain a ':' in peer 'server2'",
        'ha.user-with-colon',
    ),
    'peer not a map': Rejected(
        one(peers=[LB_PEERS[0], 'server2']), f'{REL}.peers[1]', 'peer configuration must be a map', 'ha.peer-not-map'
    ),
    'missing this-server-name': Rejected(
        one(this_server_name=None),
        f'{REL}.this-server-name',
        "missing parameter 'this-server-name'",
        'ha.missing-parameter',
    ),
    'blank this-server-name': Rejected(
        one(this_server_name='  '),
        f'{REL}.this-server-name',
        "'this-server-name' value must not be empty",
        'ha.empty-this-server-name',
    ),
    'missing mode': Rejected(
        config([{k: v for k, v in relationship().items() if k != 'mode'}]),
        f'{REL}.mode',
        "missing parameter 'mode'",
        'ha.missing-parameter',
    ),
    'mode not a string': Rejected(
        one(mode=1), f'{REL}.mode', "invalid type specified for parameter 'mode'", 'ha.invalid-type'
    ),
    'mode active-active': Rejected(
        one('active-active'),
        f'{REL}.mode',
        "unsupported value 'active-active' for mode parameter",
        'ha.unsupported-mode',
    ),
    'peers missing': Rejected(
        config([{k: v for k, v in relationship().items() if k != 'peers'}]),
        f'{REL}.peers',
        "'peers' parameter missing in HA configuration",
        'ha.peers-missing',
        incomplete=True,
    ),
    'peers not a list': Rejected(
        one(peers={'server1': {}}), f'{REL}.peers', "'peers' parameter must be a list", 'ha.peers-not-list'
    ),
    'heartbeat-delay negative': Rejected(
        one(heartbeat_delay=-5), f'{REL}.heartbeat-delay', "'heartbeat-delay' must not be negative", 'ha.negative'
    ),
    'max-unacked-clients negative': Rejected(
        one(max_unacked_clients=-1),
        f'{REL}.max-unacked-clients',
        "'max-unacked-clients' must not be negative",
        'ha.negative',
    ),
    'heartbeat-delay a string': Rejected(
        one(heartbeat_delay='1000'),
        f'{REL}.heartbeat-delay',
        "invalid type specified for parameter 'heartbeat-delay'",
        'ha.invalid-type',
    ),
    'heartbeat-delay a real': Rejected(
        one(heartbeat_delay=1000.5),
        f'{REL}.heartbeat-delay',
        "invalid type specified for parameter 'heartbeat-delay'",
        'ha.invalid-type',
    ),
    'max-response-delay above uint16': Rejected(
        one(max_response_delay=65536),
        f'{REL}.max-response-delay',
        "'max-response-delay' must not be greater than 65535",
        'ha.too-large',
    ),
    'sync-timeout above uint32': Rejected(
        one(sync_timeout=4294967296),
        f'{REL}.sync-timeout',
        "'sync-timeout' must not be greater than 4294967295",
        'ha.too-large',
    ),
    'send-lease-updates not a boolean': Rejected(
        one(send_lease_updates='yes'),
        f'{REL}.send-lease-updates',
        "invalid type specified for parameter 'send-lease-updates'",
        'ha.invalid-type',
    ),
    'restrict-commands not a boolean': Rejected(
        one(restrict_commands=1),
        f'{REL}.restrict-commands',
        "invalid type specified for parameter 'restrict-commands'",
        'ha.invalid-type',
    ),
    'cert-file not a string': Rejected(
        one(cert_file=True), f'{REL}.cert-file', "invalid type specified for parameter 'cert-file'", 'ha.invalid-type'
    ),
    'multi-threading not a map': Rejected(
        one(multi_threading=True),
        f'{REL}.multi-threading',
        'multi-threading configuration must be a map',
        'ha.multi-threading-not-map',
    ),
    'http-listener-threads negative': Rejected(
        one(multi_threading={'http-listener-threads': -1}),
        f'{REL}.multi-threading.http-listener-threads',
        "'http-listener-threads' must not be negative",
        'ha.negative',
    ),
    'enable-multi-threading not a boolean': Rejected(
        one(multi_threading={'enable-multi-threading': 'true'}),
        f'{REL}.multi-threading.enable-multi-threading',
        "invalid type specified for parameter 'enable-multi-threading'",
        'ha.invalid-type',
    ),
    # --- state-machine ---
    'state-machine a list': Rejected(
        one(state_machine=[{'state': 'waiting'}]),
        f'{REL}.state-machine',
        "'state-machine' parameter must be a map",
        'ha.state-machine-not-map',
    ),
    'states a map': Rejected(
        one(state_machine={'states': {'waiting': 'once'}}),
        f'{REL}.state-machine.states',
        "'states' parameter must be a list",
        'ha.states-not-list',
    ),
    'state not a map': Rejected(
        one(state_machine={'states': ['waiting']}),
        f'{REL}.state-machine.states[0]',
        'state configuration must be a map',
        'ha.state-not-map',
    ),
    'state missing': Rejected(
        one(state_machine={'states': [{'pause': 'once'}]}),
        f'{REL}.state-machine.states[0].state',
        "missing parameter 'state'",
        'ha.missing-parameter',
    ),
    'unknown state': Rejected(
        one(state_machine={'states': [{'state': 'sleeping', 'pause': 'once'}]}),
        f'{REL}.state-machine.states[0].state',
        'unknown state sleeping',
        'ha.unknown-state',
    ),
    'duplicate state': Rejected(
        one(state_machine={'states': [{'state': 'waiting', 'pause': 'once'}, {'state': 'waiting'}]}),
        f'{REL}.state-machine.states[1].state',
        "duplicated configuration for the 'waiting' state",
        'ha.duplicate-state',
    ),
    'bad pause': Rejected(
        one(state_machine={'states': [{'state': 'ready', 'pause': 'sometimes'}]}),
        f'{REL}.state-machine.states[0].pause',
        "unsupported value sometimes of 'pause' parameter",
        'ha.unsupported-pause',
    ),
    # --- the high-availability list and the hook ---
    'two relationships (2.2)': Rejected(
        config([relationship(), relationship()]),
        HA_PATH,
        'invalid number of configurations in the HA configuration list. Expected exactly one configuration',
        'ha.relationship-count',
    ),
    'empty relationship list (2.2)': Rejected(
        config([]),
        HA_PATH,
        'invalid number of configurations in the HA configuration list. Expected exactly one configuration',
        'ha.relationship-count',
    ),
    'high-availability a map': Rejected(
        config(relationship()), HA_PATH, 'HA configuration must be a list', 'ha.not-a-list'
    ),
    'high-availability null': Rejected(
        config(None, hooks=[{'library': LEASE_CMDS}, {'library': HA, 'parameters': {'high-availability': None}}]),
        HA_PATH,
        'HA configuration must be a list',
        'ha.not-a-list',
    ),
    'relationship not a map (2.2)': Rejected(
        config(['server1']), f'{HA_PATH}[0]', 'get(string) called on a non-map Element', 'ha.relationship-not-map'
    ),
    'HA hook with empty parameters': Rejected(
        config(hooks=[{'library': LEASE_CMDS}, {'library': HA, 'parameters': {}}]),
        HA_PATH,
        'high-availability parameter not specified for High Availability hooks library',
        'ha.missing-configuration',
    ),
    'HA hook without parameters': Rejected(
        config(hooks=[{'library': LEASE_CMDS}, {'library': HA}]),
        HA_PATH,
        'high-availability parameter not specified for High Availability hooks library',
        'ha.missing-configuration',
    ),
    'bare library name (2.2)': Rejected(
        config(
            hooks=[
                {'library': LEASE_CMDS},
                {'library': 'libdhcp_ha.so', 'parameters': {'high-availability': [relationship()]}},
            ]
        ),
        'hooks-libraries[1].library',
        'hooks libraries failed to validate - library or libraries in error are: libdhcp_ha.so (Kea 2.2.0 needs '
        'the full path of a hook library; a bare file name needs Kea 2.6.3 or later)',
        'hooks.bare-library-name',
        kea_text='hooks libraries failed to validate - library or libraries in error are: libdhcp_ha.so',
    ),
    'blank library': Rejected(
        config(hooks=[{'library': ' '}]),
        'hooks-libraries[0].library',
        "hooks library configuration error: value of 'library' element must not be blank",
        'hooks.blank-library',
    ),
    'entry without library': Rejected(
        config(hooks=[{'parameters': {}}]), 'hooks-libraries[0]', "missing parameter 'library'", 'hooks.missing-library'
    ),
    # Bison syntax errors: Kea's text names a file position ("syntax error, unexpected ..."), ours says what.
    'hooks-libraries a map': Rejected(
        config(hooks={'library': HA}),
        'hooks-libraries',  # type: ignore[arg-type]
        "'hooks-libraries' must be a list of maps, each with a 'library'",
        'hooks.not-a-list',
        kea_text='syntax error, unexpected {, expecting [',
    ),
    'hooks entry a string': Rejected(
        config(hooks=[HA]),
        'hooks-libraries[0]',
        "a hooks-libraries entry must be a map with a 'library'",
        'hooks.entry-not-map',
        kea_text='syntax error, unexpected constant string, expecting ]',
    ),
    'library not a string': Rejected(
        config(hooks=[{'library': 5}]),
        'hooks-libraries[0].library',
        "invalid type specified for parameter 'library'",
        'hooks.invalid-type',
        kea_text='syntax error, unexpected integer, expecting constant string',
    ),
    'parameters a list': Rejected(
        config(hooks=[{'library': HA, 'parameters': []}]),
        'hooks-libraries[0].parameters',
        "'parameters' of a hook library must be a map",
        'hooks.parameters-not-map',
        kea_text='syntax error, unexpected [, expecting {',
    ),
    'unknown hook entry key': Rejected(
        config(hooks=[{'library': LEASE_CMDS, 'user-context': {}}]),
        'hooks-libraries[0].user-context',
        "unknown hooks library parameter: user-context (an entry takes only 'library' and 'parameters')",
        'hooks.unknown-key',
        kea_text='syntax error, unexpected constant string, expecting "," or }',
    ),
    # --- DHCPv6 behaves the same ---
    'DHCPv6: this-server-name not among peers': Rejected(
        config([relationship(this_server_name='server9')], family='Dhcp6'),
        f'{REL}.this-server-name',
        "no peer configuration specified for the 'server9'",
        'ha.no-peer-for-this-server',
        incomplete=True,
    ),
}

ACCEPTED: dict[str, Accepted] = {
    'the observed LB pair': Accepted(one()),
    'LB pair with backup (seed shape)': Accepted(
        one(peers=[*LB_PEERS, peer('server3', 'backup', 3, **{'auto-failover': False})])
    ),
    'hot-standby pair': Accepted(one('hot-standby', [peer('server1', 'primary', 1), peer('server2', 'standby', 2)])),
    'passive-backup with only the primary': Accepted(one('passive-backup', [peer('server1', 'primary', 1)])),
    'passive-backup with backups and wait-backup-ack': Accepted(
        one('passive-backup', [peer('server1', 'primary', 1), peer('server2', 'backup', 2)], wait_backup_ack=True)
    ),
    'DHCPv6 pair': Accepted(config([relationship()], family='Dhcp6')),
    'max-response-delay below heartbeat-delay': Accepted(
        one(max_response_delay=500), ('ha.response-delay-not-above-heartbeat',)
    ),
    'max-response-delay equal to heartbeat-delay': Accepted(
        one(max_response_delay=1000, max_ack_delay=0), ('ha.response-delay-not-above-heartbeat',)
    ),
    'max-response-delay of two heartbeats': Accepted(
        one(max_response_delay=2000), ('ha.response-delay-few-heartbeats',)
    ),
    'heartbeat-delay 0': Accepted(one(heartbeat_delay=0), ('ha.heartbeat-disabled',)),
    'missing lease_cmds': Accepted(
        config(hooks=[{'library': HA, 'parameters': {'high-availability': [relationship()]}}]), ('ha.no-lease-cmds',)
    ),
    'HA before lease_cmds': Accepted(
        config(hooks=[{'library': HA, 'parameters': {'high-availability': [relationship()]}}, {'library': LEASE_CMDS}])
    ),
    'duplicate URLs': Accepted(with_peer(1, url='http://127.254.0.1:8000/'), ('ha.duplicate-peer-url',)),
    'unknown HA key': Accepted(one(foo_bar=1), ('ha.unknown-key',)),
    'unknown peer key': Accepted(with_peer(1, weight=3), ('ha.unknown-key',)),
    'backup with auto-failover true, primary false': Accepted(
        one(
            peers=[
                peer('server1', 'primary', 1, **{'auto-failover': False}),
                LB_PEERS[1],
                peer('server3', 'backup', 3, **{'auto-failover': True}),
            ]
        ),
        ('ha.auto-failover-on-backup', 'ha.auto-failover-disabled'),
    ),
    'odd peer names': Accepted(
        one(peers=[peer('server 1', 'primary', 1), peer('Server 2!', 'secondary', 2)], this_server_name='server 1'),
        ('ha.odd-peer-name',),
    ),
    'names with blanks (Kea trims this-server-name)': Accepted(one(this_server_name=' server1 '), ('ha.name-blanks',)),
    'url with path': Accepted(with_peer(1, url='http://127.254.0.2:8000/kea/')),
    'IPv6 url': Accepted(with_peer(1, url='http://[::1]:8000/')),
    'url without port': Accepted(with_peer(1, url='http://127.254.0.2'), ('ha.url-without-port',)),
    'url port 99999': Accepted(with_peer(1, url='http://127.254.0.2:99999/'), ('ha.url-port-out-of-range',)),
    'sync-page-limit 0': Accepted(one(sync_page_limit=0)),
    'uint16 maximum': Accepted(one(heartbeat_delay=1000, max_response_delay=65535, max_ack_delay=65535)),
    'basic auth on a peer': Accepted(with_peer(1, basic_auth_user='hauser', basic_auth_password='hapass')),
    'empty basic-auth-user': Accepted(with_peer(1, basic_auth_user='')),
    'HA multi-threading without DHCP multi-threading': Accepted(
        one(
            multi_threading={
                'enable-multi-threading': True,
                'http-dedicated-listener': True,
                'http-listener-threads': 2,
                'http-client-threads': 2,
            }
        ),
        ('ha.mt-without-dhcp-mt',),
    ),
    'DHCP multi-threading without HA multi-threading': Accepted(
        config(
            [relationship()],
            **{'multi-threading': {'enable-multi-threading': True, 'thread-pool-size': 2, 'packet-queue-size': 16}},
        ),
        ('ha.dhcp-mt-without-ha-mt',),
    ),
    'HA hook listed twice': Accepted(
        config(
            hooks=[
                {'library': LEASE_CMDS},
                {'library': HA, 'parameters': {'high-availability': [relationship()]}},
                {'library': HA, 'parameters': {'high-availability': [relationship()]}},
            ]
        ),
        ('ha.hook-listed-twice',),
    ),
    'state-machine pause once': Accepted(one(state_machine={'states': [{'state': 'waiting', 'pause': 'once'}]})),
    'state-machine unavailable state': Accepted(
        one(state_machine={'states': [{'state': 'unavailable', 'pause': 'never'}]})
    ),
    'lease updates off, sync on': Accepted(
        one(send_lease_updates=False), ('ha.lease-updates-disabled', 'ha.lease-updates-and-syncing-differ')
    ),
    'max-rejected-lease-updates on 2.2': Accepted(one(max_rejected_lease_updates=5), ('ha.parameter-not-supported',)),
    'empty TLS values disable TLS': Accepted(one(trust_anchor='', cert_file='', key_file='')),
    'this server with a port-0 url is fine for passive backup': Accepted(
        one('passive-backup', [peer('server1', 'primary', 1, url='http://127.254.0.1/')]), ('ha.url-without-port',)
    ),
}


@pytest.fixture(scope='module')
def kea_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeaLoad]:
    """Every case loaded into a real Kea 2.2, concurrently."""
    configs = {f'rejected: {k}': c.config for k, c in REJECTED.items()}
    configs |= {f'accepted: {k}': c.config for k, c in ACCEPTED.items()}
    return load_all(configs, tmp_path_factory.mktemp('kea22'))


def assert_first_error(case: Rejected, **options: Any) -> None:
    """Our first error for the case's config (validated with `options`) is the rule's: its field, exact message,
    code and incompleteness."""
    found = errors(validate_config(case.config, **options))
    assert found, 'no error'
    first = found[0]
    assert (first.field, first.message, first.code, first.incomplete) == (
        case.field,
        case.message,
        case.code,
        case.incomplete,
    )


@pytest.mark.parametrize('case_id', list(REJECTED))
def test_rejected_by_us_with_keas_text(case_id: str) -> None:
    """Our first error is the rule's: its field, exact message, code and incompleteness."""
    assert_first_error(REJECTED[case_id])


def check_kea_refused(case: Rejected, result: KeaLoad, version: str = '2.2') -> None:
    """Kea refused the config at load and logged our message (or, for syntax errors, its parser text)."""
    assert not result.accepted, f'Kea {version} accepted it:\n{result.log[-2000:]}'
    assert result.error is not None, result.log[-2000:]
    kea_text = strip_position(result.error)
    if case.kea_text is None:
        assert kea_text == case.message
    elif case.kea_text.startswith('syntax error'):
        assert case.kea_text in kea_text
    else:  # Kea's text, possibly followed by details ('[system:98 at ...]'); ours adds advice in parentheses
        assert kea_text.startswith(case.kea_text)
        assert case.message.startswith(f'{case.kea_text} (')


@pytest.mark.parametrize('case_id', list(REJECTED))
def test_rejected_by_real_kea_with_the_same_text(case_id: str, kea_results: dict[str, KeaLoad]) -> None:
    """Real Kea 2.2 refuses the config at load, and logs our message (or, for syntax errors, its parser text)."""
    check_kea_refused(REJECTED[case_id], kea_results[f'rejected: {case_id}'])


@pytest.mark.parametrize('case_id', list(ACCEPTED))
def test_accepted_by_real_kea_and_not_an_error_for_us(case_id: str, kea_results: dict[str, KeaLoad]) -> None:
    """Kea 2.2 loads it; we report no error, and exactly the warnings that say what will go wrong."""
    case = ACCEPTED[case_id]
    result = kea_results[f'accepted: {case_id}']
    assert result.accepted, f'Kea refused {case_id}: {result.error}\n{result.log[-2000:]}'
    findings = validate_config(case.config)
    assert errors(findings) == []
    assert sorted({f.code for f in warnings(findings)}) == sorted(set(case.warning_codes))
