"""
HA operations from NetBox: maintenance and the return from it, lease resync, scopes, continue and reset of one peer.

`operate_peer` loads the peer's relationship and every peer of it (with their servers), builds the control endpoint
of each (`endpoints.py`; a server without a usable endpoint counts as unreachable), holds the relationship's advisory
lock (`locks.py`: no sync, restore, import or other operation of it runs meanwhile), runs the Kea layer's operation
(`kea.operations.operate`: read, check, one command, verify the HA states), records the states it read last on the
peers and servers (`status.record_peer` / `record_server`, change-logged when they changed) and returns an
`OperationResult`, or raises `OperationFailed` (refused or failed; the result is attached) naming what is wrong.

`plan_operation` is the same without the network: who takes part and what it will do, in words (the confirmation
pages), or the reason it is refused whatever the states (mode, role, options).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from logging import Logger
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from ..kea.client import Endpoint
from ..kea.operations import (
    LABELS,
    Operation,
    OperationPeer,
    OperationReport,
    Options,
    Preview,
    Resolved,
    operate,
    preview,
    resolve,
    static_problem,
)
from ..kea.rollout import Progress
from ..plugin_settings import get_setting
from .endpoints import EndpointError, server_endpoint
from .locks import RelationshipBusy, relationship_locks
from .status import Bumps, ServerReading, record_peer, record_server

if TYPE_CHECKING:
    from ..models import HAPeer

__all__ = (
    'OperationFailed',
    'OperationPlan',
    'OperationResult',
    'operate_peer',
    'operation_label',
    'plan_operation',
    'relationship_peers',
)


class OperationFailed(Exception):
    """An operation was refused or did not succeed; the message says why, `result` what happened (if it started)."""

    def __init__(self, message: str, result: OperationResult | None = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class OperationResult:
    """What an operation did, for the job data: the Kea layer's report, and which NetBox records changed."""

    relationship: str
    peer: str
    server: str
    operation: str
    report: OperationReport
    #: `peer name: [state fields that changed]` of the peers and servers recorded.
    recorded: dict[str, list[str]] = field(default_factory=dict)
    message: str = ''

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            'relationship': self.relationship,
            'peer': self.peer,
            'server': self.server,
            'message': self.message,
            'recorded': self.recorded,
            **self.report.as_dict(),
        }


@dataclass(frozen=True)
class OperationPlan:
    """An operation on a peer before it starts: who takes part and what it does, or why it is refused at once."""

    operation: Operation
    peer: OperationPeer
    peers: tuple[OperationPeer, ...]
    mode: str
    options: Options
    problem: str | None
    resolved: Resolved | None

    @property
    def preview(self) -> Preview | None:
        """The operation in words (None when refused)."""
        return preview(self.resolved) if self.resolved is not None else None


def operation_label(operation: Operation | str) -> str:
    """How pages and job names call an operation ('Maintenance', 'Resync leases', ...)."""
    try:
        return LABELS[Operation(operation)]
    except ValueError:
        return str(operation)


def relationship_peers(peer: HAPeer) -> list[tuple[HAPeer, OperationPeer]]:
    """Every peer of `peer`'s relationship (servers loaded), each with its Kea-layer value."""
    from ..models import HAPeer

    peers = (
        HAPeer.objects.filter(relationship_id=peer.relationship_id)
        .select_related('relationship', 'server', 'server__address')
        .order_by('pk')
    )
    return [(p, OperationPeer(p.effective_name, p.role, p.server.name)) for p in peers]


def _find(pairs: list[tuple[HAPeer, OperationPeer]], peer: HAPeer) -> OperationPeer:
    return next(value for model, value in pairs if model.pk == peer.pk)


def plan_operation(peer: HAPeer, operation: Operation | str, options: Options | None = None) -> OperationPlan:
    """Who takes part in `operation` on `peer` and what it will do, or why it is refused whatever the states (no
    network; ValueError for an unknown operation)."""
    op = Operation(operation)
    options = options or Options()
    pairs = relationship_peers(peer)
    values = tuple(value for _, value in pairs)
    me = _find(pairs, peer)
    mode = str(peer.relationship.mode)
    problem = static_problem(op, me, values, mode, options)
    resolved = None if problem else resolve(op, me, values, mode, options)
    return OperationPlan(op, me, values, mode, options, problem, resolved)


def _endpoint(model: HAPeer) -> Endpoint | str:
    try:
        return server_endpoint(model.server)
    except EndpointError as exc:
        return str(exc)


def operate_peer(
    peer: HAPeer,
    operation: Operation | str,
    options: Options | None = None,
    logger: Logger | None = None,
    progress: Callable[[], None] | None = None,
) -> OperationResult:
    """Do `operation` on `peer` (see the module docstring); an OperationResult, or OperationFailed."""
    try:
        op = Operation(operation)
    except ValueError:
        raise OperationFailed(
            f'unknown operation {operation!r} (known: {", ".join(o.value for o in Operation)}); nothing was sent'
        ) from None
    options = options or Options()
    relationship = peer.relationship
    pairs = relationship_peers(peer)
    me = _find(pairs, peer)

    def log(level: str, message: str) -> None:
        if logger is not None:
            getattr(logger, level)(message)

    def on_progress(event: Progress) -> None:
        log('warning' if event.state == 'failed' else 'info', str(event))
        if progress is not None and event.state != 'start':
            progress()

    plan = plan_operation(peer, op, options)
    if plan.problem:
        raise OperationFailed(f'refused, nothing was sent: {plan.problem}')
    assert plan.preview is not None
    log('info', f'{plan.preview.title}: {plan.preview.command}')
    log('info', f'DHCP clients: {plan.preview.clients}')
    endpoints = {value.name: _endpoint(model) for model, value in pairs}
    try:
        with relationship_locks([relationship]):
            report = operate(
                op,
                me.name,
                [value for _, value in pairs],
                endpoints,
                str(relationship.mode),
                options,
                settle_timeout=float(get_setting('settle_timeout')),
                progress=on_progress,
            )
            recorded = _record(pairs, report)
    except RelationshipBusy:
        raise OperationFailed(
            f'another job (a sync, restore, import or HA operation) of {relationship} is running; try again when it '
            'has finished. Nothing was sent'
        ) from None
    result = OperationResult(str(relationship), me.name, str(peer.server), str(op), report, recorded)
    for line in report.summary().splitlines():
        log('info' if report.ok else 'warning', line)
    if report.refused:
        result.message = f'refused, nothing was sent: {report.refused}'
        raise OperationFailed(result.message, result)
    if report.error:
        result.message = report.error
        raise OperationFailed(result.message, result)
    states = ', '.join(f'{name} {state}' for name, state in report.states.items())
    result.message = f'{operation_label(op)} of {me.who}: done ({states})'
    if report.cancels > 1:
        result.message += f'; ha-maintenance-cancel was sent {report.cancels} times before it held'
    return result


def _record(pairs: list[tuple[HAPeer, OperationPeer]], report: OperationReport) -> dict[str, list[str]]:
    """Record the states read last on the peers (and their servers) that answered."""
    now = timezone.now()
    bumps = Bumps()
    recorded: dict[str, list[str]] = {}
    for model, value in pairs:
        status = report.statuses.get(value.name)
        if status is None:
            continue
        reading = ServerReading(model.server, status=status, version=model.server.kea_version or None)
        changed = record_peer(model, reading, now=now, bumps=bumps)
        changed += [f'server {name}' for name in record_server(model.server, reading, now=now, bumps=bumps)]
        if changed:
            recorded[value.name] = changed
    bumps.flush()
    return recorded
