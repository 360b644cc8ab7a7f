"""The plugin loads into NetBox and validates its settings."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from netbox.registry import registry

from netbox_kea_ha.plugin_settings import DEFAULT_SETTINGS, validate_settings


def test_plugin_is_installed():
    assert 'netbox_kea_ha' in registry['plugins']['installed']


def test_defaults_are_valid():
    validate_settings(DEFAULT_SETTINGS)


@pytest.mark.parametrize(
    'settings, message',
    [
        ({'control_agent_port': 70000}, "'control_agent_port' must be a TCP port number (1-65535), got 70000"),
        ({'replicate_config': 'yes'}, "'replicate_config' must be true or false, got 'yes'"),
        ({'sync_interval': 0}, "'sync_interval' must be a whole number of minutes above 0, got 0"),
        ({'push_procedure': 'fast'}, "'push_procedure' must be 'least-loss' or 'rolling', got 'fast'"),
        ({'bogus': 1}, "unknown setting 'bogus'"),
    ],
)
def test_bad_settings_are_named(settings, message):
    with pytest.raises(ImproperlyConfigured, match=message.replace('(', r'\(').replace(')', r'\)')):
        validate_settings(settings)


#: The newest migration of each NetBox app in NetBox 4.6.0, the plugin's min_version (from its source tree).
NETBOX_460_LEAVES = {
    'core': 24,
    'dcim': 233,
    'extras': 138,
    'ipam': 89,
    'tenancy': 24,
    'users': 16,
    'virtualization': 56,
}


def test_migrations_depend_on_nothing_newer_than_netbox_460():
    """A migration generated on a newer NetBox names that release's migrations; 4.6.0 would refuse to migrate."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    checked = 0
    for (app, _name), migration in loader.disk_migrations.items():
        if app != 'netbox_kea_ha':
            continue
        for dep_app, dep_name in migration.dependencies:
            if dep_app in NETBOX_460_LEAVES and dep_name[:4].isdigit():
                checked += 1
                assert int(dep_name.split('_', 1)[0]) <= NETBOX_460_LEAVES[dep_app], (migration.name, dep_app, dep_name)
    assert checked >= 5
