"""GraphQL of ConfigSnapshot: type, filter and queries (`kea_ha_snapshot`, `kea_ha_snapshot_list`)."""

from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from strawberry.scalars import ID
from strawberry_django import DatetimeFilterLookup, StrFilterLookup

from netbox.graphql.filters import BaseModelFilter
from netbox.graphql.types import BaseObjectType

from ..models import ConfigSnapshot

if TYPE_CHECKING:
    from users.graphql.types import UserType

    from .types import HARelationshipType, KeaServerType

__all__ = (
    'ConfigSnapshotFilter',
    'ConfigSnapshotType',
    'KeaHASnapshotQuery',
)

_TYPES = 'netbox_kea_ha.graphql.types'


@strawberry_django.filter_type(ConfigSnapshot, lookups=True)
class ConfigSnapshotFilter(BaseModelFilter):
    """Filter of config snapshots."""

    created: DatetimeFilterLookup | None = strawberry_django.filter_field()
    server_id: ID | None = strawberry_django.filter_field()
    relationship_id: ID | None = strawberry_django.filter_field()
    job_id: ID | None = strawberry_django.filter_field()
    action: StrFilterLookup | None = strawberry_django.filter_field()
    result: StrFilterLookup | None = strawberry_django.filter_field()
    message: StrFilterLookup | None = strawberry_django.filter_field()


@strawberry_django.type(
    ConfigSnapshot,
    fields=[
        'id',
        'server',
        'relationship',
        'created',
        'user',
        'action',
        'restored_from',
        'result',
        'message',
        'before',
        'after',
    ],  # fmt: skip
    filters=ConfigSnapshotFilter,
    pagination=True,
)
class ConfigSnapshotType(BaseObjectType):
    """A config snapshot; `before` and `after` have every secret replaced by a placeholder (never the secrets)."""

    server: Annotated['KeaServerType', strawberry.lazy(_TYPES)]
    relationship: Annotated['HARelationshipType', strawberry.lazy(_TYPES)] | None
    user: Annotated['UserType', strawberry.lazy('users.graphql.types')] | None
    restored_from: Annotated['ConfigSnapshotType', strawberry.lazy('netbox_kea_ha.graphql.snapshots')] | None

    @strawberry_django.field(only=['job_id'])
    def job_id(self) -> int | None:
        """The id of the job that made the snapshot (core job), if it still exists."""
        return self.job_id


@strawberry.type(name='Query')
class KeaHASnapshotQuery:
    """kea_ha_snapshot, kea_ha_snapshot_list."""

    kea_ha_snapshot: ConfigSnapshotType = strawberry_django.field()
    kea_ha_snapshot_list: list[ConfigSnapshotType] = strawberry_django.field()
