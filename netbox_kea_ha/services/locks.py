"""
One push at a time per relationship: PostgreSQL advisory locks, taken without waiting.

A sync and a restore hold the lock of every relationship whose servers they may push to; an import holds the
locks of the imported server's relationships while it rewrites them. The locks are session locks on the job's
database connection: they work across RQ workers on any number of hosts, and PostgreSQL drops them if a worker
dies. A second job does not wait: it fails at once with `RelationshipBusy`, naming the relationship.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from django_pglocks import advisory_lock

if TYPE_CHECKING:
    from ..models import HARelationship

__all__ = (
    'LOCK_CLASS',
    'RelationshipBusy',
    'lock_key',
    'relationship_locks',
)

#: First half of every lock key of this plugin (the second is the relationship's id): 'KeHA' in ASCII.
LOCK_CLASS = 0x4B654841


class RelationshipBusy(Exception):
    """Another sync or restore of the relationship is running."""

    def __init__(self, relationship: HARelationship) -> None:
        super().__init__(f'a sync or restore of {relationship} is already running; try again when it has finished')
        self.relationship = relationship


def lock_key(relationship: HARelationship) -> tuple[int, int]:
    """The advisory lock key of a relationship: (LOCK_CLASS, its id)."""
    return (LOCK_CLASS, int(relationship.pk))


@contextmanager
def relationship_locks(relationships: Iterable[HARelationship]) -> Iterator[list[HARelationship]]:
    """
    Hold the lock of every relationship given (in id order), or raise RelationshipBusy for the first one another
    job holds (releasing those already taken).
    """
    ordered = sorted({r.pk: r for r in relationships}.values(), key=lambda r: r.pk)
    with ExitStack() as stack:
        for relationship in ordered:
            acquired = stack.enter_context(advisory_lock(lock_key(relationship), wait=False))
            if not acquired:
                raise RelationshipBusy(relationship)
        yield ordered
