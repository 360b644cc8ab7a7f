"""GraphQL queries, prefixed `kea_ha_` so they cannot clash with NetBox's or other plugins'."""

import strawberry
import strawberry_django

from .types import ConfigSnapshotType, HAPeerType, HARelationshipType, KeaServerType, ServedPrefixType

__all__ = (
    'KeaHAQuery',
    'schema',
)


@strawberry.type(name='Query')
class KeaHAQuery:
    """kea_ha_server(_list), kea_ha_relationship(_list), kea_ha_peer(_list), kea_ha_snapshot(_list),
    kea_ha_served_prefix(_list)."""

    kea_ha_server: KeaServerType = strawberry_django.field()
    kea_ha_server_list: list[KeaServerType] = strawberry_django.field()

    kea_ha_relationship: HARelationshipType = strawberry_django.field()
    kea_ha_relationship_list: list[HARelationshipType] = strawberry_django.field()

    kea_ha_peer: HAPeerType = strawberry_django.field()
    kea_ha_peer_list: list[HAPeerType] = strawberry_django.field()

    kea_ha_snapshot: ConfigSnapshotType = strawberry_django.field()
    kea_ha_snapshot_list: list[ConfigSnapshotType] = strawberry_django.field()

    kea_ha_served_prefix: ServedPrefixType = strawberry_django.field()
    kea_ha_served_prefix_list: list[ServedPrefixType] = strawberry_django.field()


schema = [KeaHAQuery]
