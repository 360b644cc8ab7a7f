"""The plugin's FilterSets, one module per model."""

from .peers import *
from .relationships import *
from .served_prefixes import *
from .servers import *
from .snapshots import *

__all__ = (
    'ConfigSnapshotFilterSet',
    'HAPeerFilterSet',
    'HARelationshipFilterSet',
    'KeaServerFilterSet',
    'ServedPrefixFilterSet',
)
