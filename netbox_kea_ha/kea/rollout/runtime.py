"""
Changes Kea takes while it runs: the commands that turn a server's running config into its desired one without a
reload, where Kea has them (docs/push.md).

A `config-set` reloads every hook library, so HA starts over (waiting, syncing: both servers stop answering during
the lease sync). The `subnet_cmds`, `class_cmds` and `host_cmds` hooks (open source since Kea 3.0) change a running
server in place instead: `subnet4-add/update/del` (and 6), `class-add/update/del`, `reservation-add/del` (with
`operation-target: memory` for reservations of the configuration). `runtime_plan` gives those commands, each with
the command that undoes it, when every difference between the two configs is one they cover:

* subnets of the top-level `subnet4` / `subnet6` list, matched by `id` (added, removed, changed; their
  `reservations` by identifier);
* client classes, matched by name (added at the end, removed, changed; the order of the others kept: Kea
  evaluates them in order and `class-add` appends);
* global host reservations (`reservations`), by identifier;

and the server loads the hooks (its `list-commands` has the commands). Anything else (a timer, an HA parameter,
shared networks, a class moved, a subnet without `id`) needs a reload, and `runtime_plan` says why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..diff import diff_configs
from ..ha import KeaVersion
from ..replicate import config_root

__all__ = (
    'RUNTIME_KEYS',
    'Command',
    'RuntimePlan',
    'runtime_plan',
)

#: The identifiers of a host reservation Kea accepts, in its order of preference.
_IDENTIFIERS = ('hw-address', 'duid', 'client-id', 'circuit-id', 'flex-id')
_CLASSES = 'client-classes'
_GLOBAL_RESERVATIONS = 'reservations'


def RUNTIME_KEYS(family: int) -> tuple[str, str, str]:  # noqa: N802 - a constant by family
    """The top-level keys a runtime plan may change, for DHCPv4 (4) or DHCPv6 (6)."""
    return (f'subnet{family}', _CLASSES, _GLOBAL_RESERVATIONS)


@dataclass(frozen=True)
class Command:
    """One command of a runtime plan, what it does in words, and the command that undoes it."""

    name: str
    arguments: Mapping[str, Any]
    what: str
    undo: tuple[str, Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class RuntimePlan:
    """The commands that take a running server to its desired config without a reload, in order."""

    commands: tuple[Command, ...]

    @property
    def needed(self) -> frozenset[str]:
        """The names of the commands the server must have."""
        return frozenset(c.name for c in self.commands)

    @property
    def what(self) -> list[str]:
        """Each change, in words."""
        return [c.what for c in self.commands]


def _identifier(reservation: Mapping[str, Any]) -> tuple[str, str] | None:
    for kind in _IDENTIFIERS:
        if reservation.get(kind):
            return kind, str(reservation[kind]).lower()
    return None


@dataclass(frozen=True)
class _Context:
    """What a comparison of one top-level key needs: the config root, the other (equal) top-level keys, whose
    values subnets inherit, and Kea's version."""

    root: str
    rest: Mapping[str, Any]
    version: KeaVersion | None

    def same(self, key: str, a: Any, b: Any) -> bool:
        """Whether two values of a top-level key are the same for Kea (normalised as a diff normalises them)."""
        if a == b:
            return True
        old = {self.root: {**self.rest, key: a}}
        new = {self.root: {**self.rest, key: b}}
        return diff_configs(old, new, version=self.version).empty


def _reservations(
    subnet_id: int, old: Sequence[Any], new: Sequence[Any], same: Callable[[Any, Any], bool], where: str
) -> list[Command] | str:
    """reservation-add/del commands for one subnet's reservations (or the global ones, `subnet_id` 0)."""
    if not all(isinstance(r, Mapping) for r in [*old, *new]):
        return f'a reservation of {where} is not an object'
    before: dict[tuple[str, str], Mapping[str, Any]] = {}
    after: dict[tuple[str, str], Mapping[str, Any]] = {}
    for reservations, table in ((old, before), (new, after)):
        for reservation in reservations:
            key = _identifier(reservation)
            if key is None or key in table:
                return f'a reservation of {where} has no identifier, or one shared with another'
            table[key] = reservation
    out: list[Command] = []
    for key in before.keys() - after.keys() | {
        k for k in before.keys() & after.keys() if not same(before[k], after[k])
    }:
        kind, value = key
        target = {'subnet-id': subnet_id, 'identifier-type': kind, 'identifier': value, 'operation-target': 'memory'}
        undo = (
            'reservation-add',
            {'reservation': {**before[key], 'subnet-id': subnet_id}, 'operation-target': 'memory'},
        )
        out.append(Command('reservation-del', target, f'reservation {kind} {value} of {where} removed', undo))
    for key in after.keys() - before.keys() | {
        k for k in before.keys() & after.keys() if not same(before[k], after[k])
    }:
        kind, value = key
        args = {'reservation': {**after[key], 'subnet-id': subnet_id}, 'operation-target': 'memory'}
        target = {'subnet-id': subnet_id, 'identifier-type': kind, 'identifier': value, 'operation-target': 'memory'}
        out.append(
            Command(
                'reservation-add', args, f'reservation {kind} {value} of {where} added', ('reservation-del', target)
            )
        )
    return out


def _subnets(family: int, context: _Context, old: Any, new: Any) -> list[Command] | str:
    key = f'subnet{family}'
    if not isinstance(old, list) or not isinstance(new, list):
        return f'{key} is not a list'
    if not all(isinstance(s, Mapping) and isinstance(s.get('id'), int) for s in [*old, *new]):
        return f'a subnet of {key} has no id'
    before = {s['id']: s for s in old}
    after = {s['id']: s for s in new}
    if len(before) != len(old) or len(after) != len(new):
        return f'two subnets of {key} share an id'

    def bare(subnet: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in subnet.items() if k != 'reservations'}

    def same_reservation(a: Any, b: Any) -> bool:
        prefix = '0.0.0.0/0' if family == 4 else '::/0'
        return context.same(
            key, [{'id': 1, 'subnet': prefix, 'reservations': [a]}], [{'id': 1, 'subnet': prefix, 'reservations': [b]}]
        )

    out: list[Command] = []
    for sid in sorted(before.keys() - after.keys()):
        subnet = before[sid]
        where = f'subnet {subnet.get("subnet")} (id {sid})'
        gone = _reservations(sid, subnet.get('reservations') or [], [], same_reservation, where)
        if isinstance(gone, str):
            return gone
        out += gone
        out.append(Command(f'{key}-del', {'id': sid}, f'{where} removed', (f'{key}-add', {key: [bare(subnet)]})))
    for sid in sorted(after.keys() - before.keys()):
        subnet = after[sid]
        where = f'subnet {subnet.get("subnet")} (id {sid})'
        out.append(Command(f'{key}-add', {key: [bare(subnet)]}, f'{where} added', (f'{key}-del', {'id': sid})))
        added = _reservations(sid, [], subnet.get('reservations') or [], same_reservation, where)
        if isinstance(added, str):
            return added
        out += added
    for sid in sorted(before.keys() & after.keys()):
        old_subnet, new_subnet = before[sid], after[sid]
        where = f'subnet {new_subnet.get("subnet")} (id {sid})'
        if not context.same(key, [bare(old_subnet)], [bare(new_subnet)]):
            undo = (f'{key}-update', {key: [bare(old_subnet)]})
            out.append(Command(f'{key}-update', {key: [bare(new_subnet)]}, f'{where} changed', undo))
        changed = _reservations(
            sid,
            old_subnet.get('reservations') or [],
            new_subnet.get('reservations') or [],
            same_reservation,
            where,
        )
        if isinstance(changed, str):
            return changed
        out += changed
    return out


def _classes(context: _Context, old: Any, new: Any) -> list[Command] | str:
    if not isinstance(old, list) or not isinstance(new, list):
        return 'client-classes is not a list'
    if not all(isinstance(c, Mapping) and isinstance(c.get('name'), str) for c in [*old, *new]):
        return 'a client class has no name'
    before = {c['name']: c for c in old}
    after = {c['name']: c for c in new}
    kept_before = [name for name in before if name in after]
    kept_after = [name for name in after if name in before]
    if kept_before != kept_after:
        return 'the order of the client classes changes (Kea evaluates them in order)'
    added = [name for name in after if name not in before]
    if added and kept_after and list(after).index(added[0]) < list(after).index(kept_after[-1]):
        return 'a client class is added before others (class-add can only append)'
    out: list[Command] = []
    for name in [n for n in before if n not in after]:
        out.append(
            Command(
                'class-del', {'name': name}, f'client class {name} removed', ('class-add', {_CLASSES: [before[name]]})
            )
        )
    for name in kept_after:
        if not context.same(_CLASSES, [before[name]], [after[name]]):
            undo = ('class-update', {_CLASSES: [before[name]]})
            out.append(Command('class-update', {_CLASSES: [after[name]]}, f'client class {name} changed', undo))
    for name in added:
        out.append(
            Command('class-add', {_CLASSES: [after[name]]}, f'client class {name} added', ('class-del', {'name': name}))
        )
    return out


def _reload_reason(root: str, paths: Iterable[str]) -> str:
    """Why changes outside what the runtime commands cover need a reload, in words: the top-level keys changed."""
    keys = list(dict.fromkeys(re.split(r'[.\[]', path.removeprefix(f'{root}.'), maxsplit=1)[0] for path in paths))
    reasons = []
    if 'hooks-libraries' in keys:
        keys.remove('hooks-libraries')
        reasons.append('the hook libraries or their parameters (HA included) change: Kea takes them only by a reload')
    if keys:
        shown = ', '.join(keys[:5]) + (f' and {len(keys) - 5} more' if len(keys) > 5 else '')
        reasons.append(f'{shown} change{"s" if len(keys) == 1 else ""}: no runtime command covers it')
    return '; '.join(reasons)


def runtime_plan(
    running: Mapping[str, Any],
    desired: Mapping[str, Any],
    version: KeaVersion | None = None,
    available: Iterable[str] | None = None,
) -> RuntimePlan | str:
    """
    The commands that take `running` to `desired` without a reload, or why a reload is needed (see the module
    docstring). `available`: the server's `list-commands` (None: not checked).
    """
    root, inner_old = config_root(running)
    new_root, inner_new = config_root(desired)
    if root != new_root:
        return f'the config changes from {root} to {new_root}'
    family = 6 if root == 'Dhcp6' else 4
    keys = RUNTIME_KEYS(family)
    rest_old = {root: {k: v for k, v in inner_old.items() if k not in keys}}
    rest_new = {root: {k: v for k, v in inner_new.items() if k not in keys}}
    other = diff_configs(rest_old, rest_new, version=version)
    if not other.empty:
        return _reload_reason(root, other.paths)
    commands: list[Command] = []
    subnets_key, _, _ = keys
    context = _Context(root, rest_old[root], version)
    parts: list[list[Command] | str] = []
    old_subnets, new_subnets = inner_old.get(subnets_key, []), inner_new.get(subnets_key, [])
    if not context.same(subnets_key, old_subnets, new_subnets):
        parts.append(_subnets(family, context, old_subnets, new_subnets))
    old_classes, new_classes = inner_old.get(_CLASSES, []), inner_new.get(_CLASSES, [])
    if not context.same(_CLASSES, old_classes, new_classes):
        parts.append(_classes(context, old_classes, new_classes))
    old_global, new_global = inner_old.get(_GLOBAL_RESERVATIONS, []), inner_new.get(_GLOBAL_RESERVATIONS, [])
    if not context.same(_GLOBAL_RESERVATIONS, old_global, new_global):
        if not isinstance(old_global, list) or not isinstance(new_global, list):
            return 'reservations is not a list'

        def same_global(a: Any, b: Any) -> bool:
            return context.same(_GLOBAL_RESERVATIONS, [a], [b])

        parts.append(_reservations(0, old_global, new_global, same_global, 'the global reservations'))
    for part in parts:
        if isinstance(part, str):
            return part
        commands += part
    if not commands:
        return 'the configs differ in a way no runtime command covers'
    plan = RuntimePlan(tuple(commands))
    if available is not None:
        missing = sorted(plan.needed - set(available))
        if missing:
            return f'the server lacks {", ".join(missing)} (load the subnet_cmds, class_cmds and host_cmds hooks)'
    return plan
