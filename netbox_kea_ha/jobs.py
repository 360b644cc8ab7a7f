"""
NetBox jobs of the plugin. Thin: each calls a service and reports in the job log and the job data.

* `ImportServerJob` (bound to a KeaServer): import what the server runs.
* `SyncRelationshipJob` (bound to an HARelationship; `dry_run` for a plan): replicate and push.
* `ImportIpamJob` (bound to an HARelationship; `vrf_id`): what its primary runs into NetBox IPAM (docs/ipam.md).
* `RestoreSnapshotJob` (bound to the snapshot's KeaServer): push a config snapshot back.
* `StatusJob` (system job every `status_interval` minutes, or bound to a server or relationship): read HA state
  and drift.
* `OperatePeerJob` (bound to an HARelationship; `peer_id`, `operation` and its options): an HA operation on one
  peer of it (maintenance and the return from it, lease resync, scopes, continue, reset; docs/operations.md).
* `LeaseExportJob` (bound to an HARelationship; `prefix`): every lease (of a prefix) as a CSV file
  (docs/leases.md).
* `ScheduledSyncJob` (system job every `sync_interval` minutes): check every relationship against its peers'
  running configs (one concurrent read of the fleet, `services.fleet_check`) and enqueue one `SyncRelationshipJob`
  per relationship that is not in sync, so that several RQ workers share the pushes of a large fleet.

Every job gets the plugin's `job_timeout` as its RQ timeout (NetBox's `JobRunner.enqueue` ignores per-class
timeouts; `KeaHAJobRunner.enqueue` passes it). Expected failures (Kea unreachable, validation refused, another
sync running) log an error and raise `JobFailed`, which marks the job failed without a traceback.
"""

import io

from core.choices import JobStatusChoices
from core.exceptions import JobFailed
from netbox.jobs import JobLogHandler, JobRunner, system_job

from .plugin_settings import get_setting

__all__ = (
    'ImportIpamJob',
    'ImportServerJob',
    'KeaHAJobRunner',
    'LeaseExportJob',
    'OperatePeerJob',
    'RestoreSnapshotJob',
    'ScheduledSyncJob',
    'StatusJob',
    'SyncRelationshipJob',
)


class KeaHAJobRunner(JobRunner):
    """Base of the plugin's jobs: the `job_timeout` setting as RQ timeout, and helpers for the job log and data."""

    class Meta:
        name = 'Kea HA job'

    def __init__(self, job):
        """
        NetBox's JobRunner adds a log handler for each job to a logger shared by every job of the class; a worker
        that does not fork (rq.SimpleWorker) would then write every line into every earlier job's log too. Keep only
        this job's handler.
        """
        super().__init__(job)
        for handler in list(self.logger.handlers):
            if isinstance(handler, JobLogHandler) and handler.job is not job:
                self.logger.removeHandler(handler)

    @classmethod
    def enqueue(cls, *args, **kwargs):
        """Enqueue the job with the plugin's `job_timeout` (seconds) unless one is given."""
        kwargs.setdefault('job_timeout', get_setting('job_timeout'))
        return super().enqueue(*args, **kwargs)

    def save_progress(self, data=None):
        """Store the log so far (and `data`) on the job, so its page shows progress while it runs."""
        fields = ['log_entries']
        if data is not None:
            self.job.data = data
            fields.append('data')
        self.job.save(update_fields=fields)

    def fail(self, message, data=None):
        """Log `message` as an error, keep `data`, and fail the job (no traceback: an expected failure)."""
        self.logger.error(message)
        if data is not None:
            self.job.data = data
        if not self.job.error:
            self.job.error = message[:2000] if isinstance(message, str) else str(message)
        raise JobFailed(message)


class ImportServerJob(KeaHAJobRunner):
    """Import a Kea server's running HA relationships into NetBox."""

    class Meta:
        name = 'Import from Kea'

    def run(self, *args, **kwargs):
        """Read the server's running config and create or update its relationships, peers and partners."""
        from .services.context import change_context
        from .services.importer import ImportFailed, import_server
        from .services.locks import RelationshipBusy

        server = self.job.object
        if server is None:
            self.fail('the Kea server of this job no longer exists')
        try:
            with change_context(self.job.user):
                # As the user who started it may (a command run from the shell has no user: it may do everything).
                report = import_server(server, logger=self.logger, user=self.job.user)
        except (ImportFailed, RelationshipBusy) as exc:
            self.fail(str(exc), data={'server': str(server), 'error': str(exc)})
        self.job.data = report.as_dict()


class SyncRelationshipJob(KeaHAJobRunner):
    """Replicate and push a relationship's configs to its peers (or, with `dry_run`, only plan it)."""

    #: Name of a dry-run sync (a plan), so that the job list tells plans from pushes.
    plan_name = 'Sync to Kea (plan)'

    class Meta:
        name = 'Sync to Kea'

    @classmethod
    def enqueue(cls, *args, **kwargs):
        """Enqueue the sync; a dry run is named `plan_name` unless a name is given."""
        if kwargs.get('dry_run') and not kwargs.get('name'):
            kwargs['name'] = cls.plan_name
        return super().enqueue(*args, **kwargs)

    def run(self, *args, dry_run=False, allow_disruptive=False, **kwargs):
        """Build each peer's desired config, compare it with what runs, and push the differences safely."""
        from .services.context import change_context
        from .services.locks import RelationshipBusy
        from .services.sync import SyncFailed, sync_relationship

        relationship = self.job.object
        if relationship is None:
            self.fail('the HA relationship of this job no longer exists')
        try:
            with change_context(self.job.user):
                result = sync_relationship(
                    relationship,
                    dry_run=bool(dry_run),
                    user=self.job.user,
                    job=self.job,
                    logger=self.logger,
                    progress=self.save_progress,
                    allow_disruptive=bool(allow_disruptive),
                )
        except RelationshipBusy as exc:
            self.fail(str(exc), data={'relationship': str(relationship), 'error': str(exc)})
        except SyncFailed as exc:
            self.fail(str(exc), data=exc.report.as_dict() if exc.report else {'error': str(exc)})
        self.job.data = result.as_dict()


class RestoreSnapshotJob(KeaHAJobRunner):
    """Push a config snapshot back to its server through the safe push."""

    class Meta:
        name = 'Restore config snapshot'

    @classmethod
    def enqueue_restore(cls, snapshot, user=None, which='before'):
        """Enqueue the restore of `snapshot`, bound to its server (whose Jobs tab then lists it), named after it."""
        return cls.enqueue(
            instance=snapshot.server,
            user=user,
            name=f'Restore config snapshot {snapshot.pk}',
            snapshot_id=snapshot.pk,
            which=which,
        )

    def run(self, *args, snapshot_id=None, which='before', **kwargs):
        """Restore snapshot `snapshot_id` (its `before` config, or `which='after'`)."""
        from .models import ConfigSnapshot
        from .services.context import change_context
        from .services.locks import RelationshipBusy
        from .services.sync import SyncFailed, restore_snapshot

        snapshot = ConfigSnapshot.objects.filter(pk=snapshot_id).select_related('server').first()
        if snapshot is None:
            self.fail(f'config snapshot {snapshot_id} no longer exists')
        try:
            with change_context(self.job.user):
                result = restore_snapshot(snapshot, which=which, user=self.job.user, job=self.job, logger=self.logger)
        except RelationshipBusy as exc:
            self.fail(str(exc), data={'snapshot': snapshot.pk, 'error': str(exc)})
        except SyncFailed as exc:
            self.fail(str(exc), data=exc.report.as_dict() if exc.report else {'error': str(exc)})
        self.job.data = result.as_dict()


class OperatePeerJob(KeaHAJobRunner):
    """An HA operation on one peer of the relationship the job is bound to (its Jobs tab lists them); `arguments`:
    the operation's options (source, max_period, scopes)."""

    class Meta:
        name = 'Kea HA operation'

    @classmethod
    def operation_kwargs(cls, peer, operation, options=None):
        """The enqueue arguments of `operation` on `peer` (options: source, max_period, scopes): bound to the peer's
        relationship, named after the operation and the peer."""
        from .services.operations import operation_label

        return {
            'instance': peer.relationship,
            'name': f'{operation_label(operation)}: {peer.server} ({peer.effective_name})'[:200],
            'peer_id': peer.pk,
            'operation': str(operation),
            'arguments': {key: value for key, value in (options or {}).items() if value is not None},
        }

    @classmethod
    def enqueue_operation(cls, peer, operation, user=None, options=None, **kwargs):
        """Enqueue `operation` on `peer` as `user`."""
        return cls.enqueue(user=user, **cls.operation_kwargs(peer, operation, options), **kwargs)

    def run(self, *args, peer_id=None, operation=None, arguments=None, **kwargs):
        """Run the operation (services.operations.operate_peer): read, check, send, verify, record the states."""
        from .kea.operations import Options
        from .models import HAPeer
        from .services.context import change_context
        from .services.operations import OperationFailed, operate_peer

        peer = HAPeer.objects.filter(pk=peer_id).select_related('relationship', 'server').first()
        if peer is None:
            self.fail(f'HA peer {peer_id} no longer exists; nothing was sent')
        if self.job.object is not None and peer.relationship_id != self.job.object_id:
            self.fail(f'HA peer {peer} is no longer in relationship {self.job.object}; nothing was sent')
        try:
            values = Options(**(arguments or {}))
        except TypeError:
            self.fail(f'unknown options {sorted(arguments)} (known: source, max_period, scopes); nothing was sent')
        try:
            with change_context(self.job.user):
                result = operate_peer(peer, operation, values, logger=self.logger, progress=self.save_progress)
        except OperationFailed as exc:
            data = exc.result.as_dict() if exc.result else {'peer': str(peer), 'operation': operation}
            self.fail(str(exc), data=data | {'error': str(exc)})
        self.job.data = result.as_dict()


class ImportIpamJob(KeaHAJobRunner):
    """Import the subnets, pools and reservations a relationship's primary runs into NetBox IPAM."""

    class Meta:
        name = 'Import into IPAM'

    def run(self, *args, vrf_id=None, **kwargs):
        """Create or match Prefixes, IP ranges, reserved addresses and served prefixes (as the user may)."""
        from ipam.models import VRF

        from .services.context import change_context
        from .services.ipam_import import IpamImportFailed, import_into_ipam

        relationship = self.job.object
        if relationship is None:
            self.fail('the HA relationship of this job no longer exists')
        vrf = VRF.objects.filter(pk=vrf_id).first() if vrf_id else None
        if vrf_id and vrf is None:
            self.fail(f'VRF {vrf_id} does not exist')
        try:
            with change_context(self.job.user):
                report = import_into_ipam(relationship, user=self.job.user, logger=self.logger, vrf=vrf)
        except IpamImportFailed as exc:
            self.fail(str(exc), data={'relationship': str(relationship), 'error': str(exc)})
        self.job.data = report.as_dict()


class LeaseExportJob(KeaHAJobRunner):
    """Every lease of a relationship (or of one prefix of it) as a CSV file, page by page from one peer
    (docs/leases.md): the export a web request must not do."""

    class Meta:
        name = 'Export leases'  # services.leases.EXPORT_JOB_NAME

    def run(self, *args, prefix=None, **kwargs):
        """Write the CSV to NetBox's file storage (`kea-ha/lease-exports/`); the job data names it."""
        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage

        from .services.leases import LeaseLookupError, export_leases

        relationship = self.job.object
        if relationship is None:
            self.fail('the HA relationship of this job no longer exists')
        text = io.StringIO()
        try:
            result = export_leases(relationship, text, prefix=prefix, logger=self.logger)
        except (LeaseLookupError, ValueError) as exc:
            self.fail(str(exc), data={'relationship': str(relationship), 'error': str(exc)})
        name = default_storage.save(f'kea-ha/lease-exports/job-{self.job.pk}.csv', ContentFile(text.getvalue()))
        self.logger.info(f'{result.count} leases from {result.source} in {result.pages} pages written to {name}')
        if result.truncated:
            self.logger.warning(f'stopped at {result.count} leases (the most one export writes)')
        self.job.data = {
            'relationship': str(relationship),
            'prefix': result.prefix,
            'source': result.source,
            'unanswered': result.unanswered,
            'count': result.count,
            'pages': result.pages,
            'truncated': result.truncated,
            'file': name,
        }


@system_job(interval=get_setting('status_interval'))
class StatusJob(KeaHAJobRunner):
    """Read the HA state and config drift of every server (or of one server's / relationship's servers)."""

    class Meta:
        name = 'Kea HA status'

    def run(self, *args, drift=True, **kwargs):
        """Read `status-get`, `version-get` and `config-get` of the servers concurrently and record them."""
        from .models import HARelationship, KeaServer
        from .services.context import change_context
        from .services.status import read_status

        target = self.job.object
        servers = None
        if isinstance(target, KeaServer):
            partners = KeaServer.objects.filter(ha_peers__relationship__peers__server=target)
            servers = KeaServer.objects.filter(pk__in=[target.pk, *partners.values_list('pk', flat=True)])
        elif isinstance(target, HARelationship):
            servers = KeaServer.objects.filter(ha_peers__relationship=target).distinct()
        with change_context(self.job.user):
            report = read_status(servers, drift=bool(drift), logger=self.logger)
        self.job.data = report.as_dict()
        if target is not None and report.unreachable and len(report.unreachable) == len(report.lines):
            self.fail(f'no server answered: {", ".join(report.unreachable)}', data=report.as_dict())


@system_job(interval=get_setting('sync_interval'))
class ScheduledSyncJob(KeaHAJobRunner):
    """Check every relationship and enqueue one sync job per relationship that is not in sync."""

    class Meta:
        name = 'Kea HA scheduled sync'

    def run(self, *args, **kwargs):
        """Read every peer's running config (concurrently), record drift, enqueue a `SyncRelationshipJob` where
        a peer differs, could not be read or has no buildable intent (skipping relationships already being synced)."""
        from .services.context import change_context
        from .services.fleet_check import check_relationships

        with change_context(self.job.user):
            check = check_relationships(logger=self.logger)
        busy = set(
            SyncRelationshipJob.get_jobs()
            .filter(status__in=(*JobStatusChoices.ENQUEUED_STATE_CHOICES, JobStatusChoices.STATUS_RUNNING))
            .values_list('object_id', flat=True)
        )
        queued, skipped = [], []
        for relationship in check.to_sync:
            if relationship.pk in busy:
                skipped.append(relationship.name)
                continue
            SyncRelationshipJob.enqueue(instance=relationship, user=self.job.user)
            queued.append(relationship.name)
        self.logger.info(f'enqueued {len(queued)} sync job(s)' + (f', skipped {len(skipped)} busy' if skipped else ''))
        self.job.data = check.as_dict() | {'enqueued': queued, 'skipped': skipped}
