"""The plugin's tables, one module per model."""

from .peers import *
from .relationships import *
from .servers import *

__all__ = (
    'HAPeerTable',
    'HARelationshipTable',
    'KeaServerTable',
)
