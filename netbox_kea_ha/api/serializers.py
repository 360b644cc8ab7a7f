"""REST serializers (`<Model>Serializer`, where NetBox looks them up)."""

from .serializers_.peers import *
from .serializers_.relationships import *
from .serializers_.served_prefixes import *
from .serializers_.servers import *
from .serializers_.snapshots import *

__all__ = (
    'ConfigSnapshotSerializer',
    'HAPeerSerializer',
    'HARelationshipBriefSerializer',
    'HARelationshipSerializer',
    'KeaServerSerializer',
    'ServedPrefixSerializer',
)
