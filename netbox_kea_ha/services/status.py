"""
Status: read every server's HA state (and running config, for drift) concurrently, and record it in NetBox.

Servers are read in chunks of at most CHUNK_SERVERS, each with the replication sources its servers are compared
against, so a fleet of thousands of servers with multi-megabyte configs never holds more than one chunk of configs
in memory (`server_chunks`).

On each HA peer: its HA state, its partner's state as it sees it, its scopes, unacked clients, reachability and
last contact. On each server: its HA state, Kea version, whether its running config drifted from NetBox's intent,
and the last error. A record is saved (so the change log, event rules and webhooks see it) only when one of those
state values changes; the times of the last contact / last check are bumped with a queryset update, which writes
no change-log entry.
"""

import asyncio
from dataclasses import dataclass, field

from django.utils import timezone

from ..choices import ConfigDriftChoices
from ..kea.ha import HAState, KeaVersion
from ..models import HAPeer, KeaServer
from .desired import DesiredError, desired_config, relationships_by_server, replication_source, same_config
from .endpoints import server_endpoints
from .fleet import read_all
from .intent import server_relationships

__all__ = (
    'CHUNK_SERVERS',
    'PEER_STATE_FIELDS',
    'SERVER_STATE_FIELDS',
    'Bumps',
    'ServerReading',
    'StatusReport',
    'check_drift',
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
PEER_STATE_FIELDS = ('ha_state', 'partner_state', 'scopes', 'unacked_clients', 'reachable')


@dataclass
class ServerReading:
    """What one server answered: `status-get`, `version-get` and (for drift) `config-get`; or why it did not."""

    server: object
    status: object = None
    version: str | None = None
    config: dict | None = field(default=None, repr=False)
    error: str | None = None

    @property
    def ok(self):
        """True when the server answered `status-get`."""
        return self.error is None and self.status is not None

    @property
    def has_config(self):
        """True when the server answered `config-get`."""
        return self.error is None and self.config is not None


@dataclass
class StatusReport:
    """The outcome of a status run: one line per server, and which records changed."""

    lines: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    unreachable: list = field(default_factory=list)
    drifted: list = field(default_factory=list)

    def as_dict(self):
        """The report as job data."""
        return {
            'servers': self.lines,
            'changed': self.changed,
            'unreachable': self.unreachable,
            'drifted': self.drifted,
        }


def _restarted(server, status, now):
    """Whether the server may have changed its Kea version since NetBox last saw it (unknown, or restarted)."""
    if not server.kea_version or server.last_seen is None or status.uptime is None:
        return True
    return status.uptime <= (now - server.last_seen).total_seconds() + 1


def read_servers(servers, configs=True, timeout=None, status=True):
    """
    `{server.pk: ServerReading}`: `status-get` and, with `configs`, `config-get` (both at once), then `version-get`
    only when the version is not known or the server restarted since it was last seen (status-get's uptime says);
    all servers at once (the async client). `status=False` reads only `config-get` (and `version-get` when the
    version is not known).
    """
    servers = list(servers)
    built = server_endpoints(servers, timeout=timeout)
    readings = {s.pk: ServerReading(s) for s in servers}
    reachable = [s for s in servers if not isinstance(built[s.pk], Exception)]
    for server in servers:
        if isinstance(built[server.pk], Exception):
            readings[server.pk].error = str(built[server.pk])
    by_endpoint = {id(built[s.pk]): s for s in reachable}
    now = timezone.now()

    async def call(kea):
        server = by_endpoint[id(kea.endpoint)]
        answer, config = None, None
        if configs and status:  # both in flight at once: one round trip, not two
            answer, running = await asyncio.gather(kea.status_get(), kea.config_get())
            config = running.config
        elif configs:
            config = (await kea.config_get()).config
        else:
            answer = await kea.status_get()
        version = server.kea_version
        if _restarted(server, answer, now) if answer is not None else not version:
            version = (await kea.version_get()).text.splitlines()[0].strip()
        return answer, version, config

    outcomes = read_all([built[s.pk] for s in reachable], call)
    for server, outcome in zip(reachable, outcomes, strict=True):
        reading = readings[server.pk]
        if outcome.ok:
            reading.status, reading.version, reading.config = outcome.value
        else:
            reading.error = str(outcome.error)
    return readings


def _ha_entry(status, peer):
    """The `status-get` entry of the relationship `peer` is in: the only one, or the one naming the peer."""
    if status is None or not status.relationships:
        return None
    if len(status.relationships) == 1:
        return status.relationships[0]
    return status.relationship(peer.effective_name)


class Bumps:
    """Volatile fields (times of last contact and check) to set on many objects with one update per kind."""

    def __init__(self):
        self._pending = {}

    def add(self, obj, volatile):
        """Set `volatile` on `obj` now (in memory) and in the database at `flush`."""
        for name, value in volatile.items():
            setattr(obj, name, value)
        key = (type(obj), tuple(sorted(volatile.items())))
        self._pending.setdefault(key, []).append(obj.pk)

    def flush(self):
        """One queryset update per model and set of values (no change-log entry)."""
        for (model, items), pks in self._pending.items():
            model.objects.filter(pk__in=pks).update(**dict(items))
        self._pending.clear()


def _apply(obj, values, state_fields, volatile, bumps=None):
    """
    Save `values` if a state field changed (change-logged); else bump `volatile` fields without a log entry (now,
    or batched in `bumps`). The names of the state fields that changed.
    """
    changed = [name for name in state_fields if name in values and getattr(obj, name) != values[name]]
    if changed:
        obj.snapshot()
        for name, value in (values | volatile).items():
            setattr(obj, name, value)
        obj.save()
        return changed
    if volatile:
        if bumps is None:
            bumps = Bumps()
            bumps.add(obj, volatile)
            bumps.flush()
        else:
            bumps.add(obj, volatile)
    return []


def record_peer(peer, reading, now=None, bumps=None):
    """Record what `reading` (of the peer's server) says about this peer; the state fields that changed."""
    now = now or timezone.now()
    if not reading.ok:
        values = {'ha_state': HAState.UNAVAILABLE.value, 'reachable': False}
        return _apply(peer, values, PEER_STATE_FIELDS, {'status_updated': now}, bumps)
    entry = _ha_entry(reading.status, peer)
    if entry is None:
        values = {'ha_state': '', 'partner_state': '', 'scopes': [], 'unacked_clients': None, 'reachable': True}
    else:
        remote = entry.remote
        values = {
            'ha_state': str(entry.local.state),
            'partner_state': str(remote.last_state) if remote else '',
            'scopes': list(entry.local.scopes),
            'unacked_clients': remote.unacked_clients if remote else None,
            'reachable': True,
        }
    return _apply(peer, values, PEER_STATE_FIELDS, {'last_contact': now, 'status_updated': now}, bumps)


def check_drift(server, reading, readings, relationships=None):
    """
    The drift of a server from its reading: IN_SYNC, DRIFTED or UNKNOWN (not read, or no intent to compare).
    `relationships`: the server's relationships with their peers loaded (default: read them).
    """
    if not reading.has_config:
        return ConfigDriftChoices.UNKNOWN, reading.error
    if relationships is None:
        relationships = server_relationships(server)
    if not relationships:
        return ConfigDriftChoices.UNKNOWN, None
    source = replication_source(server, relationships)
    source_config = None
    if source is not None:
        source_reading = readings.get(source.pk)
        if source_reading is None or not source_reading.has_config:
            return ConfigDriftChoices.UNKNOWN, f'the running config of {source} (replication source) was not read'
        source_config = source_reading.config
    try:
        desired = desired_config(server, reading.config, source_config, relationships=relationships)
    except DesiredError as exc:
        return ConfigDriftChoices.UNKNOWN, str(exc)
    version = _version(reading.version)
    same = same_config(desired, reading.config, version)
    return (ConfigDriftChoices.IN_SYNC if same else ConfigDriftChoices.DRIFTED), None


def _version(text):
    try:
        return KeaVersion.parse(text) if text else None
    except ValueError:
        return None


def record_server(server, reading, readings, drift=True, now=None, relationships=None, bumps=None):
    """Record a server's HA state, version, drift and last error; the state fields that changed."""
    now = now or timezone.now()
    if not reading.ok:
        values = {'ha_state': HAState.UNAVAILABLE.value, 'last_error': reading.error or 'no answer'}
        return _apply(server, values, SERVER_STATE_FIELDS, {}, bumps)
    entry = reading.status.relationships[0] if reading.status.relationships else None
    values = {
        'ha_state': str(entry.local.state) if entry else '',
        'kea_version': reading.version or server.kea_version,
        'last_error': '',
    }
    volatile = {'last_seen': now}
    if drift:
        state, problem = check_drift(server, reading, readings, relationships)
        values['config_drift'] = state
        if problem and state == ConfigDriftChoices.UNKNOWN:
            values['last_error'] = f'drift not checked: {problem}'
        volatile['drift_checked'] = now
    return _apply(server, values, SERVER_STATE_FIELDS, volatile, bumps)


def record_drift(server, state, error='', now=None, bumps=None, version=None):
    """
    Record a server's drift as a sync or fleet check found it (`ConfigDriftChoices`), and the Kea version it read
    (when given); the state fields that changed.
    """
    now = now or timezone.now()
    values = {'config_drift': state, 'last_error': error}
    if version:
        values['kea_version'] = version
    return _apply(server, values, SERVER_STATE_FIELDS, {'drift_checked': now}, bumps)


def _line(server, reading, peers):
    if not reading.ok:
        return f'{server}: unreachable: {reading.error}'
    parts = []
    for peer in peers:
        part = f'{peer.relationship} as {peer.role}: {peer.ha_state or "no HA"}'
        if peer.partner_state:
            part += f' (partner {peer.partner_state})'
        parts.append(part)
    text = f'{server} (Kea {reading.version}): ' + ('; '.join(parts) or 'in no relationship')
    if server.config_drift != ConfigDriftChoices.UNKNOWN:
        text += f', config {server.config_drift}'
    return text


def server_chunks(servers, relationships, size=CHUNK_SERVERS):
    """
    `[(servers, to_read)]`: `servers` in chunks of about `size`, each with the servers to read for it (its servers
    and their replication sources). Servers are taken relationship by relationship, so a pair's partner and its
    replication source are usually read in the same chunk; a source needed by two chunks is read by both.
    `relationships`: `{server.pk: [relationships]}` (`relationships_by_server`).
    """

    def first_relationship(server):
        rels = relationships.get(server.pk) or ()
        return min(((str(r.name), r.pk) for r in rels), default=('', 0))

    chunks, current, to_read = [], [], {}
    for server in sorted(servers, key=lambda s: (first_relationship(s), s.pk)):
        current.append(server)
        to_read[server.pk] = server
        source = replication_source(server, relationships.get(server.pk) or [])
        if source is not None:
            to_read.setdefault(source.pk, source)
        if len(to_read) >= size:
            chunks.append((current, list(to_read.values())))
            current, to_read = [], {}
    if current:
        chunks.append((current, list(to_read.values())))
    return chunks


def read_status(servers=None, drift=True, logger=None, timeout=None):
    """
    Read and record the status of `servers` (default: every server that is an HA peer), chunk by chunk
    (`server_chunks`). Returns a StatusReport; writes one line per server to `logger`.
    """
    if servers is None:
        servers = KeaServer.objects.filter(ha_peers__isnull=False).distinct()
    servers = list(servers.select_related('address') if hasattr(servers, 'select_related') else servers)
    peers_by_server = {}
    for peer in HAPeer.objects.filter(server__in=servers).select_related('relationship', 'server'):
        peers_by_server.setdefault(peer.server_id, []).append(peer)
    relationships = relationships_by_server(servers) if drift else {}
    report = StatusReport()
    now = timezone.now()
    bumps = Bumps()
    chunks = server_chunks(servers, relationships) if drift else [(servers, servers)]
    for chunk, to_read in chunks:
        readings = read_servers(to_read, configs=drift, timeout=timeout)
        _record_chunk(chunk, readings, peers_by_server, relationships, drift, now, bumps, report, logger)
    bumps.flush()
    return report


def _record_chunk(servers, readings, peers_by_server, relationships, drift, now, bumps, report, logger):
    for server in servers:
        reading = readings[server.pk]
        peers = peers_by_server.get(server.pk, [])
        for peer in peers:
            if changed := record_peer(peer, reading, now, bumps):
                report.changed.append({'object': f'peer {peer}', 'fields': changed})
        changed = record_server(
            server, reading, readings, drift=drift, now=now, relationships=relationships.get(server.pk), bumps=bumps
        )
        if changed:
            report.changed.append({'object': f'server {server}', 'fields': changed})
        line = _line(server, reading, peers)
        report.lines.append(line)
        if not reading.ok:
            report.unreachable.append(str(server))
            if logger:
                logger.warning(line)
        else:
            if server.config_drift == ConfigDriftChoices.DRIFTED:
                report.drifted.append(str(server))
            if logger:
                logger.info(line)
