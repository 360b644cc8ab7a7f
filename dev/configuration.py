"""
NetBox configuration for developing netbox-kea-ha: the demo (`make demo`) and the tests (`make test`).

`scripts/netbox.sh` links this file into the NetBox clone as `netbox/netbox/configuration.py`. Ports of the
project's own PostgreSQL and Redis come from `.work/state.env` (written by `scripts/services.sh`). With
KEA_HA_ENV=test (set by `dev/test_settings.py`) it mirrors NetBox's `configuration_testing.py` and uses its own
Redis databases, so a running demo worker never picks up a test's jobs.
"""

import os
import tempfile
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
_STATE = {}
_state_file = Path(os.environ.get('KEA_HA_WORK', _ROOT / '.work')) / 'state.env'
if _state_file.exists():
    for _line in _state_file.read_text().splitlines():
        if '=' in _line:
            _key, _value = _line.split('=', 1)
            _STATE[_key] = _value

TESTING = os.environ.get('KEA_HA_ENV') == 'test'

ALLOWED_HOSTS = ['*']
DATABASES = {
    'default': {
        'NAME': 'netbox',
        'USER': 'netbox',
        'PASSWORD': 'netbox',
        'HOST': '127.0.0.1',
        'PORT': _STATE.get('PG_PORT', '5432'),
        'CONN_MAX_AGE': 300,
        # Another name (and KEA_HA_REDIS_DB below) lets two test runs share this machine without sharing data.
        'TEST': {'NAME': os.environ.get('KEA_HA_TEST_DB', 'test_netbox_kea_ha')},
    }
}
_redis_port = int(_STATE.get('REDIS_PORT', 6379))
REDIS = {
    name: {
        'HOST': '127.0.0.1',
        'PORT': _redis_port,
        'USERNAME': '',
        'PASSWORD': '',
        'DATABASE': db + int(os.environ.get('KEA_HA_REDIS_DB', 2 if TESTING else 0)),
        'SSL': False,
    }
    for name, db in (('tasks', 0), ('caching', 1))
}
SECRET_KEY = 'netbox-kea-ha-development-only-secret-key-0123456789-abcdefghijklmnop'
API_TOKEN_PEPPERS = {1: 'netbox-kea-ha-development-only-pepper-0123456789-abcdefghijklmnopqrstuvwxyz'}

# No traffic leaves this machine.
ISOLATED_DEPLOYMENT = True
CENSUS_REPORTING_ENABLED = False
RELEASE_CHECK_URL = None

PLUGINS = ['netbox_kea_ha']
PLUGINS_CONFIG = {
    'netbox_kea_ha': {
        # Development only: a fixed key. Production installs set their own (see docs/configuration.md).
        'encryption_key': 'netbox-kea-ha-development-only-encryption-key',
        # The demo's Kea Control Agents listen on 127.0.0.11-13 at one port: 8000 unless it was taken
        # (scripts/demo.sh records the port it chose). Real installs keep the default, 8000.
        'control_agent_port': int(_STATE.get('DEMO_KEA_PORT', 8000)) if not TESTING else 8000,
        # Password references (docs/security.md): variables named KEA_*, and files in the demo's secrets folder
        # (the tests' temporary folder when testing).
        'secret_reference_env_prefixes': ['KEA_'],
        'secret_reference_dirs': [tempfile.gettempdir() if TESTING else str(_ROOT / '.work' / 'secrets')],
    },
}

if TESTING:
    DEFAULT_PERMISSIONS = {}
    RQ = {'COMMIT_MODE': 'auto'}
    LOGGING = {'version': 1, 'disable_existing_loggers': True}
else:
    DEBUG = False

# `manage.py makemigrations netbox_kea_ha` needs it: KEA_HA_DEVELOPER=1.
DEVELOPER = os.environ.get('KEA_HA_DEVELOPER') == '1'
