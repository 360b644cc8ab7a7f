"""
KeaServer -> `Endpoint`: how a job reaches one server's control API.

The only place a server's control-endpoint password is decrypted (or read from its reference). It goes into the
`Endpoint`, whose repr hides it, and nowhere else: errors name the server and what is wrong, never the password.
A password withdrawn or set for another control endpoint (`SecretsMixin.secret_problem`) makes the endpoint
unusable: no job reaches a server with credentials meant for somewhere else, nor without the ones it needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..crypto import SecretError
from ..kea.client import Endpoint
from ..plugin_settings import get_setting

if TYPE_CHECKING:
    from ..models import KeaServer

__all__ = (
    'ENDPOINT_FIELDS',
    'EndpointError',
    'server_endpoint',
    'server_endpoints',
)


#: The KeaServer fields `server_endpoint` reads (with the name and family): a query that only needs endpoints loads
#: these (`.only(*ENDPOINT_FIELDS)`, with `address` selected), and still makes no other query.
ENDPOINT_FIELDS = (
    'id',
    'name',
    'family',
    'address__address',
    'control_kind',
    'control_host',
    'control_port',
    'control_scheme',
    'tls_verify',
    'ca_file',
    'cert_file',
    'key_file',
    'username',
    '_password',
    'password_ref',
    '_password_destination',
)


class EndpointError(Exception):
    """A server's control endpoint cannot be built (no host, a password that cannot be read, a bad setting)."""


def server_endpoint(server: KeaServer, timeout: float | None = None) -> Endpoint:
    """
    The `Endpoint` of a server's control API: its effective host, port, scheme, Control Agent service, basic auth,
    TLS files and the `request_timeout` setting (or `timeout` seconds). Raises EndpointError naming the server.
    """
    url = server.control_url
    if not url:
        raise EndpointError(
            f'Kea server {server.name!r} has no control host: give it an address, a control host, '
            'or set the control_agent_host setting'
        )
    if problem := server.secret_problem('password'):
        raise EndpointError(f'Kea server {server.name!r}: {problem}; nothing was sent to it')
    password = None
    if server.username:
        try:
            password = server.get_password()
        except SecretError as exc:
            raise EndpointError(f'Kea server {server.name!r}: {exc}') from None
    elif server.has_password:
        raise EndpointError(f'Kea server {server.name!r} has a control password but no username')
    verify = server.tls_verify_value
    cert = server.client_cert
    try:
        return Endpoint(
            url=url,
            service=server.service[0] if server.service else None,
            username=server.username or None,
            password=password,
            verify=bool(verify),
            ca_file=verify if isinstance(verify, str) and server.control_scheme == 'https' else None,
            cert_file=cert[0] if cert and server.control_scheme == 'https' else None,
            key_file=cert[1] if cert and server.control_scheme == 'https' else None,
            timeout=float(timeout if timeout is not None else get_setting('request_timeout')),
        )
    except ValueError as exc:
        raise EndpointError(f'Kea server {server.name!r}: {exc}') from None


def server_endpoints(servers: Iterable[KeaServer], timeout: float | None = None) -> dict[int, Endpoint | EndpointError]:
    """`{server.pk: Endpoint or EndpointError}` for many servers: one bad server does not stop the others."""
    out: dict[int, Endpoint | EndpointError] = {}
    for server in servers:
        try:
            out[server.pk] = server_endpoint(server, timeout=timeout)
        except EndpointError as exc:
            out[server.pk] = exc
    return out
