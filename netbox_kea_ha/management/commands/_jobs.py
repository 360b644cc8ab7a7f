"""What the plugin's management commands share: enqueue a job, and with `--wait` run it or wait for a worker."""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from core.choices import JobStatusChoices
from core.models import Job
from utilities.rqworker import any_workers_for_queue, get_queue_for_model

from ...plugin_settings import get_setting

__all__ = (
    'JobCommand',
    'find_by_name',
)


def find_by_name(model, value):
    """An object of `model` by name, or by id; CommandError naming what was not found (and the names known)."""
    obj = model.objects.filter(name=value).first()
    if obj is None and value.isdigit():
        obj = model.objects.filter(pk=int(value)).first()
    if obj is None:
        known = ', '.join(model.objects.values_list('name', flat=True)[:20]) or 'none'
        raise CommandError(f'no {model._meta.verbose_name} named {value!r} (known: {known})')
    return obj


class JobCommand(BaseCommand):
    """
    A command that enqueues NetBox jobs. Without `--wait` it prints the job ids and returns. With `--wait` it waits
    for a running RQ worker that serves the job's queue to finish the job; when no worker serves that queue, or none
    starts the job within `--start-timeout` seconds (a worker that died still counts as registered for a few
    minutes), it cancels the queued job and runs it here instead (in this process, without RQ's timeout). Then it
    prints the job's log and result and fails (exit status 1) when a job did not complete.
    """

    def add_arguments(self, parser):
        """`--wait`, and `--json` to print the job data."""
        parser.add_argument('--wait', action='store_true', help='Wait for the job(s) and print their log and result')
        parser.add_argument(
            '--start-timeout',
            type=float,
            default=15.0,
            help='With --wait: seconds a worker has to start a job before it is run here instead (default 15)',
        )
        parser.add_argument('--json', action='store_true', help="With --wait, print each job's data as JSON")

    def enqueue(self, job_class, options, **kwargs):
        """
        Enqueue `job_class`; with `--wait`, make sure it runs: by a worker that starts it in time, or else here.
        The Job.
        """
        if options['wait'] and not self._worker_for(kwargs.get('instance')):
            self.stdout.write(f'no RQ worker serves the queue: running {kwargs.get("name") or job_class.name} here')
            return job_class.enqueue(immediate=True, **kwargs)
        job = job_class.enqueue(**kwargs)
        self.stdout.write(f'queued job {job.pk} ({job.name}) in queue {job.queue_name}')
        if options['wait'] and not self._started(job, options['start_timeout']):
            job.delete()  # also cancels the queued RQ job
            self.stdout.write(f'no worker started job {job.pk} within {options["start_timeout"]:g} s: running it here')
            return job_class.enqueue(immediate=True, **kwargs)
        return job

    def _started(self, job, timeout):
        """Whether a worker starts (or ends) the job within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job.refresh_from_db(fields=['status'])
            if job.status != JobStatusChoices.STATUS_PENDING:
                return True
            time.sleep(0.25)
        return False

    def _worker_for(self, instance):
        # NetBox maps jobs to queues by the bound object's model name (QUEUE_MAPPINGS), as Job.enqueue does.
        model = instance._meta.model_name if instance is not None else None
        try:
            return any_workers_for_queue(get_queue_for_model(model))
        except Exception:  # Redis unreachable: run here
            return False

    def wait(self, jobs, options):
        """Wait until every job ended; print logs and results; CommandError if one did not complete."""
        if not options['wait']:
            return
        deadline = time.monotonic() + get_setting('job_timeout') + 60
        pending = [job.pk for job in jobs]
        while pending:
            done = set(
                Job.objects.filter(pk__in=pending, status__in=JobStatusChoices.TERMINAL_STATE_CHOICES).values_list(
                    'pk', flat=True
                )
            )
            pending = [pk for pk in pending if pk not in done]
            if not pending:
                break
            if time.monotonic() > deadline:
                raise CommandError(f'job(s) {", ".join(map(str, pending))} did not end in time')
            time.sleep(0.5)
        failed = []
        for job in Job.objects.filter(pk__in=[j.pk for j in jobs]).order_by('pk'):
            self.report(job, options)
            if job.status != JobStatusChoices.STATUS_COMPLETED:
                failed.append(job)
        if failed:
            raise CommandError(
                '; '.join(f'job {job.pk} ({job.name}) {job.status}: {job.error or "see its log"}' for job in failed)
            )

    def report(self, job, options):
        """Print a job's log and its result line."""
        title = f'job {job.pk}: {job.name}' + (f' of {job.object}' if job.object is not None else '')
        self.stdout.write(self.style.MIGRATE_HEADING(title))
        for entry in job.log_entries or []:
            self.stdout.write(f'  {entry.get("level", "info"):7} {entry.get("message", "")}')
        if options.get('json'):
            self.stdout.write(json.dumps(job.data, indent=2, default=str))
        style = self.style.SUCCESS if job.status == JobStatusChoices.STATUS_COMPLETED else self.style.ERROR
        self.stdout.write(style(f'  {job.status}' + (f': {job.error}' if job.error else '')))
