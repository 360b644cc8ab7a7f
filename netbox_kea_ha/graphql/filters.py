"""GraphQL filters (`<Model>Filter`, where NetBox's test harness and resolvers look for them)."""

from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from strawberry.scalars import ID
from strawberry_django import BaseFilterLookup, DatetimeFilterLookup, FilterLookup, StrFilterLookup

from netbox.graphql.filters import BaseModelFilter, PrimaryModelFilter

from ..models import ConfigSnapshot, HAPeer, HARelationship, KeaServer, ServedPrefix

if TYPE_CHECKING:
    from dcim.graphql.filters import DeviceFilter
    from ipam.graphql.filters import IPAddressFilter, PrefixFilter
    from netbox.graphql.filter_lookups import BigIntegerLookup, IntegerLookup
    from virtualization.graphql.filters import VirtualMachineFilter

    from .enums import *

__all__ = (
    'ConfigSnapshotFilter',
    'HAPeerFilter',
    'HARelationshipFilter',
    'KeaServerFilter',
    'ServedPrefixFilter',
)

_LOOKUPS = 'netbox.graphql.filter_lookups'
_ENUMS = 'netbox_kea_ha.graphql.enums'
_FILTERS = 'netbox_kea_ha.graphql.filters'


@strawberry_django.filter_type(KeaServer, lookups=True)
class KeaServerFilter(PrimaryModelFilter):
    """Filter of Kea servers."""

    name: StrFilterLookup | None = strawberry_django.filter_field()
    family: BaseFilterLookup[Annotated['KeaHADHCPFamilyEnum', strawberry.lazy(_ENUMS)]] | None = (
        strawberry_django.filter_field()
    )
    device: Annotated['DeviceFilter', strawberry.lazy('dcim.graphql.filters')] | None = strawberry_django.filter_field()
    device_id: ID | None = strawberry_django.filter_field()
    virtual_machine: Annotated['VirtualMachineFilter', strawberry.lazy('virtualization.graphql.filters')] | None = (
        strawberry_django.filter_field()
    )
    virtual_machine_id: ID | None = strawberry_django.filter_field()
    address: Annotated['IPAddressFilter', strawberry.lazy('ipam.graphql.filters')] | None = (
        strawberry_django.filter_field()
    )
    address_id: ID | None = strawberry_django.filter_field()
    control_kind: BaseFilterLookup[Annotated['KeaHAControlKindEnum', strawberry.lazy(_ENUMS)]] | None = (
        strawberry_django.filter_field()
    )
    control_scheme: BaseFilterLookup[Annotated['KeaHAControlSchemeEnum', strawberry.lazy(_ENUMS)]] | None = (
        strawberry_django.filter_field()
    )
    control_host: StrFilterLookup | None = strawberry_django.filter_field()
    control_port: Annotated['IntegerLookup', strawberry.lazy(_LOOKUPS)] | None = strawberry_django.filter_field()
    tls_verify: FilterLookup[bool] | None = strawberry_django.filter_field()
    username: StrFilterLookup | None = strawberry_django.filter_field()
    server_tag: StrFilterLookup | None = strawberry_django.filter_field()
    hooks_dir: StrFilterLookup | None = strawberry_django.filter_field()
    replicate_config: BaseFilterLookup[Annotated['KeaHAReplicateConfigEnum', strawberry.lazy(_ENUMS)]] | None = (
        strawberry_django.filter_field()
    )
    kea_version: StrFilterLookup | None = strawberry_django.filter_field()
    ha_state: BaseFilterLookup[Annotated['KeaHAStateEnum', strawberry.lazy(_ENUMS)]] | None = (
        strawberry_django.filter_field()
    )
    config_drift: BaseFilterLookup[Annotated['KeaHAConfigDriftEnum', strawberry.lazy(_ENUMS)]] | None = (
        strawberry_django.filter_field()
    )
    last_seen: DatetimeFilterLookup | None = strawberry_django.filter_field()


@strawberry_django.filter_type(HARelationship, lookups=True)
class HARelationshipFilter(PrimaryModelFilter):
    """Filter of HA relationships (mode and the main timers)."""

    name: StrFilterLookup | None = strawberry_django.filter_field()
    mode: BaseFilterLookup[Annotated['KeaHAModeEnum', strawberry.lazy(_ENUMS)]] | None = (
        strawberry_django.filter_field()
    )
    heartbeat_delay: Annotated['IntegerLookup', strawberry.lazy(_LOOKUPS)] | None = strawberry_django.filter_field()
    max_response_delay: Annotated['IntegerLookup', strawberry.lazy(_LOOKUPS)] | None = strawberry_django.filter_field()
    max_ack_delay: Annotated['IntegerLookup', strawberry.lazy(_LOOKUPS)] | None = strawberry_django.filter_field()
    max_unacked_clients: Annotated['BigIntegerLookup', strawberry.lazy(_LOOKUPS)] | None = (
        strawberry_django.filter_field()
    )
    mt_enable: FilterLookup[bool] | None = strawberry_django.filter_field()
    mt_http_dedicated_listener: FilterLookup[bool] | None = strawberry_django.filter_field()
    peers: Annotated['HAPeerFilter', strawberry.lazy(_FILTERS)] | None = strawberry_django.filter_field()


@strawberry_django.filter_type(HAPeer, lookups=True)
class HAPeerFilter(PrimaryModelFilter):
    """Filter of HA peers."""

    relationship: Annotated['HARelationshipFilter', strawberry.lazy(_FILTERS)] | None = strawberry_django.filter_field()
    relationship_id: ID | None = strawberry_django.filter_field()
    server: Annotated['KeaServerFilter', strawberry.lazy(_FILTERS)] | None = strawberry_django.filter_field()
    server_id: ID | None = strawberry_django.filter_field()
    name: StrFilterLookup | None = strawberry_django.filter_field()
    role: BaseFilterLookup[Annotated['KeaHARoleEnum', strawberry.lazy(_ENUMS)]] | None = (
        strawberry_django.filter_field()
    )
    url: StrFilterLookup | None = strawberry_django.filter_field()
    auto_failover: FilterLookup[bool] | None = strawberry_django.filter_field()
    basic_auth_user: StrFilterLookup | None = strawberry_django.filter_field()
    ha_state: BaseFilterLookup[Annotated['KeaHAStateEnum', strawberry.lazy(_ENUMS)]] | None = (
        strawberry_django.filter_field()
    )
    partner_state: BaseFilterLookup[Annotated['KeaHAStateEnum', strawberry.lazy(_ENUMS)]] | None = (
        strawberry_django.filter_field()
    )
    reachable: FilterLookup[bool] | None = strawberry_django.filter_field()
    communication_interrupted: FilterLookup[bool] | None = strawberry_django.filter_field()
    in_touch: FilterLookup[bool] | None = strawberry_django.filter_field()
    heartbeat_age: Annotated['IntegerLookup', strawberry.lazy(_LOOKUPS)] | None = strawberry_django.filter_field()
    connecting_clients: Annotated['IntegerLookup', strawberry.lazy(_LOOKUPS)] | None = strawberry_django.filter_field()
    unacked_clients: Annotated['IntegerLookup', strawberry.lazy(_LOOKUPS)] | None = strawberry_django.filter_field()
    unacked_clients_left: Annotated['IntegerLookup', strawberry.lazy(_LOOKUPS)] | None = (
        strawberry_django.filter_field()
    )
    analyzed_packets: Annotated['BigIntegerLookup', strawberry.lazy(_LOOKUPS)] | None = strawberry_django.filter_field()
    clock_skew: Annotated['IntegerLookup', strawberry.lazy(_LOOKUPS)] | None = strawberry_django.filter_field()
    last_contact: DatetimeFilterLookup | None = strawberry_django.filter_field()


@strawberry_django.filter_type(ConfigSnapshot, lookups=True)
class ConfigSnapshotFilter(BaseModelFilter):
    """Filter of config snapshots."""

    created: DatetimeFilterLookup | None = strawberry_django.filter_field()
    server: Annotated['KeaServerFilter', strawberry.lazy(_FILTERS)] | None = strawberry_django.filter_field()
    server_id: ID | None = strawberry_django.filter_field()
    relationship: Annotated['HARelationshipFilter', strawberry.lazy(_FILTERS)] | None = strawberry_django.filter_field()
    relationship_id: ID | None = strawberry_django.filter_field()
    job_id: ID | None = strawberry_django.filter_field()
    restored_from_id: ID | None = strawberry_django.filter_field()
    action: StrFilterLookup | None = strawberry_django.filter_field()
    result: StrFilterLookup | None = strawberry_django.filter_field()
    message: StrFilterLookup | None = strawberry_django.filter_field()


@strawberry_django.filter_type(ServedPrefix, lookups=True)
class ServedPrefixFilter(PrimaryModelFilter):
    """Filter of served prefixes (relationship, prefix, subnet id)."""

    relationship: Annotated['HARelationshipFilter', strawberry.lazy(_FILTERS)] | None = strawberry_django.filter_field()
    relationship_id: ID | None = strawberry_django.filter_field()
    prefix: Annotated['PrefixFilter', strawberry.lazy('ipam.graphql.filters')] | None = strawberry_django.filter_field()
    prefix_id: ID | None = strawberry_django.filter_field()
    subnet_id: Annotated['BigIntegerLookup', strawberry.lazy(_LOOKUPS)] | None = strawberry_django.filter_field()
    interface: StrFilterLookup | None = strawberry_django.filter_field()
