"""Builders of the JSON configs the lab writes for kea-dhcp4/6 and kea-ctrl-agent (Kea 2.2 style)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .tls import TLSFiles

__all__ = (
    'DEFAULT_HA_PARAMETERS',
    'HOOKS_DIR',
    'LOG_PATTERN',
    'ca_config',
    'dhcp_config',
    'peer_entry',
    'relationship_config',
    'subnet_config',
)

HOOKS_DIR = Path('/usr/lib/x86_64-linux-gnu/kea/hooks')

#: The observed recipe's timers: fast failure detection, HA settles in a few seconds.
DEFAULT_HA_PARAMETERS: Mapping[str, Any] = {
    'heartbeat-delay': 1000,
    'max-response-delay': 3000,
    'max-ack-delay': 2000,
    'max-unacked-clients': 0,
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


def relationship_config(
    this_server: str,
    mode: str,
    peers: Sequence[Mapping[str, Any]],
    *,
    parameters: Mapping[str, Any] | None = None,
    tls: TLSFiles | None = None,
) -> dict[str, Any]:
    """One `high-availability` entry: the default timers, overridden by `parameters` (a None value drops a key)."""
    merged = dict(DEFAULT_HA_PARAMETERS) | dict(parameters or {})
    relationship: dict[str, Any] = {'this-server-name': this_server, 'mode': mode}
    relationship |= {key: value for key, value in merged.items() if value is not None}
    if tls:
        relationship['trust-anchor'] = str(tls.ca_file)
        relationship['cert-file'] = str(tls.cert_file)
        relationship['key-file'] = str(tls.key_file)
    relationship['peers'] = [dict(p) for p in peers]
    return relationship


def subnet_config(family: int, mode: str | None, active: Sequence[str] = ()) -> dict[str, Any]:
    """The lab's one subnet; in load-balancing its pools are split by `HA_<name>` classes of the active peers."""
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
            {'pool': pool, 'client-class': f'HA_{name}'} for pool, name in zip(ranges, active, strict=True)
        ]
    else:
        subnet['pools'] = [{'pool': whole}]
    return subnet


def dhcp_config(
    family: int,
    *,
    socket_path: Path,
    lease_path: Path,
    log_path: Path,
    data_dir: Path,
    relationship: Mapping[str, Any] | None,
    subnet: Mapping[str, Any],
    hooks_dir: Path = HOOKS_DIR,
) -> dict[str, Any]:
    """A complete kea-dhcp4/kea-dhcp6 config: no interfaces, a unix control socket, memfile, lease_cmds + HA."""
    hooks: list[dict[str, Any]] = []
    if relationship is not None:
        hooks = [
            {'library': str(hooks_dir / 'libdhcp_lease_cmds.so')},
            {
                'library': str(hooks_dir / 'libdhcp_ha.so'),
                'parameters': {'high-availability': [dict(relationship)]},
            },
        ]
    body: dict[str, Any] = {
        'interfaces-config': {'interfaces': []},
        'control-socket': {'socket-type': 'unix', 'socket-name': str(socket_path)},
        'lease-database': {'type': 'memfile', 'persist': True, 'name': str(lease_path), 'lfc-interval': 0},
        'valid-lifetime': 3600,
        'renew-timer': 900,
        'rebind-timer': 1800,
        'hooks-libraries': hooks,
        f'subnet{family}': [dict(subnet)],
        'loggers': [
            {
                'name': f'kea-dhcp{family}',
                'severity': 'INFO',
                'debuglevel': 0,
                'output_options': [{'output': str(log_path), 'pattern': LOG_PATTERN}],
            }
        ],
    }
    if family == 6:
        body['preferred-lifetime'] = 3000
        body['data-directory'] = str(data_dir)
        body['server-id'] = {'type': 'LLT', 'persist': False}
    return {f'Dhcp{family}': body}


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
    if auth:
        agent['authentication'] = {
            'type': 'basic',
            'realm': 'kealab',
            'clients': [{'user': auth[0], 'password': auth[1]}],
        }
    if tls:
        agent['trust-anchor'] = str(tls.ca_file)
        agent['cert-file'] = str(tls.cert_file)
        agent['key-file'] = str(tls.key_file)
        agent['cert-required'] = cert_required
    return {'Control-agent': agent}
