"""REST serializer of HARelationship."""

from netbox.api.fields import ChoiceField, RelatedObjectCountField
from netbox.api.serializers import PrimaryModelSerializer

from ...choices import DhcpSourceChoices, HAModeChoices, PushProcedureChoices
from ...kea.ha import HA_PARAMETERS
from ...models import HARelationship
from .peers import HAPeerSerializer

__all__ = ('HARelationshipSerializer',)


class HARelationshipSerializer(PrimaryModelSerializer):
    """
    An HA relationship: mode, one field per HA parameter (null = Kea's default), state machine, extra keys, the
    findings last recorded by a sync (read-only), and its peers (nested, read-only: add peers at /peers/).
    """

    mode = ChoiceField(choices=HAModeChoices)
    push_procedure = ChoiceField(choices=PushProcedureChoices, required=False, allow_blank=True)
    dhcp_source = ChoiceField(choices=DhcpSourceChoices, required=False)
    peers = HAPeerSerializer(nested=True, many=True, read_only=True)
    peer_count = RelatedObjectCountField('peers')

    class Meta:
        model = HARelationship
        fields = (
            'id', 'url', 'display_url', 'display', 'name', 'mode', *(p.attr for p in HA_PARAMETERS), 'state_machine',
            'extra_parameters', 'push_procedure', 'dhcp_source', 'findings', 'peers', 'peer_count', 'description',
            'owner', 'comments', 'tags', 'custom_fields', 'created', 'last_updated',
        )  # fmt: skip
        brief_fields = ('description', 'display', 'id', 'mode', 'name', 'url')
