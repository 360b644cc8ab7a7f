"""
What a user may see of a relationship: its peers, each only when the user may view the peer and its server. The REST
relationship's nested peers, the relationship page and `render/` use it, as NetBox's GraphQL restricts related lists.
"""

from typing import Any

from django.db.models import Prefetch

__all__ = (
    'visible_peers',
    'visible_peers_prefetch',
)


def visible_peers(peers: Any, user: Any) -> Any:
    """`peers` (an HAPeer queryset) less those `user` may not view, or whose server `user` may not view."""
    from .models import KeaServer

    return peers.restrict(user, 'view').filter(server__in=KeaServer.objects.restrict(user, 'view').values('pk'))


def visible_peers_prefetch(user: Any, lookup: str = 'peers') -> Prefetch:
    """A Prefetch of a relationship's peers (with their servers and addresses) that `user` may see."""
    from .models import HAPeer

    return Prefetch(lookup, queryset=visible_peers(HAPeer.objects.select_related('server__address'), user))
