"""
Which validation errors a change brings in, and on which form field each belongs: what `Model.clean()` raises.

Pure functions of findings (`kea.findings.Finding`, located by path): the findings of the intent before the change
and after it (`kea.intent_findings.relationship_findings`). A save is refused only for errors the change brings in
(errors already present do not stop an unrelated edit) that say more than "something is still missing"
(`Finding.blocking`); each lands on the field it concerns, else on the form as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import NON_FIELD_ERRORS as _NON_FIELD_ERRORS

from ..kea.findings import Finding
from ..kea.ha import HA_PARAMETERS

__all__ = (
    'new_blocking',
    'peer_field',
    'relationship_field',
    'server_field',
)

#: Where a form error that belongs to no field goes.
NON_FIELD_ERRORS: str = _NON_FIELD_ERRORS

#: The model field of each HA parameter, by Kea key (`multi-threading.*` as a dotted key).
_PARAMETER_ATTRS: dict[str, str] = {p.key: p.attr for p in HA_PARAMETERS}
#: The model field of each peer key with one.
_PEER_FIELDS = {
    'name': 'name',
    'url': 'url',
    'role': 'role',
    'auto-failover': 'auto_failover',
    'basic-auth-user': 'basic_auth_user',
}


def _error_key(finding: Finding) -> tuple[str, str, str | None]:
    return finding.code, finding.message, finding.relationship


def new_blocking(after: Iterable[Finding], before: Iterable[Finding]) -> list[Finding]:
    """Blocking errors of `after` that `before` does not have."""
    known = {_error_key(f) for f in before}
    return [f for f in after if f.blocking and _error_key(f) not in known]


def _parameter(key: tuple[str | int, ...]) -> str | None:
    return _PARAMETER_ATTRS.get('.'.join(str(step) for step in key))


def relationship_field(finding: Finding, mode_changed: bool) -> str:
    """The relationship form field an error belongs on (its path is relative to the relationship)."""
    if finding.relationship is not None:
        return NON_FIELD_ERRORS
    path = finding.path
    if (attr := _parameter(path)) is not None:
        return attr
    head = path[0] if path else ''
    if head == 'mode' or (head == 'peers' and mode_changed):
        return 'mode'
    if head == 'state-machine':
        return 'state_machine'
    if finding.peer_index is not None and (attr := _parameter(finding.key)) is not None:
        # A relationship-level value a peer inherits (TLS files): the relationship's field.
        return attr
    if head and head not in ('peers', 'this-server-name'):
        return 'extra_parameters'
    return NON_FIELD_ERRORS


def peer_field(finding: Finding, index: int) -> str:
    """The peer form field an error belongs on, for the peer at `index` of its relationship."""
    if finding.relationship is not None:
        return NON_FIELD_ERRORS
    if finding.path == ('peers',):
        # Errors about the list as a whole (two primaries, a secondary in hot-standby, ...) are about roles.
        return 'role'
    if finding.peer_index != index or not finding.key:
        return NON_FIELD_ERRORS
    key = str(finding.key[0])
    if key in _PEER_FIELDS and len(finding.key) == 1:
        return _PEER_FIELDS[key]
    if key.startswith('basic-auth-password'):
        return NON_FIELD_ERRORS
    return 'extra_parameters'


def server_field(finding: Finding, index: int | None, changed: Mapping[str, bool]) -> str:
    """
    The server form field an error a server change brings in belongs on: its tag for a peer name, what changed for
    a peer URL (`changed`: control_scheme, control_port and address, whether each changed).
    """
    if index is not None and finding.relationship is None and finding.peer_index == index:
        if finding.key == ('name',):
            return 'server_tag'
        if finding.key == ('url',):
            return next((name for name in ('control_scheme', 'control_port') if changed.get(name)), 'address')
    return NON_FIELD_ERRORS
