"""Builders of the JSON configs the lab writes for kea-dhcp4/6 and kea-ctrl-agent (Kea 2.2 style)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .tls import TLSFiles

__all__ = (
    'COMMANDS_HOOKS',
    'DEDICATED_LISTENER_22',
    'DEFAULT_HA_PARAMETERS',
    'DHCP_MULTI_THREADING_22',
    'FAST_HA_PARAMETERS',
    'HOOKS_DIR',
    'LOG_PATTERN',
    'ca_config',
    'dhcp_config',
    'http_socket_config',
    'hub_subnet_config',
    'peer_entry',
    'relationship_config',
    'subnet_config',
)

HOOKS_DIR = Path('/usr/lib/x86_64-linux-gnu/kea/hooks')

#: The hooks that change a running server without a reload (Kea 3.0 ships them open source; Debian's 2.2 and 2.6
#: do not): subnets, client classes, host reservations.
COMMANDS_HOOKS = ('libdhcp_subnet_cmds.so', 'libdhcp_class_cmds.so', 'libdhcp_host_cmds.so')

#: The observed recipe's timers: fast failure detection, HA settles in a few seconds.
DEFAULT_HA_PARAMETERS: Mapping[str, Any] = {
    'heartbeat-delay': 1000,
    'max-response-delay': 3000,
    'max-ack-delay': 2000,
    'max-unacked-clients': 0,
}

#: The recipe's timers halved (max-response-delay still four heartbeats): HA settles and fails over in about half
#: the time (settled 1.5-1.9 s instead of 2.4, partner-down 2.0-2.2 s after a kill instead of 3.4), for tests
#: that need HA to settle or fail over but do not measure it. Pass as `parameters=`.
FAST_HA_PARAMETERS: Mapping[str, Any] = {
    'heartbeat-delay': 500,
    'max-response-delay': 2000,
    'max-ack-delay': 1000,
}

LOG_PATTERN = '%d{%Y-%m-%d %H:%M:%S.%q} %-5p [%c] %m\n'


def peer_entry(
    name: str, url: str, role: str, *, auth: tuple[str, str] | None = None, auto_failover: bool | None = None
) -> dict[str, Any]:
    """One `peers` entry; backups default to `auto-failover: false`, the others to true."""
    entry: dict[str, Any] = {
        'name': name,
        'url': url,
        'role': role,
        'auto-failover': role != 'backup' if auto_failover is None else auto_failover,
    }
    if auth:
        entry['basic-auth-user'], entry['basic-auth-password'] = auth
    return entry


#: HA multi-threading with the dedicated listener, as Kea 2.2 needs it spelled out (2.6 and 3.0: the default).
DEDICATED_LISTENER_22: Mapping[str, Any] = {
    'enable-multi-threading': True,
    'http-dedicated-listener': True,
    'http-listener-threads': 2,
    'http-client-threads': 2,
}
#: Kea's own multi-threading, which HA multi-threading needs (on by default since 2.3.5).
DHCP_MULTI_THREADING_22: Mapping[str, Any] = {
    'enable-multi-threading': True,
    'thread-pool-size': 2,
    'packet-queue-size': 64,
}


def relationship_config(
    this_server: str,
    mode: str,
    peers: Sequence[Mapping[str, Any]],
    *,
    parameters: Mapping[str, Any] | None = None,
    tls: TLSFiles | None = None,
    version: str = '2.2',
    dedicated_listener: bool = False,
) -> dict[str, Any]:
    """One `high-availability` entry: the default timers, overridden by `parameters` (a None value drops a key).

    `tls`: the files as the daemon sees them (inside its root). `dedicated_listener`: the peers talk to each
    other's dedicated HA listener (the peer URLs must name it), not through the management endpoint.
    """
    merged = dict(DEFAULT_HA_PARAMETERS)
    if dedicated_listener and version == '2.2':
        merged['multi-threading'] = dict(DEDICATED_LISTENER_22)
    elif not dedicated_listener and version != '2.2':
        # Since 2.3.7 HA talks through a dedicated listener by default; the lab keeps the 2.2 way (peer URL =
        # the partner's Control Agent, or on 3.0 its HTTP control socket), so that one port serves everything.
        merged['multi-threading'] = {'http-dedicated-listener': False}
    merged |= dict(parameters or {})
    relationship: dict[str, Any] = {'this-server-name': this_server, 'mode': mode}
    relationship |= {key: value for key, value in merged.items() if value is not None}
    if tls:
        relationship['trust-anchor'] = str(tls.ca_file)
        relationship['cert-file'] = str(tls.cert_file)
        relationship['key-file'] = str(tls.key_file)
    relationship['peers'] = [dict(p) for p in peers]
    return relationship


def subnet_config(family: int, mode: str | None, active: Sequence[str] = (), version: str = '2.2') -> dict[str, Any]:
    """The lab's one subnet; in load-balancing its pools are split by `HA_<name>` classes of the active peers
    (`client-class`; on 3.0 the `client-classes` list that replaces it)."""
    if family == 4:
        subnet: dict[str, Any] = {'id': 1, 'subnet': '192.0.2.0/24'}
        ranges = ['192.0.2.10 - 192.0.2.99', '192.0.2.100 - 192.0.2.189']
        whole = '192.0.2.10 - 192.0.2.189'
        subnet['option-data'] = [{'name': 'routers', 'data': '192.0.2.1'}]
    else:
        subnet = {'id': 1, 'subnet': '2001:db8:1::/64'}
        ranges = ['2001:db8:1::100 - 2001:db8:1::1ff', '2001:db8:1::200 - 2001:db8:1::2ff']
        whole = '2001:db8:1::100 - 2001:db8:1::2ff'
        subnet['option-data'] = [{'name': 'dns-servers', 'data': '2001:db8:1::53'}]
    if mode == 'load-balancing' and len(active) == 2:
        subnet['pools'] = [
            {'pool': pool, 'client-classes': [f'HA_{name}']}
            if version == '3.0'
            else {'pool': pool, 'client-class': f'HA_{name}'}
            for pool, name in zip(ranges, active, strict=True)
        ]
    else:
        subnet['pools'] = [{'pool': whole}]
    return subnet


def hub_subnet_config(family: int, index: int, ha_server_name: str) -> dict[str, Any]:
    """Subnet `index` (1, 2, ...) of a hub-and-spoke setup, served by the relationship in which this server is
    named `ha_server_name` (`user-context`), one pool, no classes (hot-standby)."""
    if family == 4:
        subnet: dict[str, Any] = {'id': index, 'subnet': f'198.18.{index}.0/24'}
        subnet['pools'] = [{'pool': f'198.18.{index}.10 - 198.18.{index}.200'}]
    else:
        subnet = {'id': index, 'subnet': f'2001:db8:{index}::/64'}
        subnet['pools'] = [{'pool': f'2001:db8:{index}::100 - 2001:db8:{index}::2ff'}]
    subnet['user-context'] = {'ha-server-name': ha_server_name}
    return subnet


def dhcp_config(
    family: int,
    *,
    socket_path: Path,
    lease_path: Path,
    log_path: Path,
    data_dir: Path,
    relationships: Sequence[Mapping[str, Any]],
    subnets: Sequence[Mapping[str, Any]],
    hooks_dir: Path = HOOKS_DIR,
    version: str = '2.2',
    http_socket: Mapping[str, Any] | None = None,
    multi_threading: Mapping[str, Any] | None = None,
    extra_hooks: Sequence[str] = (),
) -> dict[str, Any]:
    """A complete kea-dhcp4/kea-dhcp6 config: no interfaces, a unix control socket, memfile, lease_cmds + HA with
    `relationships` (none: no hook libraries at all; several: a hub, Kea >= 2.6). `extra_hooks`: more hook library
    file names in `hooks_dir`, loaded first (e.g. Kea 3.0's `libdhcp_subnet_cmds.so`).

    Paths are as the daemon sees them. `http_socket` (Kea 3.0): the server's own HTTP control socket, added
    next to the unix socket in a `control-sockets` list. `multi_threading`: Kea's own `multi-threading` map.
    """
    hooks: list[dict[str, Any]] = []
    if relationships:
        hooks = [
            {'library': str(hooks_dir / 'libdhcp_lease_cmds.so')},
            {
                'library': str(hooks_dir / 'libdhcp_ha.so'),
                'parameters': {'high-availability': [dict(r) for r in relationships]},
            },
        ]
    hooks[0:0] = [{'library': str(hooks_dir / name)} for name in extra_hooks]
    body: dict[str, Any] = {
        'interfaces-config': {'interfaces': []},
        'control-socket': {'socket-type': 'unix', 'socket-name': str(socket_path)},
        'lease-database': {'type': 'memfile', 'persist': True, 'name': str(lease_path), 'lfc-interval': 0},
        'valid-lifetime': 3600,
        'renew-timer': 900,
        'rebind-timer': 1800,
        'hooks-libraries': hooks,
        f'subnet{family}': [dict(subnet) for subnet in subnets],
        'loggers': [
            {
                'name': f'kea-dhcp{family}',
                'severity': 'INFO',
                'debuglevel': 0,
                'output_options': [{'output': str(log_path), 'pattern': LOG_PATTERN}],
            }
        ],
    }
    if multi_threading is not None:
        body['multi-threading'] = dict(multi_threading)
    if http_socket is not None:
        unix = body.pop('control-socket')
        body = {'control-sockets': [unix, dict(http_socket)]} | body
    if family == 6:
        body['preferred-lifetime'] = 3000
        if version == '2.2':  # later versions take it from KEA_DHCP_DATA_DIR (3.0 refuses other values)
            body['data-directory'] = str(data_dir)
        body['server-id'] = {'type': 'LLT', 'persist': False}
    return {f'Dhcp{family}': body}


def _access(
    target: dict[str, Any], auth: tuple[str, str] | None, tls: TLSFiles | None, cert_required: bool
) -> dict[str, Any]:
    if auth:
        target['authentication'] = {
            'type': 'basic',
            'realm': 'kealab',
            'clients': [{'user': auth[0], 'password': auth[1]}],
        }
    if tls:
        target['trust-anchor'] = str(tls.ca_file)
        target['cert-file'] = str(tls.cert_file)
        target['key-file'] = str(tls.key_file)
        target['cert-required'] = cert_required
    return target


def http_socket_config(
    *,
    address: str,
    port: int,
    auth: tuple[str, str] | None = None,
    tls: TLSFiles | None = None,
    cert_required: bool = True,
) -> dict[str, Any]:
    """A Kea 3.0 server's own HTTP control socket (an entry of `control-sockets`), with basic auth and TLS."""
    socket = {'socket-type': 'http', 'socket-address': address, 'socket-port': port}
    return _access(socket, auth, tls, cert_required)


def ca_config(
    family: int,
    *,
    address: str,
    port: int,
    socket_path: Path,
    log_path: Path,
    auth: tuple[str, str] | None = None,
    tls: TLSFiles | None = None,
    cert_required: bool = True,
) -> dict[str, Any]:
    """A kea-ctrl-agent config listening on `address:port`, forwarding `dhcp4` or `dhcp6` to the unix socket."""
    agent: dict[str, Any] = {
        'http-host': address,
        'http-port': port,
        'control-sockets': {f'dhcp{family}': {'socket-type': 'unix', 'socket-name': str(socket_path)}},
        'loggers': [
            {
                'name': 'kea-ctrl-agent',
                'severity': 'INFO',
                'debuglevel': 0,
                'output_options': [{'output': str(log_path), 'pattern': LOG_PATTERN}],
            }
        ],
    }
    return {'Control-agent': _access(agent, auth, tls, cert_required)}
