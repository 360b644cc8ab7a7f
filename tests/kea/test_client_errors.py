"""Errors of the client: real Kea 2.2 wherever Kea can produce them, a silent local socket for the timeout, and
httpx.MockTransport only for answers Kea 2.2 never gives (not JSON, wrong shapes, 403, 500)."""

import dataclasses
import socket

import httpx
import pytest

from netbox_kea_ha.kea.client import Endpoint, KeaClient
from netbox_kea_ha.kea.exceptions import (
    KeaBadRequest,
    KeaCommandError,
    KeaError,
    KeaForbidden,
    KeaHTTPError,
    KeaProtocolError,
    KeaTimeout,
    KeaUnauthorized,
    KeaUnreachable,
)

pytestmark = pytest.mark.kea


def test_basic_auth(lb_pair_auth):
    server = lb_pair_auth[0]
    endpoint = server.endpoint()
    user, password = server.credentials
    with KeaClient(endpoint) as kea:
        assert kea.status_get().ha.local.state == 'load-balancing'
    for wrong in (
        dataclasses.replace(endpoint, password='not-' + password),
        dataclasses.replace(endpoint, username=None, password=None),
        dataclasses.replace(endpoint, username='intruder'),
    ):
        with KeaClient(wrong) as kea, pytest.raises(KeaUnauthorized) as info:
            kea.status_get()
        error = info.value
        assert (error.status, error.url, error.command) == (401, endpoint.url, 'status-get')
        assert str(error) == f'status-get at {endpoint.url}: HTTP 401: Unauthorized'
        assert password not in str(error) and password not in repr(error)
        assert isinstance(error, KeaHTTPError)


class _WithoutContentType(httpx.HTTPTransport):
    """A real network transport that drops the Content-Type header, so that real Kea answers 400."""

    def handle_request(self, request):
        del request.headers['Content-Type']
        return super().handle_request(request)


def test_bad_request_from_real_kea(lb_pair):
    endpoint = lb_pair[0].endpoint()
    with KeaClient(endpoint, transport=_WithoutContentType()) as kea, pytest.raises(KeaBadRequest) as info:
        kea.status_get()
    assert info.value.status == 400
    assert str(info.value) == f'status-get at {endpoint.url}: HTTP 400: Bad Request'


def test_stopped_control_agent_is_unreachable(kea_lab):
    server = kea_lab.standalone()
    server.kill_ca()
    with KeaClient(server.endpoint()) as kea, pytest.raises(KeaUnreachable) as info:
        kea.version_get()
    assert not isinstance(info.value, KeaTimeout)
    assert 'Connection refused' in str(info.value)
    assert info.value.url == server.ca_url


def test_timeout_on_a_silent_socket():
    with socket.socket() as silent:
        silent.bind(('127.0.0.1', 0))
        silent.listen(8)  # the kernel accepts connections; nobody ever reads or answers
        port = silent.getsockname()[1]
        endpoint = Endpoint(f'http://127.0.0.1:{port}/', timeout=0.3)
        with KeaClient(endpoint) as kea, pytest.raises(KeaTimeout) as info:
            kea.status_get()
    assert isinstance(info.value, KeaUnreachable)
    assert info.value.command == 'status-get'
    assert 'no answer within 0.3 s (ReadTimeout)' in str(info.value)


def _mock(status, content, content_type='application/json'):
    def handler(request):
        return httpx.Response(status, content=content, headers={'Content-Type': content_type})

    return httpx.MockTransport(handler)


ENDPOINT = Endpoint('http://127.0.0.1:9/', username='api', password='never-shown')


@pytest.mark.parametrize(
    ('status', 'content', 'kind', 'message'),
    [
        (200, b'<html>hello</html>', KeaProtocolError, "the answer is not JSON: '<html>hello</html>'"),
        (200, b'"text"', KeaProtocolError, 'expected a list of answers, got str'),
        (200, b'[]', KeaProtocolError, 'expected a list of answers, got list'),
        (200, b'[1]', KeaProtocolError, 'an answer is int, expected a map'),
        (200, b'[{"text": "x"}]', KeaProtocolError, 'an answer has no integer result: None'),
        (200, b'[{"result": true}]', KeaProtocolError, 'an answer has no integer result: True'),
        (200, b'[{"result": 0, "text": 5}]', KeaProtocolError, 'an answer text is int, expected a string'),
        (200, b'[{"result": 4, "text": "odd"}]', KeaCommandError, 'result 4: odd'),
        (403, b'{"result": 403, "text": "Forbidden"}', KeaForbidden, 'HTTP 403: Forbidden'),
        (500, b'oops', KeaHTTPError, 'HTTP 500 Internal Server Error'),
    ],
)
def test_answers_kea_22_never_gives(status, content, kind, message):
    with KeaClient(ENDPOINT, transport=_mock(status, content)) as kea, pytest.raises(kind) as info:
        kea.command('status-get')
    assert type(info.value) is kind
    assert str(info.value) == f'status-get at {ENDPOINT.url}: {message}'
    assert 'never-shown' not in str(info.value)


@pytest.mark.parametrize(
    ('arguments', 'message'),
    [
        ('[]', 'status-get arguments is list, expected a map'),
        ('{"high-availability": {}}', 'high-availability is dict, expected a list'),
        ('{"high-availability": [{"ha-mode": "load-balancing"}]}', 'high-availability[0].ha-servers is NoneType'),
        ('{"pid": "12"}', 'status-get.pid is str, expected an integer'),
    ],
)
def test_status_of_the_wrong_shape(arguments, message):
    content = f'[{{"result": 0, "arguments": {arguments}}}]'.encode()
    with KeaClient(ENDPOINT, transport=_mock(200, content)) as kea, pytest.raises(KeaProtocolError) as info:
        kea.status_get()
    assert message in str(info.value)
    assert info.value.url == ENDPOINT.url and info.value.command == 'status-get'


def test_every_error_is_a_kea_error():
    for kind in (KeaBadRequest, KeaForbidden, KeaProtocolError, KeaTimeout, KeaUnreachable, KeaCommandError):
        assert issubclass(kind, KeaError)
