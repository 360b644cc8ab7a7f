"""
NetBox models -> Kea values: each relationship as one server sees it (`Relationship` and `Peer` of `kea.ha`).

Passwords stay encrypted unless a caller asks for them (`reveal=True`, for a job that pushes to Kea); otherwise
they are replaced by `REDACTED`. No network I/O.
"""

from collections.abc import Iterable
from typing import Any

from ..kea.ha import PEER_KEYS, Peer, Relationship

__all__ = (
    'REDACTED',
    'ordered_peers',
    'peer_value',
    'relationship_value',
    'saved_peers',
    'server_relationships',
)

#: What stands in for a password that is set but not revealed (the same text as `kea.redact.REDACTED`).
REDACTED = '********'


def ordered_peers(peers: Iterable[Any]) -> list[Any]:
    """Peers in the order they are rendered: primary, secondary, standby, backups; then by creation."""
    return sorted(peers, key=lambda p: (p.role_rank, p.pk is None, p.pk or 0))


def peer_value(peer: Any, reveal: bool = False) -> Peer:
    """The Kea value of one peer. Keys in `extra_parameters` that Kea knows (TLS files, ...) become fields."""
    if reveal:
        # Raises SecretError for a password withdrawn or set for another URL: it is never sent elsewhere.
        password = peer.get_basic_auth_password()
        extra = peer.revealed_extra_parameters()
    else:
        password = REDACTED if peer.has_basic_auth_password else None
        extra = dict(peer.extra_parameters or {})
    known = {key.replace('-', '_'): extra.pop(key) for key in PEER_KEYS if key in extra}
    return Peer(
        name=peer.effective_name,
        url=peer.effective_url,
        role=peer.role,
        auto_failover=peer.auto_failover,
        basic_auth_user=peer.basic_auth_user or None,
        basic_auth_password=password,
        **known,
        extra=extra,
    )


def saved_peers(relationship: Any) -> list[Any]:
    """The relationship's saved peers with their servers and addresses (none for an unsaved relationship)."""
    if not relationship.pk:
        return []
    return list(relationship.peers.select_related('server__address'))


def relationship_value(
    relationship: Any, peers: Iterable[Any] | None = None, this_server_name: str | None = None, reveal: bool = False
) -> Relationship:
    """
    The Kea value of a relationship as the server named `this_server_name` sees it. `peers` defaults to the saved
    peers; pass a list to see the relationship with unsaved changes (what `clean()` does).
    """
    if peers is None:
        peers = saved_peers(relationship)
    state_machine = {'states': list(relationship.state_machine)} if relationship.state_machine else None
    return Relationship(
        this_server_name=this_server_name,
        mode=relationship.mode,
        peers=tuple(peer_value(p, reveal) for p in ordered_peers(peers)),
        parameters=relationship.parameters,
        state_machine=state_machine,
        extra=relationship.revealed_extra_parameters() if reveal else dict(relationship.extra_parameters or {}),
    )


def server_relationships(server: Any) -> list[Any]:
    """The relationships a server is a peer of, with their peers and servers loaded."""
    from ..models import HARelationship

    return list(
        HARelationship.objects.filter(peers__server=server).distinct().prefetch_related('peers__server__address')
    )
