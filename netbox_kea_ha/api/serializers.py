"""REST serializers (`<Model>Serializer`, where NetBox looks them up)."""

from .serializers_.peers import *
from .serializers_.relationships import *
from .serializers_.servers import *

__all__ = (
    'HAPeerSerializer',
    'HARelationshipBriefSerializer',
    'HARelationshipSerializer',
    'KeaServerSerializer',
)
