"""Table of KeaServer."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from netbox.tables import PrimaryModelTable, columns

from ..models import KeaServer

__all__ = ('KeaServerTable',)


class KeaServerTable(PrimaryModelTable):
    """Kea servers, with colour badges for HA state and config drift. No password column exists."""

    name = tables.Column(verbose_name=_('Name'), linkify=True)
    family = columns.ChoiceFieldColumn(verbose_name=_('Family'))
    device = tables.Column(verbose_name=_('Device'), linkify=True)
    virtual_machine = tables.Column(verbose_name=_('Virtual machine'), linkify=True)
    address = tables.Column(verbose_name=_('Address'), linkify=True)
    control_kind = columns.ChoiceFieldColumn(verbose_name=_('Control endpoint'))
    control_url = tables.Column(verbose_name=_('Control URL'), orderable=False)
    server_tag = tables.Column(verbose_name=_('Server tag'), accessor='effective_server_tag', order_by=('server_tag',))
    kea_version = tables.Column(verbose_name=_('Kea version'))
    ha_state = columns.ChoiceFieldColumn(verbose_name=_('HA state'))
    config_drift = columns.ChoiceFieldColumn(verbose_name=_('Config drift'))
    last_seen = columns.DateTimeColumn(verbose_name=_('Last seen'))
    drift_checked = columns.DateTimeColumn(verbose_name=_('Drift checked'))
    has_password = columns.BooleanColumn(verbose_name=_('Password'), orderable=False)
    replicate_config = columns.ChoiceFieldColumn(verbose_name=_('Replicate config'))
    peer_count = columns.LinkedCountColumn(
        viewname='plugins:netbox_kea_ha:hapeer_list',
        url_params={'server_id': 'pk'},
        verbose_name=_('Peers'),
    )
    tags = columns.TagColumn(url_name='plugins:netbox_kea_ha:keaserver_list')

    class Meta(PrimaryModelTable.Meta):
        model = KeaServer
        fields = (
            'pk', 'id', 'name', 'family', 'device', 'virtual_machine', 'address', 'control_kind', 'control_url',
            'control_scheme', 'control_port', 'server_tag', 'username', 'has_password', 'password_ref', 'tls_verify',
            'hooks_dir', 'replicate_config', 'kea_version', 'ha_state', 'config_drift', 'last_seen', 'drift_checked',
            'last_error', 'peer_count', 'description', 'owner', 'comments', 'tags', 'created', 'last_updated',
        )  # fmt: skip
        default_columns = (
            'pk', 'name', 'family', 'device', 'virtual_machine', 'address', 'kea_version', 'ha_state',
            'config_drift', 'peer_count',
        )  # fmt: skip
