"""
Kea's URL rules for HA peers: `isc::http::Url` (src/lib/http/url.cc) and the IP-literal check of
`HAConfig::validate()`, reproduced so that validation gives Kea's own error texts.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

__all__ = ('KeaUrl', 'ip_literal', 'parse_kea_url', 'without_credentials')


@dataclass(frozen=True)
class KeaUrl:
    """A peer URL parsed the way Kea parses it (`isc::http::Url`)."""

    scheme: str
    hostname: str
    #: 0 when the URL has none (Kea then connects to port 0: it has no default port).
    port: int
    path: str

    @property
    def stripped_hostname(self) -> str:
        """The host without the brackets of an IPv6 literal."""
        if len(self.hostname) >= 2 and self.hostname.startswith('['):
            return self.hostname[1:-1]
        return self.hostname

    def to_text(self) -> str:
        """The URL as Kea prints it in its messages (`Url::toText()`)."""
        port = f':{self.port}' if self.port else ''
        return f'{self.scheme}://{self.hostname}{port}{self.path}'

    def address(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        """The host as an IP address, or None when it is not an IP literal (Kea refuses names)."""
        return ip_literal(self.stripped_hostname)


#: `scheme://user:password@`: credentials someone put into a URL.
_CREDENTIALS = re.compile(r'://[^/@\s:]*:([^/@\s]+)@')


def without_credentials(text: str, url: str) -> str:
    """`text` (a message about `url`) with the password of a `scheme://user:password@host` URL replaced by `***`
    wherever it appears: Kea's URL messages quote the URL and the parts it failed on, and a password put there
    must not reach a finding or a log."""
    for password in _CREDENTIALS.findall(url):
        text = text.replace(password, '***')
    return text


def parse_kea_url(url: str) -> KeaUrl:
    """Parse a URL as Kea does. Raises ValueError with Kea's error text (`Url::getErrorMessage()`)."""
    offset = url.find(':')
    if offset <= 0:
        raise ValueError(f'url {url} lacks http or https scheme')
    scheme = url[:offset]
    if scheme not in ('http', 'https'):
        raise ValueError(f'invalid scheme {scheme} in {url}')
    if url[offset : offset + 3] != '://':
        raise ValueError(f'expected :// after scheme in {url}')
    offset += 3
    if offset >= len(url):
        raise ValueError(f'hostname missing in {url}')
    if url[offset] == '[':
        end = url.find(']', offset)
        if end == -1:
            raise ValueError(f'expected ] after IPv6 address in {url}')
        if end == offset + 1:
            raise ValueError(f'expected IPv6 address within [] in {url}')
        end += 1
    else:
        end = url.find(':', offset)
        if end == -1:
            end = url.find('/', offset)
            if end == -1:
                end = len(url)
    hostname = url[offset:end]
    if end == len(url):
        return KeaUrl(scheme, hostname, 0, '')
    port = 0
    rest: int | None = end
    if url[end] == ':':
        if end == len(url) - 1:
            raise ValueError(f'expected port number after : in {url}')
        slash = url.find('/', end + 1)
        port_text = url[end + 1 :] if slash == -1 else url[end + 1 : slash]
        parsed = _lexical_cast_unsigned(port_text)
        if parsed is None:
            raise ValueError(f'invalid port number {port_text} in {url}')
        port = parsed
        rest = None if slash == -1 else slash
    path = '' if rest is None else (url[rest:] or '/')
    return KeaUrl(scheme, hostname, port, path)


def _lexical_cast_unsigned(text: str) -> int | None:
    """`boost::lexical_cast<unsigned>`: optional sign, digits, at most 32 bits; a minus sign wraps around."""
    match = re.fullmatch(r'([+-]?)([0-9]+)', text)
    if not match:
        return None
    value = int(match[2])
    if value > 0xFFFFFFFF:
        return None
    return (-value) % 2**32 if match[1] == '-' else value


def ip_literal(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address if `text` is an IP literal as Kea's `IOAddress` reads it (IPv6 first, then IPv4), else None."""
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        return None
