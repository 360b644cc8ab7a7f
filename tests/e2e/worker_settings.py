"""Django settings of an `rqworker` subprocess started by a test: the test settings, on the test database."""

import os

from test_settings import *  # noqa: F403

DATABASES['default']['NAME'] = os.environ['KEA_HA_TEST_DATABASE']  # noqa: F405
