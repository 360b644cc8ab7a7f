"""The plugin's registration with NetBox (loaded through `netbox_kea_ha.config`)."""

from django.conf import settings

from netbox.plugins import PluginConfig

from . import __version__
from .plugin_settings import DEFAULT_SETTINGS, validate_settings

__all__ = ('KeaHAConfig',)


class KeaHAConfig(PluginConfig):
    """Metadata, version range and settings of netbox-kea-ha."""

    # NetBox resolves resources (navigation.menu, search.indexes, graphql.schema, ...) relative to the
    # config class's module, and Django imports the app config from there: both must see the package.
    __module__ = 'netbox_kea_ha'

    name = 'netbox_kea_ha'
    verbose_name = 'Kea HA'
    description = 'ISC Kea DHCP High Availability: servers, relationships, rendering, safe push, state and drift'
    version = __version__
    author = 'netbox-kea-ha developers'
    base_url = 'kea-ha'
    # Keep docs/compatibility.md in step with these.
    min_version = '4.6.0'
    max_version = '4.6.99'
    default_settings = DEFAULT_SETTINGS
    # A package, not a module: point NetBox at the list of Query classes.
    graphql_schema = 'graphql.schema.schema'

    def ready(self):
        """Validate the settings, then load the modules that register jobs and signal handlers."""
        super().ready()
        validate_settings(settings.PLUGINS_CONFIG.get(self.name, {}))
        # Registers the system jobs (scheduled status and sync) with NetBox's rqworker.
        from . import jobs  # noqa: F401
