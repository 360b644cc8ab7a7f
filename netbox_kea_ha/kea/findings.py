"""
Findings: what validation reports about a Kea configuration (`Finding`, `Severity`) and a collector for them.

A finding says where it is as data: `path`, the keys and list indexes from what was validated down to the value at
fault (`('peers', 1, 'url')`, `('high-availability', 0, 'mode')`, `('hooks-libraries', 1, 'parameters',
'high-availability', 0, 'peers', 1, 'url')`); `field` is the same as Kea text (`peers[1].url`), for people. It has
a stable `code` and a message, and may name the peer, server and other relationship it concerns (the NetBox layer
fills those in; this package knows no names but Kea's). One type, one serialisation (`as_dict` / `from_dict`). See
validate.py and docs/validation.md for the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

__all__ = (
    'HA_LIST',
    'Finding',
    'FindingCollector',
    'Path',
    'Severity',
    'errors',
    'path_of',
    'path_text',
    'strip_position',
    'warnings',
)

#: Where a finding is: keys (text) and list indexes (int), from the top of what was validated.
type Path = tuple[str | int, ...]

#: The key of the HA hook's list of relationships.
HA_LIST = 'high-availability'

#: Kea's file position suffix: ` (<wire>:0:4114)`, ` (kea.conf:45:9)`, ` (<string>:1:1904)`, optionally followed by
#: the element's span (` [hooks-libraries map between kea.conf:1:130 and kea.conf:1:147]`).
_POSITION = re.compile(r'(?:\s+in)?\s*\((?:[^()]*:\d+[:.]\d+(?:-\d+)?)\)(?:\s*\[[^\[\]]* between [^\[\]]*\])?\s*$')
_STEP = re.compile(r'([^.\[\]]+)|\[(\d+)\]')


class Severity(StrEnum):
    """How bad a finding is: an error (Kea refuses it) or a warning (Kea accepts it, HA suffers)."""

    ERROR = 'error'
    WARNING = 'warning'


def path_of(text: str | Path) -> Path:
    """A path from Kea text as the rules write it (`peers[1].url`, `[0].parameters`, `multi-threading.enable-
    multi-threading`); a path given as a tuple is returned as it is. Kea's keys hold no `.`, `[` or `]`."""
    if isinstance(text, tuple):
        return text
    return tuple(key if key else int(index) for key, index in _STEP.findall(text))


def path_text(path: Path) -> str:
    """A path as Kea text: `('peers', 1, 'url')` -> `peers[1].url`."""
    out = ''
    for step in path:
        if isinstance(step, int):
            out += f'[{step}]'
        else:
            out += f'.{step}' if out else step
    return out


@dataclass(frozen=True)
class Finding:
    """One thing validation found: where (`path`), how bad, a stable `code` and a message."""

    severity: Severity
    #: Where, as data (see the module docstring).
    path: Path
    #: For errors: Kea's own text. For warnings: a sentence with advice.
    message: str
    #: Stable identifier, e.g. 'ha.no-peer-for-this-server'.
    code: str
    #: True when it only says that something required is still missing (NetBox does not block saves on it).
    incomplete: bool = False
    #: The peer it concerns, by name (set by whoever knows the names: the NetBox layer).
    peer: str | None = None
    #: The server whose whole HA list it concerns (hub-and-spoke rules).
    server: str | None = None
    #: Another relationship of that server that it concerns, by name.
    relationship: str | None = None

    @property
    def field(self) -> str:
        """The path as Kea text (`peers[1].url`), for people; code reads `path`."""
        return path_text(self.path)

    @property
    def is_error(self) -> bool:
        """True for an error."""
        return self.severity == Severity.ERROR

    @property
    def blocking(self) -> bool:
        """True when it stops a save: an error that does not only say something is still missing."""
        return self.is_error and not self.incomplete

    @property
    def relationship_index(self) -> int | None:
        """The index in the HA list of the relationship it is about, when its path goes through that list."""
        for i, step in enumerate(self.path[:-1]):
            if step == HA_LIST and isinstance(self.path[i + 1], int):
                return int(self.path[i + 1])
        return None

    def in_relationship(self) -> Finding:
        """The same finding with its path relative to its relationship (what comes after `high-availability[i]`);
        unchanged when its path does not go through the HA list."""
        for i, step in enumerate(self.path[:-1]):
            if step == HA_LIST and isinstance(self.path[i + 1], int):
                return replace(self, path=self.path[i + 2 :])
        return self

    @property
    def peer_index(self) -> int | None:
        """The index of the peer it is about, for a path relative to a relationship (`('peers', 1, ...)`)."""
        if len(self.path) >= 2 and self.path[0] == 'peers' and isinstance(self.path[1], int):
            return int(self.path[1])
        return None

    @property
    def key(self) -> Path:
        """What the finding is about inside its peer (`('url',)`), or inside its relationship for a finding about
        no single peer (`('heartbeat-delay',)`, `('peers',)`)."""
        return self.path[2:] if self.peer_index is not None else self.path

    def named(
        self, peers: Iterable[str] = (), *, server: str | None = None, relationship: str | None = None
    ) -> Finding:
        """The finding with the peer it is about named (from the relationship's peer names, in order), and the
        `server` and other `relationship` it concerns, when given."""
        names = list(peers)
        index = self.peer_index
        peer = names[index] if index is not None and index < len(names) else self.peer
        return replace(self, peer=peer, server=server or self.server, relationship=relationship or self.relationship)

    @property
    def text(self) -> str:
        """The message with where it applies, for a form error or a log line."""
        where = [
            f'server {self.server!r}' if self.server else '',
            f'relationship {self.relationship!r}' if self.relationship else '',
            f'peer {self.peer!r}' if self.peer else '',
            f'Kea: {self.field}' if self.path else '',
        ]
        where_text = ', '.join(w for w in where if w)
        return f'{self.message} ({where_text})' if where_text else self.message

    def __str__(self) -> str:
        return f'{self.severity}: {self.field}: {self.message}'

    def as_dict(self) -> dict[str, Any]:
        """The finding as plain JSON (a model's `findings` field, REST, GraphQL, job data); `field` is the path as
        text, for people and older readers."""
        return {
            'severity': str(self.severity),
            'path': list(self.path),
            'field': self.field,
            'message': self.message,
            'code': self.code,
            'incomplete': self.incomplete,
            'peer': self.peer,
            'server': self.server,
            'relationship': self.relationship,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """The inverse of `as_dict` (a dict without `path`, as stored by older versions, has it from `field`)."""
        path = tuple(data['path']) if 'path' in data else path_of(str(data.get('field') or ''))
        return cls(
            Severity(data['severity']),
            path,
            str(data['message']),
            str(data['code']),
            bool(data.get('incomplete', False)),
            data.get('peer'),
            data.get('server'),
            data.get('relationship'),
        )


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """The errors among the findings."""
    return [f for f in findings if f.severity == Severity.ERROR]


def warnings(findings: Iterable[Finding]) -> list[Finding]:
    """The warnings among the findings."""
    return [f for f in findings if f.severity == Severity.WARNING]


class FindingCollector:
    """Collects findings into one list, under a path prefix (`child` makes a collector for a sub-path)."""

    def __init__(self, prefix: Path = (), findings: list[Finding] | None = None) -> None:
        self.prefix = prefix
        self.findings: list[Finding] = [] if findings is None else findings

    def child(self, where: str | Path) -> FindingCollector:
        """A collector for a sub-path (`peers[1]`, `[0]`, or a tuple) that adds to the same list."""
        return FindingCollector(self.prefix + path_of(where), self.findings)

    def error(self, field: str | Path, message: str, code: str, *, incomplete: bool = False) -> None:
        """Add an error about `field` (relative to the prefix)."""
        self.findings.append(Finding(Severity.ERROR, self.prefix + path_of(field), message, code, incomplete))

    def warning(self, field: str | Path, message: str, code: str) -> None:
        """Add a warning about `field` (relative to the prefix)."""
        self.findings.append(Finding(Severity.WARNING, self.prefix + path_of(field), message, code))


def strip_position(message: str) -> str:
    """Kea's text without its trailing file position (`missing parameter 'url' (<wire>:0:45)` -> without it)."""
    return _POSITION.sub('', message)
