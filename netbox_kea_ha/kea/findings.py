"""
Findings: what validation reports about a Kea configuration (`Finding`, `Severity`) and a collector for them.

A finding names the Kea path it is about (`field`), has a stable `code`, and a message. See validate.py and
docs/validation.md for the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = (
    'Finding',
    'FindingCollector',
    'Severity',
    'errors',
    'join_path',
    'strip_position',
    'warnings',
)

#: Kea's file position suffix: ` (<wire>:0:4114)`, ` (kea.conf:45:9)`, ` (<string>:1:1904)`, optionally followed by
#: the element's span (` [hooks-libraries map between kea.conf:1:130 and kea.conf:1:147]`).
_POSITION = re.compile(r'(?:\s+in)?\s*\((?:[^()]*:\d+[:.]\d+(?:-\d+)?)\)(?:\s*\[[^\[\]]* between [^\[\]]*\])?\s*$')


class Severity(StrEnum):
    """How bad a finding is: an error (Kea refuses it) or a warning (Kea accepts it, HA suffers)."""

    ERROR = 'error'
    WARNING = 'warning'


@dataclass(frozen=True)
class Finding:
    """One thing validation found, tied to a Kea path (`field`) and a stable `code`."""

    severity: Severity
    #: Kea path of what is wrong: 'mode', 'heartbeat-delay', 'multi-threading.http-dedicated-listener', 'peers',
    #: 'peers[1].url', 'state-machine.states[0].pause', 'high-availability[1].mode', 'hooks-libraries[0]', ...
    field: str
    #: For errors: Kea's own text. For warnings: a sentence with advice.
    message: str
    #: Stable identifier, e.g. 'ha.no-peer-for-this-server'.
    code: str
    #: True when it only says that something required is still missing (NetBox does not block saves on it).
    incomplete: bool = False

    @property
    def is_error(self) -> bool:
        """True for an error."""
        return self.severity == Severity.ERROR

    def __str__(self) -> str:
        return f'{self.severity}: {self.field}: {self.message}'

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain JSON (for a model's `findings` field or a REST answer)."""
        return {
            'severity': str(self.severity),
            'field': self.field,
            'message': self.message,
            'code': self.code,
            'incomplete': self.incomplete,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """The inverse of `to_dict`."""
        return cls(
            Severity(data['severity']),
            str(data['field']),
            str(data['message']),
            str(data['code']),
            bool(data.get('incomplete', False)),
        )


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """The errors among the findings."""
    return [f for f in findings if f.severity == Severity.ERROR]


def warnings(findings: Iterable[Finding]) -> list[Finding]:
    """The warnings among the findings."""
    return [f for f in findings if f.severity == Severity.WARNING]


def join_path(prefix: str, field: str) -> str:
    """`peers[1]` + `url` -> `peers[1].url`; `high-availability` + `[0]` -> `high-availability[0]`."""
    if not prefix:
        return field
    if not field:
        return prefix
    return f'{prefix}{field}' if field.startswith('[') else f'{prefix}.{field}'


class FindingCollector:
    """Collects findings into one list, under a Kea path prefix (`child` makes a collector for a sub-path)."""

    def __init__(self, prefix: str = '', findings: list[Finding] | None = None) -> None:
        self.prefix = prefix
        self.findings: list[Finding] = [] if findings is None else findings

    def child(self, prefix: str) -> FindingCollector:
        """A collector for a sub-path (`peers[1]`, `[0]`) that adds to the same list."""
        return FindingCollector(join_path(self.prefix, prefix), self.findings)

    def error(self, field: str, message: str, code: str, *, incomplete: bool = False) -> None:
        """Add an error about `field` (relative to the prefix)."""
        self.findings.append(Finding(Severity.ERROR, join_path(self.prefix, field), message, code, incomplete))

    def warning(self, field: str, message: str, code: str) -> None:
        """Add a warning about `field` (relative to the prefix)."""
        self.findings.append(Finding(Severity.WARNING, join_path(self.prefix, field), message, code))


def strip_position(message: str) -> str:
    """Kea's text without its trailing file position (`missing parameter 'url' (<wire>:0:45)` -> without it)."""
    return _POSITION.sub('', message)
