"""FilterSet of HAPeer."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext as _

from dcim.models import Device
from netbox.filtersets import PrimaryModelFilterSet
from utilities.filters import MultiValueCharFilter
from utilities.filtersets import register_filterset
from virtualization.models import VirtualMachine

from ..choices import HARoleChoices, HAStateChoices
from ..models import HAPeer, HARelationship, KeaServer

__all__ = ('HAPeerFilterSet',)


@register_filterset
class HAPeerFilterSet(PrimaryModelFilterSet):
    """Filters of peers: relationship, server, host device/VM, role, HA state and status (scopes, counters)."""

    relationship_id = django_filters.ModelMultipleChoiceFilter(
        queryset=HARelationship.objects.all(),
        distinct=False,
        label=_('HA relationship (ID)'),
    )
    relationship = django_filters.ModelMultipleChoiceFilter(
        field_name='relationship__name',
        queryset=HARelationship.objects.all(),
        distinct=False,
        to_field_name='name',
        label=_('HA relationship (name)'),
    )
    server_id = django_filters.ModelMultipleChoiceFilter(
        queryset=KeaServer.objects.all(),
        distinct=False,
        label=_('Kea server (ID)'),
    )
    server = django_filters.ModelMultipleChoiceFilter(
        field_name='server__name',
        queryset=KeaServer.objects.all(),
        distinct=False,
        to_field_name='name',
        label=_('Kea server (name)'),
    )
    device_id = django_filters.ModelMultipleChoiceFilter(
        field_name='server__device',
        queryset=Device.objects.all(),
        distinct=False,
        label=_('Device (ID)'),
    )
    virtual_machine_id = django_filters.ModelMultipleChoiceFilter(
        field_name='server__virtual_machine',
        queryset=VirtualMachine.objects.all(),
        distinct=False,
        label=_('Virtual machine (ID)'),
    )
    role = django_filters.MultipleChoiceFilter(choices=HARoleChoices, distinct=False)
    ha_state = django_filters.MultipleChoiceFilter(choices=HAStateChoices, distinct=False)
    partner_state = django_filters.MultipleChoiceFilter(choices=HAStateChoices, distinct=False)
    scope = MultiValueCharFilter(method='filter_scope', label=_('Serves the scope'))
    partner_scope = MultiValueCharFilter(method='filter_scope', label=_('The partner serves the scope'))

    class Meta:
        model = HAPeer
        fields = (
            'id', 'name', 'url', 'auto_failover', 'basic_auth_user', 'basic_auth_password_ref',
            'communication_interrupted', 'in_touch', 'heartbeat_age', 'connecting_clients', 'unacked_clients',
            'unacked_clients_left', 'analyzed_packets', 'clock_skew', 'last_contact', 'reachable', 'status_updated',
            'description',
        )  # fmt: skip

    def filter_scope(self, queryset, name, value):
        """Peers whose scopes (`scope`) or partner's last scopes (`partner_scope`) include any of the names."""
        field = 'scopes' if name == 'scope' else 'partner_scopes'
        condition = Q()
        for scope in value:
            condition |= Q(**{f'{field}__contains': [scope]})
        return queryset.filter(condition)

    def search(self, queryset, name, value):
        """Free-text search over peer name, URL, relationship and server names."""
        if not value.strip():
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(url__icontains=value)
            | Q(relationship__name__icontains=value)
            | Q(server__name__icontains=value)
            | Q(server__server_tag__icontains=value)
            | Q(description__icontains=value)
        )
