"""The plugin's models: Kea servers, HA relationships, their peers, served prefixes and config snapshots."""

from .dhcp import *
from .peers import *
from .relationships import *
from .servers import *
from .snapshots import *

__all__ = (
    'ConfigSnapshot',
    'HAPeer',
    'HARelationship',
    'KeaServer',
    'ServedPrefix',
)
