"""
Reading many Kea servers at once from synchronous code (jobs): `read_all` runs one call against every endpoint
concurrently with the async client (`kea.client.gather`), one `Outcome` per endpoint, in order.

It hands `asyncio.run` a result whose repr is cheap: Python 3.12's `asyncio.Runner.run` builds the repr of the
main task (and so of its result) when it restores the SIGINT handler, and the repr of a config-get answer redacts
the whole config (about 100 ms for a 500-subnet config).
"""

from ..kea.client import gather, gather_sync

__all__ = ('read_all',)


class _Box:
    """Holds a result without showing it in its repr."""

    __slots__ = ('value',)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return '<result>'


def read_all(endpoints, call, limit=None):
    """`call(client)` against every endpoint at once; a list of `kea.client.Outcome`, in the endpoints' order."""

    async def run():
        return _Box(await gather(endpoints, call, limit=limit))

    return gather_sync(run()).value
