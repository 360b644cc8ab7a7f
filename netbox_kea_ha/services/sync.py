"""
Sync: make every peer of a relationship run what NetBox intends, and restore config snapshots.

`sync_relationship`:
1. builds every peer's control endpoint and renders its `hooks-libraries` block (a block the Kea layer's
   validation refuses stops everything: nothing is sent, and the error says why);
2. reads every peer's running config at once (a peer that cannot be read stops everything: nobody is touched);
3. builds each peer's desired config: its own config with its rendered HA block and, when replication is on, the
   primary's shared parts (`desired.py`);
4. compares: peers that already run their desired config get nothing (every `config-set` restarts Kea's HA
   state machine), and when no peer differs the sync ends there, having sent no `config-set`;
5. otherwise saves a config snapshot of each peer about to change, and runs the Kea layer's safe rolling push
   (`kea.rollout`: validate, health check, config-test, one peer at a time with hook check, settle and roll
   back) for the relationship; `dry_run` runs its plan instead (every check, nothing sent);
6. records each snapshot's result and each server's drift, and, when every peer now runs its desired config, the
   relationship's findings (those of the config that runs, as an import records them).

A sync (or restore) holds the advisory lock of every relationship of the servers it may push to (`locks.py`).
"""

from dataclasses import dataclass, field

from ..choices import ConfigDriftChoices, HARoleChoices
from ..kea.detect import DetectionError, detect
from ..kea.rollout import PeerOutcome, RolloutError, Target, rollout
from ..models import SnapshotActionChoices, SnapshotResultChoices
from ..plugin_settings import get_setting
from .desired import (
    DesiredError,
    desired_config,
    relationships_by_server,
    rendered_hooks,
    replication_source,
    same_config,
)
from .endpoints import EndpointError, server_endpoint
from .fleet import read_all
from .intent import ordered_peers, server_relationships
from .locks import relationship_locks
from .snapshots import finish_snapshot, snapshot_config, take_snapshot
from .status import Bumps, record_drift
from .trust import unconfirmed_endpoints
from .validation import relationship_findings

__all__ = (
    'PeerResult',
    'SyncFailed',
    'SyncResult',
    'record_findings',
    'restore_snapshot',
    'sync_relationship',
)

_SNAPSHOT_RESULTS = {
    PeerOutcome.PUSHED: SnapshotResultChoices.APPLIED,
    PeerOutcome.ROLLED_BACK: SnapshotResultChoices.ROLLED_BACK,
    PeerOutcome.FAILED: SnapshotResultChoices.FAILED,
    PeerOutcome.NOT_ATTEMPTED: SnapshotResultChoices.NOT_SENT,
    PeerOutcome.UNCHANGED: SnapshotResultChoices.NOT_SENT,
}


@dataclass
class PeerResult:
    """What a sync did to one peer."""

    name: str
    server: str
    role: str = ''
    outcome: str = 'unchanged'
    diff: str = ''
    error: str = ''
    snapshot: int | None = None
    replicated: bool = False

    def as_dict(self):
        """JSON-ready form (the diff is redacted)."""
        return {
            'name': self.name,
            'server': self.server,
            'role': self.role,
            'outcome': self.outcome,
            'replicated': self.replicated,
            'diff': self.diff,
            'error': self.error,
            'snapshot': self.snapshot,
        }


@dataclass
class SyncResult:
    """The outcome of a sync, restore or plan: one PeerResult per peer, and the rollout's verdict."""

    relationship: str
    dry_run: bool = False
    peers: list = field(default_factory=list)
    pushed: bool = False
    config_sets: int = 0
    message: str = ''
    rollout: dict | None = None

    @property
    def changed(self):
        """True when a peer's running config differed from its desired one."""
        return any(p.outcome != 'unchanged' for p in self.peers)

    def peer(self, name):
        """The result of the peer with this name."""
        return next(p for p in self.peers if p.name == name)

    def as_dict(self):
        """JSON-ready form, for the job data and the API."""
        return {
            'relationship': self.relationship,
            'dry_run': self.dry_run,
            'pushed': self.pushed,
            'config_sets': self.config_sets,
            'message': self.message,
            'peers': [p.as_dict() for p in self.peers],
            'rollout': self.rollout,
        }


class SyncFailed(Exception):
    """A sync, plan or restore could not be done or did not succeed; the message says why, `report` what happened."""

    def __init__(self, message, report=None):
        super().__init__(message)
        self.report = report


def _log(logger, level, message):
    if logger is not None:
        getattr(logger, level)(message)


def _read_configs(servers, endpoints):
    """`{server.pk: config}` of every server, read at once; raises SyncFailed naming every server not read."""
    outcomes = read_all([endpoints[s.pk] for s in servers], lambda kea: kea.config_get())
    configs, problems = {}, []
    for server, outcome in zip(servers, outcomes, strict=True):
        if outcome.ok:
            configs[server.pk] = outcome.value.config
        else:
            problems.append(f'{server}: {outcome.error}')
    if problems:
        raise SyncFailed('cannot read the running config of every peer, so nothing was sent: ' + '; '.join(problems))
    return configs


def _endpoints(servers):
    out = {}
    for server in servers:
        try:
            out[server.pk] = server_endpoint(server)
        except EndpointError as exc:
            raise SyncFailed(f'{exc}; nothing was sent') from None
    return out


def _progress(logger, progress):
    def emit(event):
        if event.state in ('failed',):
            _log(logger, 'warning', str(event))
        else:
            _log(logger, 'info', str(event))
        if progress is not None and event.state != 'start':
            progress()

    return emit


def sync_relationship(
    relationship, dry_run=False, user=None, job=None, logger=None, progress=None, allow_disruptive=False
):
    """Replicate and push `relationship` (see the module docstring); a SyncResult, or SyncFailed."""
    peers = ordered_peers(relationship.peers.select_related('server__address'))
    if not peers:
        raise SyncFailed(f'{relationship} has no peers: nothing to sync')
    servers = list({p.server_id: p.server for p in peers}.values())
    relationships = relationships_by_server(servers)
    result = SyncResult(relationship=str(relationship), dry_run=dry_run)
    lock_scope = {r.pk: r for rels in relationships.values() for r in rels} | {relationship.pk: relationship}
    with relationship_locks([] if dry_run else lock_scope.values()):
        return _sync(
            relationship, peers, servers, relationships, result, dry_run, user, job, logger, progress, allow_disruptive
        )


def _sync(relationship, peers, servers, relationships, result, dry_run, user, job, logger, progress, allow_disruptive):
    if problems := unconfirmed_endpoints(servers, relationships):
        raise SyncFailed('; '.join(problems) + '. Nothing was sent.')
    endpoints = _endpoints(servers)
    hooks, sources = {}, {}
    for server in servers:
        try:
            hooks[server.pk] = rendered_hooks(server, relationships[server.pk])
        except DesiredError as exc:
            raise SyncFailed(f'{exc}. Nothing was sent.') from None
        sources[server.pk] = replication_source(server, relationships[server.pk])
    extra = [s for s in {src.pk: src for src in sources.values() if src is not None}.values() if s.pk not in hooks]
    for source in extra:
        endpoints[source.pk] = _endpoints([source])[source.pk]
    _log(logger, 'info', f'reading the running config of {len(servers) + len(extra)} server(s)')
    running = _read_configs(servers + extra, endpoints)

    desired, changed = {}, []
    for peer in peers:
        server = peer.server
        source = sources[server.pk]
        try:
            desired[server.pk] = desired_config(
                server, running[server.pk], running[source.pk] if source else None, hooks=hooks[server.pk]
            )
        except DesiredError as exc:
            raise SyncFailed(f'{exc}. Nothing was sent.') from None
        current = running[server.pk]
        same = desired[server.pk] == current or same_config(desired[server.pk], current, server.version)
        item = PeerResult(
            name=peer.effective_name,
            server=str(server),
            role=peer.role,
            outcome='unchanged' if same else 'differs',
            replicated=source is not None,
        )
        result.peers.append(item)
        if not same:
            changed.append(peer)
        _log(logger, 'info', f'{item.name} ({server}, {peer.role}): ' + ('in sync' if same else 'differs'))

    if not changed:
        result.message = 'every peer runs its desired config: nothing to send'
        _log(logger, 'info', result.message)
        if not dry_run:
            bumps = Bumps()
            for server in servers:
                record_drift(server, ConfigDriftChoices.IN_SYNC, bumps=bumps)
            bumps.flush()
            record_findings(relationship)
        return result

    targets = [
        Target(
            name=p.effective_name,
            endpoint=endpoints[p.server_id],
            desired=desired[p.server_id],
            version=p.server.version,
        )
        for p in peers
    ]
    snapshots = {}
    if not dry_run:
        for peer in changed:
            snapshots[peer.server_id] = take_snapshot(
                peer.server,
                running[peer.server_id],
                desired[peer.server_id],
                relationship=relationship,
                user=user,
                job=job,
                action=SnapshotActionChoices.SYNC,
            )
            result.peer(peer.effective_name).snapshot = snapshots[peer.server_id].pk
        _log(logger, 'info', f'saved a config snapshot of {len(snapshots)} server(s) before the push')
    try:
        report = rollout(
            targets,
            dry_run=dry_run,
            allow_disruptive=allow_disruptive,
            settle_timeout=float(get_setting('settle_timeout')),
            progress=_progress(logger, progress),
        )
    except RolloutError as exc:
        for snapshot in snapshots.values():
            finish_snapshot(snapshot, SnapshotResultChoices.NOT_SENT, str(exc))
        raise SyncFailed(f'the push cannot start: {exc}') from None
    return _finish(relationship, peers, servers, result, report, snapshots, dry_run, logger)


def record_findings(relationship):
    """
    Store on `relationship` the findings of what its peers now run (NetBox's intent, just pushed or already
    running), as an import stores those of the config it read. Saved, with a change-log entry, only when they
    changed.
    """
    findings = [view.as_dict() for view in relationship_findings(relationship)]
    if findings == relationship.findings:
        return False
    relationship.snapshot()
    relationship.findings = findings
    relationship.save()
    return True


def _finish(relationship, peers, servers, result, report, snapshots, dry_run, logger, restore=False):
    result.rollout = report.as_dict()
    by_name = {p.name: p for p in report.peers}
    for peer in peers:
        item = result.peer(peer.effective_name)
        peer_report = by_name[peer.effective_name]
        item.diff = peer_report.diff_text
        item.error = peer_report.error or ''
        if item.outcome != 'unchanged':
            item.outcome = 'planned' if dry_run and not report.refused else str(peer_report.outcome)
        if peer_report.outcome is PeerOutcome.PUSHED:
            result.config_sets += 1
        snapshot = snapshots.get(peer.server_id)
        if snapshot is not None:
            message = report.refused or peer_report.error or ''
            finish_snapshot(snapshot, _SNAPSHOT_RESULTS[peer_report.outcome], message)
    result.pushed = report.changed
    for line in report.summary().splitlines():
        _log(logger, 'info' if report.ok else 'warning', line)
    if restore:
        # A restored config is what the snapshot held, not necessarily NetBox's intent: the next status run says.
        for server in servers:
            record_drift(server, ConfigDriftChoices.UNKNOWN)
    elif not dry_run:
        outcomes = {p.server_id: by_name[p.effective_name].outcome for p in peers}
        for server in servers:
            outcome = outcomes.get(server.pk)
            in_sync = outcome in (PeerOutcome.PUSHED, PeerOutcome.UNCHANGED)
            record_drift(server, ConfigDriftChoices.IN_SYNC if in_sync else ConfigDriftChoices.DRIFTED)
        if report.ok and not report.refused:
            record_findings(relationship)
    if report.refused:
        result.message = f'refused, nothing was sent: {report.refused}'
        raise SyncFailed(result.message, result)
    if not report.ok:
        failed = next((p for p in report.peers if p.error), None)
        result.message = f'the push stopped at {failed.name}: {failed.error}' if failed else 'the push failed'
        raise SyncFailed(result.message, result)
    result.message = 'plan ready: nothing was sent' if dry_run else f'pushed to {result.config_sets} peer(s)'
    return result


def restore_snapshot(snapshot, which='before', user=None, job=None, logger=None, allow_disruptive=False):
    """Push a snapshot's config (`before`, or `after`) back to its server through the safe push; a SyncResult."""
    server = snapshot.server
    if snapshot._destination != server.control_destination:
        raise SyncFailed(
            f'config snapshot {snapshot.pk} holds the secrets of {server} as it was reached at '
            f'{snapshot._destination or "an unknown endpoint"}; its control endpoint is now '
            f'{server.control_destination}: they are not sent there. Nothing was sent.'
        )
    config = snapshot_config(snapshot, which)
    if config is None:
        raise SyncFailed(f'config snapshot {snapshot.pk} has no {which!r} config to restore')
    try:
        detection = detect(config, version=server.version)
    except DetectionError as exc:
        raise SyncFailed(f'config snapshot {snapshot.pk} is not a usable Kea config: {exc}') from None
    name = detection.this_server_names[0] if detection.this_server_names else server.effective_server_tag
    relationships = server_relationships(server)
    result = SyncResult(relationship=', '.join(str(r) for r in relationships) or str(server))
    with relationship_locks(relationships):
        endpoint = _endpoints([server])[server.pk]
        running = _read_configs([server], {server.pk: endpoint})[server.pk]
        item = PeerResult(name=name, server=str(server), role=detection.roles[0] if detection.roles else '')
        result.peers.append(item)
        if running == config or same_config(running, config, server.version):
            result.message = f'{server} already runs the config of snapshot {snapshot.pk}: nothing to send'
            _log(logger, 'info', result.message)
            return result
        item.outcome = 'differs'
        new = take_snapshot(
            server,
            running,
            config,
            relationship=relationships[0] if len(relationships) == 1 else None,
            user=user,
            job=job,
            action=SnapshotActionChoices.RESTORE,
            restored_from=snapshot,
        )
        item.snapshot = new.pk
        _log(logger, 'info', f'restoring snapshot {snapshot.pk} ({which}) on {server}; saved its running config first')
        try:
            report = rollout(
                [Target(name=name, endpoint=endpoint, desired=config, version=server.version)],
                allow_disruptive=allow_disruptive,
                settle_timeout=float(get_setting('settle_timeout')),
                progress=_progress(logger, None),
            )
        except RolloutError as exc:
            finish_snapshot(new, SnapshotResultChoices.NOT_SENT, str(exc))
            raise SyncFailed(f'the restore cannot start: {exc}') from None
        peer = _RestorePeer(server, name, detection)
        return _finish(server, [peer], [server], result, report, {server.pk: new}, False, logger, restore=True)


@dataclass
class _RestorePeer:
    """The one peer of a restore, shaped like an HAPeer for `_finish`."""

    server: object
    effective_name: str
    detection: object

    @property
    def server_id(self):
        return self.server.pk

    @property
    def role(self):
        return self.detection.roles[0] if self.detection.roles else HARoleChoices.PRIMARY
