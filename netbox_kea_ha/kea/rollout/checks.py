"""The checks a rollout makes: is HA healthy and settled, are the hooks loaded, which changes disrupt HA."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from ..detect import Detection
from ..ha import ACTIVE_ROLES, OPERATIONAL_STATES, HAMode, HARole, HAState, KeaVersion, Relationship
from ..status import RelationshipStatus, ServerStatus

__all__ = (
    'CONFIG_TEST_BUG',
    'HA_COMMAND',
    'config_test_is_unsafe',
    'disruptive_changes',
    'health_problem',
    'missing_hooks',
    'named_relationship',
    'operational_state',
    'push_rank',
    'relationships_disagree',
    'settle_problem',
)

#: A command only the HA hook provides: its absence means the hook is not loaded.
HA_COMMAND = 'ha-heartbeat'
#: Kea versions where a config-test kills the HA dedicated listener for good (fixed in 3.0.4, ChangeLog 2395).
CONFIG_TEST_BUG = (KeaVersion(2, 7, 0), KeaVersion(3, 0, 4))


def operational_state(mode: Any, role: Any) -> str | None:
    """The state a peer settles in when all is well: the mode's, `backup` for a backup; None if unknown."""
    if role == HARole.BACKUP:
        return HAState.BACKUP
    try:
        return OPERATIONAL_STATES[HAMode(mode)]
    except ValueError:
        return None


def push_rank(role: Any) -> int:
    """Push order: backups first, then secondary/standby, the primary last (no role: after everything)."""
    return {HARole.BACKUP: 0, HARole.SECONDARY: 1, HARole.STANDBY: 1, HARole.PRIMARY: 2}.get(role, 3)


def missing_hooks(commands: Iterable[str], family: str, detection: Detection) -> list[str]:
    """The commands that should be there after a config-set of this config and are not.

    A config-set whose HA block Kea rejects leaves the server running with no hooks at all (config-get still shows
    the old config), so `list-commands` is the only reliable check.
    """
    have = set(commands)
    wanted = []
    if detection.has_ha:
        wanted.append(HA_COMMAND)
    if detection.lease_cmds_loaded:
        wanted.append('lease4-get-page' if family == 'dhcp4' else 'lease6-get-page')
    return [c for c in wanted if c not in have]


def _relationship(status: ServerStatus, name: str) -> RelationshipStatus | None:
    return status.relationship(name) or status.ha


def health_problem(status: ServerStatus, name: str, mode: Any, role: Any) -> str | None:
    """Why a peer is not healthy enough to start a push (None when it is).

    An active peer must be in its mode's operational state; a backup in `backup`.
    """
    rel = _relationship(status, name)
    if rel is None:
        return 'the HA hook is not loaded (status-get has no high-availability)'
    wanted = operational_state(mode, role)
    if wanted is not None and rel.local.state != wanted:
        return f'HA state is {rel.local.state}, not {wanted}'
    return None


def settle_problem(
    status: ServerStatus, name: str, mode: Any, role: Any, *, accept: Collection[str] = ()
) -> str | None:
    """Why a peer has not settled after a config-set (None once it has).

    Settled: in its operational state, and for an active peer with a partner, the partner in touch, communication
    not interrupted, and the partner in its operational state too. A state in `accept` counts as settled as it
    is, partner or not (a forced push onto a peer in partner-down: it returns to partner-down while its partner
    is away).
    """
    rel = _relationship(status, name)
    if rel is None:
        return 'the HA hook is not loaded (status-get has no high-availability)'
    if rel.local.state in accept:
        return None
    wanted = operational_state(rel.mode if mode is None else mode, role)
    if wanted is not None and rel.local.state != wanted:
        return f'HA state is {rel.local.state}, waiting for {wanted}'
    remote = rel.remote
    if role in ACTIVE_ROLES and remote is not None:
        if remote.in_touch is False:
            return 'not in touch with its partner yet'
        if remote.communication_interrupted:
            return 'communication with its partner is interrupted'
        partner_wanted = operational_state(rel.mode, remote.role)
        if partner_wanted is not None and remote.last_state != partner_wanted:
            return f'its partner is in {remote.last_state}, waiting for {partner_wanted}'
    return None


def _signature(rel: Relationship) -> tuple[Any, tuple[tuple[Any, Any, Any], ...]]:
    peers = tuple(sorted(((p.name, p.url, p.role) for p in rel.peers), key=lambda t: str(t[0])))
    return rel.mode, peers


def disruptive_changes(name: str, running: Detection, desired: Detection) -> list[str]:
    """Changes one peer cannot take alone (its partner would refuse it until it has them too).

    A changed mode, a peer's role or URL, peers added or removed, this server's name, relationships added or
    removed: the changed peer stays in `waiting` until its partners match. One sentence per change.
    """
    out: list[str] = []
    if len(running.relationships) != len(desired.relationships):
        out.append(f'{name}: {len(running.relationships)} HA relationship(s) become {len(desired.relationships)}')
        return out
    for index, (old, new) in enumerate(zip(running.relationships, desired.relationships, strict=True)):
        where = f'{name}' + (f' (relationship {index + 1})' if len(desired.relationships) > 1 else '')
        if old.this_server_name != new.this_server_name:
            out.append(f'{where}: this-server-name {old.this_server_name} -> {new.this_server_name}')
        if old.mode != new.mode:
            out.append(f'{where}: mode {old.mode} -> {new.mode}')
        old_peers = {p.name: p for p in old.peers}
        new_peers = {p.name: p for p in new.peers}
        for peer in sorted(set(old_peers) | set(new_peers), key=str):
            before, after = old_peers.get(peer), new_peers.get(peer)
            if before is None:
                out.append(f'{where}: peer {peer} added')
            elif after is None:
                out.append(f'{where}: peer {peer} removed')
            else:
                if before.role != after.role:
                    out.append(f'{where}: role of {peer} {before.role} -> {after.role}')
                if before.url != after.url:
                    out.append(f'{where}: URL of {peer} {before.url} -> {after.url}')
    return out


def named_relationship(detection: Detection, name: str) -> int | None:
    """The index of the relationship in which this server is named `name` (a hub has one name per relationship)."""
    return next((i for i, this in enumerate(detection.this_server_names) if this == name), None)


def relationships_disagree(detections: Sequence[tuple[str, Detection]]) -> list[str]:
    """Peers whose desired configs describe the relationship being pushed differently (mode, peers, URLs, roles).

    Each peer is named by its name in that relationship; only the relationship that names it counts (a hub's
    other relationships are not shared with these peers).
    """
    out: list[str] = []
    reference: tuple[str, Any] | None = None
    for name, detection in detections:
        index = named_relationship(detection, name)
        if index is None:
            continue
        signature = _signature(detection.relationships[index])
        if reference is None:
            reference = (name, signature)
        elif signature != reference[1]:
            out.append(f'the desired configs of {reference[0]} and {name} describe different HA relationships')
    return out


def config_test_is_unsafe(version: KeaVersion | None, relationships: Iterable[Relationship]) -> bool:
    """Whether a config-test would kill the dedicated HA listener on this version (Kea 3.0.0-3.0.3)."""
    if version is None or not CONFIG_TEST_BUG[0] <= version < CONFIG_TEST_BUG[1]:
        return False
    return any(
        r.effective('multi-threading.enable-multi-threading', version)
        and r.effective('multi-threading.http-dedicated-listener', version)
        for r in relationships
    )
