"""The top-level "Kea HA" menu."""

from django.utils.translation import gettext_lazy as _

from netbox.plugins import PluginMenu, PluginMenuButton, PluginMenuItem

__all__ = ('menu',)


def _item(model, label):
    return PluginMenuItem(
        link=f'plugins:netbox_kea_ha:{model}_list',
        link_text=label,
        permissions=[f'netbox_kea_ha.view_{model}'],
        buttons=(
            PluginMenuButton(
                link=f'plugins:netbox_kea_ha:{model}_add',
                title=_('Add'),
                icon_class='mdi mdi-plus-thick',
                permissions=[f'netbox_kea_ha.add_{model}'],
            ),
            PluginMenuButton(
                link=f'plugins:netbox_kea_ha:{model}_bulk_import',
                title=_('Import'),
                icon_class='mdi mdi-upload',
                permissions=[f'netbox_kea_ha.add_{model}'],
            ),
        ),
    )


menu = PluginMenu(
    label=_('Kea HA'),
    groups=(
        (
            _('Kea DHCP'),
            (
                _item('keaserver', _('Kea servers')),
                _item('harelationship', _('HA relationships')),
                _item('hapeer', _('HA peers')),
                _item('servedprefix', _('Served prefixes')),
            ),
        ),
        (
            _('History'),
            (
                PluginMenuItem(
                    link='plugins:netbox_kea_ha:configsnapshot_list',
                    link_text=_('Config snapshots'),
                    permissions=['netbox_kea_ha.view_configsnapshot'],
                ),
            ),
        ),
    ),
    icon_class='mdi mdi-server-network',
)
