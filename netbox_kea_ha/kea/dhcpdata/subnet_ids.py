"""
Kea subnet ids for served prefixes: an id is given once, kept for as long as the prefix is served, and never given
again to another prefix (leases and statistics are keyed by it: a reused id would hand one subnet's leases to
another). The NetBox layer keeps each prefix's id and the highest id it ever gave; this module picks the next ones.
"""

from __future__ import annotations

from collections.abc import Collection

from .checks import MAX_SUBNET_ID

__all__ = ('SubnetIdError', 'next_subnet_ids')


class SubnetIdError(ValueError):
    """No subnet id is left to give."""


def next_subnet_ids(count: int, highest_given: int, taken: Collection[int] = ()) -> list[int]:
    """`count` new ids, ascending, each above `highest_given` (the highest id ever given) and not in `taken` (ids
    found in use, e.g. on an imported server)."""
    out: list[int] = []
    candidate = max(highest_given, 0)
    while len(out) < count:
        candidate += 1
        if candidate > MAX_SUBNET_ID:
            raise SubnetIdError(f'no subnet id is left above {highest_given} (Kea allows up to {MAX_SUBNET_ID})')
        if candidate not in taken:
            out.append(candidate)
    return out
