"""
Hiding secrets for display: `redact_secrets` returns a deep copy of a Kea config (or any JSON-like value, or the
`Relationship`/`Peer` values of ha.py) with the value of every key in `SECRET_KEYS` replaced by `REDACTED`.

Rendered `hooks-libraries` blocks carry the peers' `basic-auth-password` in clear, because Kea needs it there;
anything shown to a user, logged, diffed or stored for history goes through `redact_secrets` first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .ha import SECRET_KEYS

__all__ = ('REDACTED', 'is_secret_key', 'redact_secrets')

#: What a secret is replaced with.
REDACTED = '********'


def is_secret_key(key: Any) -> bool:
    """Whether a map key (`basic-auth-password`) or attribute name (`basic_auth_password`) names a secret."""
    return isinstance(key, str) and key.lower().replace('_', '-') in SECRET_KEYS


def redact_secrets(obj: Any) -> Any:
    """A deep copy of `obj` with every secret value replaced by `REDACTED` (None values stay None).

    Handles maps, lists and tuples at any depth, and dataclass instances such as `Relationship` and `Peer`
    (a new instance with its secret fields replaced). Other values are returned as they are.
    """
    if isinstance(obj, Mapping):
        return {
            key: _redacted_value(value) if is_secret_key(key) else redact_secrets(value) for key, value in obj.items()
        }
    if isinstance(obj, list):
        return [redact_secrets(item) for item in obj]
    if isinstance(obj, tuple):
        return tuple(redact_secrets(item) for item in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {}
        for f in dataclasses.fields(obj):
            if not f.init:
                continue
            value = getattr(obj, f.name)
            changes[f.name] = _redacted_value(value) if is_secret_key(f.name) else redact_secrets(value)
        return dataclasses.replace(obj, **changes)
    return obj


def _redacted_value(value: Any) -> Any:
    return None if value is None else REDACTED
