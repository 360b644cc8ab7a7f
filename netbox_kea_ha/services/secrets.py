"""
Secrets taken out of Kea configs, kept encrypted with the plugin's key.

A Kea config carries passwords in clear (`config-get` shows them): HA peers' `basic-auth-password`, database and
control-socket client `password`s, TSIG `secret`s (`kea.redact.is_secret_key`). `kea.redact.split_secrets` takes
them out with their paths and `join_secrets` puts them back; `seal` / `unseal` here encrypt and decrypt them.
"""

import json
from collections.abc import Mapping
from typing import Any

from ..crypto import decrypt, encrypt

__all__ = (
    'seal',
    'unseal',
)


def seal(secrets_by_name: Mapping[str, Any]) -> str:
    """Encrypt `{name: [(path, value), ...]}` into one token ('' when there is nothing secret)."""
    if not any(secrets_by_name.values()):
        return ''
    return encrypt(json.dumps(secrets_by_name))


def unseal(token: str, what: str = 'the secrets of a config snapshot') -> dict[str, Any]:
    """The inverse of `seal` (`{}` for ''). Raises SecretError naming `what` when the key is wrong."""
    if not token:
        return {}
    secrets: dict[str, Any] = json.loads(decrypt(token, what=what))
    return secrets
