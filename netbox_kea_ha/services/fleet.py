"""
Reading many Kea servers at once from synchronous code (jobs): `read_all` runs one call against every endpoint
concurrently with the async client (`kea.client.gather`), one `Outcome` per endpoint, in order.
"""

from collections.abc import Awaitable, Callable, Iterable

from ..kea.client import AsyncKeaClient, Endpoint, Outcome, gather, gather_sync

__all__ = ('read_all',)


def read_all[T](
    endpoints: Iterable[Endpoint], call: Callable[[AsyncKeaClient], Awaitable[T]], limit: int | None = None
) -> list[Outcome[T]]:
    """`call(client)` against every endpoint at once; a list of `kea.client.Outcome`, in the endpoints' order."""
    return gather_sync(gather(endpoints, call, limit=limit))
