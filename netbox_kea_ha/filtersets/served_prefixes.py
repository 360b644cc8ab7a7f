"""FilterSet of ServedPrefix."""

import ipaddress

import django_filters
from django.db.models import Q
from django.utils.translation import gettext as _

from ipam.models import Prefix
from netbox.filtersets import PrimaryModelFilterSet
from utilities.filtersets import register_filterset

from ..models import HARelationship, ServedPrefix

__all__ = ('ServedPrefixFilterSet',)


@register_filterset
class ServedPrefixFilterSet(PrimaryModelFilterSet):
    """Filters of served prefixes: relationship, prefix, subnet id, interface; `q` searches the prefix text."""

    relationship_id = django_filters.ModelMultipleChoiceFilter(
        queryset=HARelationship.objects.all(), label=_('HA relationship (ID)')
    )
    relationship = django_filters.ModelMultipleChoiceFilter(
        field_name='relationship__name',
        queryset=HARelationship.objects.all(),
        to_field_name='name',
        label=_('HA relationship (name)'),
    )
    prefix_id = django_filters.ModelMultipleChoiceFilter(queryset=Prefix.objects.all(), label=_('Prefix (ID)'))

    class Meta:
        model = ServedPrefix
        fields = ('id', 'subnet_id', 'interface', 'routers', 'domain_name', 'valid_lifetime', 'description')

    def search(self, queryset, name, value):
        """Prefix text, interface, description."""
        if not value.strip():
            return queryset
        return queryset.filter(
            Q(prefix__prefix__net_contains_or_equals=value.strip())
            if _looks_like_address(value)
            else Q(interface__icontains=value) | Q(description__icontains=value) | Q(domain_name__icontains=value)
        )


def _looks_like_address(value: str) -> bool:
    try:
        ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    return True
