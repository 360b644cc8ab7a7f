"""Pools read from a running config and leases counted into them (kea/pool_use.py): the shapes Kea writes (ranges,
prefixes, shared networks, Kea 3.0's client-classes lists, DHCPv6) and the page walk that skips the addresses between
pools. Real Kea: tests/e2e/test_leases.py (utilisation per pool)."""

import ipaddress

from netbox_kea_ha.kea.leases import Lease
from netbox_kea_ha.kea.pool_use import PoolCounter, PoolRange, pool_ranges


def _ip(text):
    return int(ipaddress.ip_address(text))


def _v4(*addresses, state=0):
    return [Lease(4, a, subnet_id=1, state=state) for a in addresses]


CONFIG = {
    'Dhcp4': {
        'subnet4': [
            {
                'id': 2,
                'subnet': '10.2.0.0/24',
                'pools': [{'pool': '10.2.0.128/25'}, {'pool': 'not a pool'}],
            },
            {
                'id': 1,
                'subnet': '10.1.0.0/24',
                'pools': [
                    {'pool': '10.1.0.100 - 10.1.0.199', 'client-class': 'HA_server2'},
                    {'pool': '10.1.0.10-10.1.0.99', 'client-class': 'HA_server1'},
                ],
            },
            {'subnet': '10.9.0.0/24', 'pools': [{'pool': '10.9.0.10 - 10.9.0.20'}]},  # no id: Kea gave none
        ],
        'shared-networks': [
            {'name': 'net', 'subnet4': [{'id': 3, 'subnet': '10.3.0.0/24', 'pools': [{'pool': '10.3.0.5 - 10.3.0.5'}]}]}
        ],
    }
}


def test_pools_of_a_running_config_in_address_order():
    ranges = pool_ranges(CONFIG)

    assert [(p.subnet_id, p.pool, p.client_class, p.total) for p in ranges] == [
        (1, '10.1.0.10-10.1.0.99', 'HA_server1', 90),
        (1, '10.1.0.100 - 10.1.0.199', 'HA_server2', 100),
        (2, '10.2.0.128/25', None, 128),
        (3, '10.3.0.5 - 10.3.0.5', None, 1),
    ]


def test_kea_30_client_classes_lists_and_dhcpv6():
    config = {
        'Dhcp6': {
            'subnet6': [
                {
                    'id': 7,
                    'subnet': '2001:db8:1::/64',
                    'pools': [
                        {'pool': '2001:db8:1::100 - 2001:db8:1::1ff', 'client-classes': ['HA_server1']},
                        {'pool': '2001:db8:1:0:8000::/65'},
                    ],
                    'pd-pools': [{'prefix': '2001:db8:8::', 'prefix-len': 48, 'delegated-len': 64}],
                }
            ]
        }
    }

    first, second = pool_ranges(config)

    assert (first.client_class, first.total) == ('HA_server1', 256)
    assert second.total == 2**63
    assert pool_ranges({'Dhcp4': 'nope'}) == () and pool_ranges({}) == ()


def test_leases_count_into_their_pool_once_and_by_state():
    counter = PoolCounter(pool_ranges(CONFIG))
    counter.add(_v4('10.1.0.10', '10.1.0.11', '10.1.0.99'))  # pool 1
    counter.add(_v4('10.1.0.100'))  # pool 2
    counter.add(_v4('10.1.0.200', '10.1.0.5'))  # outside every pool (reservations, say)
    counter.add(_v4('10.2.0.200', state=1))  # declined: assigned and declined, as Kea counts
    counter.add(_v4('10.2.0.201', state=2))  # expired-reclaimed: not assigned
    counter.finish()

    stats = counter.stats()

    assert [(s.pool, s.assigned, s.declined, s.complete) for s in stats] == [
        ('10.1.0.10-10.1.0.99', 3, 0, True),
        ('10.1.0.100 - 10.1.0.199', 1, 0, True),
        ('10.2.0.128/25', 1, 1, True),
        ('10.3.0.5 - 10.3.0.5', 0, 0, True),
    ]
    assert stats[0].as_dict()['utilisation'] == round(3 / 90, 4) and stats[0].free == 87


def test_the_walk_skips_the_addresses_between_pools_and_says_how_far_it_counted():
    counter = PoolCounter(pool_ranges(CONFIG))

    assert counter.start() == _ip('10.1.0.9')  # the page after the address before the first pool
    # A page that ended inside a pool goes on from its last lease.
    counter.add(_v4('10.1.0.10', '10.1.0.150'))
    assert counter.next_from(_ip('10.1.0.150')) == _ip('10.1.0.150')
    # One that ended between pools jumps to the address before the next pool.
    counter.add(_v4('10.1.0.210'))
    assert counter.next_from(_ip('10.1.0.210')) == _ip('10.2.0.127')
    # Stopped there (the page budget): what it passed is complete, the rest lower bounds.
    assert [s.complete for s in counter.stats()] == [True, True, False, False]
    # Past the last pool: nothing more to read.
    assert counter.next_from(_ip('10.3.0.6')) is None
    assert [s.complete for s in counter.stats()] == [True, True, True, True]


def test_dhcpv6_counts_addresses_not_delegated_prefixes():
    counter = PoolCounter([PoolRange(1, '2001:db8::/120', _ip('2001:db8::'), _ip('2001:db8::ff'))])
    counter.add(
        [
            Lease(6, '2001:db8::10', subnet_id=1, type='IA_NA'),
            Lease(6, '2001:db8::20', subnet_id=1, type='IA_PD', prefix_len=124),
        ]
    )
    counter.finish()

    assert counter.stats()[0].assigned == 1


def test_no_pools_start_from_the_first_lease():
    assert PoolCounter([]).start() is None and PoolCounter([]).next_from(5) is None
