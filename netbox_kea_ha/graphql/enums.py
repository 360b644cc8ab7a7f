"""GraphQL enums of the plugin's choice sets."""

import strawberry

from ..choices import (
    ConfigDriftChoices,
    ControlKindChoices,
    ControlSchemeChoices,
    DHCPFamilyChoices,
    HAModeChoices,
    HARoleChoices,
    HAStateChoices,
    ReplicateConfigChoices,
)

__all__ = (
    'KeaHAConfigDriftEnum',
    'KeaHAControlKindEnum',
    'KeaHAControlSchemeEnum',
    'KeaHADHCPFamilyEnum',
    'KeaHAModeEnum',
    'KeaHAReplicateConfigEnum',
    'KeaHARoleEnum',
    'KeaHAStateEnum',
)

KeaHAConfigDriftEnum = strawberry.enum(ConfigDriftChoices.as_enum(name='KeaHAConfigDriftEnum'))
KeaHAControlKindEnum = strawberry.enum(ControlKindChoices.as_enum(name='KeaHAControlKindEnum'))
KeaHAControlSchemeEnum = strawberry.enum(ControlSchemeChoices.as_enum(name='KeaHAControlSchemeEnum'))
KeaHADHCPFamilyEnum = strawberry.enum(DHCPFamilyChoices.as_enum(name='KeaHADHCPFamilyEnum'))
KeaHAModeEnum = strawberry.enum(HAModeChoices.as_enum(name='KeaHAModeEnum'))
KeaHARoleEnum = strawberry.enum(HARoleChoices.as_enum(name='KeaHARoleEnum'))
KeaHAStateEnum = strawberry.enum(HAStateChoices.as_enum(name='KeaHAStateEnum'))
KeaHAReplicateConfigEnum = strawberry.enum(ReplicateConfigChoices.as_enum(name='KeaHAReplicateConfigEnum'))
