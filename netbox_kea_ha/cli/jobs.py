"""
The plugin's actions and the jobs they enqueue: POST the action (pynetbox `DetailEndpoint`), then, with `--wait`,
follow the job through `nb.core.jobs.get()`: its log lines as they come, a progress line on a terminal, and its data
when it ends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from pynetbox.core.endpoint import DetailEndpoint

from .errors import JobFailedError
from .output import plain
from .session import Session

__all__ = (
    'TERMINAL',
    'JobView',
    'enqueue_action',
    'enqueue_fleet_status',
    'finish',
    'follow',
)

#: Job states after which nothing changes any more.
TERMINAL = frozenset({'completed', 'failed', 'errored'})
_SPINNER = '|/-\\'


@dataclass
class JobView:
    """A NetBox job as the command shows it."""

    id: int
    name: str = ''
    status: str = 'pending'
    object: str = ''
    error: str = ''
    data: Any = None
    log: list[dict[str, Any]] = field(default_factory=list)
    created: str = ''
    started: str = ''
    completed: str = ''

    @classmethod
    def of(cls, job: Any) -> JobView:
        """From the job as pynetbox gives it (a Record) or as an action answers it (a dict)."""
        data = plain(job)
        status = data.get('status') or {}
        target = data.get('object') or {}
        return cls(
            id=int(data['id']),
            name=str(data.get('name') or ''),
            status=str(status.get('value') if isinstance(status, dict) else status),
            object=str(target.get('display') or target.get('name') or '') if isinstance(target, dict) else '',
            error=str(data.get('error') or ''),
            data=data.get('data'),
            log=list(data.get('log_entries') or []),
            created=str(data.get('created') or ''),
            started=str(data.get('started') or ''),
            completed=str(data.get('completed') or ''),
        )

    @property
    def done(self) -> bool:
        """Whether the job ended."""
        return self.status in TERMINAL

    @property
    def ok(self) -> bool:
        """Whether the job completed."""
        return self.status == 'completed'

    @property
    def title(self) -> str:
        """`job 12 (Sync to Kea) of site-a`."""
        return f'job {self.id} ({self.name})' + (f' of {self.object}' if self.object else '')

    def as_dict(self) -> dict[str, Any]:
        """The job for `--json`."""
        return {
            'id': self.id,
            'name': self.name,
            'object': self.object,
            'status': self.status,
            'error': self.error or None,
            'created': self.created or None,
            'started': self.started or None,
            'completed': self.completed or None,
            'data': self.data,
            'log': [{'level': e.get('level'), 'message': e.get('message')} for e in self.log],
        }


def enqueue_action(session: Session, record: Any, action: str, body: dict[str, Any] | None, what: str) -> JobView:
    """POST `action` on `record` (`servers/{id}/import/`, ...) and return the job it enqueued."""
    with session.asking(what):
        answer = DetailEndpoint(record, action).create(body or {})
    job = JobView.of(answer)
    session.out.line(f'queued {job.title}')
    return job


def enqueue_fleet_status(session: Session) -> JobView:
    """POST `status/` (every server) and return the job."""
    with session.asking('the status of every Kea server'):
        answer = session.kea_ha.status.create({})
    job = JobView.of(answer)
    session.out.line(f'queued {job.title}')
    return job


def _log_line(entry: dict[str, Any]) -> str:
    level = str(entry.get('level') or 'info')
    return f'  {level:7} {entry.get("message", "")}'


def follow(session: Session, job: JobView) -> JobView:
    """Read the job until it ends (or `wait_timeout`): print each new log line, keep a progress line; the ended
    job. JobFailedError when it does not end in time (it goes on in NetBox)."""
    out = session.out
    shown = 0
    start = time.monotonic()
    tick = 0
    current = job
    while True:
        with session.asking(f'job {job.id}'):
            record = session.api.core.jobs.get(job.id)
        if record is None:
            raise JobFailedError(f'{job.title} no longer exists in NetBox')
        current = JobView.of(record)
        for entry in current.log[shown:]:
            out.line(_log_line(entry))
        shown = max(shown, len(current.log))
        if current.done:
            out.clear_progress()
            return current
        elapsed = time.monotonic() - start
        if elapsed > session.wait_timeout:
            raise JobFailedError(
                f'{current.title} is still {current.status} after {session.wait_timeout:g} s; it goes on in NetBox'
            )
        out.progress(f'{_SPINNER[tick % 4]} {current.title}: {current.status}, {elapsed:.0f} s, {shown} log line(s)')
        tick += 1
        time.sleep(session.poll_interval)


def finish(session: Session, jobs: list[JobView], wait: bool, extra: dict[str, Any] | None = None) -> None:
    """
    The end of a job command: with `wait`, the result line of each job (and what it found); `--json` prints
    `{"jobs": [...], **extra}`. JobFailedError when a job did not complete.
    """
    from .summary import summarise

    out = session.out
    for job in jobs:
        if not wait:
            continue
        for line in summarise(job):
            out.line(line)
        out.line(f'{job.title}: {job.status}' + (f': {job.error}' if job.error else ''))
    out.result({'jobs': [job.as_dict() for job in jobs], **(extra or {})})
    failed = [job for job in jobs if wait and not job.ok]
    if failed:
        raise JobFailedError('; '.join(f'{job.title} {job.status}: {job.error or "see its log"}' for job in failed))
