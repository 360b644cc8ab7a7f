"""
Secrets inside Kea configs: take them out (for storing and showing a config), and put them back (for a restore).

A Kea config carries passwords in clear (`config-get` shows them): HA peers' `basic-auth-password`, database and
control-socket client `password`s, TSIG `secret`s (`kea.redact.is_secret_key`). `split_secrets` replaces each with
`REDACTED` and returns the values with their paths; `join_secrets` puts them back. The values are only ever
kept encrypted (`seal` / `unseal`, with the plugin's key).
"""

import json

from ..crypto import decrypt, encrypt
from ..kea.redact import REDACTED, is_secret_key

__all__ = (
    'REDACTED',
    'join_secrets',
    'seal',
    'split_secrets',
    'unseal',
)


def split_secrets(config):
    """
    (a copy of `config` with every secret value replaced by REDACTED, [(path, value), ...]). A path is a list of
    keys and list indexes. None, empty and already REDACTED values are left alone.
    """
    found = []

    def walk(value, path):
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if is_secret_key(key) and item not in (None, '', REDACTED):
                    found.append(([*path, key], item))
                    out[key] = REDACTED
                else:
                    out[key] = walk(item, [*path, key])
            return out
        if isinstance(value, list):
            return [walk(item, [*path, i]) for i, item in enumerate(value)]
        return value

    return walk(config, []), found


def join_secrets(redacted, secrets):
    """A copy of a redacted config with the secret values put back where `split_secrets` found them."""
    config = json.loads(json.dumps(redacted))
    for path, value in secrets:
        node = config
        try:
            for step in path[:-1]:
                node = node[step]
            if node[path[-1]] == REDACTED:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    return config


def seal(secrets_by_name):
    """Encrypt `{name: [(path, value), ...]}` into one token ('' when there is nothing secret)."""
    if not any(secrets_by_name.values()):
        return ''
    return encrypt(json.dumps(secrets_by_name))


def unseal(token, what='the secrets of a config snapshot'):
    """The inverse of `seal` (`{}` for ''). Raises SecretError naming `what` when the key is wrong."""
    if not token:
        return {}
    return json.loads(decrypt(token, what=what))
