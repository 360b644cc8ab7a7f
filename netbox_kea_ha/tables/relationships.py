"""Table of HARelationship."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from netbox.tables import PrimaryModelTable, columns

from ..kea.ha import HA_PARAMETERS
from ..models import HARelationship

__all__ = ('HARelationshipTable',)


def _parameter_column(parameter):
    if parameter.type is bool:
        return columns.BooleanColumn(verbose_name=parameter.key)
    return tables.Column(verbose_name=parameter.key)


class _ParameterColumns(type(PrimaryModelTable)):
    """Adds one optional column per HA parameter."""

    def __new__(mcs, name, bases, attrs):
        for parameter in HA_PARAMETERS:
            attrs.setdefault(parameter.attr, _parameter_column(parameter))
        return super().__new__(mcs, name, bases, attrs)


class HARelationshipTable(PrimaryModelTable, metaclass=_ParameterColumns):
    """HA relationships: mode, peer count, and any HA parameter as an optional column."""

    name = tables.Column(verbose_name=_('Name'), linkify=True)
    mode = columns.ChoiceFieldColumn(verbose_name=_('Mode'))
    push_procedure = columns.ChoiceFieldColumn(verbose_name=_('Push procedure'))
    dhcp_source = columns.ChoiceFieldColumn(verbose_name=_('DHCP data from'))
    peer_count = columns.LinkedCountColumn(
        viewname='plugins:netbox_kea_ha:hapeer_list',
        url_params={'relationship_id': 'pk'},
        verbose_name=_('Peers'),
    )
    tags = columns.TagColumn(url_name='plugins:netbox_kea_ha:harelationship_list')

    class Meta(PrimaryModelTable.Meta):
        model = HARelationship
        fields = (
            'pk', 'id', 'name', 'mode', 'peer_count', *(p.attr for p in HA_PARAMETERS), 'push_procedure', 'dhcp_source',
            'description', 'owner', 'comments', 'tags', 'created', 'last_updated',
        )  # fmt: skip
        default_columns = ('pk', 'name', 'mode', 'peer_count', 'heartbeat_delay', 'max_response_delay', 'description')
