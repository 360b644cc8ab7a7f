"""The scope handover of a reload: who serves a restarting peer's scope meanwhile, and what is left to undo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..ha import HAMode, HARole
from .peer import PeerState

__all__ = ('Handover', 'handover_for')

_LB_ROLES = (HARole.PRIMARY, HARole.SECONDARY)


@dataclass
class Handover:
    """A partner serving `peer`'s scope while the peer restarts: the scopes it serves meanwhile (`during`) and
    afterwards (`after`); whether it has handed the scope back, and whether the peer is held (`dhcp-disable`,
    so that it cannot serve its scope before the partner has stopped serving it)."""

    peer: PeerState
    partner: PeerState
    during: list[str]
    after: list[str]
    handed_back: bool = False
    held: bool = False


def handover_for(peer: PeerState, peers: Sequence[PeerState]) -> Handover | None:
    """
    The handover of this peer's restart, or None: in load-balancing the other active peer serves both scopes,
    then its own; in hot-standby, for the primary, the standby serves the primary's scope, then none. A standby
    or a backup restarting costs its clients nothing.
    """
    others = [p for p in peers if p is not peer and p.running is not None]
    if peer.mode == HAMode.LOAD_BALANCING and peer.role in _LB_ROLES:
        partner = next((p for p in others if p.role in _LB_ROLES), None)
        return Handover(peer, partner, [partner.name, peer.name], [partner.name]) if partner else None
    if peer.mode == HAMode.HOT_STANDBY and peer.role == HARole.PRIMARY:
        partner = next((p for p in others if p.role == HARole.STANDBY), None)
        return Handover(peer, partner, [peer.name], []) if partner else None
    return None
