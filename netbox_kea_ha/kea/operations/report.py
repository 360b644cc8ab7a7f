"""What an HA operation tells its caller: its steps as it goes, and a report when it is done."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..rollout.report import Step
from ..status import ServerStatus

__all__ = ('OperationReport',)


@dataclass
class OperationReport:
    """
    The outcome of one operation on one peer: the steps done (reads, the command, each state check), why it was
    refused before anything was sent (`refused`), or why it failed (`error`), the HA states seen last, and (for a
    return from maintenance) how many `ha-maintenance-cancel` were sent.
    """

    operation: str
    #: The peer operated on (its name in the relationship).
    peer: str
    #: The peer the command went to (the partner for maintenance, the peer itself otherwise).
    receiver: str = ''
    steps: list[Step] = field(default_factory=list)
    #: Why nothing was sent: a state that makes the operation unsafe or pointless, an option that does not fit.
    refused: str | None = None
    #: Why it failed: a peer that cannot be reached, Kea's refusal, states that did not come as expected.
    error: str | None = None
    #: Whether a command that changes Kea's state was sent.
    sent: bool = False
    #: Each involved peer's HA state in this relationship, as last read (`unavailable` when it did not answer).
    states: dict[str, str] = field(default_factory=dict)
    #: The `ha-maintenance-cancel` commands sent (a return from maintenance); 0 otherwise.
    cancels: int = 0
    #: What DHCP clients can expect, in words.
    interruption: str = ''
    #: Each involved peer's last `status-get` (for the caller to record), by peer name.
    statuses: dict[str, ServerStatus] = field(default_factory=dict, repr=False)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the operation was done and the HA states it should lead to were seen."""
        return self.refused is None and self.error is None

    def summary(self) -> str:
        """A few lines for a job log: the verdict, then each step."""
        if self.refused:
            head = f'refused, nothing was sent: {self.refused}'
        elif self.error:
            head = f'failed: {self.error}'
        else:
            states = ', '.join(f'{name} {state}' for name, state in self.states.items())
            head = f'{self.operation} of {self.peer}: done ({states})'
        lines = [head, *(f'  {step}' for step in self.steps)]
        return '\n'.join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, for the job data."""
        return {
            'operation': self.operation,
            'peer': self.peer,
            'receiver': self.receiver,
            'ok': self.ok,
            'refused': self.refused,
            'error': self.error,
            'sent': self.sent,
            'states': dict(self.states),
            'cancels': self.cancels,
            'interruption': self.interruption,
            'seconds': round(self.seconds, 3),
            'steps': [{'name': s.name, 'ok': s.ok, 'text': s.text, 'seconds': round(s.seconds, 3)} for s in self.steps],
        }
