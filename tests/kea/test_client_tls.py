"""TLS to a real Kea 2.2 Control Agent with `trust-anchor`/`cert-file`/`key-file`/`cert-required` and a
throw-away CA (kealab.tls, made with `cryptography`)."""

import dataclasses

import pytest

from netbox_kea_ha.kea.client import KeaClient
from netbox_kea_ha.kea.exceptions import KeaTLSError

pytestmark = pytest.mark.kea


@pytest.fixture(scope='module')
def tls_servers():
    """A server whose Control Agent requires client certificates, and one that does not. Read-only."""
    from kealab import KeaLab

    with KeaLab() as lab:
        yield lab.standalone(tls=True), lab.standalone(tls=True, cert_required=False)


def test_verified_with_the_ca_bundle_and_a_client_certificate(tls_servers):
    server = tls_servers[0]
    endpoint = server.endpoint()
    assert endpoint.url.startswith('https://') and endpoint.ca_file and endpoint.cert_file
    with KeaClient(endpoint) as kea:
        assert kea.version_get().text == '2.2.0'
        assert kea.config_get().config['Dhcp4']['subnet4'][0]['subnet'] == '192.0.2.0/24'


def test_unknown_ca_fails(tls_servers):
    endpoint = dataclasses.replace(tls_servers[0].endpoint(), ca_file=None)  # the system's bundle
    with KeaClient(endpoint) as kea, pytest.raises(KeaTLSError) as info:
        kea.version_get()
    assert 'certificate' in str(info.value)
    assert info.value.url == endpoint.url and info.value.command == 'version-get'


def test_verify_off_accepts_any_certificate(tls_servers):
    endpoint = dataclasses.replace(tls_servers[0].endpoint(), ca_file=None, verify=False)
    with KeaClient(endpoint) as kea:
        assert kea.version_get().text == '2.2.0'


def test_client_certificate_is_required(tls_servers):
    endpoint = dataclasses.replace(tls_servers[0].endpoint(), cert_file=None, key_file=None)
    with KeaClient(endpoint) as kea, pytest.raises(KeaTLSError) as info:
        kea.version_get()
    assert 'CERTIFICATE_REQUIRED' in str(info.value)


def test_no_client_certificate_where_none_is_required(tls_servers):
    endpoint = dataclasses.replace(tls_servers[1].endpoint(), cert_file=None, key_file=None)
    with KeaClient(endpoint) as kea:
        assert kea.version_get().text == '2.2.0'


def test_missing_tls_file_is_named(tls_servers):
    endpoint = dataclasses.replace(tls_servers[0].endpoint(), ca_file='/nonexistent/ca.pem')
    with pytest.raises(KeaTLSError) as info:
        KeaClient(endpoint)
    assert 'ca_file /nonexistent/ca.pem is not a readable file' in str(info.value)


def test_tls_ha_pair_settles(kea_lab):
    servers = kea_lab.hot_standby(tls=True, auth=True, wait=True)
    with KeaClient(servers[1].endpoint()) as kea:
        ha = kea.status_get().ha
    assert ha.local.state == 'hot-standby'
    assert ha.remote.in_touch is True
