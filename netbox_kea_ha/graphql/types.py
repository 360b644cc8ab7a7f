"""
GraphQL types (`<Model>Type`). Fields are listed explicitly: every concrete field except the password storage
(`_password`, `_basic_auth_password`, a snapshot's `_secrets`), plus the reverse relations declared here, so that a
model added later with a foreign key to these does not change their shape. Passwords appear only as `has_password`
booleans.
"""

from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from django.db import models

from netbox.graphql.scalars import BigInt
from netbox.graphql.types import BaseObjectType, PrimaryObjectType

from ..kea.ha import HA_PARAMETERS
from ..models import ConfigSnapshot, HAPeer, HARelationship, KeaServer, ServedPrefix
from .filters import *

if TYPE_CHECKING:
    from dcim.graphql.types import DeviceType
    from ipam.graphql.types import IPAddressType, PrefixType
    from users.graphql.types import UserType
    from virtualization.graphql.types import VirtualMachineType

__all__ = (
    'ConfigSnapshotType',
    'HAPeerType',
    'HARelationshipType',
    'KeaServerType',
    'ServedPrefixType',
)

_TYPES = 'netbox_kea_ha.graphql.types'


def _public_fields(model, *extra):
    """Concrete fields except tags (a resolver of the base type) and the write-only password storage."""
    names = [f.name for f in model._meta.concrete_fields if not f.name.startswith('_')]
    return [*names, *extra]


@strawberry_django.type(
    KeaServer,
    fields=_public_fields(KeaServer, 'ha_peers'),
    filters=KeaServerFilter,
    pagination=True,
)
class KeaServerType(PrimaryObjectType):
    """A Kea server (no password: `has_password` only)."""

    device: Annotated['DeviceType', strawberry.lazy('dcim.graphql.types')] | None
    virtual_machine: Annotated['VirtualMachineType', strawberry.lazy('virtualization.graphql.types')] | None
    address: Annotated['IPAddressType', strawberry.lazy('ipam.graphql.types')]
    ha_peers: list[Annotated['HAPeerType', strawberry.lazy(_TYPES)]]

    @strawberry_django.field(only=['_password', 'password_ref'])
    def has_password(self) -> bool:
        """Whether the control endpoint has a password (stored or referenced)."""
        return self.has_password

    @strawberry_django.field(
        only=['control_host', 'control_port', 'control_scheme', 'address__address'], select_related=['address']
    )
    def control_url(self) -> str | None:
        """URL of the control endpoint (own values, else the plugin's settings)."""
        return self.control_url


class HARelationshipType(PrimaryObjectType):
    """An HA relationship with one field per HA parameter (null = Kea's default) and its peers."""

    peers: list[Annotated['HAPeerType', strawberry.lazy(_TYPES)]]


# uint32 parameters do not fit GraphQL's 32-bit signed Int.
for _parameter in HA_PARAMETERS:
    if isinstance(HARelationship._meta.get_field(_parameter.attr), models.PositiveBigIntegerField):
        HARelationshipType.__annotations__[_parameter.attr] = BigInt | None
HARelationshipType.__annotations__['highest_subnet_id'] = BigInt

HARelationshipType = strawberry_django.type(
    HARelationship,
    fields=_public_fields(HARelationship, 'peers'),
    filters=HARelationshipFilter,
    pagination=True,
)(HARelationshipType)


@strawberry_django.type(
    HAPeer,
    fields=_public_fields(HAPeer),
    filters=HAPeerFilter,
    pagination=True,
)
class HAPeerType(PrimaryObjectType):
    """A peer of a relationship (no password: `has_basic_auth_password` only), with its HA status."""

    relationship: Annotated['HARelationshipType', strawberry.lazy(_TYPES)]
    server: Annotated['KeaServerType', strawberry.lazy(_TYPES)]
    # Kea counts packets in 64 bits: more than GraphQL's 32-bit Int holds.
    analyzed_packets: BigInt | None

    @strawberry_django.field(only=['name', 'server__name', 'server__server_tag'], select_related=['server'])
    def effective_name(self) -> str:
        """The peer name Kea gets: `name`, else the server's tag."""
        return self.effective_name

    @strawberry_django.field(
        only=['url', 'server__control_scheme', 'server__control_port', 'server__address__address'],
        select_related=['server__address'],
    )
    def effective_url(self) -> str | None:
        """The URL Kea gets: `url`, else derived from the server's address and port."""
        return self.effective_url

    @strawberry_django.field(only=['_basic_auth_password', 'basic_auth_password_ref'])
    def has_basic_auth_password(self) -> bool:
        """Whether a basic-auth password is set (stored or referenced)."""
        return self.has_basic_auth_password


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
    restored_from: Annotated['ConfigSnapshotType', strawberry.lazy(_TYPES)] | None

    # field_name: a field that maps to `job_id` would be taken for the `job` relation (NetBox has no Job type).
    @strawberry_django.field(field_name='job_pk', only=['job'])
    def job_id(self) -> int | None:
        """The id of the job that made the snapshot (a core job), if it still exists."""
        return self.job_id


@strawberry_django.type(
    ServedPrefix,
    fields=_public_fields(ServedPrefix),
    filters=ServedPrefixFilter,
    pagination=True,
)
class ServedPrefixType(PrimaryObjectType):
    """A prefix served by a relationship whose DHCP data comes from NetBox IPAM."""

    relationship: Annotated['HARelationshipType', strawberry.lazy(_TYPES)]
    prefix: Annotated['PrefixType', strawberry.lazy('ipam.graphql.types')]
    subnet_id: BigInt | None
