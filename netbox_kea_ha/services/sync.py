"""
Sync: make every peer of a relationship run what NetBox intends, and restore config snapshots.

A sync (or its dry run, a plan) and a restore are one `Push`: peers to push (`PushPeer`: a server, its
`this-server-name`, its desired config), read once, compared once, pushed safely. `sync_relationship`:

1. loads NetBox's intent for the relationship and every relationship of its servers (`intent.load_intent`), and
   refuses when a server's control endpoint is not confirmed in one of them (`trust.unconfirmed_endpoints`);
2. renders each server's `hooks-libraries` block (passwords revealed; a block the Kea layer's validation refuses,
   or a password withdrawn or set for another destination, stops everything: nothing is sent, and the error says
   why);
3. reads every peer's running config (and its replication source's) at once, once (`status.read_servers`): a peer
   that cannot be read stops everything;
4. builds each peer's desired config (`desired.py`) and compares it with what runs (`kea.diff.diff_configs`, the
   comparison drift and the rollout use): peers that already run it get nothing (every `config-set` restarts Kea's
   HA state machine), and when no peer differs the sync ends there, having sent no `config-set`;
5. otherwise saves a config snapshot of each peer about to change, and runs the Kea layer's safe rolling push
   (`kea.rollout`, given the configs just read: validate, health check, config-test, one peer at a time with hook
   check, settle and roll back); a plan runs its dry run instead (every check, nothing sent);
6. records each snapshot's result and each server's drift, and, when every peer now runs its desired config, the
   relationship's findings (those of the config that runs, as an import records them).

`restore_snapshot` is the same push with one peer, the snapshot's server, and the snapshot's config as desired.
A sync (or restore) holds the advisory lock of every relationship of the servers it may push to (`locks.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from logging import Logger
from typing import TYPE_CHECKING, Any

from ..choices import ConfigDriftChoices, PushProcedureChoices, SnapshotActionChoices, SnapshotResultChoices
from ..crypto import SecretError
from ..kea.detect import DetectionError, detect
from ..kea.diff import diff_configs
from ..kea.rollout import PeerOutcome, Progress, RolloutError, RolloutReport, Target, rollout
from ..plugin_settings import get_setting
from .desired import DesiredError, desired_config, rendered_hooks
from .endpoints import EndpointError, server_endpoint
from .intent import Loaded, load_intent, relationship_findings
from .locks import relationship_locks
from .snapshots import finish_snapshot, snapshot_config, take_snapshot
from .status import Bumps, ServerReading, read_servers, record_drift
from .trust import unconfirmed_endpoints

if TYPE_CHECKING:
    from core.models import Job

    from ..kea.client import Endpoint
    from ..models import ConfigSnapshot, HARelationship, KeaServer

__all__ = (
    'PeerResult',
    'Push',
    'PushPeer',
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
    #: 'runtime' (Kea's commands, HA keeps running) or 'reload' (config-set), for a peer that differs.
    method: str = ''
    #: The runtime changes in words, or why a reload is needed.
    method_detail: list[str] = field(default_factory=list)
    #: What its DHCP clients can expect while the change is applied.
    interruption: str = ''

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the diff is redacted)."""
        return {
            'name': self.name,
            'server': self.server,
            'role': self.role,
            'outcome': self.outcome,
            'method': self.method,
            'method_detail': self.method_detail,
            'interruption': self.interruption,
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
    peers: list[PeerResult] = field(default_factory=list)
    pushed: bool = False
    #: Peers that took their change by config-set (a reload).
    config_sets: int = 0
    #: Peers that took their change by Kea's runtime commands (no reload).
    runtime_pushes: int = 0
    message: str = ''
    rollout: dict[str, Any] | None = None

    @property
    def changed(self) -> bool:
        """True when a peer's running config differed from its desired one."""
        return any(p.outcome != 'unchanged' for p in self.peers)

    def peer(self, name: str) -> PeerResult:
        """The result of the peer with this name."""
        return next(p for p in self.peers if p.name == name)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, for the job data and the API."""
        return {
            'relationship': self.relationship,
            'dry_run': self.dry_run,
            'pushed': self.pushed,
            'config_sets': self.config_sets,
            'runtime_pushes': self.runtime_pushes,
            'message': self.message,
            'peers': [p.as_dict() for p in self.peers],
            'rollout': self.rollout,
        }


class SyncFailed(Exception):
    """A sync, plan or restore could not be done or did not succeed; the message says why, `report` what happened."""

    def __init__(self, message: str, report: SyncResult | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class PushPeer:
    """One server a push may change: who it is in the relationship, how to reach it, what it runs and should run."""

    server: KeaServer
    #: Its `this-server-name` in the relationship pushed.
    name: str
    role: str
    endpoint: Endpoint
    reading: ServerReading | None = None
    desired: dict[str, Any] | None = None
    snapshot: ConfigSnapshot | None = None
    result: PeerResult = field(init=False)

    def __post_init__(self) -> None:
        self.result = PeerResult(name=self.name, server=str(self.server), role=self.role)

    @property
    def running(self) -> dict[str, Any]:
        """Its running config (read)."""
        assert self.reading is not None and self.reading.config is not None
        return self.reading.config


@dataclass
class Push:
    """
    One sync, plan or restore: the peers it may change, read once, compared once, pushed through the rollout; the
    options and what records the outcome. `restore` pushes a snapshot's config: drift is then unknown, not in sync.
    """

    label: str
    peers: list[PushPeer]
    dry_run: bool = False
    allow_disruptive: bool = False
    #: 'least-loss' (at runtime where Kea can, else a reload with the scope handed over) or 'rolling'.
    procedure: str = 'least-loss'
    restore: bool = False
    action: str = SnapshotActionChoices.SYNC
    relationship: HARelationship | None = None
    restored_from: ConfigSnapshot | None = None
    #: What the result says when no peer differs.
    unchanged: str = 'every peer runs its desired config: nothing to send'
    user: Any = None
    job: Job | None = None
    logger: Logger | None = None
    progress: Callable[[], None] | None = None
    result: SyncResult = field(init=False)

    def __post_init__(self) -> None:
        self.result = SyncResult(relationship=self.label, dry_run=self.dry_run)
        self.result.peers = [p.result for p in self.peers]

    def log(self, level: str, message: str) -> None:
        """A line of the job log."""
        if self.logger is not None:
            getattr(self.logger, level)(message)

    def read(self, extra: Iterable[KeaServer] = ()) -> dict[int, ServerReading]:
        """Every peer's running config (and the `extra` servers': replication sources), at once; SyncFailed naming
        every server that could not be read."""
        servers = list({s.pk: s for s in [*(p.server for p in self.peers), *extra]}.values())
        self.log('info', f'reading the running config of {len(servers)} server(s)')
        readings = read_servers(servers, configs=True, status=False)
        problems = [f'{s}: {readings[s.pk].error}' for s in servers if not readings[s.pk].has_config]
        if problems:
            raise SyncFailed(
                'cannot read the running config of every peer, so nothing was sent: ' + '; '.join(problems)
            )
        for peer in self.peers:
            peer.reading = readings[peer.server.pk]
        return readings

    def compare(self) -> list[PushPeer]:
        """Compare each peer's desired config with what it runs; the peers that differ."""
        changed = []
        for peer in self.peers:
            assert peer.desired is not None and peer.reading is not None
            diff = diff_configs(peer.running, peer.desired, version=peer.reading.kea_version)
            peer.result.outcome = 'unchanged' if diff.empty else 'differs'
            if not diff.empty:
                changed.append(peer)
            state = 'in sync' if diff.empty else 'differs'
            self.log('info', f'{peer.name} ({peer.server}, {peer.role}): {state}')
        return changed

    def run(self) -> SyncResult:
        """Compare, and push what differs (or plan it); the result, or SyncFailed."""
        changed = self.compare()
        if not changed:
            self.result.message = self.unchanged
            self.log('info', self.result.message)
            if not self.dry_run and not self.restore:
                bumps = Bumps()
                for peer in self.peers:
                    record_drift(peer.server, ConfigDriftChoices.IN_SYNC, bumps=bumps)
                bumps.flush()
                if self.relationship is not None:
                    record_findings(self.relationship)
            return self.result
        if not self.dry_run:
            for peer in changed:
                assert peer.desired is not None
                peer.snapshot = take_snapshot(
                    peer.server,
                    peer.running,
                    peer.desired,
                    relationship=self.relationship,
                    user=self.user,
                    job=self.job,
                    action=self.action,
                    restored_from=self.restored_from,
                )
                peer.result.snapshot = peer.snapshot.pk
            self.log('info', f'saved a config snapshot of {len(changed)} server(s) before the push')
        targets = [
            Target(
                name=p.name,
                endpoint=p.endpoint,
                desired=p.desired or {},
                version=p.reading.kea_version if p.reading else None,
                running=p.reading.running if p.reading else None,
            )
            for p in self.peers
        ]
        try:
            least_loss = self.procedure == PushProcedureChoices.LEAST_LOSS
            self.log('info', f'push procedure: {self.procedure}')
            report = rollout(
                targets,
                dry_run=self.dry_run,
                allow_disruptive=self.allow_disruptive,
                settle_timeout=float(get_setting('settle_timeout')),
                progress=self._progress,
                runtime=least_loss,
                handover=least_loss,
            )
        except RolloutError as exc:
            for peer in changed:
                if peer.snapshot is not None:
                    finish_snapshot(peer.snapshot, SnapshotResultChoices.NOT_SENT, str(exc))
            raise SyncFailed(f'the push cannot start: {exc}') from None
        return self.finish(report)

    def _progress(self, event: Progress) -> None:
        self.log('warning' if event.state == 'failed' else 'info', str(event))
        if self.progress is not None and event.state != 'start':
            self.progress()

    def finish(self, report: RolloutReport) -> SyncResult:
        """Record what the rollout did (results, snapshots, drift, findings); the result, or SyncFailed."""
        result = self.result
        result.rollout = report.as_dict()
        by_name = {p.name: p for p in report.peers}
        for peer in self.peers:
            peer_report = by_name[peer.name]
            peer.result.diff = peer_report.diff_text
            peer.result.error = peer_report.error or ''
            peer.result.method = peer_report.method
            peer.result.method_detail = list(peer_report.method_detail)
            peer.result.interruption = peer_report.interruption
            if peer.result.outcome != 'unchanged':
                planned = self.dry_run and not report.refused
                peer.result.outcome = 'planned' if planned else str(peer_report.outcome)
            if peer_report.outcome is PeerOutcome.PUSHED:
                if peer_report.method == 'runtime':
                    result.runtime_pushes += 1
                else:
                    result.config_sets += 1
            if peer.snapshot is not None:
                message = report.refused or peer_report.error or ''
                finish_snapshot(peer.snapshot, _SNAPSHOT_RESULTS[peer_report.outcome], message)
        result.pushed = report.changed
        for line in report.summary().splitlines():
            self.log('info' if report.ok else 'warning', line)
        if self.restore:
            # A restored config is what the snapshot held, not necessarily NetBox's intent: the next status run says.
            for peer in self.peers:
                record_drift(peer.server, ConfigDriftChoices.UNKNOWN)
        elif not self.dry_run:
            for peer in self.peers:
                in_sync = by_name[peer.name].outcome in (PeerOutcome.PUSHED, PeerOutcome.UNCHANGED)
                record_drift(peer.server, ConfigDriftChoices.IN_SYNC if in_sync else ConfigDriftChoices.DRIFTED)
            if report.ok and not report.refused and self.relationship is not None:
                record_findings(self.relationship)
        if report.refused:
            result.message = f'refused, nothing was sent: {report.refused}'
            raise SyncFailed(result.message, result)
        if not report.ok:
            failed = next((p for p in report.peers if p.error), None)
            result.message = f'the push stopped at {failed.name}: {failed.error}' if failed else 'the push failed'
            raise SyncFailed(result.message, result)
        pushed = result.config_sets + result.runtime_pushes
        result.message = 'plan ready: nothing was sent' if self.dry_run else f'pushed to {pushed} peer(s)'
        return result


def _endpoint(server: KeaServer) -> Endpoint:
    try:
        return server_endpoint(server)
    except EndpointError as exc:
        raise SyncFailed(f'{exc}; nothing was sent') from None


def _lock_scope(loaded: Loaded, servers: Iterable[int]) -> list[HARelationship]:
    keys = {rel for server in servers for rel in loaded.intent.servers[server].relationships}
    return [loaded.relationships[key] for key in keys]


def sync_relationship(
    relationship: HARelationship,
    dry_run: bool = False,
    user: Any = None,
    job: Job | None = None,
    logger: Logger | None = None,
    progress: Callable[[], None] | None = None,
    allow_disruptive: bool = False,
) -> SyncResult:
    """Replicate and push `relationship` (see the module docstring); a SyncResult, or SyncFailed."""
    loaded = load_intent(relationships=[relationship])
    intent = loaded.intent
    rel = intent.relationships[relationship.pk]
    if not rel.servers:
        raise SyncFailed(f'{relationship} has no peers: nothing to sync')
    lock_scope = [] if dry_run else _lock_scope(loaded, rel.servers)
    with relationship_locks([*lock_scope, relationship] if lock_scope else []):
        if problems := unconfirmed_endpoints(loaded, rel.servers):
            raise SyncFailed('; '.join(problems) + '. Nothing was sent.')
        peers = [
            PushPeer(
                server=loaded.servers[server],
                name=name,
                role=str(role),
                endpoint=_endpoint(loaded.servers[server]),
            )
            for server, name, role in zip(rel.servers, rel.peer_names, rel.value.roles(), strict=True)
        ]
        push = Push(
            str(relationship),
            peers,
            dry_run=dry_run,
            allow_disruptive=allow_disruptive,
            procedure=relationship.effective_push_procedure,
            relationship=relationship,
            user=user,
            job=job,
            logger=logger,
            progress=progress,
        )
        hooks = {}
        for peer in peers:
            try:
                hooks[peer.server.pk] = rendered_hooks(loaded.revealed(peer.server.pk), peer.server.pk)
            except (DesiredError, SecretError) as exc:
                raise SyncFailed(f'{_rendering_error(peer.server, exc)}. Nothing was sent.') from None
        sources = {peer.server.pk: intent.replication_source(peer.server.pk) for peer in peers}
        extra = [loaded.servers[s] for s in {s for s in sources.values() if s is not None} - set(rel.servers)]
        for server in extra:
            _endpoint(server)  # a replication source that cannot be reached: SyncFailed naming it
        readings = push.read(extra)
        for peer in peers:
            source = sources[peer.server.pk]
            peer.result.replicated = source is not None
            try:
                peer.desired = desired_config(
                    intent,
                    peer.server.pk,
                    peer.running,
                    readings[source].config if source is not None else None,
                    hooks=hooks[peer.server.pk],
                )
            except DesiredError as exc:
                raise SyncFailed(f'{exc}. Nothing was sent.') from None
        return push.run()


def _rendering_error(server: KeaServer, exc: Exception) -> str:
    text = str(exc)
    return text if isinstance(exc, DesiredError) else f'the HA block of {server} cannot be rendered: {text}'


def record_findings(relationship: HARelationship) -> bool:
    """
    Store on `relationship` the findings of what its peers now run (NetBox's intent, just pushed or already
    running), as an import stores those of the config it read. Saved, with a change-log entry, only when they
    changed.
    """
    findings = [f.as_dict() for f in relationship_findings(relationship)]
    if findings == relationship.findings:
        return False
    relationship.snapshot()
    relationship.findings = findings
    relationship.save()
    return True


def restore_snapshot(
    snapshot: ConfigSnapshot,
    which: str = 'before',
    user: Any = None,
    job: Job | None = None,
    logger: Logger | None = None,
    allow_disruptive: bool = False,
) -> SyncResult:
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
    loaded = load_intent(servers=[server])
    relationships = [loaded.relationships[key] for key in loaded.intent.servers[server.pk].relationships]
    name = detection.this_server_names[0] if detection.this_server_names else server.effective_server_tag
    role = str(detection.roles[0]) if detection.roles else ''
    with relationship_locks(relationships):
        peer = PushPeer(server=server, name=name, role=role, endpoint=_endpoint(server), desired=config)
        push = Push(
            ', '.join(str(r) for r in relationships) or str(server),
            [peer],
            allow_disruptive=allow_disruptive,
            restore=True,
            procedure=(
                relationships[0].effective_push_procedure if len(relationships) == 1 else get_setting('push_procedure')
            ),
            action=SnapshotActionChoices.RESTORE,
            relationship=relationships[0] if len(relationships) == 1 else None,
            restored_from=snapshot,
            unchanged=f'{server} already runs the config of snapshot {snapshot.pk}: nothing to send',
            user=user,
            job=job,
            logger=logger,
        )
        push.read()
        push.log('info', f'restoring snapshot {snapshot.pk} ({which}) on {server}')
        return push.run()
