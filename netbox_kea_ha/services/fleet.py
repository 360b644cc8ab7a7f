"""
Reading many Kea servers at once from synchronous code (jobs): `read_all` runs one call against every endpoint
concurrently with the async client (`kea.client.gather`), one `Outcome` per endpoint, in order.
"""

from ..kea.client import gather, gather_sync

__all__ = ('read_all',)


def read_all(endpoints, call, limit=None):
    """`call(client)` against every endpoint at once; a list of `kea.client.Outcome`, in the endpoints' order."""
    return gather_sync(gather(endpoints, call, limit=limit))
