"""
Fixtures of the end-to-end suite: NetBox's test database, real Redis and RQ, real Kea (kealab).

Jobs are enqueued the way NetBox does it (on transaction commit, to Redis) and run by a real RQ worker:
`rq.SimpleWorker(...).work(burst=True)` in this process, so that the job sees the test's transaction.
"""

import django_rq
import pytest
from django.test import Client
from rest_framework.test import APIClient
from rq import SimpleWorker

from core.models import Job
from tests.e2e.helpers import NetBoxLab
from tests.e2e.live import live_netbox  # noqa: F401 - a fixture of the live tests (pynetbox, kea-ha, browser)
from users.constants import TOKEN_PREFIX
from users.models import Token, User

QUEUES = ('high', 'default', 'low')


def _queues():
    return [django_rq.get_queue(name) for name in QUEUES]


@pytest.fixture
def rq_queues():
    """The RQ queues NetBox uses, emptied before and after the test."""
    queues = _queues()
    for queue in queues:
        queue.empty()
    yield queues
    for queue in queues:
        queue.empty()


@pytest.fixture
def run_jobs(rq_queues, django_capture_on_commit_callbacks):
    """
    `run_jobs(enqueue)`: call `enqueue()` (which enqueues NetBox jobs, e.g. an API request or
    `SomeJob.enqueue(...)`) as if its transaction committed, then run every queued job with a real RQ worker
    until the queues are empty. Returns (what enqueue returned, the Job records that ran, newest last).
    """

    def run(enqueue=None):
        result = None
        if enqueue is not None:
            with django_capture_on_commit_callbacks(execute=True):
                result = enqueue()
        done_before = set(Job.objects.filter(completed__isnull=False).values_list('pk', flat=True))
        # Jobs that enqueue jobs (the scheduled sync) do it on commit, too: run until nothing new is queued.
        for _ in range(10):
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                SimpleWorker(rq_queues, connection=rq_queues[0].connection).work(burst=True)
            if not callbacks:
                break
        ran = Job.objects.filter(completed__isnull=False).exclude(pk__in=done_before).order_by('pk')
        if isinstance(result, Job):
            result.refresh_from_db()
        return result, list(ran)

    return run


@pytest.fixture
def netbox(db):
    """A `NetBoxLab`: builds NetBox objects (devices, addresses, Kea servers) for kealab servers."""
    return NetBoxLab()


@pytest.fixture
def user(db):
    """A NetBox user without any permission (grant them with `helpers.grant`)."""
    return User.objects.create_user(username='operator')


@pytest.fixture
def api(user):
    """A REST client with a write-enabled token of `user`."""
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f'Bearer {TOKEN_PREFIX}{token.key}.{token.token}')
    return client


@pytest.fixture
def web(user):
    """A browser-like client logged in as `user`."""
    client = Client()
    client.force_login(user)
    return client
