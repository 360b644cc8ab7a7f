"""Global search: Kea servers, HA relationships and peers."""

from netbox.search import SearchIndex

from .models import HAPeer, HARelationship, KeaServer

__all__ = (
    'HAPeerIndex',
    'HARelationshipIndex',
    'KeaServerIndex',
    'indexes',
)


class KeaServerIndex(SearchIndex):
    """Kea servers by name, server tag, control host, version and description."""

    model = KeaServer
    fields = (
        ('name', 100),
        ('server_tag', 110),
        ('control_host', 300),
        ('kea_version', 400),
        ('description', 500),
        ('comments', 5000),
    )
    display_attrs = ('family', 'device', 'virtual_machine', 'address', 'ha_state', 'description')


class HARelationshipIndex(SearchIndex):
    """HA relationships by name and description."""

    model = HARelationship
    fields = (
        ('name', 100),
        ('description', 500),
        ('comments', 5000),
    )
    display_attrs = ('mode', 'description')


class HAPeerIndex(SearchIndex):
    """Peers by peer name and URL."""

    model = HAPeer
    fields = (
        ('name', 100),
        ('url', 300),
        ('description', 500),
        ('comments', 5000),
    )
    display_attrs = ('relationship', 'server', 'role', 'ha_state', 'description')


#: Registered by NetBox when the plugin loads (PluginConfig resource `search.indexes`).
indexes = (KeaServerIndex, HARelationshipIndex, HAPeerIndex)
