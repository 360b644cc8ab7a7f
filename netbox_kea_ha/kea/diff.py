"""
Compare two Dhcp4/Dhcp6 configs after normalising them: a structured list of changes and a unified text diff.

Both sides go through `normalise` first, so the `config-get` of a config that was just `config-set` compares equal
to it (no false drift), while any real change (a timer, a subnet, an option value, a pool) is reported at its
path. Paths name list items by identity rather than position: `Dhcp4.subnet4[192.0.2.0/24].pools[192.0.2.10-
192.0.2.99]`, `Dhcp4.subnet4[192.0.2.0/24].option-data[dhcp4:3].data`, `...peers[server2].url`. A value that goes
back to Kea's default is a change to that default (not a removal).

Secrets (`SECRET_KEYS`: passwords) are compared but never shown: every value in a `Change` and every line of the
text has them replaced by `REDACTED`.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .ha import KeaVersion
from .normalise import ORDERED_KINDS, Normaliser, child_kind, family_of, identity, item_kind, normaliser
from .redact import REDACTED, is_secret_key, redact_secrets
from .replicate import config_root

__all__ = (
    'ABSENT',
    'REDACTED',
    'REDACTED_CHANGED',
    'Change',
    'ConfigDiff',
    'diff_configs',
    'diff_normalised',
)

#: What a secret that changed is shown as on the new side of the text diff.
REDACTED_CHANGED = f'{REDACTED} (changed)'


class _Absent:
    """The value of a side where the key or item does not exist."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return 'ABSENT'

    def __bool__(self) -> bool:
        return False


#: Marks the missing side of an added or removed value.
ABSENT: Any = _Absent()


def _sub_kind(kind: str, key: str, value: Any) -> str:
    """The kind of what `key` holds inside an element of `kind` (a map, or the items of a list)."""
    if isinstance(value, list):
        return item_kind(kind, key)
    if kind == 'hook' and key == 'parameters':
        return 'hook.parameters'
    return child_kind(kind, key)


@dataclass(frozen=True)
class Change:
    """One difference: the value at `path` was `old` and becomes `new` (either may be ABSENT). Secrets redacted."""

    path: str
    old: Any = ABSENT
    new: Any = ABSENT
    #: The path as parts: the root, keys, `[identity]` for list items, `(order)` for a changed order.
    parts: tuple[str, ...] = field(default=(), compare=False)

    @property
    def kind(self) -> str:
        """`added`, `removed` or `changed`."""
        if self.old is ABSENT:
            return 'added'
        if self.new is ABSENT:
            return 'removed'
        return 'changed'

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: `path`, `kind`, and `old`/`new` where present."""
        out: dict[str, Any] = {'path': self.path, 'kind': self.kind}
        if self.old is not ABSENT:
            out['old'] = self.old
        if self.new is not ABSENT:
            out['new'] = self.new
        return out

    def __str__(self) -> str:
        def show(value: Any) -> str:
            return json.dumps(value, sort_keys=True) if value is not ABSENT else '(absent)'

        return f'{self.path}: {show(self.old)} -> {show(self.new)}'


@dataclass(frozen=True)
class ConfigDiff:
    """The changes from `old` to `new` (both normalised), and a unified text diff of the parts that changed."""

    changes: tuple[Change, ...]
    old: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    new: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    normaliser: Normaliser | None = field(repr=False, compare=False, default=None)

    @property
    def empty(self) -> bool:
        """True when the configs are the same once normalised."""
        return not self.changes

    def __bool__(self) -> bool:
        return bool(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)

    @property
    def paths(self) -> tuple[str, ...]:
        """The path of every change."""
        return tuple(c.path for c in self.changes)

    def text(self, old_label: str = 'running', new_label: str = 'desired', context: int = 3) -> str:
        """A unified diff (secrets redacted) of the top-level values and list items that changed.

        Only what changed is rendered, each changed element whole (a changed subnet, the changed timer), so the
        text stays small for configs of any size. A value back to Kea's default shows that default. A changed
        secret shows as `REDACTED` -> `REDACTED_CHANGED`. Empty when there is no change.
        """
        if not self.changes:
            return ''
        old_part, new_part = self._changed_parts()
        space = family_of(next(iter(old_part)))
        old_red, new_red = _redact_pair(old_part, new_part, 'root', space)
        old_lines = json.dumps(old_red, indent=2, sort_keys=True).splitlines(keepends=True)
        new_lines = json.dumps(new_red, indent=2, sort_keys=True).splitlines(keepends=True)
        return ''.join(difflib.unified_diff(old_lines, new_lines, old_label, new_label, n=context))

    def _changed_parts(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Partial configs holding, on each side, just the top-level keys and list items that changed."""
        root = next(iter(self.old or self.new), 'Dhcp4')
        old_inner = self.old.get(root, {})
        new_inner = self.new.get(root, {})
        defaults = self.normaliser.tables.get('global', {}) if self.normaliser is not None else {}
        wanted: dict[str, set[str] | None] = {}
        for change in self.changes:
            if len(change.parts) < 2:
                continue
            key = change.parts[1]
            item = change.parts[2] if len(change.parts) > 2 and change.parts[2].startswith('[') else None
            if item is None:
                wanted[key] = None
            else:
                items = wanted.setdefault(key, set())
                if items is not None:
                    items.add(item[1:-1])
        old_part: dict[str, Any] = {}
        new_part: dict[str, Any] = {}
        space = family_of(root)
        for key, items in wanted.items():
            for inner, other, part in ((old_inner, new_inner, old_part), (new_inner, old_inner, new_part)):
                if key not in inner:
                    if key in other and key in defaults and items is None:
                        part[key] = defaults[key]
                    continue
                value = inner[key]
                if items is not None and isinstance(value, list):
                    kind = item_kind('global', key)
                    value = [v for v in value if isinstance(v, Mapping) and identity(kind, v, space) in items]
                part[key] = value
        return {root: old_part}, {root: new_part}


def _redact_pair(old: Any, new: Any, kind: str, space: str) -> tuple[Any, Any]:
    """Both sides redacted; a secret that differs between them is marked as changed on the new side."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        old_out: dict[str, Any] = {}
        new_out: dict[str, Any] = {}
        for key in {**old, **new}:
            a, b = old.get(key, ABSENT), new.get(key, ABSENT)
            if is_secret_key(key):
                if a is not ABSENT:
                    old_out[key] = REDACTED if a is not None else None
                if b is not ABSENT:
                    changed = a is not ABSENT and a != b
                    new_out[key] = (REDACTED_CHANGED if changed else REDACTED) if b is not None else None
            elif a is ABSENT:
                new_out[key] = redact_secrets(b)
            elif b is ABSENT:
                old_out[key] = redact_secrets(a)
            else:
                old_out[key], new_out[key] = _redact_pair(a, b, _sub_kind(kind, key, a), space)
        return old_out, new_out
    if isinstance(old, list) and isinstance(new, list) and all(isinstance(i, Mapping) for i in (*old, *new)):
        old_by = {identity(kind, i, space): i for i in old}
        new_by = {identity(kind, i, space): i for i in new}
        old_list = [
            _redact_pair(i, new_by[n], kind, space)[0]
            if (n := identity(kind, i, space)) in new_by
            else redact_secrets(i)
            for i in old
        ]
        new_list = [
            _redact_pair(old_by[n], i, kind, space)[1]
            if (n := identity(kind, i, space)) in old_by
            else redact_secrets(i)
            for i in new
        ]
        return old_list, new_list
    return redact_secrets(old), redact_secrets(new)


class _Walker:
    """Walks two normalised configs side by side and collects the changes."""

    def __init__(self, space: str, norm: Normaliser | None) -> None:
        self.space = space
        self.tables = norm.tables if norm is not None else {}
        self.changes: list[Change] = []

    def add(self, parts: tuple[str, ...], old: Any, new: Any) -> None:
        path = ''.join(p if p.startswith('[') else f'.{p}' for p in parts).lstrip('.')
        secret = is_secret_key(parts[-1])
        self.changes.append(
            Change(
                path=path,
                old=REDACTED if secret and old is not ABSENT else redact_secrets(old),
                new=REDACTED if secret and new is not ABSENT else redact_secrets(new),
                parts=parts,
            )
        )

    def table(self, kind: str, element: Mapping[str, Any]) -> Mapping[str, Any]:
        table: Mapping[str, Any] = self.tables.get(kind, {})
        if kind == 'ha':
            table = self.tables.get(f'ha/{element.get("mode")}', table)
        return table

    def value(self, parts: tuple[str, ...], kind: str, key: str, old: Any, new: Any) -> None:
        if type(old) is type(new) and old == new:
            return
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            self.map(parts, _sub_kind(kind, key, old), old, new)
        elif isinstance(old, list) and isinstance(new, list):
            self.list(parts, item_kind(kind, key), old, new)
        else:
            self.add(parts, old, new)

    def map(self, parts: tuple[str, ...], kind: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        # A key missing on one side has Kea's default there when its kind has one: compare with that value.
        old_table = self.table(kind, old)
        new_table = self.table(kind, new)
        for key in old:
            other = new[key] if key in new else new_table.get(key, ABSENT)
            self.value((*parts, key), kind, key, old[key], other)
        for key in new:
            if key not in old:
                self.value((*parts, key), kind, key, old_table.get(key, ABSENT), new[key])

    def list(self, parts: tuple[str, ...], kind: str, old: list[Any], new: list[Any]) -> None:
        if not (old or new) or not all(isinstance(i, Mapping) for i in (*old, *new)):
            self.add(parts, old, new)
            return
        old_ids = [identity(kind, i, self.space) for i in old]
        new_ids = [identity(kind, i, self.space) for i in new]
        if len(set(old_ids)) != len(old_ids) or len(set(new_ids)) != len(new_ids) or '' in old_ids + new_ids:
            self.add(parts, old, new)
            return
        old_by = dict(zip(old_ids, old, strict=True))
        new_by = dict(zip(new_ids, new, strict=True))
        for ident, item in old_by.items():
            other = new_by.get(ident, ABSENT)
            if other is ABSENT:
                self.add((*parts, f'[{ident}]'), item, ABSENT)
            elif not (type(item) is type(other) and item == other):
                self.map((*parts, f'[{ident}]'), kind, item, other)
        for ident, item in new_by.items():
            if ident not in old_by:
                self.add((*parts, f'[{ident}]'), ABSENT, item)
        if kind in ORDERED_KINDS:
            common_old = [i for i in old_ids if i in new_by]
            common_new = [i for i in new_ids if i in old_by]
            if common_old != common_new:
                self.add((*parts, '(order)'), common_old, common_new)


def diff_normalised(
    old: Mapping[str, Any], new: Mapping[str, Any], *, normaliser: Normaliser | None = None
) -> ConfigDiff:
    """The changes between two normalised configs (`normalise` output).

    `normaliser` (the one that normalised them) lets a value that went back to Kea's default show as a change to
    that default rather than a removal.
    """
    old_root, old_inner = config_root(old)
    new_root, new_inner = config_root(new)
    if old_root != new_root:
        return ConfigDiff((Change(path='', old=old_root, new=new_root),), {old_root: {}}, {new_root: {}})
    walker = _Walker(family_of(old_root), normaliser)
    if old_inner != new_inner:
        walker.map((old_root,), 'global', old_inner, new_inner)
    return ConfigDiff(tuple(walker.changes), old, new, normaliser)


def diff_configs(old: Any, new: Any, *, version: KeaVersion | None = None) -> ConfigDiff:
    """The changes from `old` (typically what a server runs: its `config-get`) to `new` (what it should run).

    Both are normalised with the defaults of Kea `version` (None: 2.2). A config-get answer's `hash` is ignored.
    Only the top-level keys whose values differ are normalised (a key's normal form depends only on its value,
    the inherited global values and the option definitions, which are then equal), so configs that are mostly
    the same compare at the speed of `==`. (`==` takes `true` for `1`: a value Kea would refuse anyway.)
    """
    old_root, old_inner = config_root(old)
    new_root, new_inner = config_root(new)
    if old_root != new_root:
        return ConfigDiff((Change(path='', old=old_root, new=new_root),), {old_root: {}}, {new_root: {}})
    norm = normaliser(family_of(old_root), version)
    missing = object()
    keys = old_inner.keys() | new_inner.keys()
    differing = {k for k in keys if old_inner.get(k, missing) != new_inner.get(k, missing)}
    if not differing:
        return ConfigDiff((), {old_root: {}}, {new_root: {}}, norm)
    context = norm.inherited | {'option-def', 'client-classes'}
    if differing.isdisjoint(context):
        wanted = differing | (context & keys)
        old = {old_root: {k: v for k, v in old_inner.items() if k in wanted}}
        new = {new_root: {k: v for k, v in new_inner.items() if k in wanted}}
    return diff_normalised(norm.normalise(old), norm.normalise(new), normaliser=norm)
