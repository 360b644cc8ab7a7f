"""
`kea-ha register`: make NetBox know a Kea server from its own config files (or a control URL), then import it.

Finds or creates, in order: the IP address (the control endpoint's host, or `--address`), the device or virtual
machine (`--device`/`--vm` by name, or the one the address is assigned to), the Kea server (by name, else by the
address) with its control endpoint and credentials; then starts an import and waits for it. A second run finds
everything as it is and changes nothing. The password is sent only when NetBox has none for the server (or with
`--update-password`) and is never printed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any

from .errors import UsageError
from .jobs import enqueue_action, finish, follow
from .kea_files import (
    ControlEndpoint,
    endpoint_from_agent,
    endpoint_from_server,
    endpoint_from_url,
    is_ip,
    read_password_file,
)
from .output import plain
from .session import Session

__all__ = (
    'Registration',
    'read_endpoint',
    'register',
)


@dataclass
class Registration:
    """What `register` found, created or changed."""

    address: dict[str, Any] = field(default_factory=dict)
    host: dict[str, Any] | None = None
    server: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """For `--json`."""
        return {'address': self.address, 'host': self.host, 'server': self.server}


def read_endpoint(args: Any) -> ControlEndpoint:
    """The control endpoint and credentials from `--ca-config` / `--config` / `--control-url` (+ `--user`,
    `--password-file`)."""
    if args.control_url and (args.ca_config or args.config):
        raise UsageError('give the Kea config files (--ca-config, --config) or --control-url, not both')
    if args.ca_config:
        endpoint = endpoint_from_agent(args.ca_config, user=args.user, family=args.family)
        if args.config:
            endpoint = endpoint_from_server(args.config, base=endpoint)
    elif args.config:
        endpoint = endpoint_from_server(args.config, user=args.user)
    elif args.control_url:
        endpoint = endpoint_from_url(args.control_url, kind=args.control_kind)
        if args.user:
            endpoint = _with(endpoint, user=args.user)
    else:
        raise UsageError(
            'say where the Kea server takes commands: --ca-config /etc/kea/kea-ctrl-agent.conf (Kea 2.x), '
            '--config /etc/kea/kea-dhcp4.conf (Kea 3.0 HTTP control socket), or --control-url URL'
        )
    if args.password_file:
        endpoint = _with(endpoint, password=read_password_file(args.password_file))
    if endpoint.password and not endpoint.user:
        raise UsageError('a password without a user: give --user')
    if args.family and endpoint.family and args.family != endpoint.family:
        raise UsageError(f'--family {args.family}, but {endpoint.source} is a {endpoint.family} server')
    return endpoint


def _with(endpoint: ControlEndpoint, **changes: Any) -> ControlEndpoint:
    from dataclasses import replace

    return replace(endpoint, **changes)


def _address_of(args: Any, endpoint: ControlEndpoint) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    """The server's address (with prefix length): `--address`, else the control endpoint's host."""
    text = args.address
    if not text:
        host = endpoint.host
        if not is_ip(host) or ipaddress.ip_address(host).is_unspecified:
            raise UsageError(
                f"the control endpoint host {host!r} ({endpoint.source}) is not the server's address: give --address"
            )
        text = host
    try:
        value = ipaddress.ip_interface(text)
    except ValueError:
        raise UsageError(f'--address {text!r} is not an IP address (192.0.2.10 or 192.0.2.10/24)') from None
    if '/' not in text:
        value = ipaddress.ip_interface(f'{value.ip}/{value.max_prefixlen}')
    return value


def _one(session: Session, endpoint: Any, kind: str, name: str) -> Any:
    with session.asking(f'{kind} {name!r}'):
        found = list(endpoint.filter(name=name))
    if len(found) != 1:
        raise UsageError(f'no {kind} named {name!r} in NetBox' if not found else f'several {kind}s named {name!r}')
    return found[0]


def _host_of_address(ip: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """('device' | 'virtual_machine', the host) the address is assigned to (through an interface), or None."""
    assigned = ip.get('assigned_object') or {}
    for key in ('device', 'virtual_machine'):
        if isinstance(assigned.get(key), dict):
            return key, assigned[key]
    return None


def _find_address(
    session: Session, value: Any, host: tuple[str, Any] | None, name: str, address_id: int | None = None
) -> tuple[dict[str, Any], str]:
    """The IPAddress (as a dict) and 'found' / 'created'."""
    ipam = session.api.ipam.ip_addresses
    if address_id is not None:
        with session.asking(f'IP address id {address_id}'):
            record = ipam.get(address_id)
        if record is None:
            raise UsageError(f'no IP address with id {address_id} in NetBox')
        return plain(record), 'found'
    with session.asking(f'IP address {value.ip}'):
        candidates = [plain(r) for r in ipam.filter(address=str(value.ip))]
    if host is not None and len(candidates) > 1:
        kind, record = host
        mine = [c for c in candidates if (_host_of_address(c) or ('', {}))[1].get('id') == record.id]
        candidates = mine or candidates
    if len(candidates) > 1:
        listed = ', '.join(
            f'{c["address"]} (id {c["id"]}, VRF {(c.get("vrf") or {}).get("name", "global")})' for c in candidates
        )
        raise UsageError(f'several IP addresses {value.ip} in NetBox: {listed}; give --address-id')
    if candidates:
        return candidates[0], 'found'
    with session.asking(f'IP address {value}'):
        created = session.api.ipam.ip_addresses.create(
            address=str(value), description=f'Kea server {name} (kea-ha register)'[:200]
        )
    return plain(created), 'created'


def _desired(endpoint: ControlEndpoint, family: str, address: dict[str, Any], control_host: str) -> dict[str, Any]:
    return {
        'family': family,
        'address': address['id'],
        'control_kind': endpoint.kind,
        'control_scheme': endpoint.scheme,
        'control_host': control_host,
        'control_port': endpoint.port,
        'username': endpoint.user,
    }


def _current(server: dict[str, Any], key: str) -> Any:
    value = server.get(key)
    if isinstance(value, dict):
        return value.get('value', value.get('id'))
    return value if value is not None else ('' if key in ('control_host', 'username') else None)


def _control_host(args: Any, endpoint: ControlEndpoint, address: Any, out: Any) -> str:
    """The server's `control_host`: `--control-host`, else '' when NetBox reaches the endpoint at the address."""
    if args.control_host is not None:
        return str(args.control_host)
    host = endpoint.host
    if not is_ip(host):
        return host
    ip = ipaddress.ip_address(host)
    if ip.is_unspecified or ip == address.ip:
        return ''
    if ip.is_loopback and not address.ip.is_loopback:
        out.warning(
            f'the control endpoint ({endpoint.source}) listens on {host} only: NetBox reaches it at {address.ip} '
            'only if it listens there too'
        )
        return ''
    return host


def register(session: Session, args: Any) -> None:
    """Find or create the address, host and Kea server; import it (unless `--no-import`); print what happened."""
    out = session.out
    endpoint = read_endpoint(args)
    family = args.family or endpoint.family or 'dhcp4'
    address = _address_of(args, endpoint)
    name = args.name or args.device or args.vm
    if not name:
        name = endpoint.server_names[0] if len(endpoint.server_names) == 1 else socket.gethostname().split('.')[0]
    result = Registration()

    host: tuple[str, Any] | None = None
    if args.device:
        host = ('device', _one(session, session.api.dcim.devices, 'device', args.device))
    elif args.vm:
        host = (
            'virtual_machine',
            _one(session, session.api.virtualization.virtual_machines, 'virtual machine', args.vm),
        )

    ip, outcome = _find_address(session, address, host, name, args.address_id)
    assigned = _host_of_address(ip)
    result.address = {'id': ip['id'], 'address': ip['address'], 'outcome': outcome}
    out.line(f'IP address {ip["address"]}: {outcome}' + (f' (on {assigned[1].get("name")})' if assigned else ''))
    host_ref: tuple[str, dict[str, Any]] | None = None
    if host is not None:
        host_ref = (host[0], {'id': host[1].id, 'name': str(host[1])})
    elif assigned is not None:
        host_ref = assigned
        out.line(f'{assigned[0].replace("_", " ")} {assigned[1].get("name")}: found through the address')
    if host_ref is not None:
        result.host = {'kind': host_ref[0], 'id': host_ref[1]['id'], 'name': host_ref[1].get('name')}

    desired = _desired(endpoint, family, ip, _control_host(args, endpoint, address, out))
    desired['device'] = host_ref[1]['id'] if host_ref and host_ref[0] == 'device' else None
    desired['virtual_machine'] = host_ref[1]['id'] if host_ref and host_ref[0] == 'virtual_machine' else None

    servers = session.kea_ha.servers
    with session.asking(f'Kea server {name!r}'):
        named = list(servers.filter(name=name))
        record = named[0] if named else None
        if record is None:
            by_address = [s for s in servers.filter(address_id=ip['id']) if _current(plain(s), 'family') == family]
            if len(by_address) == 1:
                record = by_address[0]
                out.line(f'Kea server {record}: found by its address {ip["address"]} (kept its name)')
    changed: list[str] = []
    if record is None:
        body = {'name': name, **desired}
        if endpoint.password:
            body['password'] = endpoint.password
        with session.asking(f'Kea server {name!r}'):
            record = servers.create(body)
        outcome = 'created'
        password = 'set' if endpoint.password else 'none'
    else:
        current = plain(record)
        changes = {key: value for key, value in desired.items() if _current(current, key) != value}
        send_password = endpoint.password and (args.update_password or not current.get('has_password'))
        if send_password:
            changes['password'] = endpoint.password
        changed = sorted(changes)
        if changes:
            with session.asking(f'Kea server {record}'):
                record.update(changes)
            outcome = 'updated'
        else:
            outcome = 'unchanged'
        password = 'set' if send_password else ('kept' if current.get('has_password') else 'none')
    with session.asking(f'Kea server {record}'):
        record = servers.get(record.id)
    data = plain(record)
    result.server = {
        'id': data['id'],
        'name': data['name'],
        'outcome': outcome,
        'changed': changed,
        'control_url': data.get('control_url'),
        'control_kind': _current(data, 'control_kind'),
        'username': data.get('username') or None,
        'has_password': bool(data.get('has_password')),
        'password': password,
    }
    what = f', changed: {", ".join(changed)}' if changed else ''
    out.line(
        f'Kea server {data["name"]}: {outcome}{what} ({data.get("control_url")} '
        f'{"Control Agent" if desired["control_kind"] == "agent" else "HTTP control socket"}'
        + (f', user {data["username"]}' if data.get('username') else '')
        + f', password {password})'
    )
    if args.no_import:
        out.result({**result.as_dict(), 'jobs': []})
        return
    job = follow(session, enqueue_action(session, record, 'import', {}, f'import of Kea server {record}'))
    finish(session, [job], wait=True, extra=result.as_dict())
