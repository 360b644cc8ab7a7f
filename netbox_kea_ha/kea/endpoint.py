"""Where and how to reach one Kea server's control API: `Endpoint` (URL, `service`, basic auth, TLS, timeout)."""

from __future__ import annotations

import os
import re
import ssl
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache

from .exceptions import KeaTLSError

__all__ = ('SERVICES', 'Endpoint')

#: Values of `Endpoint.service`: the Control Agent forwards to these daemons.
SERVICES = ('dhcp4', 'dhcp6', 'd2')

#: The user-info part of a URL (`user:password@`): refused before anything quotes the URL in a message.
_USERINFO = re.compile(r'^[^/?#]*//[^/?#]*@')


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach one Kea server's control API.

    `url`: the Control Agent (or, Kea >= 2.7, the server's own HTTP control socket), http or https, without
    credentials in it. `service`: 'dhcp4'/'dhcp6'/'d2' through a Control Agent; None for a server's own HTTP
    control socket (or to address the Control Agent itself). `username`/`password`: basic auth. TLS: `verify`
    (False: accept any certificate), `ca_file` (bundle that verifies the server; default: the system's),
    `cert_file`/`key_file` (client certificate). `timeout`: seconds for connect, read and write each.
    """

    url: str
    service: str | None = 'dhcp4'
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    verify: bool = True
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not self.url:
            raise ValueError('Endpoint url is required')
        if _USERINFO.search(self.url):
            raise ValueError('Endpoint url must not contain credentials: use username and password')
        try:
            parts = urllib.parse.urlsplit(self.url)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError as exc:
            raise ValueError(f'Endpoint url {self.url!r} is not a valid URL: {exc}') from None
        if parts.scheme not in ('http', 'https'):
            raise ValueError(f'Endpoint url {self.url!r} must start with http:// or https://')
        if not parts.hostname:
            raise ValueError(f'Endpoint url {self.url!r} has no host')
        if self.service is not None and self.service not in SERVICES:
            raise ValueError(f'Endpoint service {self.service!r} is not one of {", ".join(SERVICES)} or None')
        if self.password is not None and not self.username:
            raise ValueError('Endpoint password is set without a username')
        if self.key_file and not self.cert_file:
            raise ValueError('Endpoint key_file is set without cert_file')
        if parts.scheme == 'http' and (self.ca_file or self.cert_file):
            raise ValueError(f'Endpoint url {self.url!r} is not https, but TLS files are set')
        if not isinstance(self.timeout, int | float) or isinstance(self.timeout, bool) or self.timeout <= 0:
            raise ValueError(f'Endpoint timeout must be a positive number of seconds, not {self.timeout!r}')

    @property
    def tls(self) -> bool:
        """True for an https URL."""
        return self.url.lower().startswith('https:')

    def ssl_context(self) -> ssl.SSLContext:
        """The SSL context for this endpoint (cached per set of files; raises `KeaTLSError` for unusable files)."""
        files = (self.ca_file, self.cert_file, self.key_file)
        for label, path in zip(('ca_file', 'cert_file', 'key_file'), files, strict=True):
            if path is not None and not os.path.isfile(path):
                raise KeaTLSError(f'{label} {path} is not a readable file', url=self.url)
        stamps = tuple(_mtime(path) for path in files)
        try:
            return _ssl_context(self.verify, *files, stamps)
        except (OSError, ssl.SSLError) as exc:
            raise KeaTLSError(f'cannot use the TLS files: {exc}', url=self.url) from None


def _mtime(path: str | None) -> int | None:
    if path is None:
        return None
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


@lru_cache(maxsize=256)
def _ssl_context(
    verify: bool,
    ca_file: str | None,
    cert_file: str | None,
    key_file: str | None,
    stamps: tuple[int | None, ...],
) -> ssl.SSLContext:
    if verify:
        context = ssl.create_default_context(cafile=ca_file)
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert_file:
        context.load_cert_chain(cert_file, key_file)
    return context
