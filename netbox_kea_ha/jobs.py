"""
NetBox jobs of the plugin. Thin: each calls a service and reports in the job log and the job data.

* `ImportServerJob` (bound to a KeaServer): import what the server runs.
* `SyncRelationshipJob` (bound to an HARelationship; `dry_run` for a plan): replicate and push.
* `RestoreSnapshotJob` (bound to the snapshot's KeaServer): push a config snapshot back.
* `StatusJob` (system job every `status_interval` minutes, or bound to a server or relationship): read HA state
  and drift.
* `ScheduledSyncJob` (system job every `sync_interval` minutes): check every relationship against its peers'
  running configs (one concurrent read of the fleet, `services.fleet_check`) and enqueue one `SyncRelationshipJob`
  per relationship that is not in sync, so that several RQ workers share the pushes of a large fleet.

Every job gets the plugin's `job_timeout` as its RQ timeout (NetBox's `JobRunner.enqueue` ignores per-class
timeouts; `KeaHAJobRunner.enqueue` passes it). Expected failures (Kea unreachable, validation refused, another
sync running) log an error and raise `JobFailed`, which marks the job failed without a traceback.
"""

from core.choices import JobStatusChoices
from core.exceptions import JobFailed
from netbox.jobs import JobLogHandler, JobRunner, system_job

from .plugin_settings import get_setting

__all__ = (
    'ImportServerJob',
    'KeaHAJobRunner',
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
