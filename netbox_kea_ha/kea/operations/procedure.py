"""
Performing an HA operation on one peer: read, check, send one command, verify the HA states it leads to.

    from netbox_kea_ha.kea.operations import Operation, OperationPeer, operate
    peers = [OperationPeer('server1', 'primary', 'kea-1'), OperationPeer('server2', 'secondary', 'kea-2')]
    report = operate(Operation.MAINTENANCE_START, 'server2', peers, {'server1': ep1, 'server2': ep2},
                     'load-balancing', progress=lambda event: log.info(str(event)))
    report.ok, report.states, report.summary()

1. The peer operated on is read first and alone (`status-get`): when it does not answer, the operation fails naming
   it and nothing at all is sent to the other peers.
2. The other peers it involves are read (the partner, the source of a resync); one that must answer and does not
   is a refusal. Kea's mode and role must be those NetBox planned with.
3. The states are checked (`checks.state_problem`; for `continue`, the running state-machine config): a state that
   makes the operation unsafe or pointless is a refusal, in words, and nothing is sent.
4. The one command goes to the peer that must receive it (`kinds.resolve`).
5. `status-get` of the peers involved is polled until the states the operation leads to have come
   (`checks.outcome_problem`), at most `settle_timeout` seconds. A return from maintenance is re-checked `recheck`
   seconds after each `ha-maintenance-cancel` and sent again (at most `cancel_attempts` times) while the pair falls
   back into maintenance, as Kea 2.2 does under DHCP load (kea-zero-loss-push-observed.md; fixed in 2.7.5/3.0.0).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence

from ..client import Endpoint, KeaClient
from ..detect import DetectionError, detect
from ..exceptions import KeaCommandError, KeaError
from ..rollout.report import Progress, ProgressCallback, Step
from ..status import RelationshipStatus, ServerStatus
from .checks import (
    continue_problem,
    entry_of,
    fell_back,
    kea_disagrees,
    outcome_problem,
    required_peers,
    state_problem,
    unreachable_problem,
)
from .kinds import Operation, OperationPeer, Options, Resolved, preview, resolve, static_problem
from .report import OperationReport

__all__ = (
    'CANCEL_ATTEMPTS',
    'RECHECK_SECONDS',
    'ClientFactory',
    'operate',
)

#: Seconds between an `ha-maintenance-cancel` and the check that it held.
RECHECK_SECONDS = 1.5
#: `ha-maintenance-cancel` commands sent at most (1-21 were needed on Kea 2.2 at 200-500 exchanges/s).
CANCEL_ATTEMPTS = 25
#: Seconds between two reads of the states while waiting for them.
POLL_SECONDS = 0.5

#: Opens a client for an endpoint (tests may pass one with a fake transport for errors real Kea cannot produce).
ClientFactory = Callable[[Endpoint], KeaClient]


class _Stop(Exception):
    """Ends the operation: the report says why."""


class _Run:
    def __init__(
        self,
        report: OperationReport,
        endpoints: Mapping[str, Endpoint | str],
        progress: ProgressCallback | None,
        client_factory: ClientFactory,
        settle_timeout: float,
        poll: float,
    ) -> None:
        self.report = report
        self.endpoints = endpoints
        self.progress = progress
        self.client_factory = client_factory
        self.settle_timeout = settle_timeout
        self.poll = poll
        self.clients: dict[str, KeaClient] = {}
        self.started = time.monotonic()

    # --- bookkeeping ------------------------------------------------------------------------------------------

    def emit(self, step: str, state: str, message: str = '', peer: str | None = None) -> None:
        if self.progress is not None:
            self.progress(Progress(step, state, message, peer))

    def step(self, name: str, ok: bool, text: str, started: float, peer: str | None = None) -> None:
        self.report.steps.append(Step(name, ok, text, time.monotonic() - started))
        self.emit(name, 'ok' if ok else 'failed', text, peer)

    def refuse(self, reason: str) -> _Stop:
        self.report.refused = reason
        self.emit('check', 'failed', f'refused, nothing was sent: {reason}')
        return _Stop()

    def fail(self, error: str) -> _Stop:
        self.report.error = error
        self.emit('operation', 'failed', error)
        return _Stop()

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.clients.clear()

    # --- talking to Kea ---------------------------------------------------------------------------------------

    def client(self, peer: OperationPeer, timeout: float | None = None) -> KeaClient:
        endpoint = self.endpoints.get(peer.name)
        if not isinstance(endpoint, Endpoint):
            raise KeaError(endpoint or 'no control endpoint')
        key = peer.name
        if timeout is not None and timeout > endpoint.timeout:
            endpoint, key = dataclasses.replace(endpoint, timeout=timeout), f'{peer.name} (timeout {timeout:g} s)'
        if key not in self.clients:
            self.clients[key] = self.client_factory(endpoint)
        return self.clients[key]

    def status(self, peer: OperationPeer) -> ServerStatus | str:
        """The peer's status-get, or why it could not be read."""
        try:
            return self.client(peer).status_get()
        except KeaError as exc:
            return str(exc)

    def entries(self, peers: Sequence[OperationPeer]) -> dict[str, RelationshipStatus | str]:
        """The entry of this relationship of each peer, or why there is none."""
        out: dict[str, RelationshipStatus | str] = {}
        for peer in peers:
            status = self.status(peer)
            if isinstance(status, str):
                out[peer.name] = status
                continue
            self.report.statuses[peer.name] = status
            entry = entry_of(status, peer.name)
            out[peer.name] = entry if entry is not None else 'status-get has no entry for this relationship'
        self.report.states = {
            name: (entry.local.state if not isinstance(entry, str) else 'unavailable') for name, entry in out.items()
        }
        return out


def _named(entry: RelationshipStatus) -> bool:
    """Whether the server reports names in status-get (Kea >= 2.6): its HA commands then take `server-name`."""
    return entry.local.server_name is not None


def operate(
    operation: Operation | str,
    peer: str,
    peers: Sequence[OperationPeer],
    endpoints: Mapping[str, Endpoint | str],
    mode: str,
    options: Options | None = None,
    *,
    settle_timeout: float = 60.0,
    recheck: float = RECHECK_SECONDS,
    cancel_attempts: int = CANCEL_ATTEMPTS,
    poll: float = POLL_SECONDS,
    progress: ProgressCallback | None = None,
    client_factory: ClientFactory = KeaClient,
) -> OperationReport:
    """
    Do `operation` on the peer named `peer` (see the module docstring); an OperationReport (`ok`, `refused`,
    `error`, the steps and the states seen last). `peers`: every peer of the relationship, as NetBox has them;
    `endpoints`: each peer's control endpoint by peer name, or why it has none; `mode`: the relationship's mode.
    """
    options = options or Options()
    report = OperationReport(operation=str(operation), peer=peer)
    run = _Run(report, endpoints, progress, client_factory, settle_timeout, poll)
    try:
        _operate(run, operation, peer, peers, mode, options, recheck, cancel_attempts)
    except _Stop:
        pass
    finally:
        run.close()
        report.seconds = time.monotonic() - run.started
    return report


def _operate(
    run: _Run,
    operation: Operation | str,
    name: str,
    peers: Sequence[OperationPeer],
    mode: str,
    options: Options,
    recheck: float,
    cancel_attempts: int,
) -> None:
    report = run.report
    try:
        op = Operation(operation)
    except ValueError:
        raise run.refuse(f'unknown operation {operation!r} (known: {", ".join(o.value for o in Operation)})') from None
    target = next((p for p in peers if p.name == name), None)
    if target is None:
        raise run.refuse(f'{name} is not a peer of this relationship')
    if problem := static_problem(op, target, peers, mode, options):
        raise run.refuse(problem)
    resolved = resolve(op, target, peers, mode, options)
    report.receiver = resolved.receiver.name
    report.interruption = preview(resolved).clients

    # 1. The peer itself, alone: when it does not answer, nobody else hears from this job.
    started = time.monotonic()
    mine = run.entries([target])[target.name]
    if isinstance(mine, str):
        run.step('status-get', False, mine, started, target.name)
        raise run.fail(f'{target.who} cannot be reached: {mine}; nothing was sent to any peer')
    run.step('status-get', True, f'{target.who} is {mine.local.state}', started, target.name)
    if problem := kea_disagrees(resolved, target, mine):
        raise run.refuse(problem)

    # 2. The other peers involved.
    others = [p for p in resolved.involved if p.name != target.name]
    started = time.monotonic()
    read = {target.name: mine, **run.entries(others)} if others else {target.name: mine}
    run.report.states = {n: (e.local.state if not isinstance(e, str) else 'unavailable') for n, e in read.items()}
    required = required_peers(resolved)
    for other in others:
        entry = read[other.name]
        if isinstance(entry, str):
            run.step('status-get', False, f'{other.who}: {entry}', started, other.name)
            if other in required:
                raise run.refuse(unreachable_problem(resolved, other, entry))
            continue
        run.step('status-get', True, f'{other.who} is {entry.local.state}', started, other.name)
        if problem := kea_disagrees(resolved, other, entry):
            raise run.refuse(problem)
    entries = {n: e for n, e in read.items() if not isinstance(e, str)}
    counts = {n: len(s.relationships) for n, s in report.statuses.items()}

    # 3. Is it safe, and does it make sense?
    if problem := state_problem(resolved, entries, counts):
        raise run.refuse(problem)
    if op is Operation.CONTINUE:
        _check_paused(run, target, mine)
    run.emit('check', 'ok', f'{preview(resolved).command}: the states allow it')

    # 4-5. Send, verify.
    if op is Operation.MAINTENANCE_CANCEL:
        _cancel_maintenance(run, resolved, entries, recheck, cancel_attempts)
    else:
        _send(run, resolved, mine)
        _wait(run, resolved, entries)


def _check_paused(run: _Run, target: OperationPeer, entry: RelationshipStatus) -> None:
    started = time.monotonic()
    try:
        config = run.client(target).config_get().config
        detection = detect(config)
    except (KeaError, DetectionError) as exc:
        run.step('config-get', False, str(exc), started, target.name)
        raise run.fail(f'cannot read the state-machine configuration of {target.who}: {exc}') from None
    index = next((i for i, n in enumerate(detection.this_server_names) if n == target.name), 0)
    machine = detection.relationships[index].state_machine if detection.relationships else None
    run.step('config-get', True, 'state-machine read', started, target.name)
    if problem := continue_problem(target, entry.local.state, machine):
        raise run.refuse(problem)


def _command(run: _Run, resolved: Resolved, entry: RelationshipStatus) -> tuple[str, Callable[[], str | None]]:
    r = resolved
    name = r.peer.name if _named(entry) else None
    if r.operation is Operation.MAINTENANCE_START:
        client = run.client(r.receiver)
        return 'ha-maintenance-start', client.ha_maintenance_start
    if r.operation is Operation.SYNC:
        assert r.source is not None and r.max_period is not None
        # The command returns when the pull is over: allow it the max-period, and then some.
        client = run.client(r.peer, timeout=float(r.max_period) + 30.0)
        source, period = r.source.name, r.max_period
        return 'ha-sync', lambda: client.ha_sync(source, max_period=period)
    if r.operation is Operation.SCOPES:
        client = run.client(r.peer)
        scopes = list(r.scopes or ())
        return 'ha-scopes', lambda: client.ha_scopes(scopes, server_name=name)
    if r.operation is Operation.CONTINUE:
        client = run.client(r.peer)
        return 'ha-continue', lambda: client.ha_continue(server_name=name)
    client = run.client(r.peer)
    return 'ha-reset', lambda: client.ha_reset(server_name=name)


def _send(run: _Run, resolved: Resolved, entry: RelationshipStatus) -> str | None:
    command, call = _command(run, resolved, entry)
    receiver = resolved.receiver
    started = time.monotonic()
    run.emit(command, 'start', f'to {receiver.who}', receiver.name)
    run.report.sent = True
    try:
        text = call()
    except KeaError as exc:
        run.step(command, False, str(exc), started, receiver.name)
        raise run.fail(f'{command} to {receiver.who} failed: {exc}') from None
    run.step(command, True, text or 'done', started, receiver.name)
    if resolved.operation is Operation.CONTINUE and text and 'not paused' in text:
        raise run.fail(
            f'Kea says the state machine of {receiver.who} was not paused ({text}): a "once" pause may have been '
            'continued already; nothing changed'
        )
    return text


def _wait(
    run: _Run,
    resolved: Resolved,
    before: Mapping[str, RelationshipStatus],
    stop_if: Callable[[Mapping[str, RelationshipStatus]], bool] | None = None,
) -> bool:
    """Poll until the outcome has come (True), or `stop_if` holds (False); fail on timeout."""
    started = time.monotonic()
    deadline = started + run.settle_timeout
    while True:
        now = run.entries(resolved.involved)
        entries = {n: e for n, e in now.items() if not isinstance(e, str)}
        if stop_if is not None and stop_if(entries):
            return False
        problem = outcome_problem(resolved, before, now)
        if problem is None:
            states = ', '.join(f'{n} {s}' for n, s in run.report.states.items())
            run.step('verify', True, states, started)
            return True
        if time.monotonic() >= deadline:
            run.step('verify', False, problem, started)
            raise run.fail(f'the HA states did not come within {run.settle_timeout:g} s: {problem}')
        time.sleep(run.poll)


def _cancel_maintenance(
    run: _Run,
    resolved: Resolved,
    before: Mapping[str, RelationshipStatus],
    recheck: float,
    attempts: int,
) -> None:
    """`ha-maintenance-cancel` to the partner, re-checked `recheck` s later and sent again while the pair falls back
    into maintenance (at most `attempts` times); then wait until both are back in their normal states."""
    report = run.report
    partner = resolved.receiver
    last = ''
    while report.cancels < attempts:
        report.cancels += 1
        started = time.monotonic()
        run.emit('ha-maintenance-cancel', 'start', f'to {partner.who} (attempt {report.cancels})', partner.name)
        report.sent = True
        try:
            text = run.client(partner).ha_maintenance_cancel()
            run.step('ha-maintenance-cancel', True, text or 'done', started, partner.name)
        except KeaCommandError as exc:  # the states moved meanwhile: the re-check says where to
            last = str(exc)
            run.step('ha-maintenance-cancel', False, last, started, partner.name)
        except KeaError as exc:
            run.step('ha-maintenance-cancel', False, str(exc), started, partner.name)
            raise run.fail(f'ha-maintenance-cancel to {partner.who} failed: {exc}') from None
        time.sleep(recheck)
        now = run.entries(resolved.involved)
        entries = {n: e for n, e in now.items() if not isinstance(e, str)}
        if fell_back(resolved, entries):
            states = ', '.join(f'{n} {s}' for n, s in report.states.items())
            run.step('recheck', False, f'back in maintenance ({states}): sending the cancel again', started)
            continue
        run.step('recheck', True, ', '.join(f'{n} {s}' for n, s in report.states.items()), started)
        if _wait(run, resolved, before, stop_if=lambda e: fell_back(resolved, e)):
            return
        run.emit('recheck', 'failed', 'the pair fell back into maintenance while settling: sending the cancel again')
    states = ', '.join(f'{n} {s}' for n, s in report.states.items())
    raise run.fail(
        f'the return from maintenance did not hold after {report.cancels} ha-maintenance-cancel ({states}'
        + (f'; last answer: {last}' if last else '')
        + '): Kea before 2.7.5 falls back into maintenance under DHCP load. The partner still serves every client; '
        'try again when traffic is lower, or restart Kea on the server in maintenance (it then syncs and returns)'
    )
