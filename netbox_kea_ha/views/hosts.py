"""The "Kea HA" tab of devices and virtual machines: the Kea servers there, their relationships, peers and roles."""

from django.utils.translation import gettext_lazy as _

from dcim.models import Device
from netbox.views import generic
from utilities.permissions import get_permission_for_model
from utilities.query import count_related
from utilities.views import ViewTab, get_default_template, register_model_view
from virtualization.models import VirtualMachine

from .. import tables
from ..models import HAPeer, KeaServer
from ..object_actions import extra_actions

__all__ = (
    'DeviceKeaHAView',
    'VirtualMachineKeaHAView',
)


def _server_count(instance):
    return instance.kea_ha_servers.count()


class _HostKeaHAView(generic.ObjectView):
    """Servers on the host and their peer entries; the tab is hidden when the host has no Kea server."""

    template_name = 'netbox_kea_ha/host_kea_ha.html'
    host_field = None
    tab = ViewTab(
        label=_('Kea HA'),
        badge=_server_count,
        permission='netbox_kea_ha.view_keaserver',
        weight=2100,
        hide_if_empty=True,
    )

    def get_extra_context(self, request, instance):
        """Tables of the servers on this host and of their peer entries, and the actions registered for hosts."""
        servers = (
            KeaServer.objects.restrict(request.user, 'view')
            .filter(**{self.host_field: instance})
            .select_related('device', 'virtual_machine', 'address')
            .annotate(peer_count=count_related(HAPeer, 'server'))
        )
        servers_table = tables.KeaServerTable(servers, exclude=('device', 'virtual_machine'))
        servers_table.configure(request)
        peers = (
            HAPeer.objects.restrict(request.user, 'view')
            .filter(**{f'server__{self.host_field}': instance})
            .select_related('relationship', 'server', 'server__address')
        )
        peers_table = tables.HAPeerTable(peers, exclude=('device', 'virtual_machine'), prefix='peers_')
        peers_table.configure(request)
        return {
            'base_template': get_default_template(instance),
            'servers_table': servers_table,
            'peers_table': peers_table,
            'host_actions': [
                action
                for action in extra_actions('host')
                if request.user.has_perms([get_permission_for_model(KeaServer, p) for p in action.permissions_required])
            ],
        }


@register_model_view(Device, name='kea_ha', path='kea-ha')
class DeviceKeaHAView(_HostKeaHAView):
    """The Kea HA tab of a device."""

    queryset = Device.objects.all()
    host_field = 'device'


@register_model_view(VirtualMachine, name='kea_ha', path='kea-ha')
class VirtualMachineKeaHAView(_HostKeaHAView):
    """The Kea HA tab of a virtual machine."""

    queryset = VirtualMachine.objects.all()
    host_field = 'virtual_machine'
