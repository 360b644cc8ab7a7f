"""
Change logging from jobs: NetBox writes change-log entries (and queues event rules and webhooks) only while a
request is being tracked. Jobs have no request, so services that change objects run inside `change_context`,
which tracks a stand-in request carrying the acting user and a fresh request id.

A scheduled (system) job has no user: its changes are made by the `SYSTEM_USERNAME` account, created inactive
and without a usable password on first use, so the change log says who changed what.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from netbox.context import current_request, events_queue, query_cache
from netbox.context_managers import event_tracking
from utilities.request import NetBoxFakeRequest

__all__ = (
    'SYSTEM_USERNAME',
    'acting_user',
    'change_context',
)

#: The account that system jobs make their changes as.
SYSTEM_USERNAME = 'netbox-kea-ha'


def acting_user(user: Any = None) -> Any:
    """`user`, or the inactive system account for jobs that run on a schedule."""
    if user is not None:
        return user
    # get_or_create: two workers starting their first scheduled job at once both find no account.
    system, _ = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={'is_active': False, 'password': make_password(None)}
    )
    return system


@contextmanager
def change_context(user: Any = None) -> Iterator[Any]:
    """
    Track changes made inside the block as one request by `user` (or the system account); yields the request.
    NetBox's `event_tracking` leaves its context behind when the block raises; this always clears it, so a
    worker's next job is never logged under this one's request.
    """
    request = NetBoxFakeRequest(
        {
            'META': {},
            'COOKIES': {},
            'POST': {},
            'GET': {},
            'FILES': {},
            'user': acting_user(user),
            'method': 'POST',
            'path': '',
            'id': uuid.uuid4(),
        }
    )
    try:
        with event_tracking(request):
            yield request
    finally:
        current_request.set(None)
        events_queue.set({})
        query_cache.set(None)
