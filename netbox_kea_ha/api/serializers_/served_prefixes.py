"""REST serializer of ServedPrefix."""

from ipam.api.serializers import PrefixSerializer
from netbox.api.serializers import PrimaryModelSerializer

from ...models import ServedPrefix
from .peers import HARelationshipBriefSerializer

__all__ = ('ServedPrefixSerializer',)


class ServedPrefixSerializer(PrimaryModelSerializer):
    """A prefix served by a relationship whose DHCP data comes from NetBox IPAM: subnet id (blank on create: the next
    one), options, lifetimes, relay/interface, pool splits and other subnet keys."""

    relationship = HARelationshipBriefSerializer(nested=True)
    prefix = PrefixSerializer(nested=True)

    class Meta:
        model = ServedPrefix
        fields = (
            'id', 'url', 'display_url', 'display', 'relationship', 'prefix', 'subnet_id', 'interface',
            'relay_addresses', 'routers', 'dns_servers', 'domain_name', 'valid_lifetime', 'renew_timer',
            'rebind_timer', 'options', 'pool_splits', 'extra', 'description', 'owner', 'comments', 'tags',
            'custom_fields', 'created', 'last_updated',
        )  # fmt: skip
        brief_fields = ('description', 'display', 'id', 'prefix', 'subnet_id', 'url')
