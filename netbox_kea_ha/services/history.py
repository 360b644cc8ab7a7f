"""
HA history: every change of a peer's HA state, from NetBox's change log, with how long each state lasted, and the
last `partner-down` episode of each peer (when it began, when it ended or that it is still going on).

The status job saves a peer, and so writes a change-log entry, only when one of its state fields changes
(`services.status.PEER_STATE_FIELDS`); an entry whose `ha_state` differs before and after is a state change. Times
are those of the status runs that saw the change: a state is known to have begun by then, and the history is as
fine as the status interval. A user sees the history only when they may view the change log
(`core.view_objectchange`), and only of the peers they may view (with their servers, `visibility.visible_peers`);
entries their object permissions on the change log hide are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Q, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..kea.ha import HAState

__all__ = (
    'HISTORY_LIMIT',
    'Episode',
    'HAHistory',
    'StateChange',
    'format_duration',
    'peer_history',
    'relationship_history',
    'server_history',
)

#: State changes a history lists at most (newest first).
HISTORY_LIMIT = 50

_PARTNER_DOWN = HAState.PARTNER_DOWN.value


@dataclass(frozen=True)
class StateChange:
    """One change of a peer's HA state: when the status job saw it, from what, to what, and how long it held."""

    peer: Any
    time: datetime
    before: str
    after: str
    #: The time of the peer's next state change; None: the peer is still in `after`.
    until: datetime | None
    #: How long `after` held: until the next change, or until the history was read when it still holds.
    lasted: timedelta
    #: The change-log entry (`core.ObjectChange`) that recorded it, and who made it.
    change_id: int
    user_name: str

    @property
    def ongoing(self) -> bool:
        """Whether the peer is still in this state."""
        return self.until is None

    @property
    def lasted_text(self) -> str:
        """`lasted` as text."""
        return format_duration(self.lasted)

    @property
    def before_color(self) -> str | None:
        """Badge colour of the state before."""
        return _color(self.before)

    @property
    def after_color(self) -> str | None:
        """Badge colour of the state after."""
        return _color(self.after)


@dataclass(frozen=True)
class Episode:
    """A peer's last `partner-down` episode: from the change into it to the change out of it (None: ongoing)."""

    peer: Any
    start: datetime
    end: datetime | None
    #: How long it lasted (until the history was read when ongoing).
    lasted: timedelta

    @property
    def ongoing(self) -> bool:
        """Whether the peer is still in `partner-down`."""
        return self.end is None

    @property
    def lasted_text(self) -> str:
        """`lasted` as text."""
        return format_duration(self.lasted)


@dataclass(frozen=True)
class HAHistory:
    """The state changes of some peers (newest first, at most `limit`) and each peer's last partner-down."""

    now: datetime
    changes: list[StateChange] = field(default_factory=list)
    partner_down: list[Episode] = field(default_factory=list)
    #: Whether older changes exist beyond `changes`.
    truncated: bool = False


def _color(state: str) -> str | None:
    from ..choices import HAStateChoices

    color: str | None = HAStateChoices.colors.get(state)
    return color


def format_duration(delta: timedelta) -> str:
    """A duration as a short text: `45 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`."""
    seconds = max(int(delta.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f'{days} d {hours} h' if hours else f'{days} d'
    if hours:
        return f'{hours} h {minutes} min' if minutes else f'{hours} h'
    if minutes:
        return f'{minutes} min {seconds} s' if seconds else f'{minutes} min'
    return f'{seconds} s'


def _state_changes(peer_ids: Sequence[int], user: Any) -> Any:
    """The change-log entries of these peers that changed `ha_state`, as the user may view them, annotated with
    `before` and `after` (the state only, not the whole snapshots)."""
    from core.choices import ObjectChangeActionChoices
    from core.models import ObjectChange, ObjectType

    from ..models import HAPeer

    changes = ObjectChange.objects.restrict(user, 'view') if user is not None else ObjectChange.objects.all()
    return (
        changes.filter(
            changed_object_type=ObjectType.objects.get_for_model(HAPeer),
            changed_object_id__in=peer_ids,
            action__in=(ObjectChangeActionChoices.ACTION_CREATE, ObjectChangeActionChoices.ACTION_UPDATE),
        )
        .annotate(
            before=Coalesce(KT('prechange_data__ha_state'), Value(''), output_field=TextField()),
            after=Coalesce(KT('postchange_data__ha_state'), Value(''), output_field=TextField()),
        )
        .exclude(before=F('after'))
    )


def peer_history(
    peers: Iterable[Any], user: Any = None, limit: int = HISTORY_LIMIT, now: datetime | None = None
) -> HAHistory:
    """
    The HA history of `peers` (HAPeer instances the caller may show): their state changes, newest first (at most
    `limit`), each with how long it held, and each peer's last partner-down episode. `user`: whose object
    permissions on the change log apply (None: every entry). Three queries, whatever the number of peers.
    """
    now = now or timezone.now()
    by_id = {peer.pk: peer for peer in peers}
    if not by_id:
        return HAHistory(now=now)
    changes = _state_changes(list(by_id), user)
    fields = ('pk', 'time', 'changed_object_id', 'before', 'after', 'user_name')
    rows = list(changes.order_by('-time', '-pk').values(*fields)[: limit + 1])
    truncated = len(rows) > limit
    # Newest first: a change lasts until the newer change of its peer seen before it (none: still going on).
    newer: dict[int, datetime] = {}
    listed = []
    for row in rows[:limit]:
        peer_id = row['changed_object_id']
        until = newer.get(peer_id)
        listed.append(
            StateChange(
                peer=by_id[peer_id],
                time=row['time'],
                before=row['before'],
                after=row['after'],
                until=until,
                lasted=(until or now) - row['time'],
                change_id=row['pk'],
                user_name=row['user_name'],
            )
        )
        newer[peer_id] = row['time']
    episodes = _last_partner_down(changes, by_id, now)
    return HAHistory(now=now, changes=listed, partner_down=episodes, truncated=truncated)


def _last_partner_down(changes: Any, by_id: dict[int, Any], now: datetime) -> list[Episode]:
    """Each peer's last change into partner-down and the change that ended it (two queries), newest first."""
    entered = list(
        changes.filter(after=_PARTNER_DOWN)
        .order_by('changed_object_id', '-time', '-pk')
        .distinct('changed_object_id')
        .values('pk', 'time', 'changed_object_id')
    )
    if not entered:
        return []
    after_start = Q()
    for row in entered:
        later = Q(time__gt=row['time']) | Q(time=row['time'], pk__gt=row['pk'])
        after_start |= Q(changed_object_id=row['changed_object_id']) & later
    # The first state change after entering partner-down is the one out of it.
    left = {
        row['changed_object_id']: row['time']
        for row in changes.filter(after_start)
        .order_by('changed_object_id', 'time', 'pk')
        .distinct('changed_object_id')
        .values('time', 'changed_object_id')
    }
    episodes = []
    for row in entered:
        end = left.get(row['changed_object_id'])
        episodes.append(
            Episode(peer=by_id[row['changed_object_id']], start=row['time'], end=end, lasted=(end or now) - row['time'])
        )
    return sorted(episodes, key=lambda e: e.start, reverse=True)


def _shown(peers: Any, user: Any) -> HAHistory | None:
    """The history of the peers `user` may view; None when `user` may not view the change log."""
    from ..visibility import visible_peers

    if user is not None and not user.has_perm('core.view_objectchange'):
        return None
    if user is not None:
        peers = visible_peers(peers, user)
    return peer_history(peers.select_related('relationship', 'server'), user)


def relationship_history(relationship: Any, user: Any = None) -> HAHistory | None:
    """The HA history of a relationship's peers, as `user` may see it (None: they may not view the change log)."""
    return _shown(relationship.peers.all(), user)


def server_history(server: Any, user: Any = None) -> HAHistory | None:
    """The HA history of a server's peers, one per relationship (None: `user` may not view the change log)."""
    return _shown(server.ha_peers.all(), user)
