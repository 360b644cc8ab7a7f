"""The plugin's FilterSets, one module per model."""

from .peers import *
from .relationships import *
from .servers import *

__all__ = (
    'HAPeerFilterSet',
    'HARelationshipFilterSet',
    'KeaServerFilterSet',
)
