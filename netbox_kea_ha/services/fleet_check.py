"""
Fleet check: which relationships run what NetBox intends, read for the whole fleet at once.

The scheduled sync starts here. NetBox's intent is loaded once (`intent.load_intent`); every peer's running config
is read concurrently, chunk by chunk (`status.server_chunks`: bounded memory), and compared with its desired config
exactly as a sync compares it (`status.check_drift`: rendered HA block, replication, `kea.diff.diff_configs`). Each
server's drift is recorded. A relationship is in sync when every peer is; every other one (a peer drifted, could
not be read, or its intent cannot be built) needs a sync job, which re-reads, plans and pushes it safely and fails
clearly if a peer is down.

A fleet in sync so costs one job and one concurrent read of every server, not one job per relationship: the
per-relationship jobs, which RQ spreads over the workers, are the pushes, which take seconds each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from ..choices import ConfigDriftChoices
from .intent import load_intent
from .status import Bumps, check_drift, read_chunks, record_drift, server_chunks

if TYPE_CHECKING:
    from logging import Logger

    from ..models import HARelationship

__all__ = (
    'FleetCheck',
    'check_relationships',
)


@dataclass
class FleetCheck:
    """The outcome of a fleet check: relationships in sync, and those that need a sync (with the reason)."""

    in_sync: list[HARelationship] = field(default_factory=list)
    to_sync: list[HARelationship] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, by relationship name."""
        return {
            'in_sync': [str(r) for r in self.in_sync],
            'to_sync': {str(r): self.reasons[r.pk] for r in self.to_sync},
        }


def check_relationships(
    relationships: Iterable[HARelationship] | None = None, logger: Logger | None = None, timeout: float | None = None
) -> FleetCheck:
    """
    Check `relationships` (default: every relationship with peers) against their peers' running configs, record
    every server's drift, and return a FleetCheck.
    """
    if relationships is None:
        loaded = load_intent(everything=True)
        keys = sorted(loaded.relationships, key=lambda k: (str(loaded.relationships[k].name), k))
    else:
        given = list(relationships)
        loaded = load_intent(relationships=given)
        keys = [r.pk for r in given]
    intent = loaded.intent
    servers = [loaded.servers[k] for k in sorted({s for key in keys for s in intent.relationships[key].servers})]
    drift: dict[int, tuple[str, str | None]] = {}
    now = timezone.now()
    bumps = Bumps()
    chunks = server_chunks(servers, intent, by_key=loaded.servers)
    for chunk, readings in read_chunks(chunks, configs=True, timeout=timeout, status=False):
        for server in chunk:
            reading = readings[server.pk]
            drift[server.pk] = check_drift(loaded, server.pk, reading, readings)
            state, problem = drift[server.pk]
            error = f'drift not checked: {problem}' if problem else ''
            # The version too: a server whose version NetBox does not know yet is asked once, not every run.
            record_drift(server, state, error, now=now, bumps=bumps, version=reading.version)
    bumps.flush()

    check = FleetCheck()
    for key in keys:
        relationship = loaded.relationships[key]
        out = [(loaded.servers[s], *drift[s]) for s in intent.relationships[key].servers]
        if all(state == ConfigDriftChoices.IN_SYNC for _, state, _ in out):
            check.in_sync.append(relationship)
            continue
        check.to_sync.append(relationship)
        check.reasons[key] = '; '.join(
            f'{server}: {problem or state}' for server, state, problem in out if state != ConfigDriftChoices.IN_SYNC
        )
    if logger is not None:
        logger.info(f'{len(check.in_sync)} relationship(s) in sync, {len(check.to_sync)} to sync')
        for relationship in check.to_sync:
            logger.info(f'{relationship}: {check.reasons[relationship.pk]}')
    return check
