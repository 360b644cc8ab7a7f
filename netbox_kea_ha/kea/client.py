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

`Endpoint` lives in endpoint.py, the answer values and how a response becomes them (or an error) in answers.py,
what a request that got no answer becomes in request_errors.py; this module re-exports the values.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import TracebackType
from typing import Any, Self

import httpx

from .answers import (
    Answer,
    ConfigWritten,
    KeaConfig,
    VersionInfo,
    checked,
    commands_of,
    config_of,
    hash_of,
    parsed,
    read_answers,
    version_of,
    written_of,
)
from .endpoint import SERVICES, Endpoint
from .exceptions import KeaError
from .leases import (
    Lease,
    LeaseKey,
    LeasePage,
    SubnetStats,
    by_key_command,
    get_arguments,
    lease_of,
    leases_of,
    page_arguments,
    page_of,
    stats_of,
)
from .request_errors import broken_after_connect, tls_probe, transport_error
from .status import Heartbeat, ServerStatus, parse_heartbeat, parse_status

__all__ = (
    'SERVICES',
    'Answer',
    'AsyncKeaClient',
    'ConfigWritten',
    'Endpoint',
    'KeaClient',
    'KeaConfig',
    'Lease',
    'LeaseKey',
    'LeasePage',
    'LoopThread',
    'Outcome',
    'SubnetStats',
    'VersionInfo',
    'gather',
    'gather_commands',
    'gather_status',
    'gather_sync',
)


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


# --- requests --------------------------------------------------------------------------------------------------


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


@lru_cache(maxsize=1)
def _plain_context() -> ssl.SSLContext:
    # httpx builds an SSL context even for http:// URLs; this one is never used and costs nothing to share.
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _config_argument(config: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(config, Mapping) or not config:
        raise ValueError('config must be a non-empty map such as {"Dhcp4": {...}}')
    return dict(config)


def _named(server_name: str | None, **arguments: Any) -> dict[str, Any] | None:
    values = {key.replace('_', '-'): value for key, value in arguments.items() if value is not None}
    if server_name is not None:
        values['server-name'] = server_name
    return values or None


def _family(endpoint: Endpoint, family: int | None) -> int:
    """The DHCP family of a lease command: `family`, else the endpoint's service (dhcp6: 6), else 4."""
    if family is None:
        return 6 if endpoint.service == 'dhcp6' else 4
    if family not in (4, 6):
        raise ValueError(f'family must be 4 or 6, not {family!r}')
    return family


def _stat_arguments(subnet_id: int | None) -> dict[str, Any] | None:
    return None if subnet_id is None else {'subnet-id': int(subnet_id)}


def _scopes_argument(scopes: Sequence[str], server_name: str | None) -> dict[str, Any]:
    if isinstance(scopes, str) or not all(isinstance(s, str) for s in scopes):
        raise ValueError('scopes must be a list of server names')
    return {'scopes': list(scopes)} | (_named(server_name) or {})


# --- clients ------------------------------------------------------------------------------------------------


class _SentTrace:
    """An httpcore trace that calls `on_sent` once, when a request's body has been written."""

    def __init__(self, on_sent: Callable[[], None]) -> None:
        self.on_sent: Callable[[], None] | None = on_sent

    def __call__(self, event: str, info: Mapping[str, Any]) -> None:
        if event == 'http11.send_request_body.complete' and self.on_sent is not None:
            on_sent, self.on_sent = self.on_sent, None
            on_sent()


class KeaClient:
    """Synchronous client of one endpoint (a context manager). `transport`: an httpx transport to use instead
    of the network (tests of errors real Kea cannot produce). `on_sent`: called once, when the first request has
    been written to the connection (a thread that asks Kea while another renders a page tells it that the
    request is on its way); it runs inside the HTTP client and must not raise."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        transport: httpx.BaseTransport | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self._http = httpx.Client(transport=transport, **_client_options(endpoint))
        self._extensions = {'trace': _SentTrace(on_sent)} if on_sent is not None else None

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
            response = self._http.post(self.endpoint.url, json=body, extensions=self._extensions)
        except (httpx.HTTPError, OSError) as exc:  # httpcore lets some ssl.SSLError through unmapped
            error = transport_error(self.endpoint, command, exc)
            if self.endpoint.tls and broken_after_connect(error, exc):
                error = tls_probe(self.endpoint, command) or error
            raise error from None
        return read_answers(self.endpoint, command, response)

    def command(self, command: str, arguments: Mapping[str, Any] | None = None, *, empty_ok: bool = False) -> Answer:
        """Send a command; the answer when its result is 0 (or 3 with `empty_ok`), else raise `KeaCommandError`."""
        return checked(self.endpoint, command, self.request(command, arguments), empty_ok)

    def config_get(self) -> KeaConfig:
        """The running configuration and, Kea >= 2.6, its hash."""
        return config_of(self.endpoint, self.command('config-get'))

    def config_hash_get(self) -> str | None:
        """The hash of the running configuration (Kea >= 2.6; `KeaUnsupported` before)."""
        return hash_of(self.command('config-hash-get'))

    def config_test(self, config: Mapping[str, Any]) -> str | None:
        """Ask Kea whether it would accept `config` (`{"Dhcp4": {...}}`); Kea's text. Rejection: `KeaCommandFailed`."""
        return self.command('config-test', _config_argument(config)).text

    def config_set(self, config: Mapping[str, Any]) -> str | None:
        """Apply `config`; the new hash (Kea >= 2.6) or None. Every config-set restarts Kea's HA state machine."""
        return hash_of(self.command('config-set', _config_argument(config)))

    def config_write(self, filename: str | None = None) -> ConfigWritten:
        """Write the running config to `filename` (default: the file Kea was started with)."""
        return written_of(self.command('config-write', {'filename': filename} if filename else None))

    def config_reload(self) -> str | None:
        """Re-read the config file Kea was started with; the new hash (Kea >= 2.6) or None."""
        return hash_of(self.command('config-reload'))

    def list_commands(self) -> tuple[str, ...]:
        """The commands the server supports now (shows whether the HA and lease_cmds hooks are loaded)."""
        return commands_of(self.endpoint, self.command('list-commands'))

    def status_get(self) -> ServerStatus:
        """The server's status, with the state of each HA relationship."""
        return parsed(self.endpoint, 'status-get', self.command('status-get'), parse_status)

    def version_get(self) -> VersionInfo:
        """The server's Kea version."""
        return version_of(self.endpoint, self.command('version-get'))

    def ha_heartbeat(self, server_name: str | None = None) -> Heartbeat:
        """The HA state as partners see it (`server_name` picks a relationship on a Kea >= 2.6 hub)."""
        answer = self.command('ha-heartbeat', _named(server_name))
        return parsed(self.endpoint, 'ha-heartbeat', answer, parse_heartbeat)

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

    # --- leases (lease_cmds; stat_cmds for stat_lease_get) -------------------------------------------------------

    def lease_get(self, address: str, *, subnet_id: int | None = None, family: int | None = None) -> Lease | None:
        """The lease of `address` (lease4-get / lease6-get), or None when the server holds none."""
        family = _family(self.endpoint, family)
        answer = self.command(f'lease{family}-get', get_arguments(address, subnet_id), empty_ok=True)
        return None if answer.result == 3 else parsed(self.endpoint, f'lease{family}-get', answer, _lease(family))

    def leases_by(self, key: LeaseKey | str, value: str, *, family: int | None = None) -> tuple[Lease, ...]:
        """Every lease whose `key` (hw-address, client-id, hostname; v6: duid, hostname) is `value`."""
        family = _family(self.endpoint, family)
        command = by_key_command(family, LeaseKey(key))
        answer = self.command(command, {LeaseKey(key).value: value}, empty_ok=True)
        return parsed(self.endpoint, command, answer, _leases(family))

    def lease_get_page(self, start: str | None, limit: int, *, family: int | None = None) -> LeasePage:
        """Up to `limit` leases after address `start` (None: from the first), in address order."""
        family = _family(self.endpoint, family)
        command = f'lease{family}-get-page'
        answer = self.command(command, page_arguments(start, limit), empty_ok=True)
        return parsed(self.endpoint, command, answer, _page(family, limit))

    def lease_del(self, address: str, *, family: int | None = None) -> bool:
        """Delete the lease of `address`; False when the server held none. HA does not send this to partners."""
        family = _family(self.endpoint, family)
        return self.command(f'lease{family}-del', get_arguments(address), empty_ok=True).result == 0

    def stat_lease_get(self, subnet_id: int | None = None, *, family: int | None = None) -> tuple[SubnetStats, ...]:
        """Lease counts per subnet from the stat_cmds hook (`KeaUnsupported` when it is not loaded)."""
        family = _family(self.endpoint, family)
        command = f'stat-lease{family}-get'
        answer = self.command(command, _stat_arguments(subnet_id), empty_ok=True)
        return parsed(self.endpoint, command, answer, _stats(family))


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
            error = transport_error(self.endpoint, command, exc)
            if self.endpoint.tls and broken_after_connect(error, exc):
                probed = await asyncio.to_thread(tls_probe, self.endpoint, command)
                error = probed or error
            raise error from None
        return read_answers(self.endpoint, command, response)

    async def command(
        self, command: str, arguments: Mapping[str, Any] | None = None, *, empty_ok: bool = False
    ) -> Answer:
        """Send a command; the answer when its result is 0 (or 3 with `empty_ok`), else raise `KeaCommandError`."""
        return checked(self.endpoint, command, await self.request(command, arguments), empty_ok)

    async def config_get(self) -> KeaConfig:
        """The running configuration and, Kea >= 2.6, its hash."""
        return config_of(self.endpoint, await self.command('config-get'))

    async def config_hash_get(self) -> str | None:
        """The hash of the running configuration (Kea >= 2.6; `KeaUnsupported` before)."""
        return hash_of(await self.command('config-hash-get'))

    async def config_test(self, config: Mapping[str, Any]) -> str | None:
        """Ask Kea whether it would accept `config`; Kea's text. Rejection: `KeaCommandFailed`."""
        return (await self.command('config-test', _config_argument(config))).text

    async def config_set(self, config: Mapping[str, Any]) -> str | None:
        """Apply `config`; the new hash (Kea >= 2.6) or None."""
        return hash_of(await self.command('config-set', _config_argument(config)))

    async def config_write(self, filename: str | None = None) -> ConfigWritten:
        """Write the running config to `filename` (default: the file Kea was started with)."""
        return written_of(await self.command('config-write', {'filename': filename} if filename else None))

    async def config_reload(self) -> str | None:
        """Re-read the config file Kea was started with; the new hash (Kea >= 2.6) or None."""
        return hash_of(await self.command('config-reload'))

    async def list_commands(self) -> tuple[str, ...]:
        """The commands the server supports now."""
        return commands_of(self.endpoint, await self.command('list-commands'))

    async def status_get(self) -> ServerStatus:
        """The server's status, with the state of each HA relationship."""
        return parsed(self.endpoint, 'status-get', await self.command('status-get'), parse_status)

    async def version_get(self) -> VersionInfo:
        """The server's Kea version."""
        return version_of(self.endpoint, await self.command('version-get'))

    async def ha_heartbeat(self, server_name: str | None = None) -> Heartbeat:
        """The HA state as partners see it."""
        answer = await self.command('ha-heartbeat', _named(server_name))
        return parsed(self.endpoint, 'ha-heartbeat', answer, parse_heartbeat)

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

    # --- leases (lease_cmds; stat_cmds for stat_lease_get) -------------------------------------------------------

    async def lease_get(self, address: str, *, subnet_id: int | None = None, family: int | None = None) -> Lease | None:
        """The lease of `address`, or None when the server holds none."""
        family = _family(self.endpoint, family)
        answer = await self.command(f'lease{family}-get', get_arguments(address, subnet_id), empty_ok=True)
        return None if answer.result == 3 else parsed(self.endpoint, f'lease{family}-get', answer, _lease(family))

    async def leases_by(self, key: LeaseKey | str, value: str, *, family: int | None = None) -> tuple[Lease, ...]:
        """Every lease whose `key` is `value`."""
        family = _family(self.endpoint, family)
        command = by_key_command(family, LeaseKey(key))
        answer = await self.command(command, {LeaseKey(key).value: value}, empty_ok=True)
        return parsed(self.endpoint, command, answer, _leases(family))

    async def lease_get_page(self, start: str | None, limit: int, *, family: int | None = None) -> LeasePage:
        """Up to `limit` leases after address `start` (None: from the first), in address order."""
        family = _family(self.endpoint, family)
        command = f'lease{family}-get-page'
        answer = await self.command(command, page_arguments(start, limit), empty_ok=True)
        return parsed(self.endpoint, command, answer, _page(family, limit))

    async def lease_del(self, address: str, *, family: int | None = None) -> bool:
        """Delete the lease of `address`; False when the server held none."""
        family = _family(self.endpoint, family)
        return (await self.command(f'lease{family}-del', get_arguments(address), empty_ok=True)).result == 0

    async def stat_lease_get(
        self, subnet_id: int | None = None, *, family: int | None = None
    ) -> tuple[SubnetStats, ...]:
        """Lease counts per subnet from the stat_cmds hook (`KeaUnsupported` when it is not loaded)."""
        family = _family(self.endpoint, family)
        command = f'stat-lease{family}-get'
        answer = await self.command(command, _stat_arguments(subnet_id), empty_ok=True)
        return parsed(self.endpoint, command, answer, _stats(family))


def _lease(family: int) -> Callable[[Any], Lease]:
    return lambda arguments: lease_of(family, arguments)


def _leases(family: int) -> Callable[[Any], tuple[Lease, ...]]:
    return lambda arguments: leases_of(family, arguments)


def _page(family: int, limit: int) -> Callable[[Any], LeasePage]:
    return lambda arguments: page_of(family, arguments, limit)


def _stats(family: int) -> Callable[[Any], tuple[SubnetStats, ...]]:
    return lambda arguments: stats_of(family, arguments)


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


class LoopThread:
    """
    One event loop in a helper thread, for synchronous code that wants a `gather` to run while it does something
    else (read the next chunk of a fleet while it compares the last one): `submit` returns a
    `concurrent.futures.Future`. A context manager: the loop and its thread end with the block.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name='kea-loop', daemon=True)

    def __enter__(self) -> LoopThread:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()

    def submit[T](self, awaitable: Awaitable[T]) -> concurrent.futures.Future[T]:
        """Run a coroutine such as `gather(...)` on the loop; its future."""

        async def run() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(run(), self.loop)
