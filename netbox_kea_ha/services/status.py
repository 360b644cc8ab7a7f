"""
Status: read every server's HA state (and running config, for drift) concurrently, and record it in NetBox.

Servers are read in chunks of at most CHUNK_SERVERS, each with the replication sources its servers are compared
against, so a fleet of thousands of servers with multi-megabyte configs never holds more than one chunk of configs
in memory (`server_chunks`). NetBox's intent is loaded once for the whole run (`intent.load_intent`); drift is
`kea.diff.diff_configs` of what a server runs and what it should run (`desired.desired_config`), the comparison a
sync makes.

On each HA peer: its HA state, its partner's state and scopes as it sees them, its own scopes, whether
communication with the partner is interrupted, reachability (state fields), Kea's counters (heartbeat age,
connecting / unacked clients, unacked clients left, analyzed packets, clock skew, in touch) and last contact. On
each server: its HA state, Kea version, whether its running config drifted from NetBox's intent, and the last
error. A record is saved (so the change log, event rules and webhooks see it) only when one of its state values
changes; the counters and the times of the last contact / last check are written without a change-log entry, a few
statements for the whole run (`Bumps`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from ..choices import ConfigDriftChoices
from ..crypto import SecretError
from ..kea.client import AsyncKeaClient, Endpoint, KeaConfig, LoopThread, Outcome, gather
from ..kea.diff import diff_configs
from ..kea.ha import HAState, KeaVersion
from ..kea.intent import Intent
from ..kea.status import RelationshipStatus, ServerStatus
from .desired import DesiredError, desired_config
from .endpoints import server_endpoints
from .fleet import read_all
from .intent import Loaded, load_intent

if TYPE_CHECKING:
    from logging import Logger

    from django.db.models import Model

    from ..models import HAPeer, KeaServer

__all__ = (
    'BULK_BATCH',
    'CHUNK_SERVERS',
    'PEER_COUNTER_FIELDS',
    'PEER_STATE_FIELDS',
    'SERVER_STATE_FIELDS',
    'Bumps',
    'ServerReading',
    'StatusReport',
    'check_drift',
    'read_chunks',
    'read_servers',
    'read_status',
    'record_drift',
    'record_peer',
    'record_server',
    'server_chunks',
)

#: Servers read at once (with their running configs) by a status run or a fleet check.
CHUNK_SERVERS = 64

#: Fields whose change is saved (and change-logged); other status fields are bumped without a log entry.
SERVER_STATE_FIELDS = ('ha_state', 'kea_version', 'config_drift', 'last_error')
PEER_STATE_FIELDS = ('ha_state', 'partner_state', 'scopes', 'partner_scopes', 'communication_interrupted', 'reachable')

#: A peer's counters, from its server's `status-get` (`remote`): {field: RemoteStatus attribute}. They move all the
#: time, so they are written without a change-log entry (and so without events), in bulk.
PEER_COUNTER_FIELDS = {
    'heartbeat_age': 'age',
    'connecting_clients': 'connecting_clients',
    'unacked_clients': 'unacked_clients',
    'unacked_clients_left': 'unacked_clients_left',
    'analyzed_packets': 'analyzed_packets',
    'clock_skew': 'clock_skew',
    'in_touch': 'in_touch',
}

#: Rows per UPDATE statement of `Bumps.flush` (counters differ per object: one bulk UPDATE per batch).
BULK_BATCH = 500


@dataclass
class ServerReading:
    """What one server answered: `status-get`, `version-get` and (for drift) `config-get`; or why it did not."""

    server: KeaServer
    status: ServerStatus | None = None
    version: str | None = None
    running: KeaConfig | None = field(default=None, repr=False)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the server answered `status-get`."""
        return self.error is None and self.status is not None

    @property
    def config(self) -> dict[str, Any] | None:
        """The running config (`config-get`), or None."""
        return self.running.config if self.running is not None else None

    @property
    def has_config(self) -> bool:
        """True when the server answered `config-get`."""
        return self.error is None and self.running is not None

    @property
    def kea_version(self) -> KeaVersion | None:
        """The version it reported (or NetBox knew), parsed; None when unknown."""
        return _version(self.version)


@dataclass
class StatusReport:
    """The outcome of a status run: one line per server, and which records changed."""

    lines: list[str] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    drifted: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The report as job data."""
        return {
            'servers': self.lines,
            'changed': self.changed,
            'unreachable': self.unreachable,
            'drifted': self.drifted,
        }


def _restarted(server: KeaServer, status: ServerStatus, now: datetime) -> bool:
    """Whether the server may have changed its Kea version since NetBox last saw it (unknown, or restarted)."""
    if not server.kea_version or server.last_seen is None or status.uptime is None:
        return True
    return bool(status.uptime <= (now - server.last_seen).total_seconds() + 1)


type _Answer = tuple[ServerStatus | None, str | None, KeaConfig | None]


class _Read:
    """A read of some servers: their endpoints, the concurrent call, and how its outcomes become readings."""

    def __init__(self, servers: Iterable[KeaServer], configs: bool, timeout: float | None, status: bool) -> None:
        self.servers = list(servers)
        self.configs, self.status = configs, status
        built = server_endpoints(self.servers, timeout=timeout)
        self.readings = {s.pk: ServerReading(s) for s in self.servers}
        self.reachable: list[KeaServer] = []
        self.endpoints: list[Endpoint] = []
        for server in self.servers:
            endpoint = built[server.pk]
            if isinstance(endpoint, Endpoint):
                self.reachable.append(server)
                self.endpoints.append(endpoint)
            else:
                self.readings[server.pk].error = str(endpoint)
        self.by_endpoint = {id(endpoint): s for s, endpoint in zip(self.reachable, self.endpoints, strict=True)}
        self.now = timezone.now()

    async def call(self, kea: AsyncKeaClient) -> _Answer:
        """What one server is asked (see `read_servers`)."""
        server = self.by_endpoint[id(kea.endpoint)]
        answer: ServerStatus | None = None
        config: KeaConfig | None = None
        if self.configs and self.status:  # both in flight at once: one round trip, not two
            answer, config = await asyncio.gather(kea.status_get(), kea.config_get())
        elif self.configs:
            config = await kea.config_get()
        else:
            answer = await kea.status_get()
        version: str | None = server.kea_version
        if _restarted(server, answer, self.now) if answer is not None else not version:
            version = (await kea.version_get()).text.splitlines()[0].strip()
        return answer, version, config

    def readings_from(self, outcomes: list[Outcome[_Answer]]) -> dict[int, ServerReading]:
        """The readings, with what each server answered."""
        for server, outcome in zip(self.reachable, outcomes, strict=True):
            reading = self.readings[server.pk]
            if outcome.ok and outcome.value is not None:
                reading.status, reading.version, reading.running = outcome.value
            else:
                reading.error = str(outcome.error)
        return self.readings


def read_servers(
    servers: Iterable[KeaServer], configs: bool = True, timeout: float | None = None, status: bool = True
) -> dict[int, ServerReading]:
    """
    `{server.pk: ServerReading}`: `status-get` and, with `configs`, `config-get` (both at once), then `version-get`
    only when the version is not known or the server restarted since it was last seen (status-get's uptime says);
    all servers at once (the async client). `status=False` reads only `config-get` (and `version-get` when the
    version is not known).
    """
    read = _Read(servers, configs, timeout, status)
    return read.readings_from(read_all(read.endpoints, read.call))


def read_chunks(
    chunks: list[tuple[list[KeaServer], list[KeaServer]]],
    configs: bool = True,
    timeout: float | None = None,
    status: bool = True,
) -> Iterator[tuple[list[KeaServer], dict[int, ServerReading]]]:
    """
    `(servers, readings)` for each chunk of `server_chunks`, read as `read_servers` reads, with the next chunk
    read while the caller works on the current one (one event loop beside the caller, `kea.client.LoopThread`): at
    most two chunks of configs are held at once.
    """
    if not chunks:
        return
    with LoopThread() as loop:

        def start(to_read: list[KeaServer]) -> tuple[_Read, concurrent.futures.Future[list[Outcome[_Answer]]]]:
            read = _Read(to_read, configs, timeout, status)
            return read, loop.submit(gather(read.endpoints, read.call))

        pending = start(chunks[0][1])
        for index, (chunk, _) in enumerate(chunks):
            read, future = pending
            if index + 1 < len(chunks):
                pending = start(chunks[index + 1][1])
            yield chunk, read.readings_from(future.result())


def _ha_entry(status: ServerStatus | None, name: str) -> RelationshipStatus | None:
    """The `status-get` entry of the relationship in which the server is named `name`: the only one, or the one
    naming it (a hub reports one entry per relationship)."""
    if status is None or not status.relationships:
        return None
    if len(status.relationships) == 1:
        return status.relationships[0]
    return status.relationship(name)


class Bumps:
    """
    Fields written without a change-log entry, in few statements: values many objects share (times of last contact
    and check: one queryset update per model and set of values, `add`) and values of each object's own (counters:
    one bulk UPDATE per model and `BULK_BATCH` objects, `add_own`).
    """

    def __init__(self) -> None:
        self._pending: dict[tuple[type[Model], tuple[tuple[str, Any], ...]], list[int]] = {}
        self._own: dict[type[Model], tuple[dict[int, Model], set[str]]] = {}

    def add(self, obj: Model, volatile: Mapping[str, Any]) -> None:
        """Set `volatile` on `obj` now (in memory) and in the database at `flush`."""
        for name, value in volatile.items():
            setattr(obj, name, value)
        key = (type(obj), tuple(sorted(volatile.items())))
        self._pending.setdefault(key, []).append(obj.pk)

    def add_own(self, obj: Model, values: Mapping[str, Any]) -> list[str]:
        """Set `values` on `obj` now (in memory) and, those that differ from what it held, in the database at
        `flush`; the names of those."""
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            objects, fields = self._own.setdefault(type(obj), ({}, set()))
            objects[obj.pk] = obj
            fields.update(changed)
        return changed

    def flush(self) -> None:
        """Write what was added: one queryset update per model and set of shared values, one bulk UPDATE per model
        and batch of objects with values of their own (no change-log entry)."""
        for (model, items), pks in self._pending.items():
            model.objects.filter(pk__in=pks).update(**dict(items))
        for model, (objects, fields) in self._own.items():
            # Each object holds its current value of every field listed (set, or as loaded): writing all is right.
            model.objects.bulk_update(list(objects.values()), sorted(fields), batch_size=BULK_BATCH)
        self._pending.clear()
        self._own.clear()


def _apply(
    obj: Any,
    values: Mapping[str, Any],
    state_fields: Iterable[str],
    volatile: Mapping[str, Any],
    bumps: Bumps | None,
    own: Mapping[str, Any] | None = None,
) -> list[str]:
    """
    Save `values` (and `own`, `volatile`) if a state field changed (change-logged); else write `volatile` (values
    shared with other objects: times) and `own` (this object's counters) without a log entry (now, or batched in
    `bumps`). The names of the state fields that changed.
    """
    changed = [name for name in state_fields if name in values and getattr(obj, name) != values[name]]
    if changed:
        obj.snapshot()
        for name, value in {**values, **(own or {}), **volatile}.items():
            setattr(obj, name, value)
        obj.save()
        return changed
    if volatile or own:
        target = bumps if bumps is not None else Bumps()
        if volatile:
            target.add(obj, volatile)
        if own:
            target.add_own(obj, own)
        if bumps is None:
            target.flush()
    return []


def record_peer(
    peer: HAPeer, reading: ServerReading, now: datetime | None = None, bumps: Bumps | None = None
) -> list[str]:
    """
    Record what `reading` (of the peer's server) says about this peer: its relationship's entry of `status-get`
    (on a hub, the one naming the peer). State fields (`PEER_STATE_FIELDS`) are saved, change-logged, when one
    changes; counters (`PEER_COUNTER_FIELDS`) and times are written without a log entry. An unreachable server
    changes only the state (`unavailable`) and reachability: the rest stays as last read. The state fields that
    changed.
    """
    now = now or timezone.now()
    values: dict[str, Any]
    if not reading.ok:
        values = {'ha_state': HAState.UNAVAILABLE.value, 'reachable': False}
        return _apply(peer, values, PEER_STATE_FIELDS, {'status_updated': now}, bumps)
    entry = _ha_entry(reading.status, peer.effective_name)
    remote = entry.remote if entry is not None else None
    values = {
        'ha_state': str(entry.local.state) if entry is not None else '',
        'partner_state': str(remote.last_state) if remote is not None else '',
        'scopes': list(entry.local.scopes) if entry is not None else [],
        'partner_scopes': list(remote.last_scopes) if remote is not None else [],
        'communication_interrupted': remote.communication_interrupted if remote is not None else None,
        'reachable': True,
    }
    counters = {
        name: getattr(remote, attribute) if remote is not None else None
        for name, attribute in PEER_COUNTER_FIELDS.items()
    }
    return _apply(peer, values, PEER_STATE_FIELDS, {'last_contact': now, 'status_updated': now}, bumps, counters)


def check_drift(
    loaded: Loaded, server: int, reading: ServerReading, readings: Mapping[int, ServerReading]
) -> tuple[str, str | None]:
    """
    The drift of a server from its reading: IN_SYNC, DRIFTED or UNKNOWN (not read, or no intent to compare), and
    why it is UNKNOWN. `loaded`: the intent, with every relationship of the server.
    """
    if not reading.has_config or reading.config is None:
        return ConfigDriftChoices.UNKNOWN, reading.error
    intent = loaded.intent
    if not intent.servers[server].relationships:
        return ConfigDriftChoices.UNKNOWN, None
    source = intent.replication_source(server)
    source_config = None
    if source is not None:
        source_reading = readings.get(source)
        if source_reading is None or not source_reading.has_config:
            name = intent.servers[source].name
            return ConfigDriftChoices.UNKNOWN, f'the running config of {name} (replication source) was not read'
        source_config = source_reading.config
    try:
        desired = desired_config(loaded.revealed(server), server, reading.config, source_config)
    except (DesiredError, SecretError) as exc:
        return ConfigDriftChoices.UNKNOWN, str(exc)
    diff = diff_configs(reading.config, desired, version=reading.kea_version)
    return (ConfigDriftChoices.IN_SYNC if diff.empty else ConfigDriftChoices.DRIFTED), None


def _version(text: str | None) -> KeaVersion | None:
    try:
        return KeaVersion.parse(text) if text else None
    except ValueError:
        return None


def record_server(
    server: KeaServer,
    reading: ServerReading,
    drift: tuple[str, str | None] | None = None,
    now: datetime | None = None,
    bumps: Bumps | None = None,
) -> list[str]:
    """Record a server's HA state, version, drift (`check_drift`'s answer) and last error; the state fields that
    changed."""
    now = now or timezone.now()
    values: dict[str, Any]
    if not reading.ok or reading.status is None:
        values = {'ha_state': HAState.UNAVAILABLE.value, 'last_error': reading.error or 'no answer'}
        return _apply(server, values, SERVER_STATE_FIELDS, {}, bumps)
    entry = reading.status.ha
    values = {
        'ha_state': str(entry.local.state) if entry else '',
        'kea_version': reading.version or server.kea_version,
        'last_error': '',
    }
    volatile: dict[str, Any] = {'last_seen': now}
    if drift is not None:
        state, problem = drift
        values['config_drift'] = state
        if problem and state == ConfigDriftChoices.UNKNOWN:
            values['last_error'] = f'drift not checked: {problem}'
        volatile['drift_checked'] = now
    return _apply(server, values, SERVER_STATE_FIELDS, volatile, bumps)


def record_drift(
    server: KeaServer,
    state: str,
    error: str = '',
    now: datetime | None = None,
    bumps: Bumps | None = None,
    version: str | None = None,
) -> list[str]:
    """
    Record a server's drift as a sync or fleet check found it (`ConfigDriftChoices`), and the Kea version it read
    (when given); the state fields that changed.
    """
    now = now or timezone.now()
    values = {'config_drift': state, 'last_error': error}
    if version:
        values['kea_version'] = version
    return _apply(server, values, SERVER_STATE_FIELDS, {'drift_checked': now}, bumps)


def _line(server: KeaServer, reading: ServerReading, peers: Iterable[HAPeer]) -> str:
    if not reading.ok:
        return f'{server}: unreachable: {reading.error}'
    parts = []
    for peer in peers:
        part = f'{peer.relationship} as {peer.role}: {peer.ha_state or "no HA"}'
        if peer.partner_state:
            part += f' (partner {peer.partner_state})'
        if peer.communication_interrupted:
            part += ', communication interrupted'
        parts.append(part)
    text = f'{server} (Kea {reading.version}): ' + ('; '.join(parts) or 'in no relationship')
    if server.config_drift != ConfigDriftChoices.UNKNOWN:
        text += f', config {server.config_drift}'
    return text


def server_chunks(
    servers: Iterable[KeaServer], intent: Intent, size: int | None = None, by_key: Mapping[int, KeaServer] = {}
) -> list[tuple[list[KeaServer], list[KeaServer]]]:
    """
    `[(servers, to_read)]`: `servers` in chunks of about `size` (default CHUNK_SERVERS), each with the servers to
    read for it (its servers and their replication sources, found in `by_key`, else in `servers`). Servers are taken
    relationship by relationship, so a pair's partner and its replication source are usually read in the same
    chunk; a source needed by two chunks is read by both.
    """
    size = size or CHUNK_SERVERS
    servers = list(servers)
    known = {s.pk: s for s in servers} | dict(by_key)

    def first_relationship(server: KeaServer) -> tuple[str, int]:
        keys = intent.servers[server.pk].relationships if server.pk in intent.servers else ()
        return min(((intent.relationships[k].name, k) for k in keys), default=('', 0))

    chunks: list[tuple[list[KeaServer], list[KeaServer]]] = []
    current: list[KeaServer] = []
    to_read: dict[int, KeaServer] = {}
    for server in sorted(servers, key=lambda s: (first_relationship(s), s.pk)):
        current.append(server)
        to_read[server.pk] = server
        source = intent.replication_source(server.pk) if server.pk in intent.servers else None
        if source is not None and source in known:
            to_read.setdefault(source, known[source])
        if len(to_read) >= size:
            chunks.append((current, list(to_read.values())))
            current, to_read = [], {}
    if current:
        chunks.append((current, list(to_read.values())))
    return chunks


def read_status(
    servers: Iterable[KeaServer] | None = None,
    drift: bool = True,
    logger: Logger | None = None,
    timeout: float | None = None,
) -> StatusReport:
    """
    Read and record the status of `servers` (default: every server that is an HA peer), chunk by chunk
    (`server_chunks`). Returns a StatusReport; writes one line per server to `logger`.
    """
    given = None if servers is None else list(servers)
    loaded = load_intent(everything=True) if given is None else load_intent(servers=given)
    wanted = list(loaded.servers.values()) if given is None else [loaded.servers[s.pk] for s in given]
    peers_by_server: dict[int, list[HAPeer]] = {}
    for peer in sorted(loaded.peers.values(), key=lambda p: (str(p.relationship.name), p.pk)):
        peers_by_server.setdefault(peer.server_id, []).append(peer)
    report = StatusReport()
    now = timezone.now()
    bumps = Bumps()
    chunks = server_chunks(wanted, loaded.intent, by_key=loaded.servers, size=CHUNK_SERVERS if drift else 1024)
    for chunk, readings in read_chunks(chunks, configs=drift, timeout=timeout):
        for server in chunk:
            reading = readings[server.pk]
            peers = peers_by_server.get(server.pk, [])
            for peer in peers:
                if changed := record_peer(peer, reading, now, bumps):
                    report.changed.append({'object': f'peer {peer}', 'fields': changed})
            found = check_drift(loaded, server.pk, reading, readings) if drift else None
            if changed := record_server(server, reading, found, now=now, bumps=bumps):
                report.changed.append({'object': f'server {server}', 'fields': changed})
            _report_line(report, server, reading, peers, logger)
    bumps.flush()
    return report


def _report_line(
    report: StatusReport, server: KeaServer, reading: ServerReading, peers: list[HAPeer], logger: Logger | None
) -> None:
    line = _line(server, reading, peers)
    report.lines.append(line)
    if not reading.ok:
        report.unreachable.append(str(server))
        if logger:
            logger.warning(line)
        return
    if server.config_drift == ConfigDriftChoices.DRIFTED:
        report.drifted.append(str(server))
    if logger:
        logger.info(line)
