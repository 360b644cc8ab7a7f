"""
Config snapshots: record a server's running config before NetBox pushes to it, and what was pushed.

`take_snapshot` stores both configs redacted (`secrets.split_secrets`) with the secret values sealed (encrypted);
`finish_snapshot` records how the push ended; `snapshot_config` gives back the real config for a Restore. The
snapshot page shows the normalised diff of the two redacted configs (`kea.diff`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..choices import SnapshotActionChoices, SnapshotResultChoices
from ..kea.redact import join_secrets, split_secrets
from ..models import ConfigSnapshot
from .secrets import seal, unseal

if TYPE_CHECKING:
    from ..models import HARelationship, KeaServer

__all__ = (
    'finish_snapshot',
    'snapshot_config',
    'take_snapshot',
)


def take_snapshot(
    server: KeaServer,
    before: Mapping[str, Any],
    after: Mapping[str, Any] | None = None,
    *,
    relationship: HARelationship | None = None,
    user: Any = None,
    job: Any = None,
    action: str = SnapshotActionChoices.SYNC,
    restored_from: ConfigSnapshot | None = None,
    message: str = '',
) -> ConfigSnapshot:
    """Save a pending snapshot of `server`: its running config `before` and the config about to be pushed."""
    before_redacted, before_secrets = split_secrets(before)
    after_redacted, after_secrets = split_secrets(after) if after is not None else (None, [])
    snapshot = ConfigSnapshot(
        server=server,
        relationship=relationship,
        user=user if user is not None and user.pk else None,
        job=job,
        action=action,
        restored_from=restored_from,
        before=before_redacted,
        after=after_redacted,
        _secrets=seal({'before': before_secrets, 'after': after_secrets}),
        _destination=server.control_destination,
        result=SnapshotResultChoices.PENDING,
        message=message,
    )
    snapshot.save()
    return snapshot


def finish_snapshot(snapshot: ConfigSnapshot, result: str, message: str = '') -> ConfigSnapshot:
    """Record how the push ended (`SnapshotResultChoices`) and why."""
    snapshot.result = result
    snapshot.message = message or ''
    ConfigSnapshot.objects.filter(pk=snapshot.pk).update(result=snapshot.result, message=snapshot.message)
    return snapshot


def snapshot_config(snapshot: ConfigSnapshot, which: str = 'before') -> dict[str, Any] | None:
    """The real config of a snapshot (`before` or `after`), secrets put back. Raises SecretError if it cannot."""
    if which not in ('before', 'after'):
        raise ValueError(f"which must be 'before' or 'after', not {which!r}")
    redacted = getattr(snapshot, which)
    if redacted is None:
        return None
    secrets = unseal(snapshot._secrets, what=f'the secrets of config snapshot {snapshot.pk}')
    config: dict[str, Any] = join_secrets(redacted, secrets.get(which, []))
    return config
