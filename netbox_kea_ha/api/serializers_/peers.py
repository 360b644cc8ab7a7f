"""REST serializer of HAPeer."""

from django.db.models import Manager
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from netbox.api.fields import ChoiceField
from netbox.api.serializers import PrimaryModelSerializer

from ...choices import HAModeChoices, HARoleChoices, HAStateChoices
from ...models import HAPeer, HARelationship
from ...visibility import visible_peers
from .secrets import SecretSerializerMixin, password_field
from .servers import KeaServerSerializer

__all__ = (
    'HAPeerSerializer',
    'HARelationshipBriefSerializer',
    'VisiblePeersSerializer',
)


class HARelationshipBriefSerializer(PrimaryModelSerializer):
    """The relationship as a peer shows it (brief); the full serializer nests the peers and cannot be nested here."""

    mode = ChoiceField(choices=HAModeChoices, read_only=True)

    class Meta:
        model = HARelationship
        fields = ('id', 'url', 'display', 'name', 'mode', 'description')
        brief_fields = ('description', 'display', 'id', 'mode', 'name', 'url')


class VisiblePeersSerializer(serializers.ListSerializer):
    """
    A list of peers nested in a relationship: only those the requesting user may see (the peer and its server,
    `visibility.visible_peers`), as NetBox's GraphQL restricts related lists. The relationship list prefetches them
    restricted already (`HARelationshipViewSet`); after a write the peers are read again, restricted here.
    """

    def to_representation(self, data):
        """The visible peers, serialized."""
        request = self.context.get('request')
        if isinstance(data, Manager):
            prefetched = getattr(data.instance, '_prefetched_objects_cache', {})
            if request is not None and data.field.remote_field.cache_name not in prefetched:
                data = visible_peers(data.all(), request.user)
            else:
                data = data.all()
        return super().to_representation(data)


class HAPeerSerializer(SecretSerializerMixin, PrimaryModelSerializer):
    """
    A peer. Kea's peer `url` is `peer_url` here (`url` is the API link); `effective_name` and `effective_url` are what
    Kea gets when `name` / `peer_url` are blank. `basic_auth_password` is write-only. The HA status fields (from
    `ha_state` to `status_updated`) are read-only: the status job records them.
    """

    relationship = HARelationshipBriefSerializer(nested=True)
    server = KeaServerSerializer(nested=True)
    role = ChoiceField(choices=HARoleChoices)
    peer_url = serializers.CharField(
        source='url',
        required=False,
        allow_blank=True,
        max_length=200,
        label=_('Peer URL'),
        help_text=_("Kea's peer url; blank: derived from the server's address and control port"),
    )
    effective_name = serializers.CharField(read_only=True)
    effective_url = serializers.CharField(read_only=True, allow_null=True)
    basic_auth_password = password_field(_('Basic-auth password'))
    has_basic_auth_password = serializers.BooleanField(read_only=True)
    ha_state = ChoiceField(choices=HAStateChoices, read_only=True)
    partner_state = ChoiceField(choices=HAStateChoices, read_only=True)

    secret_pairs = {'basic_auth_password': 'basic_auth_password_ref'}

    class Meta:
        model = HAPeer
        list_serializer_class = VisiblePeersSerializer
        fields = (
            'id', 'url', 'display_url', 'display', 'relationship', 'server', 'name', 'effective_name', 'role',
            'peer_url', 'effective_url', 'auto_failover', 'basic_auth_user', 'basic_auth_password',
            'has_basic_auth_password', 'basic_auth_password_ref', 'extra_parameters', 'ha_state', 'partner_state',
            'scopes', 'partner_scopes', 'communication_interrupted', 'in_touch', 'heartbeat_age',
            'connecting_clients', 'unacked_clients', 'unacked_clients_left', 'analyzed_packets', 'clock_skew',
            'last_contact', 'reachable', 'status_updated', 'description', 'owner', 'comments', 'tags',
            'custom_fields', 'created', 'last_updated',
        )  # fmt: skip
        brief_fields = ('display', 'effective_name', 'id', 'role', 'server', 'url')
