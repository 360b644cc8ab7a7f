"""
The connection to NetBox: a pynetbox `Api` from `--url`/`--token` or `NETBOX_URL`/`NETBOX_TOKEN` (TLS verified unless
`--insecure`), and `api_errors()`, which turns what pynetbox and requests raise into the command's own errors.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pynetbox
import requests

from .errors import CLIError, NetBoxRefused, UsageError
from .extension import KeaHAExtension

__all__ = (
    'Connection',
    'api_errors',
    'connect',
    'request_error_text',
)


@dataclass(frozen=True)
class Connection:
    """Where NetBox is and how to reach it."""

    url: str
    token: str
    #: True (verify against the system's CAs), a CA bundle path, or False (`--insecure`).
    verify: bool | str = True
    timeout: float = 30.0


def connect(connection: Connection) -> Any:
    """A pynetbox `Api` for `connection`, with the plugin's extension (nothing is requested yet)."""
    api = pynetbox.api(connection.url, token=connection.token, extensions=[KeaHAExtension])
    session = requests.Session()
    session.verify = connection.verify
    session.headers['User-Agent'] = 'kea-ha (netbox-kea-ha)'
    session.request = _with_timeout(session.request, connection.timeout)  # type: ignore[method-assign]
    api.http_session = session
    return api


def _with_timeout(request: Any, timeout: float) -> Any:
    """`session.request` with a default timeout (requests has none: a silent NetBox would hang the command)."""

    def call(method: str, url: str, **kwargs: Any) -> Any:
        kwargs.setdefault('timeout', timeout)
        return request(method, url, **kwargs)

    return call


def connection_from(
    url: str | None, token: str | None, ca_file: str | None, insecure: bool, timeout: float
) -> Connection:
    """The connection from the options, else the environment (`NETBOX_URL`, `NETBOX_TOKEN`); UsageError if either is
    missing."""
    url = url or os.environ.get('NETBOX_URL', '')
    token = token or os.environ.get('NETBOX_TOKEN', '')
    if not url:
        raise UsageError('no NetBox URL: give --url or set NETBOX_URL (e.g. https://netbox.example.com/)')
    if not url.startswith(('http://', 'https://')):
        raise UsageError(f'the NetBox URL {url!r} must start with http:// or https://')
    if not token:
        raise UsageError('no API token: give --token or set NETBOX_TOKEN')
    verify: bool | str = False if insecure else (ca_file or True)
    return Connection(url=url.rstrip('/') + '/', token=token, verify=verify, timeout=timeout)


def request_error_text(error: Any) -> str:
    """What NetBox said in an error response: its `detail`, or its field errors as `field: message` (never the
    request: it may hold a password)."""
    body = getattr(error, 'error', '') or ''
    try:
        data = json.loads(body) if isinstance(body, str) else body
    except ValueError:
        text = ' '.join(str(body).split())
        return text[:300] or 'no details'
    if isinstance(data, dict):
        if 'detail' in data and len(data) == 1:
            return str(data['detail'])
        parts = []
        for key, value in data.items():
            values = value if isinstance(value, list) else [value]
            parts.append(f'{key}: {"; ".join(str(v) for v in values)}')
        return ', '.join(parts)
    if isinstance(data, list):
        return '; '.join(str(item) for item in data)
    return str(data)


@contextmanager
def api_errors(connection: Connection, what: str = '') -> Iterator[None]:
    """
    Turn pynetbox's and requests' exceptions into CLIError: unreachable, TLS or a non-NetBox answer, 401/403 and 5xx
    -> NetBoxRefused (exit 3); 400 and 404 -> UsageError (exit 2) naming `what` was asked and NetBox's reason.
    """
    where = f' ({what})' if what else ''
    try:
        yield
    except CLIError:
        raise
    except requests.exceptions.SSLError as exc:
        raise NetBoxRefused(
            f'TLS verification of NetBox at {connection.url} failed: {_reason(exc)} '
            '(give --ca-file with its CA bundle, or --insecure)'
        ) from None
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        raise NetBoxRefused(f'cannot reach NetBox at {connection.url}{where}: {_reason(exc)}') from None
    except pynetbox.ContentError:
        raise NetBoxRefused(f'{connection.url} did not answer as NetBox does (not JSON){where}') from None
    except pynetbox.RequestError as exc:
        status = exc.req.status_code
        text = request_error_text(exc)
        if status in (401, 403):
            raise NetBoxRefused(f'NetBox refused the request{where}: {text} (HTTP {status})') from None
        if status == 404:
            raise UsageError(f'not found in NetBox{where}') from None
        if 400 <= status < 500:
            raise UsageError(f'NetBox refused{where}: {text}') from None
        raise NetBoxRefused(f'NetBox failed{where}: HTTP {status}: {text}') from None


def _reason(exc: BaseException) -> str:
    """The innermost reason of a requests exception, in one line."""
    text = str(exc)
    for marker in ('Failed to establish a new connection: ', 'Caused by ', '[SSL: '):
        if marker in text:
            text = text.split(marker, 1)[1]
            break
    text = text.strip(' \'")(')
    return ' '.join(text.split())[:300]
