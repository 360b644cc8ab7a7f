"""
The HA operations, their options, who receives which command, what is refused without asking Kea, and what Kea
does and DHCP clients notice, in words (the confirmation pages, the job log and docs/operations.md say the same).

- maintenance-start: `ha-maintenance-start` to the partner of the peer; the partner goes
  `partner-in-maintenance` and serves every scope, the peer `in-maintenance`.
- maintenance-cancel: `ha-maintenance-cancel` to the partner; both return to their previous states.
- sync: `ha-sync {server-name: source, max-period}` to the peer; the source's DHCP service is disabled while the
  peer pulls its leases, then enabled again.
- scopes: `ha-scopes {scopes}` to the peer; it serves those scopes until its next HA state change.
- continue: `ha-continue` to the peer; a paused state machine goes on.
- reset: `ha-reset` to the peer; it goes back to `waiting` and negotiates its way back (lease sync included).

On Kea >= 2.6 `ha-scopes`, `ha-continue` and `ha-reset` carry the peer's own name as `server-name` (it picks the
relationship on a hub); `ha-maintenance-start`/`-cancel` take no name: on a hub they act on every relationship of
the server that receives them, so a maintenance whose partner is a hub is refused (`checks.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..ha import HAMode, HARole

__all__ = (
    'DEFAULT_MAX_PERIOD',
    'LABELS',
    'MAX_PERIOD_LIMIT',
    'Operation',
    'OperationPeer',
    'Options',
    'Preview',
    'Resolved',
    'ScopeChoice',
    'option_problems',
    'partner_of',
    'preview',
    'resolve',
    'static_problem',
)


class Operation(StrEnum):
    """The HA operations on one peer."""

    MAINTENANCE_START = 'maintenance-start'
    MAINTENANCE_CANCEL = 'maintenance-cancel'
    SYNC = 'sync'
    SCOPES = 'scopes'
    CONTINUE = 'continue'
    RESET = 'reset'


#: How pages, buttons and job names call each operation.
LABELS: dict[Operation, str] = {
    Operation.MAINTENANCE_START: 'Maintenance',
    Operation.MAINTENANCE_CANCEL: 'Return from maintenance',
    Operation.SYNC: 'Resync leases',
    Operation.SCOPES: 'Serve scopes',
    Operation.CONTINUE: 'Continue',
    Operation.RESET: 'Reset',
}


class ScopeChoice(StrEnum):
    """What `scopes` asks a peer to serve."""

    #: Its own scope and its partner's (load-balancing), or the primary's (a hot-standby standby).
    PARTNER = 'partner'
    #: Its own scope again (none for a standby).
    OWN = 'own'


#: Seconds the source's DHCP service may stay disabled during a resync when no `max_period` is given.
DEFAULT_MAX_PERIOD = 60
#: The longest `max_period` accepted (Kea takes any positive integer; an hour is plenty for any lease pull).
MAX_PERIOD_LIMIT = 3600

_OPTIONS: dict[Operation, frozenset[str]] = {
    Operation.SYNC: frozenset({'source', 'max_period'}),
    Operation.SCOPES: frozenset({'scopes'}),
}


@dataclass(frozen=True)
class Options:
    """The options of an operation: `source` and `max_period` for sync, `scopes` for scopes."""

    #: sync: the peer (its name in the relationship) whose leases are pulled; None: the peer's partner.
    source: str | None = None
    #: sync: seconds the source's DHCP service may stay disabled at most; None: DEFAULT_MAX_PERIOD.
    max_period: int | None = None
    #: scopes: 'partner' or 'own' (ScopeChoice).
    scopes: str | None = None

    def given(self) -> set[str]:
        """The names of the options that are set."""
        return {name for name in ('source', 'max_period', 'scopes') if getattr(self, name) is not None}


@dataclass(frozen=True)
class OperationPeer:
    """A peer of the relationship: its name there (`this-server-name`), its role, and how the log names its server."""

    name: str
    role: str
    #: The server's name where the operator knows it (NetBox's), or '' to use the peer name.
    label: str = ''

    @property
    def who(self) -> str:
        """`kea-2 (server2)`, or the peer name alone when the server has no other name."""
        return f'{self.label} ({self.name})' if self.label and self.label != self.name else self.name


@dataclass(frozen=True)
class Resolved:
    """Who takes part: the peer operated on, the peer that receives the command, its partner and the sync source."""

    operation: Operation
    mode: str
    peer: OperationPeer
    receiver: OperationPeer
    partner: OperationPeer | None
    source: OperationPeer | None
    #: sync: the max-period sent.
    max_period: int | None
    #: scopes: the scopes asked for.
    scopes: tuple[str, ...] | None

    @property
    def involved(self) -> list[OperationPeer]:
        """The peers whose states are read before and checked after: the peer first, each one once."""
        out = [self.peer]
        for other in (self.receiver, self.partner, self.source):
            if other is not None and all(other.name != p.name for p in out):
                out.append(other)
        return out


def partner_of(peer: OperationPeer, peers: Sequence[OperationPeer], mode: str) -> OperationPeer | None:
    """
    The peer's partner: in load-balancing the other of primary and secondary, in hot-standby the other of primary
    and standby; for a backup (and any peer in passive-backup but the primary) the primary. None: there is none.
    """
    others = [p for p in peers if p.name != peer.name]
    if peer.role == HARole.BACKUP or (mode == HAMode.PASSIVE_BACKUP and peer.role != HARole.PRIMARY):
        return next((p for p in others if p.role == HARole.PRIMARY), None)
    pairs = {
        HAMode.LOAD_BALANCING: {HARole.PRIMARY: HARole.SECONDARY, HARole.SECONDARY: HARole.PRIMARY},
        HAMode.HOT_STANDBY: {HARole.PRIMARY: HARole.STANDBY, HARole.STANDBY: HARole.PRIMARY},
    }
    wanted = pairs.get(HAMode(mode), {}).get(HARole(peer.role)) if mode in HAMode and peer.role in HARole else None
    return next((p for p in others if p.role == wanted), None) if wanted else None


def option_problems(operation: Operation, options: Options) -> dict[str, str]:
    """Options that do not belong to the operation or have a bad value, by option name (empty: all fine)."""
    problems = {}
    allowed = _OPTIONS.get(operation, frozenset())
    for name in sorted(options.given() - allowed):
        fits = [str(op) for op, names in _OPTIONS.items() if name in names]
        problems[name] = f'applies to {" and ".join(fits)} only, not to {operation}'
    if operation is Operation.SYNC and options.max_period is not None:
        if isinstance(options.max_period, bool) or not 1 <= options.max_period <= MAX_PERIOD_LIMIT:
            problems['max_period'] = f'must be a whole number of seconds from 1 to {MAX_PERIOD_LIMIT}'
    if operation is Operation.SCOPES and options.scopes not in tuple(ScopeChoice):
        problems['scopes'] = "choose partner (its own and its partner's scope) or own (its own scope again)"
    return problems


def _scopes(peer: OperationPeer, partner: OperationPeer | None, mode: str, choice: str) -> tuple[str, ...]:
    if mode == HAMode.LOAD_BALANCING:
        own = (peer.name,)
        return (*own, partner.name) if choice == ScopeChoice.PARTNER and partner else own
    # hot-standby: the only scope is the primary's.
    if peer.role == HARole.PRIMARY:
        return (peer.name,)
    return (partner.name,) if choice == ScopeChoice.PARTNER and partner else ()


def static_problem(
    operation: Operation, peer: OperationPeer, peers: Sequence[OperationPeer], mode: str, options: Options
) -> str | None:
    """
    Why the operation makes no sense for this peer whatever the HA states are (mode, role, options), in words; None
    when it may go on to the state checks. Needs no network: the pages and the API refuse with it at once.
    """
    if problems := option_problems(operation, options):
        return '; '.join(f'{name} {text}' for name, text in problems.items())
    partner = partner_of(peer, peers, mode)
    if operation in (Operation.MAINTENANCE_START, Operation.MAINTENANCE_CANCEL):
        if mode == HAMode.PASSIVE_BACKUP:
            return (
                "passive-backup has no partner that could take over: Kea's maintenance is for load-balancing and "
                'hot-standby'
            )
        if peer.role == HARole.BACKUP:
            return f'{peer.who} is a backup: it serves no client, and Kea has no maintenance for backups'
        if partner is None:
            return f'{peer.who} has no partner in this relationship to take over its clients'
    if operation is Operation.SYNC:
        source = _source(peer, peers, partner, options)
        if options.source is not None and source is None:
            known = ', '.join(p.name for p in peers if p.name != peer.name) or 'none'
            return f'{options.source} is not a peer of this relationship (the others: {known})'
        if source is None:
            return f'choose the peer whose leases {peer.who} pulls (it has no partner to pull from by default)'
        if source.name == peer.name:
            return f'{peer.who} cannot resync its leases from itself: choose another peer'
    if operation is Operation.SCOPES:
        if mode == HAMode.PASSIVE_BACKUP:
            return 'passive-backup has no scopes: the primary serves every client'
        if peer.role == HARole.BACKUP:
            return f'{peer.who} is a backup: it serves no scope'
        if mode == HAMode.HOT_STANDBY and peer.role == HARole.PRIMARY and options.scopes == ScopeChoice.PARTNER:
            return (
                f'{peer.who} is the primary of a hot-standby pair: it already serves the only scope (to let the '
                'standby serve it, serve scopes on the standby)'
            )
        if partner is None and options.scopes == ScopeChoice.PARTNER:
            return f'{peer.who} has no partner whose scope it could serve'
    return None


def _source(
    peer: OperationPeer, peers: Sequence[OperationPeer], partner: OperationPeer | None, options: Options
) -> OperationPeer | None:
    if options.source is None:
        return partner
    return next((p for p in peers if p.name == options.source), None)


def resolve(
    operation: Operation, peer: OperationPeer, peers: Sequence[OperationPeer], mode: str, options: Options
) -> Resolved:
    """Who takes part (call `static_problem` first: this assumes it found nothing)."""
    partner = partner_of(peer, peers, mode)
    maintenance = operation in (Operation.MAINTENANCE_START, Operation.MAINTENANCE_CANCEL)
    receiver = partner if maintenance and partner is not None else peer
    source = _source(peer, peers, partner, options) if operation is Operation.SYNC else None
    max_period = (options.max_period or DEFAULT_MAX_PERIOD) if operation is Operation.SYNC else None
    scopes = _scopes(peer, partner, mode, options.scopes or '') if operation is Operation.SCOPES else None
    return Resolved(operation, mode, peer, receiver, partner, source, max_period, scopes)


@dataclass(frozen=True)
class Preview:
    """An operation in words, before it is started: the command, what Kea does, what DHCP clients notice."""

    title: str
    command: str
    kea: str
    clients: str
    #: When to use it.
    when: str


def _operational(mode: str) -> str:
    return 'hot-standby' if mode == HAMode.HOT_STANDBY else 'load-balancing'


def preview(resolved: Resolved) -> Preview:
    """What the operation will do, in words (the confirmation page, the job log)."""
    r = resolved
    peer, partner, mode = r.peer.who, r.partner.who if r.partner else 'its partner', r.mode
    normal = _operational(mode)
    title = f'{LABELS[r.operation]}: {peer}'
    if r.operation is Operation.MAINTENANCE_START:
        return Preview(
            title,
            f'ha-maintenance-start to {partner}',
            f'{partner} tells {peer} to enter in-maintenance and goes to partner-in-maintenance: from then on it '
            f'serves every scope and keeps sending lease updates to {peer} until {peer} stops answering (then it goes '
            f'partner-down and goes on serving everyone). The job checks both states before it reports success.',
            f"Nothing lost: {peer} stops answering at once and {partner} answers all clients, {peer}'s included. A "
            f'client in the middle of an exchange with {peer} retransmits and gets its answer from {partner}.',
            f'Before you stop, upgrade or reboot {peer}: {peer} can then be stopped safely.',
        )
    if r.operation is Operation.MAINTENANCE_CANCEL:
        return Preview(
            title,
            f'ha-maintenance-cancel to {partner}',
            f'{partner} tells {peer} to leave in-maintenance, and both return to the state they had before ({normal}). '
            'The job re-checks both states a second or two later and sends the cancel again when the pair fell '
            'back into maintenance (Kea before 2.7.5 does that under DHCP load), then waits until both are '
            f'{normal}.',
            f'{partner} serves everyone until {peer} is back in {normal} (about one heartbeat after the cancel: {peer} '
            f'waits in ready until then); then {peer} answers its own scope again. Nothing is lost.',
            f'When the maintenance of {peer} is over and {peer} was not restarted (after a restart it returns by '
            'itself: it syncs its leases and goes back to its normal state).',
        )
    if r.operation is Operation.SYNC:
        source = r.source.who if r.source else 'the source'
        return Preview(
            title,
            f'ha-sync to {peer} (server-name {r.source.name if r.source else "?"}, max-period {r.max_period} s)',
            f'{peer} disables the DHCP service of {source} (for at most {r.max_period} s), pulls all of its leases '
            f'page by page, adds or updates the ones it lacks or holds older (it deletes none), and enables '
            f'{source} again. The HA states do not change.',
            f'An interruption: {source} answers no DHCP query while {peer} pulls its leases, and {peer} answers none '
            f'either while the command runs. That lasts about as long as the pull: measured on Kea 2.2, 1.1-1.8 s '
            f'per 10,000 leases (at most {r.max_period} s for {source}). Clients retransmit; in a pair of just these '
            'two servers nobody answers for that time.',
            f'When {peer} missed lease updates (leases added with lease commands are not replicated; a server that '
            'ran alone for a while), or before it takes over from its partner.',
        )
    if r.operation is Operation.SCOPES:
        scopes = ', '.join(r.scopes or ()) or 'no scope'
        takes = bool(r.partner and r.scopes and r.partner.name in r.scopes and r.partner.name != r.peer.name)
        clients = (
            f'Nothing lost: {peer} starts answering the clients of {partner} too. While both serve that scope a '
            'client may get an offer from each; it takes one.'
            if takes
            else f'{peer} stops answering the clients of scopes it no longer serves; if {partner} does not serve them '
            f'({partner} is not in {normal}), they get no answer until it does.'
        )
        return Preview(
            title,
            f'ha-scopes to {peer} (scopes: {scopes})',
            f'{peer} serves {scopes} from now on, until its next HA state change (any state change resets the '
            'scopes to those of the new state).',
            clients,
            f'To let {peer} answer for {partner} while you work on {partner} without a maintenance (and give the scope '
            'back afterwards).',
        )
    if r.operation is Operation.CONTINUE:
        return Preview(
            title,
            f'ha-continue to {peer}',
            f"{peer}'s HA state machine, paused by its state-machine configuration in its current state, goes on to "
            'the next state.',
            f'Depends on the paused state: from waiting, {peer} goes on through syncing (its partner answers nothing '
            f'while {peer} pulls its leases) and ready to {normal}.',
            'When the relationship pauses the state machine (state-machine: pause always or once) and you have '
            'checked what you wanted to check in the paused state.',
        )
    return Preview(
        title,
        f'ha-reset to {peer}',
        f'{peer} goes back to waiting and negotiates with its partner as after a start: waiting, syncing (it pulls '
        f"its partner's leases), ready, {normal}. The job waits until both are back in their normal states.",
        f'An interruption: {peer} answers nothing while waiting and syncing, and {partner} answers nothing while '
        f'{peer} pulls its leases (measured on Kea 2.2: 1.1-1.8 s per 10,000 leases; the whole pair is silent for '
        'that time).',
        f'When {peer} is stuck in a state it does not leave by itself (e.g. after a network split healed), and a '
        'restart of Kea is not wanted.',
    )
