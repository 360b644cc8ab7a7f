"""The lease table and settings without Kea: what DHCP clients chose (hostnames) is escaped in HTML and kept from
running as a spreadsheet formula in CSV; sorting within a page; the servers a look-up asks, read in one query."""

import csv
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from utilities.testing import TestCase

from .base import PASSWORD, make_peer, make_relationship, make_server
from netbox_kea_ha.kea.leases import Lease
from netbox_kea_ha.models import KeaServer
from netbox_kea_ha.plugin_settings import validate_settings
from netbox_kea_ha.services.endpoints import EndpointError, server_endpoint
from netbox_kea_ha.services.leases import lease_family, lease_sources, prepare_search, prepare_subnet_page
from netbox_kea_ha.tables.leases import LeaseTable, lease_rows, leases_csv

HOSTILE = '<script>alert("x")</script>'


def leases():
    return [
        Lease(4, '192.0.2.10', 1, '0a:00:00:00:00:01', hostname=HOSTILE, cltt=1_800_000_000, valid_lft=3600),
        Lease(4, '192.0.2.9', 1, '0a:00:00:00:00:02', hostname='b.example.org', state=1),
        Lease(4, '192.0.2.100', 1, '0a:00:00:00:00:03', hostname='=HYPERLINK("http://x")'),
    ]


def test_a_hostname_a_client_sent_is_escaped():
    html = str(LeaseTable(lease_rows(leases()), delete_url='/del/').html())
    assert HOSTILE not in html
    assert '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;' in html
    assert 'href="/del/?address=192.0.2.10"' in html


@pytest.mark.parametrize(
    ('sort', 'order'),
    [
        ('ip_address', ['192.0.2.9', '192.0.2.10', '192.0.2.100']),  # by address, not as text
        ('-ip_address', ['192.0.2.100', '192.0.2.10', '192.0.2.9']),
        ('hostname', ['192.0.2.10', '192.0.2.100', '192.0.2.9']),
        ('expires', ['192.0.2.10', '192.0.2.9', '192.0.2.100']),
        ('nonsense', ['192.0.2.10', '192.0.2.9', '192.0.2.100']),  # Kea's order
    ],
)
def test_sorting_within_the_page(sort, order):
    table = LeaseTable(lease_rows(leases()), query=QueryDict(f'sort={sort}&key=subnet'))
    assert [row['ip_address'] for row in table.rows] == order
    assert 'key=subnet' in str(table.html())  # the sort links keep the search


def test_csv_is_the_page_with_kea_keys():
    rows = list(csv.DictReader(io.StringIO(leases_csv(leases()))))
    assert [row['ip-address'] for row in rows] == ['192.0.2.10', '192.0.2.9', '192.0.2.100']
    assert rows[0]['hostname'] == HOSTILE  # CSV is data, not HTML
    assert rows[2]['hostname'] == '\'=HYPERLINK("http://x")'  # but no formula for a spreadsheet to run
    assert rows[1]['state-label'] == 'declined' and rows[0]['expires'] == '2027-01-15T09:00:00+00:00'


def test_lease_timeout_setting_is_checked():
    validate_settings({'lease_timeout': 1.5})
    with pytest.raises(ImproperlyConfigured, match='lease_timeout'):
        validate_settings({'lease_timeout': 0})


class LeaseSourcesTest(TestCase):
    """`lease_sources` loads only the fields an endpoint needs (ENDPOINT_FIELDS): anything else it left out would cost
    a query per server, during a request someone waits for, and in the thread that asks Kea a database connection."""

    def test_one_query_gives_every_endpoint_in_asking_order(self):
        relationship = make_relationship('pair', mode='load-balancing')
        https = make_server(
            'kea-a',
            '192.0.2.10/24',
            control_scheme='https',
            ca_file='/etc/kea/ca.pem',
            cert_file='/etc/kea/client.pem',
            key_file='/etc/kea/client.key',
            username='api',
        )
        https.set_password(PASSWORD)
        https.save()
        plain = make_server('kea-b', '192.0.2.11/24', control_host='127.0.0.1', control_port=18002)
        # Last seen unreachable: asked last. (The HA traffic between the peers is plain http; only NetBox's is not.)
        make_peer(relationship, https, 'primary', reachable=False, url='http://192.0.2.10:8001/')
        make_peer(relationship, plain, 'secondary')

        with CaptureQueriesContext(connection) as queries:
            servers = lease_sources(relationship)
            endpoints = [server_endpoint(server) for server in servers]
            family = lease_family(servers)
            prepare_search(relationship, 'hw-address', '0a:00:00:00:00:01', servers=servers)
            prepare_subnet_page(relationship, '192.0.2.0/24', servers=servers)

        self.assertEqual(len(queries), 1, [query['sql'] for query in queries])
        self.assertEqual([server.name for server in servers], ['kea-b', 'kea-a'])
        self.assertEqual(family, 4)
        self.assertEqual(endpoints, [server_endpoint(KeaServer.objects.get(pk=server.pk)) for server in servers])
        self.assertEqual(endpoints[1].url, 'https://192.0.2.10:8000/')
        self.assertEqual((endpoints[1].username, endpoints[1].password), ('api', PASSWORD))
        self.assertEqual((endpoints[1].ca_file, endpoints[1].cert_file), ('/etc/kea/ca.pem', '/etc/kea/client.pem'))
        self.assertEqual(endpoints[0].url, 'http://127.0.0.1:18002/')

    def test_a_password_set_for_another_destination_still_refuses_from_the_narrow_rows(self):
        # The attack: the address changes under a stored password; the narrow rows must still see where it was set for.
        relationship = make_relationship('pair', mode='load-balancing')
        server = make_server('kea-a', '192.0.2.10/24', username='api')
        server.set_password(PASSWORD)
        server.save()
        make_peer(relationship, server, 'primary')
        server.address.address = '192.0.2.99/24'
        server.address.save()

        (narrow,) = lease_sources(relationship)

        self.assertIn('set for', str(narrow.secret_problem('password')))
        with self.assertRaisesRegex(EndpointError, 'set it again') as raised:
            server_endpoint(narrow)
        self.assertNotIn(PASSWORD, str(raised.exception))
