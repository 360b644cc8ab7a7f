"""Table of ServedPrefix."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from netbox.tables import PrimaryModelTable, columns

from ..models import ServedPrefix

__all__ = ('ServedPrefixTable',)


class ServedPrefixTable(PrimaryModelTable):
    """Served prefixes: the prefix, its relationship and subnet id, options and lifetimes."""

    prefix = tables.Column(verbose_name=_('Prefix'), linkify=True)
    relationship = tables.Column(verbose_name=_('Relationship'), linkify=True)
    subnet_id = tables.Column(verbose_name=_('Subnet id'))
    vrf = tables.Column(verbose_name=_('VRF'), accessor='prefix__vrf', linkify=True)
    tags = columns.TagColumn(url_name='plugins:netbox_kea_ha:servedprefix_list')

    class Meta(PrimaryModelTable.Meta):
        model = ServedPrefix
        fields = (
            'pk', 'id', 'prefix', 'vrf', 'relationship', 'subnet_id', 'interface', 'routers', 'dns_servers',
            'domain_name', 'valid_lifetime', 'renew_timer', 'rebind_timer', 'description', 'tags', 'created',
            'last_updated',
        )  # fmt: skip
        default_columns = ('pk', 'id', 'prefix', 'vrf', 'relationship', 'subnet_id', 'routers', 'valid_lifetime')
