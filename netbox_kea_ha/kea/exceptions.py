"""Every error the Kea client raises, in one tree (modelled on httpx's `_exceptions.py`).

```
KeaError                        url, command (the endpoint and the command that failed)
├── KeaUnreachable              connection refused, DNS, connection reset or closed without an answer
│   └── KeaTimeout              connect, read, write or pool timeout
├── KeaTLSError                 handshake failed: unknown CA, wrong host, client certificate missing or refused
├── KeaHTTPError                status: the HTTP status of an answer other than 200
│   ├── KeaBadRequest           400 (Kea answers an object `{"result": 400, "text": "Bad Request"}`)
│   ├── KeaUnauthorized         401 (basic auth missing or wrong)
│   └── KeaForbidden            403 (Kea 3.0 dedicated HA listener: `restrict-commands`)
├── KeaProtocolError            the answer is not JSON, or not shaped like a Kea answer
└── KeaCommandError             result, text: Kea answered, with a result other than 0
    ├── KeaCommandFailed        result 1 (error); Kea's text is kept as is
    │   └── KeaServerOffline    the Control Agent could not forward the command to the server
    │                           ("... The server is likely to be offline", "forwarding socket is not configured ...")
    ├── KeaUnsupported          result 2 (command not supported: hook not loaded, unknown command)
    └── KeaEmpty                result 3 (empty: nothing found, e.g. lease4-get of an unknown address)
```

Messages name the endpoint URL and the command, never a password: an `Endpoint` refuses URLs that carry
credentials, and nothing else that could hold a secret is put into a message.
"""

from __future__ import annotations

__all__ = (
    'KeaBadRequest',
    'KeaCommandError',
    'KeaCommandFailed',
    'KeaEmpty',
    'KeaError',
    'KeaForbidden',
    'KeaHTTPError',
    'KeaProtocolError',
    'KeaServerOffline',
    'KeaTLSError',
    'KeaTimeout',
    'KeaUnauthorized',
    'KeaUnreachable',
    'KeaUnsupported',
)


class KeaError(Exception):
    """Base of every error of the Kea client. `url` and `command` name the endpoint and command (None: unknown)."""

    def __init__(self, message: str, *, url: str | None = None, command: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.command = command

    def __str__(self) -> str:
        where = ' '.join(part for part in (self.command, f'at {self.url}' if self.url else None) if part)
        return f'{where}: {self.message}' if where else self.message


class KeaUnreachable(KeaError):
    """The endpoint could not be reached, or closed the connection without an answer."""


class KeaTimeout(KeaUnreachable):
    """Connecting, sending or reading took longer than the endpoint's timeout."""


class KeaTLSError(KeaError):
    """The TLS handshake failed (certificate not trusted, wrong name, client certificate missing or refused)."""


class KeaHTTPError(KeaError):
    """Kea answered with an HTTP status other than 200 (`status`)."""

    def __init__(self, message: str, *, status: int, url: str | None = None, command: str | None = None) -> None:
        super().__init__(message, url=url, command=command)
        self.status = status


class KeaBadRequest(KeaHTTPError):
    """HTTP 400: Kea could not read the request (no JSON content type, not JSON, wrong method)."""


class KeaUnauthorized(KeaHTTPError):
    """HTTP 401: basic auth is required and the credentials are missing or wrong."""


class KeaForbidden(KeaHTTPError):
    """HTTP 403: the endpoint does not allow this command (e.g. Kea 3.0's restricted HA listener)."""


class KeaProtocolError(KeaError):
    """The answer is not JSON, or not shaped like a Kea answer."""


class KeaCommandError(KeaError):
    """Kea answered the command with a result other than 0; `result` and Kea's `text` are kept as is."""

    def __init__(
        self, message: str, *, result: int, text: str | None, url: str | None = None, command: str | None = None
    ) -> None:
        super().__init__(message, url=url, command=command)
        self.result = result
        self.text = text


class KeaCommandFailed(KeaCommandError):
    """Result 1: the command failed (Kea's `text` says why)."""


class KeaServerOffline(KeaCommandFailed):
    """Result 1 from a Control Agent that could not forward the command: the server behind it is not running,
    or the Control Agent has no socket configured for that service."""


class KeaUnsupported(KeaCommandError):
    """Result 2: the command is not supported (unknown command, or its hook library is not loaded)."""


class KeaEmpty(KeaCommandError):
    """Result 3: the command succeeded but found nothing."""
