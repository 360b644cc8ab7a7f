"""
Status: read every server's HA state (and running config, for drift) concurrently, and record it in NetBox.

On each HA peer: its HA state, its partner's state as it sees it, its scopes, unacked clients, reachability and
last contact. On each server: its HA state, Kea version, whether its running config drifted from NetBox's intent,
and the last error. A record is saved (so the change log, event rules and webhooks see it) only when one of those
state values changes; the times of the last contact / last check are bumped with a queryset update, which writes
no change-log entry.
"""

from dataclasses import dataclass, field

from django.utils import timezone

from ..choices import ConfigDriftChoices
from ..kea.client import gather, gather_sync
from ..kea.ha import HAState, KeaVersion
from ..models import HAPeer, KeaServer
from .desired import DesiredError, desired_config, replication_source, same_config
from .endpoints import server_endpoints

__all__ = (
    'PEER_STATE_FIELDS',
    'SERVER_STATE_FIELDS',
    'ServerReading',
    'StatusReport',
    'check_drift',
    'read_servers',
    'read_status',
    'record_drift',
    'record_peer',
    'record_server',
)

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


def read_servers(servers, configs=True, timeout=None):
    """
    `{server.pk: ServerReading}`: `status-get`, `version-get` and, with `configs`, `config-get` of every server,
    all servers at once (the async client), each server's commands one after another.
    """
    servers = list(servers)
    built = server_endpoints(servers, timeout=timeout)
    readings = {s.pk: ServerReading(s) for s in servers}
    reachable = [s for s in servers if not isinstance(built[s.pk], Exception)]
    for server in servers:
        if isinstance(built[server.pk], Exception):
            readings[server.pk].error = str(built[server.pk])

    async def call(kea):
        status = await kea.status_get()
        version = await kea.version_get()
        config = (await kea.config_get()).config if configs else None
        return status, version.text.splitlines()[0].strip(), config

    outcomes = gather_sync(gather([built[s.pk] for s in reachable], call))
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


def _apply(obj, values, state_fields, volatile):
    """Save `values` if a state field changed (change-logged); else bump `volatile` fields without a log entry."""
    changed = [name for name in state_fields if name in values and getattr(obj, name) != values[name]]
    if changed:
        obj.snapshot()
        for name, value in (values | volatile).items():
            setattr(obj, name, value)
        obj.save()
        return changed
    if volatile:
        type(obj).objects.filter(pk=obj.pk).update(**volatile)
        for name, value in volatile.items():
            setattr(obj, name, value)
    return []


def record_peer(peer, reading, now=None):
    """Record what `reading` (of the peer's server) says about this peer; the state fields that changed."""
    now = now or timezone.now()
    if not reading.ok:
        values = {'ha_state': HAState.UNAVAILABLE.value, 'reachable': False}
        return _apply(peer, values, PEER_STATE_FIELDS, {'status_updated': now})
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
    return _apply(peer, values, PEER_STATE_FIELDS, {'last_contact': now, 'status_updated': now})


def check_drift(server, reading, readings):
    """The drift of a server from its reading: IN_SYNC, DRIFTED or UNKNOWN (not read, or no intent to compare)."""
    if not reading.ok or reading.config is None:
        return ConfigDriftChoices.UNKNOWN, reading.error
    if not server.ha_peers.exists():
        return ConfigDriftChoices.UNKNOWN, None
    source = replication_source(server)
    source_config = None
    if source is not None:
        source_reading = readings.get(source.pk)
        if source_reading is None or source_reading.config is None:
            return ConfigDriftChoices.UNKNOWN, f'the running config of {source} (replication source) was not read'
        source_config = source_reading.config
    try:
        desired = desired_config(server, reading.config, source_config)
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


def record_server(server, reading, readings, drift=True, now=None):
    """Record a server's HA state, version, drift and last error; the state fields that changed."""
    now = now or timezone.now()
    if not reading.ok:
        values = {'ha_state': HAState.UNAVAILABLE.value, 'last_error': reading.error or 'no answer'}
        return _apply(server, values, SERVER_STATE_FIELDS, {})
    entry = reading.status.relationships[0] if reading.status.relationships else None
    values = {
        'ha_state': str(entry.local.state) if entry else '',
        'kea_version': reading.version or server.kea_version,
        'last_error': '',
    }
    volatile = {'last_seen': now}
    if drift:
        state, problem = check_drift(server, reading, readings)
        values['config_drift'] = state
        if problem and state == ConfigDriftChoices.UNKNOWN:
            values['last_error'] = f'drift not checked: {problem}'
        volatile['drift_checked'] = now
    return _apply(server, values, SERVER_STATE_FIELDS, volatile)


def record_drift(server, state, error='', now=None):
    """Record a server's drift as a sync found it (`ConfigDriftChoices`); the state fields that changed."""
    now = now or timezone.now()
    return _apply(server, {'config_drift': state, 'last_error': error}, SERVER_STATE_FIELDS, {'drift_checked': now})


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


def read_status(servers=None, drift=True, logger=None, timeout=None):
    """
    Read and record the status of `servers` (default: every server that is an HA peer). Returns a StatusReport;
    writes one line per server to `logger`.
    """
    if servers is None:
        servers = KeaServer.objects.filter(ha_peers__isnull=False).distinct()
    servers = list(servers.select_related('address') if hasattr(servers, 'select_related') else servers)
    readings = read_servers(servers, configs=drift, timeout=timeout)
    peers_by_server = {}
    for peer in HAPeer.objects.filter(server__in=servers).select_related('relationship', 'server'):
        peers_by_server.setdefault(peer.server_id, []).append(peer)
    report = StatusReport()
    now = timezone.now()
    for server in servers:
        reading = readings[server.pk]
        peers = peers_by_server.get(server.pk, [])
        for peer in peers:
            if changed := record_peer(peer, reading, now):
                report.changed.append({'object': f'peer {peer}', 'fields': changed})
        if changed := record_server(server, reading, readings, drift=drift, now=now):
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
    return report
