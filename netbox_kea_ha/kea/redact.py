"""
Hiding secrets for display: `redact_secrets` returns a deep copy of a Kea config (or any JSON-like value, or the
`Relationship`/`Peer` values of ha.py) with the value of every secret key (`is_secret_key`) replaced by `REDACTED`.
`split_secrets` does the same and returns the values it took out with their paths, `join_secrets` puts them back
(for storing a config with its secrets kept apart, encrypted).

Rendered `hooks-libraries` blocks carry the peers' `basic-auth-password` in clear, because Kea needs it there;
anything shown to a user, logged, diffed or stored for history goes through `redact_secrets` first.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any

from .ha import SECRET_KEYS

__all__ = ('REDACTED', 'SecretPath', 'is_secret_key', 'join_secrets', 'redact_secrets', 'split_secrets')

#: What a secret is replaced with.
REDACTED = '********'

#: Where a secret sits in a JSON value: its keys and list indexes from the top.
SecretPath = list[str | int]

#: Endings of keys that name a secret (`basic-auth-password`, `db-secret`, `api-token`).
_SECRET_SUFFIXES = ('-password', '-secret', '-token')


def is_secret_key(key: Any) -> bool:
    """
    Whether a map key (`basic-auth-password`) or attribute name (`basic_auth_password`) names a secret: one of
    `SECRET_KEYS` (`password`, `secret`, `token`, `key`, ...) or a key ending in `-password`, `-secret` or `-token`.
    File names of secrets (`password-file`, `key-file`) are paths, not secrets.
    """
    if not isinstance(key, str):
        return False
    name = key.lower().replace('_', '-')
    return name in SECRET_KEYS or name.endswith(_SECRET_SUFFIXES)


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


def split_secrets(value: Any, placeholders: bool = False) -> tuple[Any, list[tuple[SecretPath, Any]]]:
    """
    (a copy of `value` with every secret replaced by REDACTED, [(path, secret), ...]). None and empty values are
    left alone, and so are REDACTED ones unless `placeholders` (then they are listed too, as REDACTED).
    """
    found: list[tuple[SecretPath, Any]] = []
    skipped = (None, '') if placeholders else (None, '', REDACTED)

    def walk(node: Any, path: SecretPath) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, item in node.items():
                if is_secret_key(key) and item not in skipped:
                    found.append(([*path, key], item))
                    out[key] = REDACTED
                else:
                    out[key] = walk(item, [*path, key])
            return out
        if isinstance(node, list):
            return [walk(item, [*path, i]) for i, item in enumerate(node)]
        return node

    return walk(value, []), found


def join_secrets(redacted: Any, secrets: list[tuple[SecretPath, Any]]) -> Any:
    """A copy of a redacted value with the secrets put back where `split_secrets` found them (only where the
    placeholder still stands)."""
    out = copy.deepcopy(redacted)
    for path, secret in secrets:
        node = out
        try:
            for step in path[:-1]:
                node = node[step]
            if node[path[-1]] == REDACTED:
                node[path[-1]] = secret
        except (KeyError, IndexError, TypeError):
            continue
    return out
