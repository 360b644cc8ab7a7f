"""What a failed request becomes in the Kea error tree (`exceptions.py`): a refused or broken connection, a timeout,
a TLS handshake failure (also one whose alert was lost while the request was being written)."""

from __future__ import annotations

import socket
import ssl
import urllib.parse

import httpx

from .endpoint import Endpoint
from .exceptions import KeaError, KeaProtocolError, KeaTimeout, KeaTLSError, KeaUnreachable

__all__ = ('broken_after_connect', 'tls_probe', 'transport_error')


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def transport_error(endpoint: Endpoint, command: str, exc: httpx.HTTPError | OSError) -> KeaError:
    """The Kea error for a request that got no HTTP answer (httpcore lets some `ssl.SSLError` through unmapped)."""
    where = {'url': endpoint.url, 'command': command}
    tls = _ssl_cause(exc)
    if tls is not None:
        return KeaTLSError(f'TLS handshake failed: {_ssl_reason(tls)}', **where)
    if isinstance(exc, httpx.TimeoutException):
        return KeaTimeout(f'no answer within {endpoint.timeout:g} s ({type(exc).__name__})', **where)
    if isinstance(exc, httpx.ConnectError):
        return KeaUnreachable(f'cannot connect: {exc or type(exc).__name__}', **where)
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError | OSError):
        return KeaUnreachable(f'connection failed: {exc or type(exc).__name__}', **where)
    return KeaProtocolError(f'HTTP failure: {type(exc).__name__}: {exc}', **where)


def broken_after_connect(error: KeaError, exc: httpx.HTTPError | OSError) -> bool:
    """A connection that was made and then broke without a TLS error: on https, a TLS alert may have been lost."""
    return type(error) is KeaUnreachable and isinstance(
        exc, httpx.ReadError | httpx.WriteError | httpx.RemoteProtocolError
    )


def tls_probe(endpoint: Endpoint, command: str) -> KeaTLSError | None:
    """Handshake with the endpoint again and read without sending, to catch the alert of a refused handshake.

    With TLS 1.3 a server that requires a client certificate sends its refusal after the handshake; if the
    request was being written then, the connection just breaks (EPIPE) and the alert is never read. Returns the
    `KeaTLSError` (for `command`) when the probe reads such a refusal, else None.
    """
    parts = urllib.parse.urlsplit(endpoint.url)
    host, port = parts.hostname or '', parts.port or 443
    try:
        with socket.create_connection((host, port), timeout=min(endpoint.timeout, 2.0)) as raw:
            with endpoint.ssl_context().wrap_socket(raw, server_hostname=host) as tls:
                tls.settimeout(min(endpoint.timeout, 0.5))
                tls.recv(1)
    except ssl.SSLError as exc:
        return KeaTLSError(f'TLS handshake failed: {_ssl_reason(exc)}', url=endpoint.url, command=command)
    except (OSError, KeaTLSError):
        return None
    return None


def _ssl_reason(exc: ssl.SSLError) -> str:
    return str(getattr(exc, 'verify_message', None) or getattr(exc, 'reason', None) or exc)
