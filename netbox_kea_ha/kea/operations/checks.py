"""
What the HA states say about an operation: whether it is unsafe or pointless now (a refusal, in words, before
anything is sent), which peers must answer for it to go on, and whether the states it should lead to have come.

Everything here is a pure function of `status-get` entries (one `RelationshipStatus` per peer: the entry of this
relationship) and of the running `state-machine` configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..ha import ACTIVE_ROLES, HAState
from ..rollout.checks import operational_state
from ..status import RelationshipStatus, ServerStatus
from .kinds import Operation, OperationPeer, Resolved

__all__ = (
    'STAYING_STATES',
    'continue_problem',
    'entry_of',
    'fell_back',
    'kea_disagrees',
    'outcome_problem',
    'paused_states',
    'required_peers',
    'state_problem',
    'unreachable_problem',
)

#: States a paused state machine stays in after `ha-continue` until an event moves it (no transition is due).
STAYING_STATES = frozenset(
    {
        HAState.LOAD_BALANCING,
        HAState.HOT_STANDBY,
        HAState.PASSIVE_BACKUP,
        HAState.BACKUP,
        HAState.PARTNER_DOWN,
        HAState.IN_MAINTENANCE,
        HAState.PARTNER_IN_MAINTENANCE,
        HAState.TERMINATED,
    }
)
_MAINTENANCE = (HAState.IN_MAINTENANCE, HAState.PARTNER_IN_MAINTENANCE)


def entry_of(status: ServerStatus, name: str) -> RelationshipStatus | None:
    """The `status-get` entry of the relationship in which the server is named `name`: the only one, or (a hub)
    the one whose local server has that name."""
    if len(status.relationships) <= 1:
        return status.ha
    return next((e for e in status.relationships if e.local.server_name == name), None) or status.relationship(name)


def kea_disagrees(resolved: Resolved, peer: OperationPeer, entry: RelationshipStatus) -> str | None:
    """Why Kea's view of the peer (mode, role) differs from the one the operation was planned with; None if not."""
    if str(entry.mode) != resolved.mode:
        return f'{peer.who} runs the relationship in {entry.mode} mode, not {resolved.mode}: import or sync it first'
    if str(entry.local.role) != peer.role:
        return f'{peer.who} is {entry.local.role} in the relationship it runs, not {peer.role}: import or sync it first'
    return None


def required_peers(resolved: Resolved) -> list[OperationPeer]:
    """The peers besides the one operated on that must answer for the operation to go on: the partner that takes
    over (maintenance), the source (sync), the partner of an active peer it negotiates with again (reset)."""
    r = resolved
    if r.operation in (Operation.MAINTENANCE_START, Operation.MAINTENANCE_CANCEL):
        return [r.receiver]
    if r.operation is Operation.SYNC and r.source is not None:
        return [r.source]
    if r.operation is Operation.RESET and r.partner is not None and r.peer.role in ACTIVE_ROLES:
        return [r.partner]
    return []


def unreachable_problem(resolved: Resolved, other: OperationPeer, error: str) -> str:
    """The refusal when a required peer does not answer (`error`: why)."""
    r = resolved
    if r.operation is Operation.MAINTENANCE_START:
        return f'its partner {other.who} cannot be reached ({error}): nobody would serve the clients of {r.peer.who}'
    if r.operation is Operation.MAINTENANCE_CANCEL:
        return f'its partner {other.who}, which should be serving in its place, cannot be reached ({error})'
    if r.operation is Operation.SYNC:
        return f'the source {other.who} cannot be reached ({error})'
    return (
        f'its partner {other.who} cannot be reached ({error}): after a reset {r.peer.who} could serve nothing until '
        'it declares its partner down'
    )


def _hub(resolved: Resolved, counts: Mapping[str, int]) -> str | None:
    receiver = resolved.receiver
    count = counts.get(receiver.name, 1)
    if count > 1:
        return (
            f'{receiver.who} is in {count} HA relationships (a hub): Kea sends ha-maintenance-start and -cancel to '
            'every relationship of the server that receives them, so the other branches would go into (or out of) '
            'maintenance too'
        )
    return None


def state_problem(
    resolved: Resolved, entries: Mapping[str, RelationshipStatus], relationship_counts: Mapping[str, int]
) -> str | None:
    """
    Why the operation is unsafe or pointless in the HA states read (`entries`: the entry of this relationship of
    each peer that answered, by peer name; `relationship_counts`: how many relationships each such server has);
    None when it may be sent. The peer operated on and every `required_peers` peer must be in `entries`.
    """
    r = resolved
    me = r.peer.who
    state = entries[r.peer.name].local.state
    normal = operational_state(r.mode, r.peer.role)
    if r.operation is Operation.MAINTENANCE_START:
        assert r.partner is not None
        partner, partner_entry = r.partner.who, entries[r.partner.name]
        partner_state = partner_entry.local.state
        partner_normal = operational_state(r.mode, r.partner.role)
        if hub := _hub(r, relationship_counts):
            return hub
        if state == HAState.IN_MAINTENANCE:
            return f'{me} is already in maintenance'
        if state == HAState.PARTNER_IN_MAINTENANCE:
            return f'{me} is serving in place of {partner}, which is in maintenance: return {partner} from it first'
        if state == HAState.PARTNER_DOWN:
            return f'{me} sees its partner {partner} as down (partner-down): {partner} cannot take over its clients'
        if partner_state == HAState.PARTNER_DOWN:
            return f'{partner} is in partner-down: it has lost touch with {me}, and a maintenance needs both to talk'
        if partner_state in _MAINTENANCE:
            return f'{partner} is in {partner_state}: a server of the pair is in maintenance already'
        if partner_state != partner_normal:
            return f"{partner} is in {partner_state}, not {partner_normal}: it cannot take over {me}'s clients now"
        if state != normal:
            return f'{me} is in {state}, not {normal}: wait until HA has settled'
        if partner_entry.remote is not None and partner_entry.remote.communication_interrupted:
            return f'{partner} has lost touch with {me} (communication interrupted)'
        return None
    if r.operation is Operation.MAINTENANCE_CANCEL:
        assert r.partner is not None
        partner, partner_state = r.partner.who, entries[r.partner.name].local.state
        if hub := _hub(r, relationship_counts):
            return hub
        if state != HAState.IN_MAINTENANCE:
            return f'{me} is not in maintenance (it is in {state})'
        if partner_state == HAState.PARTNER_DOWN:
            return (
                f'{partner} has already taken over for good (partner-down: it lost touch with {me} during the '
                f'maintenance), so Kea can no longer cancel it: restart Kea on {me}; it then syncs its leases and '
                'returns by itself'
            )
        if partner_state != HAState.PARTNER_IN_MAINTENANCE:
            return f'{partner} is in {partner_state}, not partner-in-maintenance: there is no maintenance to cancel'
        return None
    if r.operation is Operation.SYNC:
        assert r.source is not None
        source_state = entries[r.source.name].local.state
        if state == HAState.SYNCING:
            return f'{me} is syncing its leases already'
        if source_state in (HAState.WAITING, HAState.SYNCING):
            return f'{r.source.who} is in {source_state}: it is still starting, and its leases may not be complete'
        return None
    if r.operation is Operation.SCOPES:
        if state != normal:
            return (
                f'{me} is in {state}: scopes can be set in {normal} only (Kea sets the scopes of each state itself, '
                'and any state change resets them)'
            )
        wanted = ', '.join(r.scopes or ()) or 'no scope'
        if set(entries[r.peer.name].local.scopes) == set(r.scopes or ()):
            return f'{me} already serves {wanted}'
        return None
    if r.operation is Operation.RESET:
        if state == HAState.WAITING:
            return f'{me} is already waiting: a reset would change nothing'
        if state in _MAINTENANCE:
            return f'{me} is in {state}: end the maintenance with "return from maintenance" instead'
        return None
    return None


def paused_states(state_machine: Any) -> dict[str, str]:
    """`{state: pause}` of every state the running `state-machine` configuration pauses (`always` or `once`)."""
    states = state_machine.get('states') if isinstance(state_machine, Mapping) else None
    out = {}
    for item in states if isinstance(states, list) else []:
        if isinstance(item, Mapping) and item.get('pause') in ('always', 'once') and isinstance(item.get('state'), str):
            out[item['state']] = item['pause']
    return out


def continue_problem(peer: OperationPeer, state: str, state_machine: Any) -> str | None:
    """Why `ha-continue` would be pointless: the peer's state is not one its state machine pauses in (Kea's
    `status-get` does not say whether it is paused; its configuration does). None when it may be paused."""
    paused = paused_states(state_machine)
    if state in paused:
        return None
    if not paused:
        return f'nothing is paused: the state machine of {peer.who} pauses in no state (no state-machine pause)'
    listed = ', '.join(f'{name} ({pause})' for name, pause in sorted(paused.items()))
    return f'nothing is paused: {peer.who} is in {state}, and its state machine pauses only in {listed}'


def fell_back(resolved: Resolved, entries: Mapping[str, RelationshipStatus]) -> bool:
    """A return from maintenance that did not hold: the partner (or the peer) is in a maintenance state again."""
    r = resolved
    partner = entries.get(r.receiver.name)
    me = entries.get(r.peer.name)
    return (partner is not None and partner.local.state == HAState.PARTNER_IN_MAINTENANCE) or (
        me is not None and me.local.state == HAState.IN_MAINTENANCE
    )


def _settled(peer: OperationPeer, mode: str, entry: RelationshipStatus) -> str | None:
    normal = operational_state(mode, peer.role)
    if normal is not None and entry.local.state != normal:
        return f'{peer.who} is in {entry.local.state}, waiting for {normal}'
    return None


def outcome_problem(
    resolved: Resolved,
    before: Mapping[str, RelationshipStatus],
    now: Mapping[str, RelationshipStatus | str],
) -> str | None:
    """
    Why the states the operation should lead to have not come (yet); None once they have. `before`: the entries
    read before the command; `now`: the latest entry of each involved peer, or why it could not be read.
    """
    r = resolved
    for peer in r.involved:
        if isinstance(now.get(peer.name), str) and (peer.name == r.peer.name or peer in required_peers(r)):
            return f'{peer.who} does not answer: {now[peer.name]}'
    entries = {name: entry for name, entry in now.items() if not isinstance(entry, str)}
    me = entries.get(r.peer.name)
    if me is None:
        return f'{r.peer.who} has no entry for this relationship in status-get'
    if r.operation is Operation.MAINTENANCE_START:
        assert r.partner is not None
        partner = entries.get(r.partner.name)
        if me.local.state != HAState.IN_MAINTENANCE:
            return f'{r.peer.who} is in {me.local.state}, waiting for in-maintenance'
        if partner is None or partner.local.state != HAState.PARTNER_IN_MAINTENANCE:
            state = partner.local.state if partner else 'unknown'
            return f'{r.partner.who} is in {state}, waiting for partner-in-maintenance'
        return None
    if r.operation in (Operation.MAINTENANCE_CANCEL, Operation.RESET):
        if problem := _settled(r.peer, r.mode, me):
            return problem
        if r.partner is not None and r.partner.role in ACTIVE_ROLES and r.peer.role in ACTIVE_ROLES:
            partner = entries.get(r.partner.name)
            if partner is not None and (problem := _settled(r.partner, r.mode, partner)):
                return problem
        return None
    if r.operation is Operation.SYNC:
        for peer in r.involved:
            if peer.name in entries and peer.name in before:
                was, is_now = before[peer.name].local.state, entries[peer.name].local.state
                if was != is_now:
                    return f'{peer.who} went from {was} to {is_now} during the resync'
        return None
    if r.operation is Operation.SCOPES:
        if set(me.local.scopes) != set(r.scopes or ()):
            return f'{r.peer.who} serves {", ".join(me.local.scopes) or "no scope"}, not {", ".join(r.scopes or ())}'
        return None
    if r.operation is Operation.CONTINUE:
        was = before[r.peer.name].local.state
        if was not in STAYING_STATES and me.local.state == was:
            return f'{r.peer.who} is still in {was}'
        return None
    return None
