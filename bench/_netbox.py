"""
What the NetBox benchmarks share: Django on the test database, work that is always rolled back, and jobs run by an
in-process RQ worker.

The benchmarks use the test database that `pytest tests/netbox` builds (`test_netbox_kea_ha`, kept between runs),
with the test settings (their own Redis databases). Everything they create happens inside a transaction that is
rolled back at the end, so they leave nothing behind and no other session ever sees their rows. Jobs go through
Redis like everywhere else and are run by one `rq.SimpleWorker` in this process (it shares the transaction):
`Worker` keeps one alive for the whole benchmark, as a deployed worker is; `run_worker` starts a new one.
"""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

__all__ = (
    'ROOT',
    'DelayProxy',
    'Rollback',
    'Worker',
    'django_setup',
    'empty_queues',
    'enqueue',
    'netbox_lab',
    'rolled_back',
    'run_worker',
)

ROOT = Path(__file__).resolve().parents[1]


class Rollback(Exception):
    """Raised at the end of `rolled_back` to undo everything."""


def django_setup():
    """Start Django with the test settings, on the test database; exit with a hint when it does not exist."""
    os.environ['KEA_HA_ENV'] = 'test'
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'test_settings')
    for path in (ROOT, ROOT / 'dev', ROOT / '.work' / 'netbox' / 'netbox'):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    import django
    from django.conf import settings

    database = settings.DATABASES['default']
    database['NAME'] = database.get('TEST', {}).get('NAME') or f'test_{database["NAME"]}'
    django.setup()
    from django.db import connection

    try:
        connection.ensure_connection()
    except Exception as exc:
        sys.exit(f'the test database {database["NAME"]} is not there ({exc}); run `pytest tests/netbox -q` once')


@contextmanager
def rolled_back():
    """A transaction that is always rolled back."""
    from django.db import transaction

    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass


class Worker:
    """
    One RQ worker (`rq.SimpleWorker`, no fork) that lives for the whole benchmark, as a deployed `rqworker` does:
    `drain()` takes jobs off the queues and performs them until the queues are empty, including the jobs the jobs
    enqueue (on commit). Registration and start-up happen once, not per drain.
    """

    def __init__(self):
        import django_rq
        from rq import SimpleWorker

        self.queues = [django_rq.get_queue(name) for name in ('high', 'default', 'low')]
        self.connection = self.queues[0].connection
        self.worker = SimpleWorker(self.queues, connection=self.connection)
        self.worker.register_birth()

    def drain(self):
        """Perform queued jobs until none is left; the number performed."""
        from django.test import TestCase
        from rq import Queue

        done = 0
        while True:
            with TestCase.captureOnCommitCallbacks(execute=True):
                found = Queue.dequeue_any(self.queues, None, connection=self.connection)
                if found is None:
                    return done
                job, queue = found
                self.worker.perform_job(job, queue)
            done += 1

    def close(self):
        """Unregister the worker."""
        self.worker.register_death()


def run_worker():
    """Run every queued job with a new in-process RQ worker (start-up included), until nothing is left."""
    import django_rq
    from django.test import TestCase
    from rq import SimpleWorker

    queues = [django_rq.get_queue(name) for name in ('high', 'default', 'low')]
    for _ in range(10):
        with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
            SimpleWorker(queues, connection=queues[0].connection).work(burst=True, logging_level='WARNING')
        if not callbacks:
            return


def enqueue(fn):
    """Call `fn` (which enqueues jobs) as if its transaction committed: the jobs are in Redis afterwards."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return fn()


class DelayProxy:
    """
    A process that forwards TCP connections to Kea servers, delaying each direction by half of `rtt_ms`: the
    network between NetBox and its Kea servers. Reuses bench/status_concurrency.py's proxy. A context manager;
    `ports[i]` is the local port that leads to `targets[i]` ('host:port').
    """

    def __init__(self, rtt_ms, targets):
        import json
        import subprocess

        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / 'bench' / 'status_concurrency.py'), '--proxy', str(rtt_ms), *targets],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ports = json.loads(self.process.stdout.readline())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=10)


def empty_queues():
    """Empty the RQ queues of the test settings."""
    import django_rq

    for name in ('high', 'default', 'low'):
        django_rq.get_queue(name).empty()


def netbox_lab(suffix='bench'):
    """The e2e suite's NetBoxLab (devices, addresses and Kea servers for kealab servers)."""
    from tests.e2e.helpers import NetBoxLab

    return NetBoxLab(suffix=suffix)
