"""
GraphQL types (`<Model>Type`). Fields are listed explicitly: every concrete field except the password storage
(`_password`, `_basic_auth_password`), plus the reverse relations declared here, so that a model added later with a
foreign key to these does not change their shape. Passwords appear only as `has_password` booleans.
"""

from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from django.db import models

from netbox.graphql.scalars import BigInt
from netbox.graphql.types import PrimaryObjectType

from ..kea.ha import HA_PARAMETERS
from ..models import HAPeer, HARelationship, KeaServer
from .filters import *

if TYPE_CHECKING:
    from dcim.graphql.types import DeviceType
    from ipam.graphql.types import IPAddressType
    from virtualization.graphql.types import VirtualMachineType

__all__ = (
    'HAPeerType',
    'HARelationshipType',
    'KeaServerType',
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

    @strawberry_django.field(only=['control_host', 'control_port', 'control_scheme', 'address'])
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
    """A peer of a relationship (no password: `has_basic_auth_password` only)."""

    relationship: Annotated['HARelationshipType', strawberry.lazy(_TYPES)]
    server: Annotated['KeaServerType', strawberry.lazy(_TYPES)]

    @strawberry_django.field(only=['name', 'server'])
    def effective_name(self) -> str:
        """The peer name Kea gets: `name`, else the server's tag."""
        return self.effective_name

    @strawberry_django.field(only=['url', 'server'])
    def effective_url(self) -> str | None:
        """The URL Kea gets: `url`, else derived from the server's address and port."""
        return self.effective_url

    @strawberry_django.field(only=['_basic_auth_password', 'basic_auth_password_ref'])
    def has_basic_auth_password(self) -> bool:
        """Whether a basic-auth password is set (stored or referenced)."""
        return self.has_basic_auth_password
