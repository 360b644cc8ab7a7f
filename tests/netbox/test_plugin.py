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
        ({'bogus': 1}, "unknown setting 'bogus'"),
    ],
)
def test_bad_settings_are_named(settings, message):
    with pytest.raises(ImproperlyConfigured, match=message.replace('(', r'\(').replace(')', r'\)')):
        validate_settings(settings)
