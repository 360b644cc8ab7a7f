"""Django settings of the live NetBox (tests/e2e/live.py): the worker settings (the test database), with the plugin's
scheduled jobs a day apart, so that after their first run at the worker's start none runs during a test."""

from tests.e2e.worker_settings import *  # noqa: F403

PLUGINS_CONFIG['netbox_kea_ha'].update(status_interval=24 * 60, sync_interval=24 * 60)  # noqa: F405
