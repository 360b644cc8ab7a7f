"""
Fleet check: which relationships run what NetBox intends, read for the whole fleet at once.

The scheduled sync starts here. Every peer's running config is read concurrently, chunk by chunk
(`status.server_chunks`: bounded memory), and compared with its desired config exactly as a sync would compare it
(`status.check_drift`: rendered HA block, replication, normalised comparison). Each server's drift is recorded.
A relationship is in sync when every peer is; every other one (a peer drifted, could not be read, or its intent
cannot be built) needs a sync job, which re-reads, plans and pushes it safely and fails clearly if a peer is down.

A fleet in sync so costs one job and one concurrent read of every server, not one job per relationship: the
per-relationship jobs, which RQ spreads over the workers, are the pushes, which take seconds each.
"""

from dataclasses import dataclass, field

from django.db.models import prefetch_related_objects
from django.utils import timezone

from ..choices import ConfigDriftChoices
from ..models import HARelationship, KeaServer
from .desired import relationships_by_server
from .status import Bumps, check_drift, read_servers, record_drift, server_chunks

__all__ = (
    'FleetCheck',
    'check_relationships',
)


@dataclass
class FleetCheck:
    """The outcome of a fleet check: relationships in sync, and those that need a sync (with the reason)."""

    in_sync: list = field(default_factory=list)
    to_sync: list = field(default_factory=list)
    reasons: dict = field(default_factory=dict)

    def as_dict(self):
        """JSON-ready form, by relationship name."""
        return {
            'in_sync': [str(r) for r in self.in_sync],
            'to_sync': {str(r): self.reasons[r.pk] for r in self.to_sync},
        }


def check_relationships(relationships=None, logger=None, timeout=None):
    """
    Check `relationships` (default: every relationship with peers) against their peers' running configs, record
    every server's drift, and return a FleetCheck.
    """
    if relationships is None:
        relationships = HARelationship.objects.filter(peers__isnull=False).distinct()
    relationships = list(relationships)
    prefetch_related_objects(relationships, 'peers')
    servers = list(
        KeaServer.objects.filter(ha_peers__relationship__in=relationships).distinct().select_related('address')
    )
    by_server = relationships_by_server(servers)
    drift = {}
    now = timezone.now()
    bumps = Bumps()
    for chunk, to_read in server_chunks(servers, by_server):
        readings = read_servers(to_read, configs=True, timeout=timeout, status=False)
        for server in chunk:
            reading = readings[server.pk]
            state, problem = check_drift(server, reading, readings, by_server[server.pk])
            drift[server.pk] = (server, state, problem)
            error = f'drift not checked: {problem}' if problem else ''
            # The version too: a server whose version NetBox does not know yet is asked once, not every run.
            record_drift(server, state, error, now=now, bumps=bumps, version=reading.version)
    bumps.flush()

    check = FleetCheck()
    for relationship in relationships:
        out = [drift[p.server_id] for p in relationship.peers.all()]
        if all(state == ConfigDriftChoices.IN_SYNC for _, state, _ in out):
            check.in_sync.append(relationship)
            continue
        check.to_sync.append(relationship)
        check.reasons[relationship.pk] = '; '.join(
            f'{server}: {problem or state}' for server, state, problem in out if state != ConfigDriftChoices.IN_SYNC
        )
    if logger is not None:
        logger.info(f'{len(check.in_sync)} relationship(s) in sync, {len(check.to_sync)} to sync')
        for relationship in check.to_sync:
            logger.info(f'{relationship}: {check.reasons[relationship.pk]}')
    return check
