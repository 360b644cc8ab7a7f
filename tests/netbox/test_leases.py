"""The lease table and settings without Kea: what DHCP clients chose (hostnames) is escaped in HTML and kept from
running as a spreadsheet formula in CSV; sorting within a page."""

import csv
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import QueryDict

from netbox_kea_ha.kea.leases import Lease
from netbox_kea_ha.plugin_settings import validate_settings
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
