"""The plugin's models: Kea servers, HA relationships and their peers."""

from .peers import *
from .relationships import *
from .servers import *

__all__ = (
    'HAPeer',
    'HARelationship',
    'KeaServer',
)
