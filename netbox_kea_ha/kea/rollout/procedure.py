"""
The safe rolling push of one HA relationship's configs. See docs/push.md for the procedure and its reasons.

1. Validate every desired config (the Kea layer's own rules; Kea's `config-test` does not check HA): any error
   stops everything before anything is sent. The desired configs must describe the same relationship.
2. Read what each peer runs (`version-get`, `config-get`, all peers at once), unless the caller already read it
   (`Target.running`: a sync that compared the configs before deciding to push reads each server once).
3. Diff (normalised): a peer whose config does not differ gets nothing (every `config-set` restarts HA).
4. Refuse changes no peer can take alone (mode, roles, peer names or URLs) unless `allow_disruptive`.
5. Check the relationship is healthy (every active peer in its operational state); refuse unless `force`.
6. `config-test` every changed peer (skipped where Kea 3.0.0-3.0.3 would lose its dedicated HA listener).
7. One peer at a time, backups first, then secondary/standby, the primary last: `config-set`; check the HA and
   lease hooks are loaded (`list-commands`); wait (bounded) until the peer is back in its operational state with
   its partner in touch; `config-write`.
8. On any failure: set that peer's previous config back (its `config-get` from step 2), wait for it to recover,
   stop, and report exactly what happened to every peer.

With `allow_disruptive` and a disruptive change, every changed peer is set first (in the same order, hooks
checked), then all are waited for together, then written; a failure rolls back every peer already set.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..client import AsyncKeaClient, Endpoint, KeaClient, KeaConfig, gather, gather_sync
from ..detect import Detection, DetectionError, detect, infer_version
from ..diff import diff_configs
from ..exceptions import KeaError
from ..findings import Finding, errors
from ..ha import ACTIVE_ROLES, HAMode, HARole, HAState, KeaVersion
from ..replicate import ConfigError, config_root
from ..status import ServerStatus
from .checks import (
    config_test_is_unsafe,
    disruptive_changes,
    health_problem,
    missing_hooks,
    push_rank,
    relationships_disagree,
)
from .handover import Handover, handover_for
from .peer import PeerState, Target, View, relationship_state, settled_text, unsettled
from .report import PeerOutcome, Progress, ProgressCallback, RolloutReport, Step
from .runtime import Command, RuntimePlan, runtime_plan

__all__ = (
    'ClientFactory',
    'RolloutError',
    'Target',
    'plan',
    'rollout',
)

#: Builds the client of an endpoint (tests of errors real Kea cannot produce inject a transport here).
ClientFactory = Callable[[Endpoint], KeaClient]

_HASH_SINCE = KeaVersion(2, 4, 0)
_KEA_2_7 = KeaVersion(2, 7, 0)
_KEA_3_0 = KeaVersion(3, 0, 0)
#: Seconds a peer that serves no scope any more (its partner serves it) is given to finish the exchanges it has
#: started before its config-set: an exchange waits for its lease update to reach the partner, and a reload drops
#: it, leaving the lease on this server only (the lease sync copies the other way).
_DRAIN_SECONDS = 0.2
#: Seconds between two polls of a restarting peer whose scope its partner serves: the partner must stop serving it
#: as soon as the peer may serve it again, or both serve it and can lease one address to two clients.
_SERVING_POLL = 0.05
#: The states a restarting peer serves nothing in (`syncing` disables its partner too).
_RESTARTING = (HAState.WAITING, HAState.SYNCING)
#: Seconds a held peer's `dhcp-disable` lasts beyond the settle timeout (Kea ends it by itself then, should the
#: rollout never release it).
_HOLD_MARGIN = 30


class RolloutError(ValueError):
    """The targets themselves are unusable (no targets, duplicate names, a desired config that is not a config)."""


class _Rollout:
    def __init__(
        self,
        targets: Sequence[Target],
        *,
        force: bool,
        allow_disruptive: bool,
        settle_timeout: float,
        poll_interval: float,
        config_test: bool,
        write: bool,
        dry_run: bool,
        handover: bool,
        runtime: bool,
        progress: ProgressCallback | None,
        client_factory: ClientFactory,
        clients: Mapping[str, KeaClient] | None,
    ) -> None:
        _check_targets(targets)
        self.runtime = runtime
        self.force = force
        self.allow_disruptive = allow_disruptive
        self.settle_timeout = settle_timeout
        self.poll_interval = poll_interval
        self.config_test = config_test
        self.write = write
        self.dry_run = dry_run
        self.handover = handover
        self.progress = progress
        self.client_factory = client_factory
        given = dict(clients or {})
        self.owned = [t.name for t in targets if t.name not in given]
        self.peers = [PeerState(t, given.get(t.name) or client_factory(t.endpoint)) for t in targets]
        self.report = RolloutReport(peers=[p.report for p in self.peers], dry_run=dry_run)
        self.started = time.monotonic()

    # -- plumbing -----------------------------------------------------------------------------------------------

    def emit(self, step: str, state: str, message: str = '', peer: PeerState | None = None) -> None:
        if self.progress is not None:
            self.progress(Progress(step=step, state=state, message=message, peer=peer.name if peer else None))

    def record(self, peer: PeerState, name: str, ok: bool, text: str, started: float) -> Step:
        step = Step(name=name, ok=ok, text=text, seconds=time.monotonic() - started)
        peer.report.steps.append(step)
        self.emit(name, 'ok' if ok else 'failed', text, peer)
        return step

    def fail(self, peer: PeerState, message: str) -> None:
        if peer.report.error is None:
            peer.report.error = message

    def finish(self, refused: str | None = None) -> RolloutReport:
        if refused is not None:
            self.report.refused = refused
            self.emit('rollout', 'failed', f'refused: {refused}')
        self.report.seconds = time.monotonic() - self.started
        if refused is None:
            self.emit('rollout', 'ok' if self.report.ok else 'failed', self.report.summary().splitlines()[0])
        return self.report

    def close(self) -> None:
        for peer in self.peers:
            if peer.name in self.owned:
                peer.client.close()

    # -- phases -------------------------------------------------------------------------------------------------

    def validate(self, *, real_versions: bool) -> str | None:
        """Validate every desired config; the reason to refuse, or None."""
        problems: list[str] = []
        for peer in self.peers:
            version = peer.version
            try:
                detection = detect(dict(peer.target.desired), version=version)
            except DetectionError as exc:
                problems.append(f'{peer.name}: {exc}')
                continue
            peer.desired_detection = detection
            peer.report.role = peer.role
            self.report.findings[peer.name] = detection.findings
            problems.extend(f'{peer.name}: {_finding_text(f)}' for f in errors(detection.findings))
            if detection.has_ha and peer.name not in detection.this_server_names:
                names = ', '.join(detection.this_server_names)
                problems.append(f'{peer.name}: its desired config names this server {names}, not {peer.name}')
        detections = [(p.name, p.desired_detection) for p in self.peers if p.desired_detection is not None]
        problems.extend(relationships_disagree(detections))
        if problems:
            when = 'with the versions the servers report' if real_versions else 'before anything was read'
            return f'validation failed {when}: ' + '; '.join(problems)
        self.emit('validate', 'ok', f'{len(self.peers)} desired config(s) valid')
        return None

    def read(self) -> None:
        """
        What every peer runs: the running config its target carries (read by the caller), or `config-get`, with
        `version-get` where the version is not known or the answer contradicts it (Kea >= 2.4 answers with a hash,
        older Kea without); every peer at once.
        """
        started = time.monotonic()
        to_read = [p for p in self.peers if p.target.running is None]
        if to_read:
            self.emit('read', 'start', f'config-get of {len(to_read)} peer(s)')
            configs = _concurrently(to_read, lambda kea: kea.config_get())
        else:
            configs = []
        read = dict(zip((p.name for p in to_read), configs, strict=True))
        results: list[tuple[PeerState, KeaConfig | str]] = [
            (p, p.target.running if p.target.running is not None else read[p.name]) for p in self.peers
        ]
        unsure = [
            peer
            for peer, running in results
            if isinstance(running, KeaConfig)
            and (peer.target.version is None or not _plausible(peer.target.version, running))
        ]
        versions = dict(
            zip((p.name for p in unsure), _concurrently(unsure, lambda kea: kea.version_get()), strict=True)
        )
        for peer, running in results:
            answer = versions.get(peer.name)
            version: KeaVersion | str | None = (
                peer.target.version if answer is None else answer if isinstance(answer, str) else answer.version
            )
            if isinstance(running, str) or isinstance(version, str) or version is None:
                peer.read_error = running if isinstance(running, str) else str(version)
                self.record(peer, 'config-get', False, peer.read_error, started)
                continue
            peer.version = peer.report.version = version
            peer.running = running
            how = 'as read before the rollout' if peer.target.running is not None else ''
            self.record(peer, 'config-get', True, f'Kea {version} {how}'.strip(), started)

    def diff(self) -> list[PeerState]:
        """Compare each peer's running config with its desired one; the peers that differ."""
        changed = []
        for peer in self.peers:
            if peer.running is None:
                continue
            started = time.monotonic()
            diff = diff_configs(peer.running.config, peer.target.desired, version=peer.version)
            peer.report.changes = diff.changes
            if diff.empty:
                peer.report.outcome = PeerOutcome.UNCHANGED
                self.record(peer, 'diff', True, 'runs its desired config: nothing to send', started)
            else:
                peer.report.diff_text = diff.text(f'{peer.name} running', f'{peer.name} desired')
                changed.append(peer)
                self.record(peer, 'diff', True, f'{len(diff)} change(s): ' + ', '.join(diff.paths[:5]), started)
        self.choose_methods(changed)
        return changed

    def choose_methods(self, changed: Sequence[PeerState]) -> None:
        """For each changed peer: at runtime (Kea's commands, no reload) where Kea can take the change, else a
        reload; and what its clients can expect (docs/push.md)."""
        started = time.monotonic()
        candidates = list(changed) if self.runtime else []
        available = _concurrently(candidates, lambda kea: kea.list_commands())
        for peer, commands in zip(candidates, available, strict=True):
            assert peer.running is not None
            if isinstance(commands, str):
                plan: RuntimePlan | str = f'list-commands failed: {commands}'
            else:
                plan = runtime_plan(peer.running.config, peer.target.desired, peer.version, commands)
            if isinstance(plan, RuntimePlan):
                peer.runtime = plan
                peer.report.method = 'runtime'
                peer.report.method_detail = tuple(plan.what)
                peer.report.interruption = 'none: Kea takes the change while it runs, HA keeps running'
            else:
                peer.report.method_detail = (plan,)
        reload = [p for p in changed if p.runtime is None]
        if not self.runtime:
            for peer in reload:
                peer.report.method_detail = ('runtime changes are off (the rolling push)',)
        leases = _concurrently(reload, lambda kea: kea.command('statistic-get-all'))
        for peer, answer in zip(reload, leases, strict=True):
            peer.report.method = 'reload'
            count = None if isinstance(answer, str) else _lease_count(answer.arguments)
            peer.report.interruption = self.reload_interruption(peer, count)
        for peer in changed:
            detail = '; '.join(peer.report.method_detail)
            text = f'{peer.report.method}: {detail}. Clients: {peer.report.interruption}'
            self.record(peer, 'method', True, text, started)

    def reload_interruption(self, peer: PeerState, leases: int | None) -> str:
        """What a reload of `peer` costs its clients, in words."""
        mode, sync = peer.mode, peer.sync_leases
        handover = handover_for(peer, self.peers) if self.handover else None
        covered = 'its scope is not served'
        if handover is not None:
            covered = f'{handover.partner.name} serves its scope meanwhile (handed over)'
        if mode == HAMode.PASSIVE_BACKUP or peer.role == HARole.BACKUP:
            return f'a restart of HA on this server (about 1 s) with no lease sync; {covered}'
        if sync is False:
            return f'a restart of HA on this server (about 1 s), no lease sync (sync-leases is off); {covered}'
        how_many = f'{leases:,} leases' if leases is not None else 'the leases (count unknown)'
        seconds = f'about {0.1 + leases * _LEASE_SYNC_SECONDS:.1f} s' if leases is not None else 'as long'
        return (
            f'one lease sync: both servers stop answering for {seconds} while {how_many} are copied, after a restart '
            f'of HA on this server (about 1 s; {covered})'
        )

    def disruptive(self, changed: Sequence[PeerState]) -> list[str]:
        out: list[str] = []
        for peer in changed:
            if peer.desired_detection is None:
                continue
            running = peer.running_detection
            if running is None:
                out.append(f'{peer.name}: its running config has no readable HA relationship')
                continue
            out.extend(disruptive_changes(peer.name, running, peer.desired_detection))
        return out

    def statuses(self, peers: Sequence[PeerState]) -> list[ServerStatus | str]:
        if len(peers) == 1:  # on the peer's own (open) client: no new connection for each poll of a settle
            try:
                return [peers[0].client.status_get()]
            except KeaError as exc:
                return [str(exc)]
        return _concurrently(peers, lambda kea: kea.status_get())

    def health(self) -> str | None:
        """Why the relationship is not healthy enough to touch, or None."""
        readable = [p for p in self.peers if p.running is not None]
        problems: list[str] = []
        for peer, status in zip(readable, self.statuses(readable), strict=True):
            if isinstance(status, str):
                problems.append(f'{peer.name}: status-get failed: {status}')
                continue
            peer.report.state = relationship_state(status, peer.name)
            views = peer.running_views
            for name, mode, role in views:
                peer.states_before[name] = relationship_state(status, name) or ''
                if role not in ACTIVE_ROLES:
                    continue
                problem = health_problem(status, name, mode, role)
                if problem:
                    where = f' ({name})' if len(views) > 1 else ''
                    problems.append(f'{peer.name}{where}: {problem}')
        if problems:
            return 'the relationship is not healthy: ' + '; '.join(problems)
        self.emit('health', 'ok', 'every active peer is in its operational state')
        return None

    def test_configs(self, changed: Sequence[PeerState]) -> bool:
        for peer in changed:
            detection = peer.running_detection
            relationships = (detection.relationships if detection else ()) + (
                peer.desired_detection.relationships if peer.desired_detection else ()
            )
            if config_test_is_unsafe(peer.version, relationships):
                started = time.monotonic()
                self.record(
                    peer,
                    'config-test',
                    True,
                    f'skipped: a config-test kills the dedicated HA listener of Kea {peer.version} (fixed in 3.0.4)',
                    started,
                )
                continue
            started = time.monotonic()
            self.emit('config-test', 'start', '', peer)
            try:
                text = peer.client.config_test(peer.target.desired)
            except KeaError as exc:
                self.record(peer, 'config-test', False, str(exc), started)
                self.fail(peer, f'config-test rejected the desired config: {exc}')
                return False
            self.record(peer, 'config-test', True, text or '', started)
        return True

    # -- one peer -------------------------------------------------------------------------------------------

    def set_config(self, peer: PeerState, config: Mapping[str, Any], step: str) -> bool:
        started = time.monotonic()
        self.emit(step, 'start', '', peer)
        try:
            text = peer.client.config_set(config)
        except KeaError as exc:
            self.record(peer, step, False, str(exc), started)
            return False
        self.record(peer, step, True, f'hash {text}' if text else 'Configuration successful.', started)
        return True

    def check_hooks(self, peer: PeerState, detection: Detection | None) -> bool:
        started = time.monotonic()
        try:
            commands = peer.client.list_commands()
        except KeaError as exc:
            self.record(peer, 'hooks', False, f'list-commands failed: {exc}', started)
            return False
        missing = missing_hooks(commands, peer.family, detection) if detection else []
        if missing:
            text = 'hooks not loaded (Kea refused the hook config at load): missing ' + ', '.join(missing)
            self.record(peer, 'hooks', False, text, started)
            return False
        self.record(peer, 'hooks', True, 'HA and lease hooks loaded', started)
        return True

    def wait_settled(self, peers: Sequence[PeerState], views: Callable[[PeerState], list[View]]) -> list[PeerState]:
        """Poll until every peer has settled in each of its relationships (`views`) or the time is up; the peers
        that did not settle."""
        started = time.monotonic()
        deadline = started + self.settle_timeout
        waiting = list(peers)
        last: dict[str, str] = {}
        for peer in waiting:
            self.emit('settle', 'start', f'waiting up to {self.settle_timeout:g} s', peer)
        while waiting:
            still = []
            for peer, status in zip(waiting, self.statuses(waiting), strict=True):
                if isinstance(status, str):
                    last[peer.name] = f'status-get failed: {status}'
                    still.append(peer)
                    continue
                peer.report.state = relationship_state(status, peer.name)
                problem = unsettled(status, peer, views(peer))
                if problem:
                    last[peer.name] = problem
                    still.append(peer)
                else:
                    self.record(peer, 'settle', True, settled_text(status, views(peer)), started)
            waiting = still
            if not waiting or time.monotonic() >= deadline:
                break
            time.sleep(self.poll_interval)
        for peer in waiting:
            text = f'not settled within {self.settle_timeout:g} s: {last.get(peer.name, "no answer")}'
            self.record(peer, 'settle', False, text, started)
        return waiting

    def write_config(self, peer: PeerState) -> bool:
        started = time.monotonic()
        try:
            written = peer.client.config_write()
        except KeaError as exc:
            self.record(peer, 'config-write', False, str(exc), started)
            return False
        self.record(peer, 'config-write', True, written.text or f'{written.filename}', started)
        return True

    def rollback(self, peer: PeerState, handover: Handover | None = None) -> None:
        """Set the peer's previous config back and wait for it to recover; outcome ROLLED_BACK or FAILED, and
        `peer.recovered` once it has settled again. `handover`: as in `reload`."""
        assert peer.running is not None
        self.emit('rollback', 'start', 'setting its previous config back', peer)
        if not self.set_config(peer, peer.running.config, 'rollback'):
            peer.report.outcome = PeerOutcome.FAILED
            self.fail(peer, 'its previous config could not be set back')
            return
        if handover is not None:
            self.hold(handover)
        if not self.check_hooks(peer, peer.running_detection):
            peer.report.outcome = PeerOutcome.FAILED
            self.fail(peer, 'its previous config was set back but its hooks did not load')
            return
        peer.report.outcome = PeerOutcome.ROLLED_BACK
        has_ha = peer.running_detection is not None and peer.running_detection.has_ha
        if has_ha and handover is not None and self.wait_serving(peer):
            self.hand_back(handover)
        peer.recovered = not has_ha or not self.wait_settled([peer], lambda p: p.running_views)

    def set_scopes(self, partner: PeerState, scopes: list[str], step: str, for_peer: PeerState) -> bool:
        started = time.monotonic()
        try:
            text = partner.client.ha_scopes(scopes)
        except KeaError as exc:
            self.record(for_peer, step, False, f'{partner.name} ha-scopes {scopes}: {exc}', started)
            return False
        served = ', '.join(scopes) or 'no scope'
        self.record(for_peer, step, True, f'{partner.name} serves {served} ({text})', started)
        return True

    def hold(self, handover: Handover) -> bool:
        """Keep the reloaded peer from answering anything (`dhcp-disable`, for at most the settle timeout and a
        margin) until its partner has stopped serving its scope: right after the reload, while the peer still
        waits for its first heartbeat. Otherwise the peer serves its scope the moment it reaches its operational
        state, while the partner still does, and both lease from one pool."""
        peer = handover.peer
        started = time.monotonic()
        seconds = int(self.settle_timeout) + _HOLD_MARGIN
        try:
            text = peer.client.command('dhcp-disable', {'max-period': seconds}).text
        except KeaError as exc:
            self.record(peer, 'hold', False, f'dhcp-disable: {exc}', started)
            return False
        handover.held = True
        self.record(peer, 'hold', True, f'answers nothing until the handback ({text})', started)
        return True

    def hand_back(self, handover: Handover) -> None:
        """The partner serves its own scope again, then the peer is released (`dhcp-enable`) to serve its own; what
        is done already is not sent again (`handover.handed_back`, `handover.held` say what is left)."""
        peer = handover.peer
        if not handover.handed_back:
            handover.handed_back = self.set_scopes(handover.partner, handover.after, 'handback', peer)
        if not handover.held:
            return
        started = time.monotonic()
        try:
            text = peer.client.command('dhcp-enable').text
        except KeaError as exc:
            self.record(peer, 'release', False, f'dhcp-enable: {exc}', started)
            return
        handover.held = False
        self.record(peer, 'release', True, text or 'answers again', started)

    def wait_serving(self, peer: PeerState) -> bool:
        """Poll the restarted peer closely until it has left `waiting` and `syncing` (False when it has not within
        the settle timeout): from then on it may serve its own scope again (entering its operational state resets
        the scopes it serves), so its partner must stop serving that scope before the peer settles."""
        started = time.monotonic()
        deadline = started + self.settle_timeout
        last = 'no answer'
        while True:
            status = self.statuses([peer])[0]
            if isinstance(status, str):
                last = f'status-get failed: {status}'
            else:
                state = relationship_state(status, peer.name)
                if state is not None and state not in _RESTARTING:
                    self.record(peer, 'serving', True, f'HA state {state}: may serve its scope', started)
                    return True
                last = f'HA state is {state}'
            if time.monotonic() >= deadline:
                text = f'still restarting after {self.settle_timeout:g} s: {last}'
                self.record(peer, 'serving', False, text, started)
                return False
            time.sleep(_SERVING_POLL)

    def push_one(self, peer: PeerState) -> bool:
        """config-set, hooks, settle, config-write on one peer; rolled back on failure.

        With `handover`, the peer stops serving (`drain`: `ha-scopes []`), then its partner takes the peer's scope
        (`ha-scopes`), and a pause lets the exchanges the peer started finish. Right after the reload the
        peer is held (`dhcp-disable`); as soon as it has left `waiting` and `syncing` (`serving`) the partner
        hands the scope back and the peer is released (`dhcp-enable`), before the peer settles: the two never
        serve one scope together. A failure rolls the peer back the same way (the partner takes the scope again
        if it had handed it back). Last the peer is told to serve its own scope (`resume`: a reload resets it
        anyway, a failed config-set may not have). A peer that did not recover leaves its scope with the partner
        (procedure D of kea-zero-loss-push-observed.md, with the drain, the hold and the early handback).
        """
        handover = handover_for(peer, self.peers) if self.handover else None
        if handover is None:
            return self.push_steps(peer)
        partner, during = handover.partner, handover.during
        # The peer stops first, then the partner starts: never both serving the scope, even for a round trip.
        if not self.set_scopes(peer, [], 'drain', peer):
            self.fail(peer, f'the drain failed: {peer.report.steps[-1].text}')
            return False
        if not self.set_scopes(partner, during, 'handover', peer):
            self.fail(peer, f'the scope handover failed: {peer.report.steps[-1].text}')
            self.set_scopes(peer, [peer.name], 'resume', peer)
            return False
        time.sleep(_DRAIN_SECONDS)
        ok = self.reload(peer, handover)
        if not ok:
            if handover.handed_back and self.set_scopes(partner, during, 'handover', peer):
                handover.handed_back = False  # the rollback reloads the peer again: its partner serves meanwhile
            self.rollback(peer, None if handover.handed_back else handover)
        if not handover.handed_back and not ok and not peer.recovered:
            # Its clients have nobody else: the partner keeps serving them (it also would in partner-down).
            text = f'{partner.name} keeps serving {", ".join(during)}: {peer.name} did not recover'
            self.record(peer, 'handback', False, text, time.monotonic())
            return False
        self.hand_back(handover)  # what is left of it, if anything
        resumed = self.set_scopes(peer, [peer.name], 'resume', peer)
        if ok and not (resumed and handover.handed_back and not handover.held):
            failed = next(s for s in reversed(peer.report.steps) if not s.ok)
            self.fail(peer, f'the scope handback failed: {failed.text}')
            return False
        return ok

    def push_runtime(self, peer: PeerState) -> bool:
        """
        Apply the peer's change with Kea's own commands (`peer.runtime`), HA running all along: each command, then
        a read back that must equal the desired config, then `config-write`. A command Kea refuses, or a read back
        that differs, undoes what was applied (the inverse commands; the previous config set back if they fail).
        """
        assert peer.runtime is not None
        before = self.statuses([peer])[0]
        applied: list[Command] = []
        for command in peer.runtime.commands:
            started = time.monotonic()
            self.emit(command.name, 'start', command.what, peer)
            try:
                text = peer.client.command(command.name, command.arguments).text
            except KeaError as exc:
                self.record(peer, command.name, False, f'{command.what}: {exc}', started)
                self.fail(peer, f'Kea refused {command.name} ({command.what}): {exc}')
                self.undo_runtime(peer, applied)
                return False
            self.record(peer, command.name, True, f'{command.what} ({text})' if text else command.what, started)
            applied.append(command)
        started = time.monotonic()
        try:
            readback = peer.client.config_get()
        except KeaError as exc:
            self.record(peer, 'verify', False, f'config-get failed: {exc}', started)
            self.fail(peer, f'the change could not be read back: {exc}')
            self.undo_runtime(peer, applied)
            return False
        left = diff_configs(readback.config, peer.target.desired, version=peer.version)
        if not left.empty:
            self.record(peer, 'verify', False, 'runs something else: ' + ', '.join(left.paths[:5]), started)
            self.fail(peer, 'Kea took the commands but does not run the desired config: ' + ', '.join(left.paths[:5]))
            self.undo_runtime(peer, applied)
            return False
        after = self.statuses([peer])[0]
        restarted = _restarted(before, after)
        self.record(
            peer,
            'verify',
            not restarted,
            'runs the desired config; ' + (restarted or 'HA was not restarted'),
            started,
        )
        if restarted:
            self.fail(peer, f'HA restarted during a runtime change: {restarted}')
            return False
        if self.write and not self.write_config(peer):
            self.fail(peer, f'config-write failed: {peer.report.steps[-1].text}')
            self.undo_runtime(peer, applied)
            return False
        peer.report.outcome = PeerOutcome.PUSHED
        return True

    def undo_runtime(self, peer: PeerState, applied: Sequence[Command]) -> None:
        """Undo runtime commands in reverse order and check the peer runs its previous config again; when that fails,
        set its previous config back (a reload). Outcome ROLLED_BACK or FAILED."""
        assert peer.running is not None
        started = time.monotonic()
        try:
            for command in reversed(applied):
                if command.undo is not None:
                    peer.client.command(*command.undo)
            back = peer.client.config_get()
        except KeaError as exc:
            self.record(peer, 'undo', False, f'undoing the commands failed: {exc}', started)
            self.rollback(peer)
            return
        left = diff_configs(back.config, peer.running.config, version=peer.version)
        if not left.empty:
            self.record(peer, 'undo', False, 'not back on its previous config: ' + ', '.join(left.paths[:5]), started)
            self.rollback(peer)
            return
        self.record(peer, 'undo', True, f'{len(applied)} command(s) undone: back on its previous config', started)
        peer.report.outcome = PeerOutcome.ROLLED_BACK
        peer.recovered = True

    def push_steps(self, peer: PeerState) -> bool:
        """`reload` the peer; a failure sets its previous config back."""
        if self.reload(peer):
            return True
        self.rollback(peer)
        return False

    def reload(self, peer: PeerState, handover: Handover | None = None) -> bool:
        """config-set, hooks, settle, config-write; False at the first that fails (the caller rolls back).
        With a `handover`, the peer is held right after the config-set, and its scope handed back as soon as it
        may serve again, before it settles."""
        if not self.set_config(peer, peer.target.desired, 'config-set'):
            self.fail(peer, f'config-set failed: {peer.report.steps[-1].text}')
            return False
        if handover is not None and not self.hold(handover):
            self.fail(peer, f'the hold failed: {peer.report.steps[-1].text}')
            return False
        if not self.check_hooks(peer, peer.desired_detection):
            self.fail(peer, peer.report.steps[-1].text)
            return False
        if peer.desired_detection is not None and peer.desired_detection.has_ha:
            if handover is not None:
                if not self.wait_serving(peer):
                    self.fail(peer, f'HA did not restart: {peer.report.steps[-1].text}')
                    return False
                self.hand_back(handover)
            if self.wait_settled([peer], lambda p: p.desired_views):
                self.fail(peer, f'HA did not settle: {peer.report.steps[-1].text}')
                return False
        if self.write and not self.write_config(peer):
            self.fail(peer, f'config-write failed: {peer.report.steps[-1].text}')
            return False
        peer.report.outcome = PeerOutcome.PUSHED
        return True

    # -- the whole ----------------------------------------------------------------------------------------------

    def push_rolling(self, ordered: Sequence[PeerState]) -> None:
        for index, peer in enumerate(ordered):
            pushed = self.push_runtime(peer) if peer.runtime is not None else self.push_one(peer)
            if not pushed:
                for rest in ordered[index + 1 :]:
                    self.emit('config-set', 'info', f'not attempted: the rollout stopped at {peer.name}', rest)
                return

    def push_disruptive(self, ordered: Sequence[PeerState]) -> None:
        done: list[PeerState] = []
        failed: PeerState | None = None
        for peer in ordered:
            done.append(peer)  # a refused config-set can have unloaded its hooks too: every peer tried goes back
            if not (
                self.set_config(peer, peer.target.desired, 'config-set')
                and self.check_hooks(peer, peer.desired_detection)
            ):
                self.fail(peer, peer.report.steps[-1].text)
                failed = peer
                break
        if failed is None:
            with_ha = [p for p in done if p.desired_detection and p.desired_detection.has_ha]
            not_settled = self.wait_settled(with_ha, lambda p: p.desired_views)
            if not_settled:
                for peer in not_settled:
                    self.fail(peer, f'HA did not settle: {peer.report.steps[-1].text}')
                failed = not_settled[0]
            elif self.write:
                for peer in done:
                    if not self.write_config(peer):
                        self.fail(peer, f'config-write failed: {peer.report.steps[-1].text}')
                        failed = peer
                        break
        if failed is None:
            for peer in done:
                peer.report.outcome = PeerOutcome.PUSHED
            return
        # A disruptive change only half done leaves HA stuck: every peer that took it goes back.
        for peer in reversed(done):
            self.rollback(peer)

    def run(self) -> RolloutReport:
        # Validation first: a desired config with an error never causes any request, not even a read.
        refused = self.validate(real_versions=False)
        if refused:
            return self.finish(refused)
        self.read()
        unreadable = [p for p in self.peers if p.read_error is not None]
        if unreadable and not self.force:
            names = '; '.join(f'{p.name}: {p.read_error}' for p in unreadable)
            return self.finish(f'cannot read every peer: {names}')
        for peer in unreadable:
            peer.report.outcome = PeerOutcome.FAILED
            self.fail(peer, f'cannot be read: {peer.read_error}')
        if any(p.version != p.target.version for p in self.peers if p.running is not None):
            refused = self.validate(real_versions=True)
            if refused:
                return self.finish(refused)
        changed = self.diff()
        if not changed:
            return self.finish()
        disruptive = self.disruptive(changed)
        self.report.disruptive = tuple(disruptive)
        if disruptive and not self.allow_disruptive:
            return self.finish(
                'changes no peer can take alone (it would wait for its partner until they match): '
                + '; '.join(disruptive)
                + '. Push them with allow_disruptive.'
            )
        problem = self.health()
        if problem and not self.force:
            return self.finish(f'{problem}. Fix it first, or push with force.')
        if self.dry_run:
            return self.finish()
        ordered = sorted(changed, key=lambda p: push_rank(p.role))
        if self.config_test and not self.test_configs(ordered):
            return self.finish()
        if disruptive:
            self.push_disruptive(ordered)
        else:
            self.push_rolling(ordered)
        return self.finish()


def _concurrently[T](peers: Sequence[PeerState], call: Callable[[AsyncKeaClient], Any]) -> list[T | str]:
    """`call` against every peer's endpoint at once (`kea.client.gather`, the package's one way to talk to many
    servers at once); each peer's answer, or its error as text."""
    if not peers:
        return []
    outcomes = gather_sync(gather([p.target.endpoint for p in peers], call))
    return [outcome.value if outcome.ok else str(outcome.error) for outcome in outcomes]  # type: ignore[misc]


#: Seconds a lease sync takes per lease, measured (kea-zero-loss-push-observed.md: 10,000 leases in 1.05-1.88 s).
_LEASE_SYNC_SECONDS = 0.00015


def _lease_count(arguments: Any) -> int | None:
    """The leases a server holds, from `statistic-get-all` (assigned addresses, DHCPv6 NAs and PDs of every
    subnet)."""
    if not isinstance(arguments, Mapping):
        return None
    total = 0
    for name, samples in arguments.items():
        if name.endswith(('.assigned-addresses', '.assigned-nas', '.assigned-pds')) and samples:
            value = samples[0][0] if isinstance(samples[0], list) else None
            if isinstance(value, int):
                total += value
    return total


def _restarted(before: ServerStatus | str, after: ServerStatus | str) -> str | None:
    """Why `after` shows HA restarted since `before` (a reload: Kea's seconds since the last reconfiguration went
    down), or None."""
    if isinstance(before, str) or isinstance(after, str):
        return None
    if before.reload is not None and after.reload is not None and after.reload < before.reload:
        return f'Kea reconfigured (seconds since the last reload: {before.reload} -> {after.reload})'
    return None


def _plausible(version: KeaVersion, running: KeaConfig) -> bool:
    """Whether a config-get answer can come from this Kea version (config-get returns a hash from 2.4 on)."""
    if version < _HASH_SINCE:
        return running.hash is None
    if running.hash is None:
        return False
    inferred = infer_version({**running.config, 'hash': running.hash})
    return not (inferred is not None and inferred >= _KEA_3_0 and version < _KEA_2_7)


def _finding_text(finding: Finding) -> str:
    return f'{finding.field}: {finding.message}' if finding.field else finding.message


def _check_targets(targets: Sequence[Target]) -> None:
    if not targets:
        raise RolloutError('a rollout needs at least one target')
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise RolloutError(f'target names must be unique, got {", ".join(names)}')
    roots = set()
    for target in targets:
        if not isinstance(target.name, str) or not target.name:
            raise RolloutError(f'a target name must be a non-empty string, got {target.name!r}')
        try:
            roots.add(config_root(target.desired)[0])
        except ConfigError as exc:
            raise RolloutError(f'the desired config of {target.name} is not a Kea config: {exc}') from None
    if len(roots) > 1:
        raise RolloutError('the desired configs mix Dhcp4 and Dhcp6')


def rollout(
    targets: Sequence[Target],
    *,
    force: bool = False,
    allow_disruptive: bool = False,
    settle_timeout: float = 60.0,
    poll_interval: float = 0.25,
    config_test: bool = True,
    write: bool = True,
    dry_run: bool = False,
    handover: bool = False,
    runtime: bool = False,
    progress: ProgressCallback | None = None,
    client_factory: ClientFactory = KeaClient,
    clients: Mapping[str, KeaClient] | None = None,
) -> RolloutReport:
    """Push each target's desired config safely (see the module docstring); the report says what happened.

    `force`: go ahead although the relationship is not healthy or a peer cannot be read. `allow_disruptive`:
    push changes no peer can take alone. `settle_timeout`: seconds each peer may take to settle after its
    config-set (the plugin's `settle_timeout` setting). `config_test`: run Kea's config-test first. `write`:
    `config-write` each pushed config (so a restart keeps it). `dry_run`: everything up to the push, nothing
    sent. `handover`: the partner serves a peer's scope while it restarts (`ha-scopes`; load-balancing, and the
    primary in hot-standby). `runtime`: apply changes Kea takes while it runs (subnets, classes, reservations, with
    the subnet_cmds, class_cmds and host_cmds hooks) with its commands, without a reload (`runtime.runtime_plan`).
    `progress`: called with every step. `clients`: open clients to use, by target name (kept open, so a
    caller can reuse their connections); the others are made with `client_factory` and closed at the end.
    """
    if settle_timeout <= 0 or poll_interval <= 0:
        raise RolloutError('settle_timeout and poll_interval must be positive numbers of seconds')
    work = _Rollout(
        targets,
        force=force,
        allow_disruptive=allow_disruptive,
        settle_timeout=settle_timeout,
        poll_interval=poll_interval,
        config_test=config_test,
        write=write,
        dry_run=dry_run,
        handover=handover,
        runtime=runtime,
        progress=progress,
        client_factory=client_factory,
        clients=clients,
    )
    try:
        return work.run()
    finally:
        work.close()


def plan(targets: Sequence[Target], **options: Any) -> RolloutReport:
    """A dry run: validation, reads, diffs, the disruptive and health checks; nothing is sent to any server."""
    return rollout(targets, dry_run=True, **options)
