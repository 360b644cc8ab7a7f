"""Panels the plugin adds to NetBox's own pages: the DHCP lease of an IP address, and links to a prefix's leases."""

from urllib.parse import urlencode

from django.db.models import Exists, OuterRef
from django.urls import reverse

from netbox.plugins import PluginTemplateExtension

from .models import HARelationship

__all__ = ('IPAddressLeasePanel', 'PrefixLeasesPanel', 'readable_relationships', 'template_extensions')


def readable_relationships(user, family, address=None):
    """The relationships of `family` ('dhcp4'/'dhcp6') whose leases `user` may read (and see). With `address`: not
    those whose served prefixes (DHCP data from NetBox IPAM) are known and none of them holds the address."""
    relationships = (
        HARelationship.objects.restrict(user, 'view')
        .filter(pk__in=HARelationship.objects.restrict(user, 'leases').values('pk'))
        .filter(peers__server__family=family)
        .distinct()
        .order_by('name')
    )
    if address is not None:
        from .models import ServedPrefix

        served = ServedPrefix.objects.filter(relationship=OuterRef('pk'))
        holding = served.filter(prefix__prefix__net_contains_or_equals=str(address))
        relationships = relationships.filter(~Exists(served) | Exists(holding))
    return relationships


class IPAddressLeasePanel(PluginTemplateExtension):
    """The "DHCP lease" panel of an IP address: who holds it, asked of Kea after the page has loaded (htmx), for
    users who may read the leases of some relationship."""

    models = ['ipam.ipaddress']

    def right_page(self):
        """The panel, or nothing for users without the `leases` permission on any relationship."""
        user = self.context['request'].user
        if not user.has_perm('netbox_kea_ha.leases_harelationship'):
            return ''
        address = self.context['object'].address
        url = reverse('plugins:netbox_kea_ha:ip_lease') + '?' + urlencode({'address': str(address.ip)})
        return self.render('netbox_kea_ha/inc/ip_lease_panel.html', extra_context={'url': url})


class PrefixLeasesPanel(PluginTemplateExtension):
    """The "DHCP leases" panel of a prefix: a link per relationship of its family to its leases there (one page at a
    time, on the relationship's Leases tab). Nothing is asked of Kea to draw it."""

    models = ['ipam.prefix']

    def right_page(self):
        """The panel, or nothing when the user may read no relationship's leases."""
        user = self.context['request'].user
        if not user.has_perm('netbox_kea_ha.leases_harelationship'):
            return ''
        prefix = self.context['object'].prefix
        relationships = list(readable_relationships(user, f'dhcp{prefix.version}')[:20])
        if not relationships:
            return ''
        return self.render(
            'netbox_kea_ha/inc/prefix_leases_panel.html',
            extra_context={'relationships': relationships, 'prefix': str(prefix)},
        )


template_extensions = [IPAddressLeasePanel, PrefixLeasesPanel]
