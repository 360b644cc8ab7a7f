"""
Encryption of stored Kea passwords, and password references read on the NetBox host.

A stored password is a Fernet token (AES-128-CBC + HMAC-SHA256) made with a key derived by HKDF-SHA256 from the
plugin's `encryption_key` setting, or from Django's `SECRET_KEY` when that setting is None. A password can instead
be a reference, `env:VARIABLE` or `file:/path`, read on the NetBox host each time it is used. Errors name what is
wrong (the setting, the variable, the file) and never contain a password.
"""

import base64
import functools
import os
import re
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = (
    'REFERENCE_HELP',
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


def validate_reference(reference: str) -> str:
    """Check the form of a reference (`env:NAME` or `file:/absolute/path`); return it stripped, or raise."""
    ref = reference.strip()
    kind, sep, target = ref.partition(':')
    if sep and kind == 'env':
        if not _ENV_NAME.match(target):
            raise SecretError(f'env: reference needs an environment variable name, got {target!r}')
        return ref
    if sep and kind == 'file':
        if not target.startswith('/'):
            raise SecretError(f'file: reference needs an absolute path, got {target!r}')
        return ref
    # Not echoed: a password typed into the reference field by mistake must not come back in an error.
    raise SecretError(f'a password reference is {REFERENCE_HELP}; the value given is neither (not shown back)')


def read_reference(reference: str) -> str:
    """Read the password a reference points at, on the NetBox host (one trailing line break of a file is dropped)."""
    ref = validate_reference(reference)
    kind, _, target = ref.partition(':')
    if kind == 'env':
        value = os.environ.get(target)
        if value is None:
            raise SecretError(f'environment variable {target} (from {ref}) is not set on the NetBox host')
        return value
    try:
        text = Path(target).read_text()
    except OSError as exc:
        raise SecretError(f'cannot read password file {target}: {exc.strerror or type(exc).__name__}') from None
    return text.removesuffix('\n').removesuffix('\r')
