"""Typed values of the `status-get` and `ha-heartbeat` answers of Kea 2.2, 2.6 and 3.x.

Shapes (see docs/kea-2.2-observed.md §1-§2 and kea-2.6-3.0-observed.md §3.3, §4.2, §3.5):

- `status-get` arguments: `pid`, `uptime`, `reload`, `multi-threading-enabled`, ... and, when the HA hook is
  loaded, `high-availability`: a list with one entry per relationship (several on a 2.6+ hub), each
  `{"ha-mode": ..., "ha-servers": {"local": {...}, "remote": {...}}}`. A backup, and every server of a
  passive-backup relationship, has no `remote`.
  2.6 adds `server-name` to local and remote and a top-level `dhcp-state`; 3.0 adds `system-time` to both and
  `clock-skew` to remote.
- `ha-heartbeat` arguments: `state`, `scopes`, `date-time`, `unsent-update-count`.

Modes, roles and states are given as `HAMode` / `HARole` / `HAState` when Kea's value is one of those, and as
the plain string otherwise (a newer Kea may know more). A wrong shape raises `KeaProtocolError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .exceptions import KeaProtocolError
from .ha import HAMode, HARole, HAState

__all__ = (
    'Heartbeat',
    'LocalStatus',
    'RelationshipStatus',
    'RemoteStatus',
    'ServerStatus',
    'parse_heartbeat',
    'parse_status',
)


def _enum[E: StrEnum](kind: type[E], value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise KeaProtocolError(f'{where} is {type(value).__name__}, expected a string')
    try:
        return kind(value)
    except ValueError:
        return value


def _map(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise KeaProtocolError(f'{where} is {type(value).__name__}, expected a map')
    return value


def _str(data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise KeaProtocolError(f'{where}.{key} is {"missing" if value is None else type(value).__name__}')
    return value


def _int(data: Mapping[str, Any], key: str, where: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise KeaProtocolError(f'{where}.{key} is {type(value).__name__}, expected an integer')
    return value


def _bool(data: Mapping[str, Any], key: str, where: str) -> bool | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise KeaProtocolError(f'{where}.{key} is {type(value).__name__}, expected a boolean')
    return value


def _scopes(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise KeaProtocolError(f'{where}.{key} is not a list of server names')
    return tuple(value)


@dataclass(frozen=True)
class LocalStatus:
    """How a server sees itself in one relationship."""

    role: str
    state: str
    scopes: tuple[str, ...]
    #: Kea >= 2.6 (None on 2.2).
    server_name: str | None = None
    #: Kea >= 3.0, the server's clock as text.
    system_time: str | None = None


@dataclass(frozen=True)
class RemoteStatus:
    """What a server last heard from its partner in one relationship (absent on a backup and in passive-backup)."""

    role: str
    last_state: str
    last_scopes: tuple[str, ...]
    #: Seconds since the partner's state was last read.
    age: int | None = None
    in_touch: bool | None = None
    communication_interrupted: bool | None = None
    connecting_clients: int | None = None
    unacked_clients: int | None = None
    unacked_clients_left: int | None = None
    analyzed_packets: int | None = None
    #: Kea >= 2.6.
    server_name: str | None = None
    #: Kea >= 3.0.
    system_time: str | None = None
    #: Kea >= 3.0, seconds between the two clocks.
    clock_skew: int | None = None


@dataclass(frozen=True)
class RelationshipStatus:
    """One entry of `status-get`'s `high-availability` list."""

    mode: str
    local: LocalStatus
    remote: RemoteStatus | None


@dataclass(frozen=True)
class ServerStatus:
    """A server's `status-get` answer: process figures and its HA relationships (empty without the HA hook)."""

    pid: int | None
    uptime: int | None
    #: Seconds since the last (re)configuration.
    reload: int | None
    multi_threading: bool | None
    relationships: tuple[RelationshipStatus, ...] = ()
    #: The arguments as Kea sent them (dhcp-state, packet queue figures, ...).
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ha(self) -> RelationshipStatus | None:
        """The first (in Kea 2.2 the only) relationship, or None when the HA hook is not loaded."""
        return self.relationships[0] if self.relationships else None

    def relationship(self, server_name: str) -> RelationshipStatus | None:
        """The relationship whose local or remote server has this name (Kea >= 2.6 reports names)."""
        for entry in self.relationships:
            if server_name in (entry.local.server_name, entry.remote.server_name if entry.remote else None):
                return entry
        return None


@dataclass(frozen=True)
class Heartbeat:
    """An `ha-heartbeat` answer: the server's HA state as its partners read it."""

    state: str
    scopes: tuple[str, ...]
    date_time: str | None = None
    unsent_update_count: int | None = None


def _local(data: Any, where: str) -> LocalStatus:
    data = _map(data, where)
    return LocalStatus(
        role=_enum(HARole, data.get('role'), f'{where}.role'),
        state=_enum(HAState, data.get('state'), f'{where}.state'),
        scopes=_scopes(data, 'scopes', where),
        server_name=_str(data, 'server-name', where),
        system_time=_str(data, 'system-time', where),
    )


def _remote(data: Any, where: str) -> RemoteStatus:
    data = _map(data, where)
    return RemoteStatus(
        role=_enum(HARole, data.get('role'), f'{where}.role'),
        last_state=_enum(HAState, data.get('last-state'), f'{where}.last-state'),
        last_scopes=_scopes(data, 'last-scopes', where),
        age=_int(data, 'age', where),
        in_touch=_bool(data, 'in-touch', where),
        communication_interrupted=_bool(data, 'communication-interrupted', where),
        connecting_clients=_int(data, 'connecting-clients', where),
        unacked_clients=_int(data, 'unacked-clients', where),
        unacked_clients_left=_int(data, 'unacked-clients-left', where),
        analyzed_packets=_int(data, 'analyzed-packets', where),
        server_name=_str(data, 'server-name', where),
        system_time=_str(data, 'system-time', where),
        clock_skew=_int(data, 'clock-skew', where),
    )


def parse_status(arguments: Any) -> ServerStatus:
    """The typed `status-get` answer from its `arguments` map (of a DHCP server; the CA's has no HA part)."""
    data = _map(arguments, 'status-get arguments')
    entries = data.get('high-availability', [])
    if not isinstance(entries, list):
        raise KeaProtocolError(f'high-availability is {type(entries).__name__}, expected a list')
    relationships = []
    for index, entry in enumerate(entries):
        where = f'high-availability[{index}]'
        entry = _map(entry, where)
        servers = _map(entry.get('ha-servers'), f'{where}.ha-servers')
        remote = servers.get('remote')
        relationships.append(
            RelationshipStatus(
                mode=_enum(HAMode, entry.get('ha-mode'), f'{where}.ha-mode'),
                local=_local(servers.get('local'), f'{where}.ha-servers.local'),
                remote=None if remote is None else _remote(remote, f'{where}.ha-servers.remote'),
            )
        )
    return ServerStatus(
        pid=_int(data, 'pid', 'status-get'),
        uptime=_int(data, 'uptime', 'status-get'),
        reload=_int(data, 'reload', 'status-get'),
        multi_threading=_bool(data, 'multi-threading-enabled', 'status-get'),
        relationships=tuple(relationships),
        raw=dict(data),
    )


def parse_heartbeat(arguments: Any) -> Heartbeat:
    """The typed `ha-heartbeat` answer from its `arguments` map."""
    data = _map(arguments, 'ha-heartbeat arguments')
    return Heartbeat(
        state=_enum(HAState, data.get('state'), 'ha-heartbeat.state'),
        scopes=_scopes(data, 'scopes', 'ha-heartbeat'),
        date_time=_str(data, 'date-time', 'ha-heartbeat'),
        unsent_update_count=_int(data, 'unsent-update-count', 'ha-heartbeat'),
    )
