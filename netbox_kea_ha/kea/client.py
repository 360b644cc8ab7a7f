"""Client for a Kea HTTP control endpoint: a Control Agent (Kea 2.x, commands carry `service`) or a server's own
HTTP control socket (Kea >= 2.7 / 3.x, `service` None). Sync (`KeaClient`) and async (`AsyncKeaClient`), same
methods. Errors: the tree in `exceptions.py`.

    endpoint = Endpoint('http://192.0.2.10:8000/', service='dhcp4', username='api', password='...')
    with KeaClient(endpoint) as kea:
        status = kea.status_get()          # ServerStatus
        running = kea.config_get()         # KeaConfig(config={'Dhcp4': ...}, hash=None on 2.2)

`command()` returns the `Answer` of a result-0 reply and raises otherwise (`empty_ok=True` accepts result 3).
`gather()` / `gather_sync()` run one call against many endpoints concurrently, for reading a whole fleet.
The client never uses proxies or other settings from the environment (`trust_env` is off).
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import TracebackType
from typing import Any, Self

import httpx

from .exceptions import (
    KeaBadRequest,
    KeaCommandError,
    KeaCommandFailed,
    KeaEmpty,
    KeaError,
    KeaForbidden,
    KeaHTTPError,
    KeaProtocolError,
    KeaServerOffline,
    KeaTimeout,
    KeaTLSError,
    KeaUnauthorized,
    KeaUnreachable,
    KeaUnsupported,
)
from .ha import KeaVersion
from .redact import redact_secrets
from .status import Heartbeat, ServerStatus, parse_heartbeat, parse_status

__all__ = (
    'SERVICES',
    'Answer',
    'AsyncKeaClient',
    'ConfigWritten',
    'Endpoint',
    'KeaClient',
    'KeaConfig',
    'Outcome',
    'VersionInfo',
    'gather',
    'gather_commands',
    'gather_status',
    'gather_sync',
)

#: Values of `Endpoint.service`: the Control Agent forwards to these daemons.
SERVICES = ('dhcp4', 'dhcp6', 'd2')

#: The user-info part of a URL (`user:password@`): refused before anything quotes the URL in a message.
_USERINFO = re.compile(r'^[^/?#]*//[^/?#]*@')

#: Texts of a Control Agent that could not forward a command to its server (result 1).
_OFFLINE_MARKERS = ('server is likely to be offline', 'forwarding socket is not configured')


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach one Kea server's control API.

    `url`: the Control Agent (or, Kea >= 2.7, the server's own HTTP control socket), http or https, without
    credentials in it. `service`: 'dhcp4'/'dhcp6'/'d2' through a Control Agent; None for a server's own HTTP
    control socket (or to address the Control Agent itself). `username`/`password`: basic auth. TLS: `verify`
    (False: accept any certificate), `ca_file` (bundle that verifies the server; default: the system's),
    `cert_file`/`key_file` (client certificate). `timeout`: seconds for connect, read and write each.
    """

    url: str
    service: str | None = 'dhcp4'
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    verify: bool = True
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not self.url:
            raise ValueError('Endpoint url is required')
        if _USERINFO.search(self.url):
            raise ValueError('Endpoint url must not contain credentials: use username and password')
        try:
            parts = urllib.parse.urlsplit(self.url)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError as exc:
            raise ValueError(f'Endpoint url {self.url!r} is not a valid URL: {exc}') from None
        if parts.scheme not in ('http', 'https'):
            raise ValueError(f'Endpoint url {self.url!r} must start with http:// or https://')
        if not parts.hostname:
            raise ValueError(f'Endpoint url {self.url!r} has no host')
        if self.service is not None and self.service not in SERVICES:
            raise ValueError(f'Endpoint service {self.service!r} is not one of {", ".join(SERVICES)} or None')
        if self.password is not None and not self.username:
            raise ValueError('Endpoint password is set without a username')
        if self.key_file and not self.cert_file:
            raise ValueError('Endpoint key_file is set without cert_file')
        if parts.scheme == 'http' and (self.ca_file or self.cert_file):
            raise ValueError(f'Endpoint url {self.url!r} is not https, but TLS files are set')
        if not isinstance(self.timeout, int | float) or isinstance(self.timeout, bool) or self.timeout <= 0:
            raise ValueError(f'Endpoint timeout must be a positive number of seconds, not {self.timeout!r}')

    @property
    def tls(self) -> bool:
        """True for an https URL."""
        return self.url.lower().startswith('https:')

    def ssl_context(self) -> ssl.SSLContext:
        """The SSL context for this endpoint (cached per set of files; raises `KeaTLSError` for unusable files)."""
        files = (self.ca_file, self.cert_file, self.key_file)
        for label, path in zip(('ca_file', 'cert_file', 'key_file'), files, strict=True):
            if path is not None and not os.path.isfile(path):
                raise KeaTLSError(f'{label} {path} is not a readable file', url=self.url)
        stamps = tuple(_mtime(path) for path in files)
        try:
            return _ssl_context(self.verify, *files, stamps)
        except (OSError, ssl.SSLError) as exc:
            raise KeaTLSError(f'cannot use the TLS files: {exc}', url=self.url) from None


def _mtime(path: str | None) -> int | None:
    if path is None:
        return None
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


@lru_cache(maxsize=256)
def _ssl_context(
    verify: bool,
    ca_file: str | None,
    cert_file: str | None,
    key_file: str | None,
    stamps: tuple[int | None, ...],
) -> ssl.SSLContext:
    if verify:
        context = ssl.create_default_context(cafile=ca_file)
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert_file:
        context.load_cert_chain(cert_file, key_file)
    return context


@lru_cache(maxsize=1)
def _plain_context() -> ssl.SSLContext:
    # httpx builds an SSL context even for http:// URLs; this one is never used and costs nothing to share.
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


@dataclass(frozen=True)
class Answer:
    """One answer of Kea: `result` (0 success, 1 error, 2 unsupported, 3 empty), `text`, `arguments`."""

    result: int
    text: str | None = None
    arguments: Any = None

    def __repr__(self) -> str:
        shown = redact_secrets(self.arguments)
        return f'Answer(result={self.result!r}, text={self.text!r}, arguments={shown!r})'


@dataclass(frozen=True)
class KeaConfig:
    """A `config-get` answer: the config (`{"Dhcp4": {...}}`) and, Kea >= 2.6, its hash."""

    config: dict[str, Any]
    hash: str | None = None

    def __repr__(self) -> str:
        return f'KeaConfig(config={redact_secrets(self.config)!r}, hash={self.hash!r})'


@dataclass(frozen=True)
class ConfigWritten:
    """A `config-write` answer: where Kea wrote the config and how many bytes."""

    filename: str | None
    size: int | None
    text: str | None


@dataclass(frozen=True)
class VersionInfo:
    """A `version-get` answer: the parsed version, Kea's text (`2.2.0`) and the extended build text."""

    version: KeaVersion
    text: str
    extended: str | None = None


@dataclass(frozen=True)
class Outcome[T]:
    """The result of one call in `gather`: a value, or the `KeaError` that call raised."""

    endpoint: Endpoint
    value: T | None = None
    error: KeaError | None = None

    @property
    def ok(self) -> bool:
        """True when the call succeeded."""
        return self.error is None


# --- request and answer handling shared by both clients -----------------------------------------------------


def _body(endpoint: Endpoint, command: str, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
    if not isinstance(command, str) or not command:
        raise ValueError('command must be a non-empty string')
    body: dict[str, Any] = {'command': command}
    if endpoint.service is not None:
        body['service'] = [endpoint.service]
    if arguments is not None:
        if not isinstance(arguments, Mapping):
            raise ValueError(f'arguments of {command} must be a map, not {type(arguments).__name__}')
        body['arguments'] = dict(arguments)
    return body


def _client_options(endpoint: Endpoint) -> dict[str, Any]:
    auth = httpx.BasicAuth(endpoint.username, endpoint.password or '') if endpoint.username else None
    return {
        'auth': auth,
        'verify': endpoint.ssl_context() if endpoint.tls else _plain_context(),
        'timeout': httpx.Timeout(endpoint.timeout),
        'trust_env': False,
        'follow_redirects': False,
    }


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _transport_error(endpoint: Endpoint, command: str, exc: httpx.HTTPError | OSError) -> KeaError:
    where = {'url': endpoint.url, 'command': command}
    tls = _ssl_cause(exc)
    if tls is not None:
        return KeaTLSError(f'TLS handshake failed: {_ssl_reason(tls)}', **where)
    if isinstance(exc, httpx.TimeoutException):
        return KeaTimeout(f'no answer within {endpoint.timeout:g} s ({type(exc).__name__})', **where)
    if isinstance(exc, httpx.ConnectError):
        return KeaUnreachable(f'cannot connect: {exc or type(exc).__name__}', **where)
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError | OSError):
        return KeaUnreachable(f'connection failed: {exc or type(exc).__name__}', **where)
    return KeaProtocolError(f'HTTP failure: {type(exc).__name__}: {exc}', **where)


def _broken_after_connect(error: KeaError, exc: httpx.HTTPError | OSError) -> bool:
    """A connection that was made and then broke without a TLS error: on https, a TLS alert may have been lost."""
    return type(error) is KeaUnreachable and isinstance(
        exc, httpx.ReadError | httpx.WriteError | httpx.RemoteProtocolError
    )


def _tls_probe(endpoint: Endpoint) -> KeaTLSError | None:
    """Handshake with the endpoint again and read without sending, to catch the alert of a refused handshake.

    With TLS 1.3 a server that requires a client certificate sends its refusal after the handshake; if the
    request was being written then, the connection just breaks (EPIPE) and the alert is never read.
    """
    parts = urllib.parse.urlsplit(endpoint.url)
    host, port = parts.hostname or '', parts.port or 443
    try:
        with socket.create_connection((host, port), timeout=min(endpoint.timeout, 2.0)) as raw:
            with endpoint.ssl_context().wrap_socket(raw, server_hostname=host) as tls:
                tls.settimeout(min(endpoint.timeout, 0.5))
                tls.recv(1)
    except ssl.SSLError as exc:
        return KeaTLSError(f'TLS handshake failed: {_ssl_reason(exc)}', url=endpoint.url)
    except (OSError, KeaTLSError):
        return None
    return None


def _with_command(error: KeaTLSError | None, command: str) -> KeaTLSError | None:
    if error is not None:
        error.command = command
    return error


def _ssl_reason(exc: ssl.SSLError) -> str:
    return str(getattr(exc, 'verify_message', None) or getattr(exc, 'reason', None) or exc)


def _http_error(endpoint: Endpoint, command: str, response: httpx.Response) -> KeaHTTPError:
    text = None
    try:
        payload = response.json()
        if isinstance(payload, list) and payload:
            payload = payload[0]
        if isinstance(payload, Mapping):
            text = payload.get('text')
    except ValueError:
        pass
    status = response.status_code
    message = f'HTTP {status}' + (f': {text}' if isinstance(text, str) and text else f' {response.reason_phrase}')
    kind = {400: KeaBadRequest, 401: KeaUnauthorized, 403: KeaForbidden}.get(status, KeaHTTPError)
    return kind(message, status=status, url=endpoint.url, command=command)


def _answers(endpoint: Endpoint, command: str, response: httpx.Response) -> list[Answer]:
    if response.status_code != 200:
        raise _http_error(endpoint, command, response)
    try:
        payload = response.json()
    except ValueError:
        raise KeaProtocolError(
            f'the answer is not JSON: {response.text[:120]!r}', url=endpoint.url, command=command
        ) from None
    if isinstance(payload, Mapping):
        payload = [payload]
    if not isinstance(payload, list) or not payload:
        raise KeaProtocolError(
            f'expected a list of answers, got {type(payload).__name__}', url=endpoint.url, command=command
        )
    answers = []
    for entry in payload:
        if not isinstance(entry, Mapping):
            raise KeaProtocolError(
                f'an answer is {type(entry).__name__}, expected a map', url=endpoint.url, command=command
            )
        result, text = entry.get('result'), entry.get('text')
        if isinstance(result, bool) or not isinstance(result, int):
            raise KeaProtocolError(f'an answer has no integer result: {result!r}', url=endpoint.url, command=command)
        if text is not None and not isinstance(text, str):
            raise KeaProtocolError(
                f'an answer text is {type(text).__name__}, expected a string', url=endpoint.url, command=command
            )
        answers.append(Answer(result, text, entry.get('arguments')))
    return answers


def _check(endpoint: Endpoint, command: str, answer: Answer, empty_ok: bool) -> Answer:
    if answer.result == 0 or (answer.result == 3 and empty_ok):
        return answer
    text, result = answer.text, answer.result
    kind: type[KeaCommandError] = KeaCommandError
    if result == 1:
        lowered = (text or '').lower()
        kind = KeaServerOffline if any(m in lowered for m in _OFFLINE_MARKERS) else KeaCommandFailed
    elif result == 2:
        kind = KeaUnsupported
    elif result == 3:
        kind = KeaEmpty
    message = f'result {result}: {text}' if text else f'result {result}'
    raise kind(message, result=result, text=text, url=endpoint.url, command=command)


def _one(endpoint: Endpoint, command: str, answers: list[Answer], empty_ok: bool) -> Answer:
    return _check(endpoint, command, answers[0], empty_ok)


def _config(endpoint: Endpoint, answer: Answer) -> KeaConfig:
    arguments = answer.arguments
    if not isinstance(arguments, Mapping):
        raise KeaProtocolError('config-get answer has no arguments map', url=endpoint.url, command='config-get')
    config = {key: value for key, value in arguments.items() if key != 'hash'}
    if not config:
        raise KeaProtocolError('config-get answer holds no configuration', url=endpoint.url, command='config-get')
    digest = arguments.get('hash')
    return KeaConfig(config=config, hash=digest if isinstance(digest, str) else None)


def _hash(answer: Answer) -> str | None:
    if isinstance(answer.arguments, Mapping) and isinstance(answer.arguments.get('hash'), str):
        return str(answer.arguments['hash'])
    return None


def _config_argument(config: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(config, Mapping) or not config:
        raise ValueError('config must be a non-empty map such as {"Dhcp4": {...}}')
    return dict(config)


def _written(answer: Answer) -> ConfigWritten:
    arguments = answer.arguments if isinstance(answer.arguments, Mapping) else {}
    filename, size = arguments.get('filename'), arguments.get('size')
    return ConfigWritten(
        filename if isinstance(filename, str) else None, size if isinstance(size, int) else None, answer.text
    )


def _commands(endpoint: Endpoint, answer: Answer) -> tuple[str, ...]:
    if not isinstance(answer.arguments, list) or not all(isinstance(c, str) for c in answer.arguments):
        raise KeaProtocolError('list-commands answer is not a list of names', url=endpoint.url, command='list-commands')
    return tuple(answer.arguments)


def _version(endpoint: Endpoint, answer: Answer) -> VersionInfo:
    try:
        version = KeaVersion.parse(answer.text or '')
    except ValueError:
        raise KeaProtocolError(
            f'version-get text is not a version: {answer.text!r}', url=endpoint.url, command='version-get'
        ) from None
    extended = answer.arguments.get('extended') if isinstance(answer.arguments, Mapping) else None
    return VersionInfo(version, str(answer.text), extended if isinstance(extended, str) else None)


def _status[T](endpoint: Endpoint, command: str, answer: Answer, parse: Callable[[Any], T]) -> T:
    try:
        return parse(answer.arguments)
    except KeaProtocolError as exc:
        raise KeaProtocolError(exc.message, url=endpoint.url, command=command) from None


def _named(server_name: str | None, **arguments: Any) -> dict[str, Any] | None:
    values = {key.replace('_', '-'): value for key, value in arguments.items() if value is not None}
    if server_name is not None:
        values['server-name'] = server_name
    return values or None


def _scopes_argument(scopes: Sequence[str], server_name: str | None) -> dict[str, Any]:
    if isinstance(scopes, str) or not all(isinstance(s, str) for s in scopes):
        raise ValueError('scopes must be a list of server names')
    return {'scopes': list(scopes)} | (_named(server_name) or {})


# --- clients ------------------------------------------------------------------------------------------------


class KeaClient:
    """Synchronous client of one endpoint (a context manager). `transport`: an httpx transport to use instead
    of the network (tests of errors real Kea cannot produce)."""

    def __init__(self, endpoint: Endpoint, *, transport: httpx.BaseTransport | None = None) -> None:
        self.endpoint = endpoint
        self._http = httpx.Client(transport=transport, **_client_options(endpoint))

    def __repr__(self) -> str:
        return f'<KeaClient {self.endpoint.url} service={self.endpoint.service}>'

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def request(self, command: str, arguments: Mapping[str, Any] | None = None) -> list[Answer]:
        """Send a command and return every answer (one per service), whatever their results."""
        body = _body(self.endpoint, command, arguments)
        try:
            response = self._http.post(self.endpoint.url, json=body)
        except (httpx.HTTPError, OSError) as exc:  # httpcore lets some ssl.SSLError through unmapped
            error = _transport_error(self.endpoint, command, exc)
            if self.endpoint.tls and _broken_after_connect(error, exc):
                error = _with_command(_tls_probe(self.endpoint), command) or error
            raise error from None
        return _answers(self.endpoint, command, response)

    def command(self, command: str, arguments: Mapping[str, Any] | None = None, *, empty_ok: bool = False) -> Answer:
        """Send a command; the answer when its result is 0 (or 3 with `empty_ok`), else raise `KeaCommandError`."""
        return _one(self.endpoint, command, self.request(command, arguments), empty_ok)

    def config_get(self) -> KeaConfig:
        """The running configuration and, Kea >= 2.6, its hash."""
        return _config(self.endpoint, self.command('config-get'))

    def config_hash_get(self) -> str | None:
        """The hash of the running configuration (Kea >= 2.6; `KeaUnsupported` before)."""
        return _hash(self.command('config-hash-get'))

    def config_test(self, config: Mapping[str, Any]) -> str | None:
        """Ask Kea whether it would accept `config` (`{"Dhcp4": {...}}`); Kea's text. Rejection: `KeaCommandFailed`."""
        return self.command('config-test', _config_argument(config)).text

    def config_set(self, config: Mapping[str, Any]) -> str | None:
        """Apply `config`; the new hash (Kea >= 2.6) or None. Every config-set restarts Kea's HA state machine."""
        return _hash(self.command('config-set', _config_argument(config)))

    def config_write(self, filename: str | None = None) -> ConfigWritten:
        """Write the running config to `filename` (default: the file Kea was started with)."""
        return _written(self.command('config-write', {'filename': filename} if filename else None))

    def config_reload(self) -> str | None:
        """Re-read the config file Kea was started with; the new hash (Kea >= 2.6) or None."""
        return _hash(self.command('config-reload'))

    def list_commands(self) -> tuple[str, ...]:
        """The commands the server supports now (shows whether the HA and lease_cmds hooks are loaded)."""
        return _commands(self.endpoint, self.command('list-commands'))

    def status_get(self) -> ServerStatus:
        """The server's status, with the state of each HA relationship."""
        return _status(self.endpoint, 'status-get', self.command('status-get'), parse_status)

    def version_get(self) -> VersionInfo:
        """The server's Kea version."""
        return _version(self.endpoint, self.command('version-get'))

    def ha_heartbeat(self, server_name: str | None = None) -> Heartbeat:
        """The HA state as partners see it (`server_name` picks a relationship on a Kea >= 2.6 hub)."""
        answer = self.command('ha-heartbeat', _named(server_name))
        return _status(self.endpoint, 'ha-heartbeat', answer, parse_heartbeat)

    def ha_sync(self, server_name: str, max_period: int | None = None) -> str | None:
        """Pull the leases of the partner `server_name` (DHCP is disabled at most `max_period` seconds)."""
        return self.command('ha-sync', _named(server_name, max_period=max_period)).text

    def ha_scopes(self, scopes: Sequence[str], server_name: str | None = None) -> str | None:
        """Serve these scopes (server names) from now on."""
        return self.command('ha-scopes', _scopes_argument(scopes, server_name)).text

    def ha_continue(self, server_name: str | None = None) -> str | None:
        """Resume a paused HA state machine."""
        return self.command('ha-continue', _named(server_name)).text

    def ha_reset(self, server_name: str | None = None) -> str | None:
        """Reset the HA state machine to waiting."""
        return self.command('ha-reset', _named(server_name)).text

    def ha_maintenance_start(self) -> str | None:
        """Put the partner in maintenance (this server then serves every scope)."""
        return self.command('ha-maintenance-start').text

    def ha_maintenance_cancel(self) -> str | None:
        """Cancel a maintenance started on this server."""
        return self.command('ha-maintenance-cancel').text


class AsyncKeaClient:
    """Asynchronous client of one endpoint (`async with`), with the same methods as `KeaClient`."""

    def __init__(self, endpoint: Endpoint, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.endpoint = endpoint
        self._http = httpx.AsyncClient(transport=transport, **_client_options(endpoint))

    def __repr__(self) -> str:
        return f'<AsyncKeaClient {self.endpoint.url} service={self.endpoint.service}>'

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def request(self, command: str, arguments: Mapping[str, Any] | None = None) -> list[Answer]:
        """Send a command and return every answer (one per service), whatever their results."""
        body = _body(self.endpoint, command, arguments)
        try:
            response = await self._http.post(self.endpoint.url, json=body)
        except (httpx.HTTPError, OSError) as exc:  # httpcore lets some ssl.SSLError through unmapped
            error = _transport_error(self.endpoint, command, exc)
            if self.endpoint.tls and _broken_after_connect(error, exc):
                error = _with_command(await asyncio.to_thread(_tls_probe, self.endpoint), command) or error
            raise error from None
        return _answers(self.endpoint, command, response)

    async def command(
        self, command: str, arguments: Mapping[str, Any] | None = None, *, empty_ok: bool = False
    ) -> Answer:
        """Send a command; the answer when its result is 0 (or 3 with `empty_ok`), else raise `KeaCommandError`."""
        return _one(self.endpoint, command, await self.request(command, arguments), empty_ok)

    async def config_get(self) -> KeaConfig:
        """The running configuration and, Kea >= 2.6, its hash."""
        return _config(self.endpoint, await self.command('config-get'))

    async def config_hash_get(self) -> str | None:
        """The hash of the running configuration (Kea >= 2.6; `KeaUnsupported` before)."""
        return _hash(await self.command('config-hash-get'))

    async def config_test(self, config: Mapping[str, Any]) -> str | None:
        """Ask Kea whether it would accept `config`; Kea's text. Rejection: `KeaCommandFailed`."""
        return (await self.command('config-test', _config_argument(config))).text

    async def config_set(self, config: Mapping[str, Any]) -> str | None:
        """Apply `config`; the new hash (Kea >= 2.6) or None."""
        return _hash(await self.command('config-set', _config_argument(config)))

    async def config_write(self, filename: str | None = None) -> ConfigWritten:
        """Write the running config to `filename` (default: the file Kea was started with)."""
        return _written(await self.command('config-write', {'filename': filename} if filename else None))

    async def config_reload(self) -> str | None:
        """Re-read the config file Kea was started with; the new hash (Kea >= 2.6) or None."""
        return _hash(await self.command('config-reload'))

    async def list_commands(self) -> tuple[str, ...]:
        """The commands the server supports now."""
        return _commands(self.endpoint, await self.command('list-commands'))

    async def status_get(self) -> ServerStatus:
        """The server's status, with the state of each HA relationship."""
        return _status(self.endpoint, 'status-get', await self.command('status-get'), parse_status)

    async def version_get(self) -> VersionInfo:
        """The server's Kea version."""
        return _version(self.endpoint, await self.command('version-get'))

    async def ha_heartbeat(self, server_name: str | None = None) -> Heartbeat:
        """The HA state as partners see it."""
        answer = await self.command('ha-heartbeat', _named(server_name))
        return _status(self.endpoint, 'ha-heartbeat', answer, parse_heartbeat)

    async def ha_sync(self, server_name: str, max_period: int | None = None) -> str | None:
        """Pull the leases of the partner `server_name`."""
        return (await self.command('ha-sync', _named(server_name, max_period=max_period))).text

    async def ha_scopes(self, scopes: Sequence[str], server_name: str | None = None) -> str | None:
        """Serve these scopes (server names) from now on."""
        return (await self.command('ha-scopes', _scopes_argument(scopes, server_name))).text

    async def ha_continue(self, server_name: str | None = None) -> str | None:
        """Resume a paused HA state machine."""
        return (await self.command('ha-continue', _named(server_name))).text

    async def ha_reset(self, server_name: str | None = None) -> str | None:
        """Reset the HA state machine to waiting."""
        return (await self.command('ha-reset', _named(server_name))).text

    async def ha_maintenance_start(self) -> str | None:
        """Put the partner in maintenance."""
        return (await self.command('ha-maintenance-start')).text

    async def ha_maintenance_cancel(self) -> str | None:
        """Cancel a maintenance started on this server."""
        return (await self.command('ha-maintenance-cancel')).text


# --- many endpoints at once -----------------------------------------------------------------------------------


async def gather[T](
    endpoints: Iterable[Endpoint],
    call: Callable[[AsyncKeaClient], Awaitable[T]],
    *,
    limit: int | None = None,
) -> list[Outcome[T]]:
    """Run `call` (e.g. `lambda kea: kea.status_get()`) against every endpoint concurrently, at most `limit` at a
    time; one `Outcome` per endpoint, in order. A `KeaError` becomes that endpoint's `error`; anything else
    propagates."""
    endpoints = list(endpoints)
    if limit is not None and limit < 1:
        raise ValueError(f'limit must be at least 1, not {limit}')
    semaphore = asyncio.Semaphore(limit or max(1, len(endpoints)))

    async def one(endpoint: Endpoint) -> Outcome[T]:
        async with semaphore:
            try:
                async with AsyncKeaClient(endpoint) as kea:
                    return Outcome(endpoint, value=await call(kea))
            except KeaError as exc:
                return Outcome(endpoint, error=exc)

    return list(await asyncio.gather(*(one(e) for e in endpoints)))


async def gather_commands(
    endpoints: Iterable[Endpoint],
    command: str,
    arguments: Mapping[str, Any] | None = None,
    *,
    empty_ok: bool = False,
    limit: int | None = None,
) -> list[Outcome[Answer]]:
    """Send one command to every endpoint concurrently; per endpoint its `Answer` or its `KeaError`."""
    return await gather(endpoints, lambda kea: kea.command(command, arguments, empty_ok=empty_ok), limit=limit)


async def gather_status(endpoints: Iterable[Endpoint], *, limit: int | None = None) -> list[Outcome[ServerStatus]]:
    """`status-get` of every endpoint concurrently: the HA state of a whole fleet in one round trip time."""
    return await gather(endpoints, lambda kea: kea.status_get(), limit=limit)


def gather_sync[T](awaitable: Awaitable[T]) -> T:
    """Run a coroutine such as `gather_status(endpoints)` from synchronous code (also when an event loop is
    already running in this thread: then it runs in a helper thread)."""

    async def run() -> T:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run())
    box: dict[str, Any] = {}

    def worker() -> None:
        try:
            box['value'] = asyncio.run(run())
        except BaseException as exc:  # re-raised in the caller's thread
            box['error'] = exc

    thread = threading.Thread(target=worker, name='kea-gather')
    thread.start()
    thread.join()
    if 'error' in box:
        raise box['error']
    return box['value']  # type: ignore[no-any-return]
