"""Lease values and answers that real Kea does not produce on this machine: malformed answers, Kea 2.6+ DHCPv6
stat columns, and the search values a person types."""

import pytest

from netbox_kea_ha.kea.exceptions import KeaProtocolError
from netbox_kea_ha.kea.leases import Lease, SubnetStats, leases_of, page_of, stats_of
from netbox_kea_ha.services.leases import normalise_value


def test_malformed_answers_are_protocol_errors():
    with pytest.raises(KeaProtocolError, match='ip-address'):
        Lease.from_kea(4, {'hw-address': '0a:00:00:00:00:01'})
    with pytest.raises(KeaProtocolError, match='"leases" list'):
        leases_of(4, {'leases': 'nope'})
    with pytest.raises(KeaProtocolError, match='match its columns'):
        stats_of(4, {'result-set': {'columns': ['subnet-id', 'total-addresses'], 'rows': [[1]]}})
    assert leases_of(4, None) == ()


def test_dhcpv6_stat_columns():
    arguments = {
        'result-set': {
            'columns': [
                'subnet-id',
                'total-nas',
                'cumulative-assigned-nas',
                'assigned-nas',
                'declined-nas',
                'total-pds',
                'cumulative-assigned-pds',
                'assigned-pds',
            ],
            'rows': [[1, 2**70, 5, 4, 1, 0, 0, 0]],
        }
    }
    (stats,) = stats_of(6, arguments)
    assert stats == SubnetStats(1, 2**70, 4, 1, 0, 0)
    assert stats.as_dict()['total-pds'] == 0 and stats.free == 2**70 - 4


def test_a_short_page_is_the_last():
    lease = {'ip-address': '192.0.2.10', 'state': 1}
    assert page_of(4, {'leases': [lease]}, 2).next_from is None
    assert page_of(4, {'leases': [lease, lease | {'ip-address': '192.0.2.11'}]}, 2).next_from == '192.0.2.11'
    assert Lease.from_kea(4, lease).state_label == 'declined' and Lease.from_kea(4, lease).expires is None


@pytest.mark.parametrize(
    ('key', 'typed', 'sent'),
    [
        ('hw-address', '0A-1B-2C-3D-4E-5F', '0a:1b:2c:3d:4e:5f'),
        ('hw-address', '0a1b.2c3d.4e5f', '0a:1b:2c:3d:4e:5f'),
        ('client-id', '010A1B2C3D4E5F', '01:0a:1b:2c:3d:4e:5f'),
        ('ip-address', ' 192.0.2.1 ', '192.0.2.1'),
        ('subnet', '192.0.2.7/24', '192.0.2.0/24'),
        ('hostname', ' host.example.org ', 'host.example.org'),
    ],
)
def test_search_values_are_normalised(key, typed, sent):
    assert normalise_value(key, typed, 4) == sent


@pytest.mark.parametrize(
    ('key', 'typed', 'message'),
    [
        ('hw-address', '0a:1b:2', 'not a hw-address'),
        ('ip-address', '2001:db8::1', 'not an IPv4 address'),
        ('subnet', '2001:db8::/64', 'not an IPv4 subnet'),
        ('hostname', '  ', 'give a hostname'),
    ],
)
def test_bad_search_values_say_why(key, typed, message):
    with pytest.raises(ValueError, match=message):
        normalise_value(key, typed, 4)


def test_every_field_of_kea_leases_lands_where_it_belongs():
    # from_kea passes its values by position (a page builds 1,000 leases): a field out of order would show here.
    v4 = {
        'ip-address': '192.0.2.10',
        'subnet-id': 7,
        'hw-address': '0a:00:00:00:00:01',
        'client-id': '01:0a:00:00:00:00:01',
        'hostname': 'a.example.org',
        'state': 2,
        'cltt': 1_800_000_000,
        'valid-lft': 3600,
        'fqdn-fwd': True,
        'fqdn-rev': False,
        'user-context': {'site': 'x'},
    }
    assert Lease.from_kea(4, v4) == Lease(
        family=4,
        ip_address='192.0.2.10',
        subnet_id=7,
        hw_address='0a:00:00:00:00:01',
        client_id='01:0a:00:00:00:00:01',
        hostname='a.example.org',
        state=2,
        cltt=1_800_000_000,
        valid_lft=3600,
        fqdn_fwd=True,
        fqdn_rev=False,
    )
    assert Lease.from_kea(4, v4).user_context == {'site': 'x'}
    v6 = {
        'ip-address': '2001:db8::',
        'duid': '00:01:02',
        'iaid': 9,
        'preferred-lft': 1800,
        'type': 'IA_PD',
        'prefix-len': 56,
        'state': 0,
        'hostname': '',
        'subnet-id': True,
    }
    lease = Lease.from_kea(6, v6)
    assert (lease.duid, lease.iaid, lease.preferred_lft, lease.type, lease.prefix_len) == (
        '00:01:02',
        9,
        1800,
        'IA_PD',
        56,
    )
    # Kea's empty text is "none", and a flag is not a number.
    assert lease.hostname is None and lease.subnet_id is None and lease.client == '00:01:02'
