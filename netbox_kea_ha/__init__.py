"""netbox-kea-ha: NetBox as the source of truth for ISC Kea DHCP High Availability."""

from importlib.metadata import version

from django.conf import settings
from netbox.plugins import PluginConfig

from .plugin_settings import DEFAULT_SETTINGS, validate_settings

__version__ = version('netbox-kea-ha')


class KeaHAConfig(PluginConfig):
    """The plugin's registration with NetBox."""

    name = 'netbox_kea_ha'
    verbose_name = 'Kea HA'
    description = 'ISC Kea DHCP High Availability: servers, relationships, rendering, safe push, state and drift'
    version = __version__
    author = 'netbox-kea-ha developers'
    base_url = 'kea-ha'
    # Keep COMPATIBILITY in docs/ in step with these.
    min_version = '4.6.0'
    max_version = '4.6.99'
    default_settings = DEFAULT_SETTINGS

    def ready(self):
        """Validate the settings, then load the modules that register jobs and signal handlers."""
        super().ready()
        validate_settings(settings.PLUGINS_CONFIG.get(self.name, {}))


config = KeaHAConfig
