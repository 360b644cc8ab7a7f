"""
netbox-kea-ha: NetBox as the source of truth for ISC Kea DHCP High Availability.

The PluginConfig is loaded lazily (PEP 562), so that `netbox_kea_ha.kea`, the pure Kea layer, can be imported
and used without Django or NetBox.
"""

from importlib.metadata import version

__version__ = version('netbox-kea-ha')


def __getattr__(name):
    """Give NetBox (`config`) and Django (`KeaHAConfig`) the PluginConfig on first use."""
    if name in ('config', 'KeaHAConfig'):
        from .plugin import KeaHAConfig

        return KeaHAConfig
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
