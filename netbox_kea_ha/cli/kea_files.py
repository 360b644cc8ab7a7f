"""
Where a Kea server takes commands, read from its own config files (or a control URL): the Control Agent's
`kea-ctrl-agent.conf` (Kea 2.x), or the server's `kea-dhcp4.conf` / `kea-dhcp6.conf` with its own HTTP control
socket (Kea 3.0). Kea's comments (`#`, `//`, `/* */`) are allowed; `<?include ?>` is refused with the file named.

The password is read from the file (`password`, or `password-file` in the authentication `directory`) or from a
file given with `--password-file`: never from the command line.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import UsageError

__all__ = (
    'ControlEndpoint',
    'endpoint_from_agent',
    'endpoint_from_server',
    'endpoint_from_url',
    'is_ip',
    'load_kea_file',
    'read_password_file',
    'strip_comments',
)


@dataclass(frozen=True)
class ControlEndpoint:
    """A Kea server's control endpoint and what its config says about it."""

    scheme: str = 'http'
    host: str = ''
    port: int = 8000
    #: 'agent' (a Control Agent) or 'server' (the server's own HTTP control socket, Kea 3.0).
    kind: str = 'agent'
    #: 'dhcp4' or 'dhcp6' when known.
    family: str | None = None
    user: str = ''
    password: str | None = field(default=None, repr=False)
    #: The HA `this-server-name`(s) in the server's config.
    server_names: tuple[str, ...] = ()
    #: Where each part came from, for messages.
    source: str = ''

    @property
    def url(self) -> str:
        """The control URL (IPv6 hosts in brackets)."""
        host = f'[{self.host}]' if ':' in self.host else self.host
        return f'{self.scheme}://{host}:{self.port}/'


def strip_comments(text: str) -> str:
    """Kea's config text without its comments (`#` and `//` to the end of the line, `/* ... */`), strings kept."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        char = text[i]
        if in_string:
            out.append(char)
            if char == '\\' and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if char == '"':
                in_string = False
            i += 1
        elif char == '"':
            in_string = True
            out.append(char)
            i += 1
        elif char == '#' or text.startswith('//', i):
            while i < n and text[i] != '\n':
                i += 1
        elif text.startswith('/*', i):
            end = text.find('*/', i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(char)
            i += 1
    return ''.join(out)


def load_kea_file(path: str | Path) -> dict[str, Any]:
    """A Kea config file as a dict; UsageError naming the file and what is wrong."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise UsageError(f'cannot read the Kea config file {path}: {exc.strerror or exc}') from None
    text = strip_comments(text)
    if '<?include' in text:
        raise UsageError(f'{path} uses <?include ?>: give the file that holds the control settings instead')
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UsageError(f'{path} is not a Kea config (JSON with comments): {exc}') from None
    if not isinstance(data, dict):
        raise UsageError(f'{path} is not a Kea config: its top level is not an object')
    return data


def read_password_file(path: str | Path) -> str:
    """A password from a file (its first line; `-` reads standard input); UsageError when it cannot be read."""
    import sys

    try:
        text = sys.stdin.readline() if str(path) == '-' else Path(path).read_text()
    except OSError as exc:
        raise UsageError(f'cannot read the password file {path}: {exc.strerror or exc}') from None
    password = text.splitlines()[0] if text.strip() else ''
    if not password:
        raise UsageError(f'the password file {path} is empty')
    return password


def _authentication(block: dict[str, Any], path: Path, user: str | None) -> tuple[str, str | None]:
    """(user, password) of basic auth in a Control Agent or control socket block: the client named `user`, or the
    first one. ('', None) without authentication."""
    auth = block.get('authentication')
    if not isinstance(auth, dict) or not auth.get('clients'):
        if user:
            raise UsageError(f'{path} has no authentication clients, so no user {user!r}')
        return '', None
    if auth.get('type', 'basic') != 'basic':
        raise UsageError(f'{path}: authentication type {auth.get("type")!r} is not basic auth')
    clients = [c for c in auth['clients'] if isinstance(c, dict)]
    directory = Path(str(auth.get('directory') or path.parent))
    if not directory.is_absolute():
        directory = path.parent / directory

    def name_of(client: dict[str, Any]) -> str:
        if 'user-file' in client:
            return _read_relative(directory, client['user-file'], path)
        return str(client.get('user', ''))

    chosen = next((c for c in clients if name_of(c) == user), None) if user else (clients[0] if clients else None)
    if chosen is None:
        known = ', '.join(repr(name_of(c)) for c in clients) or 'none'
        raise UsageError(f'{path} has no authentication client {user!r} (known: {known})')
    if 'password-file' in chosen:
        password: str | None = _read_relative(directory, chosen['password-file'], path)
    else:
        password = chosen.get('password')
    return name_of(chosen), password


def _read_relative(directory: Path, name: str, path: Path) -> str:
    """A `user-file` / `password-file` of Kea's authentication (relative to its `directory`): its first line."""
    target = Path(name) if Path(name).is_absolute() else directory / name
    try:
        return target.read_text().splitlines()[0] if target.read_text().strip() else ''
    except OSError as exc:
        raise UsageError(f'cannot read {target} (named in {path}): {exc.strerror or exc}') from None


def _scheme(block: dict[str, Any]) -> str:
    """https when the block serves TLS (a trust anchor or a certificate), else http."""
    return 'https' if block.get('trust-anchor') or block.get('cert-file') else 'http'


def endpoint_from_agent(path: str | Path, user: str | None = None, family: str | None = None) -> ControlEndpoint:
    """The endpoint of a Control Agent config (`kea-ctrl-agent.conf`); `family` picks the service when the agent
    serves both dhcp4 and dhcp6."""
    path = Path(path)
    data = load_kea_file(path)
    agent = data.get('Control-agent')
    if not isinstance(agent, dict):
        raise UsageError(f'{path} has no Control-agent section: is it kea-ctrl-agent.conf?')
    services = sorted(k for k in (agent.get('control-sockets') or {}) if k in ('dhcp4', 'dhcp6'))
    if family is None:
        if len(services) > 1:
            raise UsageError(f'the Control Agent of {path} serves dhcp4 and dhcp6: give --family')
        family = services[0] if services else None
    elif services and family not in services:
        raise UsageError(f'the Control Agent of {path} serves {", ".join(services)}, not {family}')
    username, password = _authentication(agent, path, user)
    return ControlEndpoint(
        scheme=_scheme(agent),
        host=str(agent.get('http-host', '127.0.0.1')),
        port=int(agent.get('http-port', 8000)),
        kind='agent',
        family=family,
        user=username,
        password=password,
        source=str(path),
    )


def _server_names(body: dict[str, Any]) -> tuple[str, ...]:
    """The HA `this-server-name`(s) of a DHCP server's config."""
    names = []
    for hook in body.get('hooks-libraries') or []:
        if not isinstance(hook, dict) or not str(hook.get('library', '')).endswith('libdhcp_ha.so'):
            continue
        for relationship in (hook.get('parameters') or {}).get('high-availability') or []:
            if isinstance(relationship, dict) and relationship.get('this-server-name'):
                names.append(str(relationship['this-server-name']))
    return tuple(dict.fromkeys(names))


def endpoint_from_server(
    path: str | Path, base: ControlEndpoint | None = None, user: str | None = None
) -> ControlEndpoint:
    """
    What a DHCP server's config (`kea-dhcp4.conf`) adds: its family and HA names, and (Kea 3.0) its own HTTP control
    socket as the endpoint when `base` (from a Control Agent) is None.
    """
    path = Path(path)
    data = load_kea_file(path)
    roots = [k for k in ('Dhcp4', 'Dhcp6') if isinstance(data.get(k), dict)]
    if len(roots) != 1:
        raise UsageError(f'{path} has no Dhcp4 or Dhcp6 section: is it kea-dhcp4.conf or kea-dhcp6.conf?')
    body = data[roots[0]]
    family = roots[0].lower()
    names = _server_names(body)
    if base is not None:
        if base.family and base.family != family:
            raise UsageError(f'{path} is a {family} server, but the Control Agent config names {base.family}')
        return replace(base, family=family, server_names=names, source=f'{base.source}, {path}')
    sockets = body.get('control-sockets') or ([body['control-socket']] if body.get('control-socket') else [])
    http = [s for s in sockets if isinstance(s, dict) and s.get('socket-type') in ('http', 'https')]
    if not http:
        raise UsageError(
            f'{path} has no HTTP control socket: give the Control Agent config (--ca-config) or --control-url'
        )
    socket = http[0]
    username, password = _authentication(socket, path, user)
    scheme = 'https' if socket.get('socket-type') == 'https' else _scheme(socket)
    return ControlEndpoint(
        scheme=scheme,
        host=str(socket.get('socket-address', '127.0.0.1')),
        port=int(socket.get('socket-port', 8000)),
        kind='server',
        family=family,
        user=username,
        password=password,
        server_names=names,
        source=str(path),
    )


def endpoint_from_url(url: str, kind: str = 'agent') -> ControlEndpoint:
    """The endpoint of a control URL (`http://192.0.2.10:8000/`); UsageError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise UsageError(f'the control URL {url!r} must be http(s)://host:port/')
    if parts.username or parts.password:
        raise UsageError('the control URL must not hold credentials: give --user and --password-file')
    try:
        port = parts.port or (443 if parts.scheme == 'https' else 8000)
    except ValueError:
        raise UsageError(f'the control URL {url!r} has a bad port') from None
    return ControlEndpoint(scheme=parts.scheme, host=parts.hostname, port=port, kind=kind, source=url)


def is_ip(host: str) -> bool:
    """Whether `host` is an IP address literal."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
