"""What a rollout tells its caller: progress events while it runs, and a report per peer when it is done."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..diff import Change
from ..findings import Finding
from ..ha import KeaVersion

__all__ = (
    'PeerOutcome',
    'PeerReport',
    'Progress',
    'ProgressCallback',
    'RolloutReport',
    'Step',
)


class PeerOutcome(StrEnum):
    """What happened to one peer."""

    #: Its running config already matched: nothing was sent to it.
    UNCHANGED = 'unchanged'
    #: The new config was set, its hooks loaded, HA settled and (unless disabled) the config was written.
    PUSHED = 'pushed'
    #: Something failed after its config-set; its previous config was set back.
    ROLLED_BACK = 'rolled back'
    #: Something failed and its previous config could not be restored (or it could not be read at all).
    FAILED = 'failed'
    #: Nothing was sent to it: the rollout stopped (or was refused) first, or it was a dry run.
    NOT_ATTEMPTED = 'not attempted'


@dataclass(frozen=True)
class Step:
    """One step done on a peer: its name (`config-get`, `config-test`, `config-set`, `hooks`, `settle`,
    `config-write`, `rollback`, ...), whether it worked, Kea's text or our explanation, and how long it took."""

    name: str
    ok: bool
    text: str = ''
    seconds: float = 0.0

    def __str__(self) -> str:
        return f'{self.name}: {"ok" if self.ok else "FAILED"}' + (f' ({self.text})' if self.text else '')


@dataclass
class PeerReport:
    """Everything the rollout did to one peer."""

    name: str
    url: str
    role: str | None = None
    outcome: PeerOutcome = PeerOutcome.NOT_ATTEMPTED
    version: KeaVersion | None = None
    steps: list[Step] = field(default_factory=list)
    #: What differed between the running and the desired config (secrets redacted).
    changes: tuple[Change, ...] = ()
    #: The same as a unified diff (secrets redacted), for the Plan view.
    diff_text: str = ''
    #: The first failure, in one sentence (Kea's text included).
    error: str | None = None
    #: The last HA state seen (status-get), if any.
    state: str | None = None
    #: How its change is applied: 'runtime' (commands, no reload, HA keeps running), 'reload' (config-set), or ''
    #: (nothing to apply).
    method: str = ''
    #: For 'runtime': each change in words; for 'reload': why a reload is needed.
    method_detail: tuple[str, ...] = ()
    #: What DHCP clients can expect while it is applied, in words.
    interruption: str = ''

    @property
    def differs(self) -> bool:
        """Whether its running config differed from the desired one."""
        return bool(self.changes)

    def as_dict(self) -> dict[str, Any]:
        """
        JSON-ready form (secrets are already redacted in the changes). It goes into NetBox job data, which API
        clients such as pynetbox read as nested objects and where a `url` key means a link to a NetBox object: the
        peer's Kea URL is `control_url`, and a change's `old` and `new` are JSON text (a config fragment may hold
        Kea's own `url` keys).
        """
        return {
            'name': self.name,
            'control_url': self.url,
            'role': self.role,
            'outcome': str(self.outcome),
            'version': str(self.version) if self.version else None,
            'state': self.state,
            'method': self.method,
            'method_detail': list(self.method_detail),
            'interruption': self.interruption,
            'error': self.error,
            'steps': [{'name': s.name, 'ok': s.ok, 'text': s.text, 'seconds': round(s.seconds, 3)} for s in self.steps],
            'changes': [_change_data(c) for c in self.changes],
        }


def _change_data(change: Change) -> dict[str, Any]:
    """A change for job data: `path`, `kind`, and `old`/`new` (where present) as JSON text, as the diff shows them."""
    out: dict[str, Any] = {'path': change.path, 'kind': change.kind}
    for key, value in change.as_dict().items():
        if key in ('old', 'new'):
            out[key] = json.dumps(value, sort_keys=True)
    return out


@dataclass
class RolloutReport:
    """The result of a rollout: per peer what happened, and why it was refused or stopped, if it was."""

    peers: list[PeerReport]
    #: Validation findings of every desired config (warnings included), by peer name.
    findings: dict[str, tuple[Finding, ...]] = field(default_factory=dict)
    #: Why nothing was sent at all (validation errors, an unhealthy relationship, a disruptive change), or None.
    refused: str | None = None
    #: Changes that no peer can take alone (mode, roles, peer names or URLs), one sentence each.
    disruptive: tuple[str, ...] = ()
    #: True for a dry run (plan): nothing was sent.
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when nothing was refused, every peer ended unchanged or pushed, and no step failed."""
        return self.refused is None and all(
            (
                p.outcome in (PeerOutcome.UNCHANGED, PeerOutcome.PUSHED)
                or (self.dry_run and p.outcome is PeerOutcome.NOT_ATTEMPTED)
            )
            and p.error is None
            for p in self.peers
        )

    @property
    def changed(self) -> bool:
        """True when at least one peer received and kept a new config."""
        return any(p.outcome is PeerOutcome.PUSHED for p in self.peers)

    @property
    def differs(self) -> bool:
        """True when at least one peer's running config differed from its desired one."""
        return any(p.differs for p in self.peers)

    def peer(self, name: str) -> PeerReport:
        """The report of the peer with this name."""
        for report in self.peers:
            if report.name == name:
                return report
        raise KeyError(f'no peer named {name!r} in this rollout')

    def summary(self) -> str:
        """A few lines for a job log: the verdict, then one line per peer with its steps."""
        if self.refused:
            head = f'refused: {self.refused}'
        elif self.dry_run:
            head = 'plan: ' + ('changes to push' if self.differs else 'nothing to push')
        elif self.ok:
            head = 'pushed' if self.changed else 'nothing to push: every peer runs its desired config'
        else:
            head = 'stopped: ' + next((f'{p.name}: {p.error}' for p in self.peers if p.error), 'a step failed')
        lines = [head]
        for p in self.peers:
            steps = ', '.join(str(s) for s in p.steps) or 'no steps'
            lines.append(f'  {p.name} ({p.role or "no role"}): {p.outcome} - {steps}')
            if p.method:
                lines.append(f'    how: {p.method} ({"; ".join(p.method_detail)}); clients: {p.interruption}')
        return '\n'.join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            'ok': self.ok,
            'refused': self.refused,
            'dry_run': self.dry_run,
            'disruptive': list(self.disruptive),
            'seconds': round(self.seconds, 3),
            'findings': {name: [f.as_dict() for f in findings] for name, findings in self.findings.items()},
            'peers': [p.as_dict() for p in self.peers],
        }


@dataclass(frozen=True)
class Progress:
    """One progress event: a step of the rollout (on a peer, or for the whole relationship) starting or ending."""

    step: str
    #: `start`, `ok`, `failed` or `info`.
    state: str
    message: str = ''
    peer: str | None = None

    def __str__(self) -> str:
        who = f'[{self.peer}] ' if self.peer else ''
        return f'{who}{self.step}: {self.state}' + (f' - {self.message}' if self.message else '')


#: Called with every progress event (the NetBox job log shows them).
ProgressCallback = Callable[[Progress], None]
