"""Django settings for the test suite: NetBox's settings with dev/configuration.py in test mode."""

import os

os.environ['KEA_HA_ENV'] = 'test'

from netbox.settings import *  # noqa: E402
