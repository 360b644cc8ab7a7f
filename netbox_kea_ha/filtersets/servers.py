"""FilterSet of KeaServer."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext as _

from dcim.models import Device
from ipam.models import IPAddress
from netbox.filtersets import PrimaryModelFilterSet
from utilities.filtersets import register_filterset
from virtualization.models import VirtualMachine

from ..choices import (
    ConfigDriftChoices,
    ControlKindChoices,
    ControlSchemeChoices,
    DHCPFamilyChoices,
    HAStateChoices,
    ReplicateConfigChoices,
)
from ..models import HARelationship, KeaServer

__all__ = ('KeaServerFilterSet',)


@register_filterset
class KeaServerFilterSet(PrimaryModelFilterSet):
    """Filters of Kea servers: host, address, family, endpoint, state, relationship, password set or not."""

    device_id = django_filters.ModelMultipleChoiceFilter(
        queryset=Device.objects.all(),
        distinct=False,
        label=_('Device (ID)'),
    )
    device = django_filters.ModelMultipleChoiceFilter(
        field_name='device__name',
        queryset=Device.objects.all(),
        distinct=False,
        to_field_name='name',
        label=_('Device (name)'),
    )
    virtual_machine_id = django_filters.ModelMultipleChoiceFilter(
        queryset=VirtualMachine.objects.all(),
        distinct=False,
        label=_('Virtual machine (ID)'),
    )
    virtual_machine = django_filters.ModelMultipleChoiceFilter(
        field_name='virtual_machine__name',
        queryset=VirtualMachine.objects.all(),
        distinct=False,
        to_field_name='name',
        label=_('Virtual machine (name)'),
    )
    address_id = django_filters.ModelMultipleChoiceFilter(
        queryset=IPAddress.objects.all(),
        distinct=False,
        label=_('Address (ID)'),
    )
    address = django_filters.CharFilter(
        method='filter_address',
        label=_('Address (IP, with or without prefix length)'),
    )
    relationship_id = django_filters.ModelMultipleChoiceFilter(
        field_name='ha_peers__relationship',
        queryset=HARelationship.objects.all(),
        label=_('HA relationship (ID)'),
    )
    relationship = django_filters.ModelMultipleChoiceFilter(
        field_name='ha_peers__relationship__name',
        queryset=HARelationship.objects.all(),
        to_field_name='name',
        label=_('HA relationship (name)'),
    )
    family = django_filters.MultipleChoiceFilter(choices=DHCPFamilyChoices, distinct=False)
    control_kind = django_filters.MultipleChoiceFilter(choices=ControlKindChoices, distinct=False)
    control_scheme = django_filters.MultipleChoiceFilter(choices=ControlSchemeChoices, distinct=False)
    replicate_config = django_filters.MultipleChoiceFilter(choices=ReplicateConfigChoices, distinct=False)
    ha_state = django_filters.MultipleChoiceFilter(choices=HAStateChoices, distinct=False)
    config_drift = django_filters.MultipleChoiceFilter(choices=ConfigDriftChoices, distinct=False)
    has_password = django_filters.BooleanFilter(method='filter_has_password', label=_('Has a password'))

    class Meta:
        model = KeaServer
        fields = (
            'id', 'name', 'control_host', 'control_port', 'tls_verify', 'ca_file', 'cert_file', 'key_file',
            'username', 'password_ref', 'server_tag', 'hooks_dir', 'kea_version', 'last_seen', 'drift_checked',
            'last_error', 'description',
        )  # fmt: skip

    def search(self, queryset, name, value):
        """Free-text search over name, tag, host, version and description."""
        if not value.strip():
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(server_tag__icontains=value)
            | Q(control_host__icontains=value)
            | Q(kea_version__icontains=value)
            | Q(description__icontains=value)
            | Q(comments__icontains=value)
        )

    def filter_address(self, queryset, name, value):
        """Servers whose address has this IP (prefix length optional)."""
        value = value.strip()
        if not value:
            return queryset
        if '/' in value:
            return queryset.filter(address__address=value)
        return queryset.filter(address__address__net_host=value)

    def filter_has_password(self, queryset, name, value):
        """Servers with (True) or without (False) a password, stored or referenced."""
        if value is None:
            return queryset
        has = ~Q(_password='') | ~Q(password_ref='')
        return queryset.filter(has) if value else queryset.exclude(has)
