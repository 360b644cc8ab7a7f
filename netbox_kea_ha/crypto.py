"""
Encryption of stored Kea passwords, and password references read on the NetBox host.

A stored password is a Fernet token (AES-128-CBC + HMAC-SHA256) made with a key derived by HKDF-SHA256 from the
plugin's `encryption_key` setting, or from Django's `SECRET_KEY` when that setting is None. A password can instead
be a reference, `env:VARIABLE` or `file:/path`, read on the NetBox host each time it is used, and only where the
NetBox administrator allows it (`secret_reference_env_prefixes`, `secret_reference_dirs`; docs/security.md). Errors
name what is wrong (the setting, the kind of reference) and never contain a password or the reference's value.
"""

import base64
import functools
import os
import re
import stat

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .plugin_settings import FORBIDDEN_DIRS, get_setting

__all__ = (
    'FORBIDDEN_ENV',
    'FORBIDDEN_ENV_PREFIXES',
    'REFERENCE_HELP',
    'REFERENCE_MAX_BYTES',
    'SecretError',
    'configured_key',
    'decrypt',
    'encrypt',
    'read_reference',
    'validate_reference',
)

REFERENCE_HELP = 'env:VARIABLE or file:/absolute/path, read on the NetBox host when the password is used'

_SALT = b'netbox-kea-ha'
_INFO = b'netbox-kea-ha password encryption v1'
_ENV_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')

#: Environment variables no `env:` reference may name (NetBox's settings and secrets), and their prefixes.
FORBIDDEN_ENV = frozenset({'SECRET_KEY', 'API_TOKEN_PEPPERS', 'NETBOX_CONFIGURATION', 'DJANGO_SETTINGS_MODULE'})
FORBIDDEN_ENV_PREFIXES = ('DB_', 'DATABASE', 'REDIS_', 'EMAIL_', 'SOCIAL_AUTH_', 'AUTH_LDAP_', 'SENTRY_')
#: Largest password file a `file:` reference may read (a password, not a file to carry off).
REFERENCE_MAX_BYTES = 4096


class SecretError(Exception):
    """A password cannot be encrypted, decrypted or read. The message names the cause, never the password."""


@functools.lru_cache(maxsize=8)
def _fernet(key_material: str) -> Fernet:
    if not key_material:
        raise SecretError('netbox_kea_ha: no encryption key (set encryption_key, or Django SECRET_KEY)')
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(key_material.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def configured_key() -> str:
    """The key material in use: the plugin's `encryption_key` setting, or else Django's SECRET_KEY."""
    from django.conf import settings

    from netbox.plugins import get_plugin_config

    return get_plugin_config('netbox_kea_ha', 'encryption_key') or settings.SECRET_KEY


def encrypt(plaintext: str, key: str | None = None) -> str:
    """Encrypt a password into a Fernet token (text). `key` defaults to `configured_key()`."""
    if not isinstance(plaintext, str):
        raise SecretError(f'a password must be text, not {type(plaintext).__name__}')
    return _fernet(key if key is not None else configured_key()).encrypt(plaintext.encode()).decode('ascii')


def decrypt(token: str, key: str | None = None, what: str = 'the stored password') -> str:
    """Decrypt a token made by `encrypt`. A wrong key or a damaged token raises SecretError naming `what`."""
    try:
        return _fernet(key if key is not None else configured_key()).decrypt(token.encode('ascii')).decode()
    except (InvalidToken, UnicodeError, ValueError) as exc:
        raise SecretError(
            f'{what} cannot be decrypted: it was stored with another encryption key '
            '(check the encryption_key setting of netbox_kea_ha, or SECRET_KEY if that setting is empty), '
            'or it is damaged; set the password again'
        ) from exc


def _reference_settings() -> tuple[list[str], list[str]]:
    return list(get_setting('secret_reference_dirs')), list(get_setting('secret_reference_env_prefixes'))


def _netbox_dirs() -> list[str]:
    """NetBox's own directory (its code and `configuration.py`) and the directory of the configuration module in use:
    never readable through a reference, whatever the settings allow."""
    import sys

    from django.conf import settings

    dirs = []
    base = getattr(settings, 'BASE_DIR', None)
    if base:
        dirs.append(os.path.dirname(os.path.realpath(str(base))))
    module = sys.modules.get(os.environ.get('NETBOX_CONFIGURATION', 'netbox.configuration'))
    if module is not None and getattr(module, '__file__', None):
        dirs.append(os.path.dirname(os.path.realpath(module.__file__)))
    return dirs


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip('/') + '/')


def validate_reference(reference: str) -> str:
    """
    Check a reference (`env:NAME` or `file:/absolute/path`) against the settings `secret_reference_env_prefixes` and
    `secret_reference_dirs` (both empty by default: no reference is allowed) and the names and places that are
    never allowed (`FORBIDDEN_ENV`, `FORBIDDEN_DIRS`, NetBox's own directory and configuration). Return it stripped,
    or raise SecretError. Errors never quote the value: a password typed into the reference field by mistake must
    not come back in an error.
    """
    if not isinstance(reference, str):
        raise SecretError(f'a password reference is {REFERENCE_HELP} (text)')
    ref = reference.strip()
    kind, sep, target = ref.partition(':')
    dirs, prefixes = _reference_settings()
    if sep and kind == 'env':
        if not _ENV_NAME.match(target):
            raise SecretError('an env: reference needs an environment variable name (letters, digits and _)')
        if target.upper() in FORBIDDEN_ENV or target.upper().startswith(FORBIDDEN_ENV_PREFIXES):
            raise SecretError("an env: reference cannot name one of NetBox's own settings or secrets")
        if not any(target.startswith(prefix) for prefix in prefixes):
            allowed = ', '.join(f'{p}*' for p in prefixes) or 'none: env: references are off'
            raise SecretError(
                'this environment variable is not one the NetBox administrator allows for passwords '
                f'(setting secret_reference_env_prefixes; allowed: {allowed})'
            )
        return ref
    if sep and kind == 'file':
        if '\x00' in target or not target.startswith('/') or '..' in target.split('/'):
            raise SecretError('a file: reference needs an absolute path without ".." components')
        path = os.path.realpath(target)
        forbidden = [*FORBIDDEN_DIRS, *_netbox_dirs()]
        if any(_inside(path, d) for d in forbidden):
            raise SecretError(
                "a file: reference cannot point into /proc, /sys, /dev or NetBox's own directory and configuration"
            )
        if not any(_inside(path, os.path.realpath(d)) for d in dirs):
            allowed = ', '.join(dirs) or 'none: file: references are off'
            raise SecretError(
                'this file is outside the directories the NetBox administrator allows for password files '
                f'(setting secret_reference_dirs; allowed: {allowed})'
            )
        return ref
    raise SecretError(f'a password reference is {REFERENCE_HELP}; the value given is neither (not shown back)')


def read_reference(reference: str) -> str:
    """
    Read the password a reference points at, on the NetBox host, checking it against the settings again (they may
    have changed since it was saved, and a symbolic link may point elsewhere now). A file must be a regular file of
    at most `REFERENCE_MAX_BYTES` bytes; one trailing line break is dropped. Errors name the variable or file (a
    reference that passed the checks: not a password typed in the wrong field), never what it holds.
    """
    ref = validate_reference(reference)
    kind, _, target = ref.partition(':')
    if kind == 'env':
        value = os.environ.get(target)
        if value is None:
            raise SecretError(f'environment variable {target} (from {ref}) is not set on the NetBox host')
        return value
    path = os.path.realpath(target)
    try:
        # Non-blocking: opening a FIFO put where the file was must not hang the worker.
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), 'rb') as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise SecretError(f'password file {target} is not a regular file')
            data = handle.read(REFERENCE_MAX_BYTES + 1)
    except OSError as exc:
        raise SecretError(f'cannot read password file {target}: {exc.strerror or type(exc).__name__}') from None
    if len(data) > REFERENCE_MAX_BYTES:
        raise SecretError(f'password file {target} is larger than {REFERENCE_MAX_BYTES} bytes: not a password')
    try:
        text = data.decode()
    except UnicodeDecodeError:
        raise SecretError(f'password file {target} is not UTF-8 text') from None
    return text.removesuffix('\n').removesuffix('\r')
