"""The plugin's settings (`PLUGINS_CONFIG['netbox_kea_ha']`): defaults, and validation at start-up."""

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .validators import absolute_path, host_error, path_error

__all__ = (
    'DEFAULT_SETTINGS',
    'FORBIDDEN_DIRS',
    'get_setting',
    'template_dirs',
    'validate_settings',
)

DEFAULT_SETTINGS: dict[str, Any] = {
    # Replicate the primary's shared config (subnets, pools, options, classes, ...) to its partners (Micetro's
    # keaReplicateConfig). Each server can override it.
    'replicate_config': True,
    # Port of a server's Kea control endpoint (Control Agent, or the server's own HTTP control socket)
    # when the server does not set one (Micetro's keaControlAgentPort).
    'control_agent_port': 8000,
    # Host NetBox reaches every control endpoint on; None means each server's own address. Use 127.0.0.1 only
    # where NetBox runs on the Kea host (Micetro's keaControlAgentHost).
    'control_agent_host': None,
    # Directory of Kea's hook libraries on the Kea servers, when a server does not set its own.
    'hooks_dir': '/usr/lib/x86_64-linux-gnu/kea/hooks',
    # Minutes between scheduled syncs of every relationship.
    'sync_interval': 15,
    # Minutes between scheduled reads of every server's HA state.
    'status_interval': 5,
    # Seconds to wait for a Kea control endpoint to answer one command.
    'request_timeout': 10.0,
    # Seconds a lease look-up (search, page, delete, utilisation) waits for each Kea server: a person is waiting.
    'lease_timeout': 3.0,
    # Verify the TLS certificates of https control endpoints (a server can give its own CA bundle).
    'verify_tls': True,
    # A folder of your own Jinja2 templates for Kea config blocks; a template found there wins over the shipped one.
    'templates_dir': None,
    # Key that encrypts stored Kea passwords. None derives one from Django's SECRET_KEY.
    'encryption_key': None,
    # Seconds a sync, import, restore or status job may run before RQ stops it.
    'job_timeout': 900,
    # Seconds a push waits for a peer to return to an operational HA state before it rolls back.
    'settle_timeout': 60,
    # Top-level keys of a Dhcp4/Dhcp6 config to add to the shared (replicated) or per-server lists.
    'shared_keys': [],
    'server_keys': [],
    # How a sync pushes a change (docs/push.md): 'least-loss' (at runtime where Kea can, else a reload with the
    # partner serving the scope meanwhile) or 'rolling' (a reload of each peer in turn). Each relationship can
    # override it.
    'push_procedure': 'least-loss',
    # Relationships whose DHCP data comes from NetBox IPAM (docs/ipam.md): the statuses of the IP ranges served as
    # pools, and of the IP addresses (with a MAC on their interface) served as reservations; an address tagged with
    # `dhcp_reservation_tag` (a tag slug) is a reservation whatever its status.
    'dhcp_range_statuses': ['active'],
    'dhcp_reservation_statuses': ['reserved'],
    'dhcp_reservation_tag': None,
    # Where password references may read from (docs/security.md). Empty: `file:` and `env:` references are refused.
    # Directories on the NetBox host whose files `file:` references may name (never /proc, /sys, /dev or NetBox's own
    # directory and configuration, whatever is listed here).
    'secret_reference_dirs': [],
    # Prefixes of the environment variables `env:` references may name, e.g. ['KEA_'] (never NetBox's own secrets).
    'secret_reference_env_prefixes': [],
}


_ENV_PREFIX = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')


def _bool(value: Any) -> bool:
    return isinstance(value, bool)


def _port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _optional_str(value: Any) -> bool:
    return value is None or (isinstance(value, str) and bool(value.strip()))


def _str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _str_list(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


def _optional_host(value: Any) -> bool:
    return value is None or (isinstance(value, str) and host_error(value) is None)


#: Directories no `file:` password reference may point into, whatever `secret_reference_dirs` says (besides NetBox's
#: own directory and configuration, which crypto.validate_reference finds at run time).
FORBIDDEN_DIRS = ('/proc', '/sys', '/dev')


def _reference_dirs(value: Any) -> bool:
    return _str_list(value) and all(
        not path_error(v) and absolute_path(v) == v and v != '/' and not any(_inside(v, d) for d in FORBIDDEN_DIRS)
        for v in value
    )


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip('/') + '/')


def _env_prefixes(value: Any) -> bool:
    return _str_list(value) and all(_ENV_PREFIX.match(v) for v in value)


_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    'replicate_config': (_bool, 'true or false'),
    'control_agent_port': (_port, 'a TCP port number (1-65535)'),
    'control_agent_host': (_optional_host, 'a host name or IP address (no scheme, port or path), or None'),
    'hooks_dir': (_str, 'a directory path'),
    'sync_interval': (_positive_int, 'a whole number of minutes above 0'),
    'status_interval': (_positive_int, 'a whole number of minutes above 0'),
    'request_timeout': (_positive_number, 'a number of seconds above 0'),
    'lease_timeout': (_positive_number, 'a number of seconds above 0'),
    'verify_tls': (_bool, 'true or false'),
    'templates_dir': (_optional_str, 'a directory path, or None'),
    'encryption_key': (_optional_str, 'a non-empty string, or None'),
    'job_timeout': (_positive_int, 'a whole number of seconds above 0'),
    'settle_timeout': (_positive_number, 'a number of seconds above 0'),
    'shared_keys': (_str_list, 'a list of config key names'),
    'server_keys': (_str_list, 'a list of config key names'),
    'push_procedure': (lambda value: value in ('least-loss', 'rolling'), "'least-loss' or 'rolling'"),
    'dhcp_range_statuses': (_str_list, 'a list of IP range status values'),
    'dhcp_reservation_statuses': (_str_list, 'a list of IP address status values'),
    'dhcp_reservation_tag': (_optional_str, 'a tag slug, or None'),
    'secret_reference_dirs': (
        _reference_dirs,
        'a list of absolute directories in normal form (not /, nor under /proc, /sys or /dev)',
    ),
    'secret_reference_env_prefixes': (
        _env_prefixes,
        'a list of environment variable name prefixes (letters, digits and _, not starting with a digit)',
    ),
}


def validate_settings(settings: dict[str, Any]) -> None:
    """Raise ImproperlyConfigured naming the first unknown or badly typed setting."""
    for key in settings:
        if key not in _RULES:
            known = ', '.join(sorted(_RULES))
            raise ImproperlyConfigured(f"netbox_kea_ha: unknown setting '{key}' in PLUGINS_CONFIG (known: {known})")
    for key, (check, expected) in _RULES.items():
        value = settings.get(key, DEFAULT_SETTINGS[key])
        if not check(value):
            raise ImproperlyConfigured(f'netbox_kea_ha: setting {key!r} must be {expected}, got {value!r}')


def template_dirs() -> tuple[str, ...]:
    """The folders of the user's own Jinja2 templates (`templates_dir`), searched before the shipped ones."""
    templates_dir = get_setting('templates_dir')
    return (templates_dir,) if templates_dir else ()


def get_setting(key: str) -> Any:
    """The value of one setting: `PLUGINS_CONFIG['netbox_kea_ha'][key]`, or its default."""
    if key not in DEFAULT_SETTINGS:
        raise KeyError(f'netbox_kea_ha has no setting {key!r}')
    from django.conf import settings

    return settings.PLUGINS_CONFIG.get('netbox_kea_ha', {}).get(key, DEFAULT_SETTINGS[key])
