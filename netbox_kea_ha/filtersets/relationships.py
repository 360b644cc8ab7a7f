"""FilterSet of HARelationship."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext as _

from netbox.filtersets import PrimaryModelFilterSet
from utilities.filtersets import register_filterset

from ..choices import DhcpSourceChoices, HAModeChoices, PushProcedureChoices
from ..kea.ha import HA_PARAMETERS
from ..models import HARelationship, KeaServer

__all__ = ('HARelationshipFilterSet',)


@register_filterset
class HARelationshipFilterSet(PrimaryModelFilterSet):
    """Filters of HA relationships: mode, any HA parameter (by its field name), member servers."""

    mode = django_filters.MultipleChoiceFilter(choices=HAModeChoices, distinct=False)
    push_procedure = django_filters.MultipleChoiceFilter(choices=PushProcedureChoices, distinct=False)
    dhcp_source = django_filters.MultipleChoiceFilter(choices=DhcpSourceChoices, distinct=False)
    server_id = django_filters.ModelMultipleChoiceFilter(
        field_name='peers__server',
        queryset=KeaServer.objects.all(),
        label=_('Kea server (ID)'),
    )
    server = django_filters.ModelMultipleChoiceFilter(
        field_name='peers__server__name',
        queryset=KeaServer.objects.all(),
        to_field_name='name',
        label=_('Kea server (name)'),
    )

    class Meta:
        model = HARelationship
        fields = ('id', 'name', 'description', 'highest_subnet_id', *(p.attr for p in HA_PARAMETERS))

    def search(self, queryset, name, value):
        """Free-text search over name and description."""
        if not value.strip():
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(description__icontains=value) | Q(comments__icontains=value)
        )
