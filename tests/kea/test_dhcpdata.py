"""
The DHCP data from NetBox IPAM in the Kea layer (kea/dhcpdata): the load-balancing split, the checks, subnet ids,
rendering through the overridable template, and the way back (a running config's subnets as values, for the import
into IPAM). The round trips run against real Kea: what is rendered passes `config-test`, and a pair's running subnets
imported and rendered again are what it runs (no push needed after switching the source).
"""

import ipaddress

import pytest

from tests.kea_fixtures import requires_kea

from netbox_kea_ha.kea.client import KeaClient
from netbox_kea_ha.kea.dhcpdata.checks import check_dhcp_data
from netbox_kea_ha.kea.dhcpdata.from_config import subnets_from_config
from netbox_kea_ha.kea.dhcpdata.render import render_subnets
from netbox_kea_ha.kea.dhcpdata.split import SplitError, pools_of, split_range
from netbox_kea_ha.kea.dhcpdata.subnet_ids import SubnetIdError, next_subnet_ids
from netbox_kea_ha.kea.dhcpdata.values import DhcpData, DhcpOption, PoolRange, Reservation, ServedSubnet
from netbox_kea_ha.kea.diff import diff_configs
from netbox_kea_ha.kea.ha import KeaVersion
from netbox_kea_ha.kea.render import RenderError

ip = ipaddress.ip_address
net = ipaddress.ip_network
PEERS = ('server1', 'server2')


def rng(first, last, **kwargs):
    return PoolRange(ip(first), ip(last), **kwargs)


def lb(*subnets, family='dhcp4'):
    return DhcpData(family, 'load-balancing', PEERS, tuple(subnets))


def subnet(prefix='192.0.2.0/24', subnet_id=1, **kwargs):
    return ServedSubnet(net(prefix), subnet_id, **kwargs)


def codes(findings):
    return sorted((f.code, f.field) for f in findings)


# -- the split ----------------------------------------------------------------------------------------------------


def test_halves_are_the_kea_arm_example():
    parts = split_range(rng('192.0.2.10', '192.0.2.189'), PEERS)
    assert [(str(a), str(b), p) for a, b, p in parts] == [
        ('192.0.2.10', '192.0.2.99', 'server1'),
        ('192.0.2.100', '192.0.2.189', 'server2'),
    ]


def test_an_odd_range_gives_the_extra_address_to_the_first_peer_and_weights_set_the_proportions():
    odd = split_range(rng('10.0.0.1', '10.0.0.5'), PEERS)
    assert [int(b) - int(a) + 1 for a, b, _ in odd] == [3, 2]
    quarter = split_range(rng('10.0.0.0', '10.0.0.99', weights=(3, 1)), PEERS)
    assert [(str(a), str(b)) for a, b, _ in quarter] == [('10.0.0.0', '10.0.0.74'), ('10.0.0.75', '10.0.0.99')]
    tiny_weight = split_range(rng('10.0.0.0', '10.0.0.9', weights=(100, 1)), PEERS)
    assert [int(b) - int(a) + 1 for a, b, _ in tiny_weight] == [9, 1]


def test_a_range_given_to_one_peer_is_not_split_and_bad_splits_are_refused():
    assert split_range(rng('10.0.0.1', '10.0.0.9', peer='server2'), PEERS) == [
        (ip('10.0.0.1'), ip('10.0.0.9'), 'server2')
    ]
    with pytest.raises(SplitError, match='too few to split'):
        split_range(rng('10.0.0.1', '10.0.0.1'), PEERS)
    with pytest.raises(SplitError, match='not a load-balancing peer'):
        split_range(rng('10.0.0.1', '10.0.0.9', peer='server9'), PEERS)
    with pytest.raises(SplitError, match='1 weights for 2 peers'):
        split_range(rng('10.0.0.1', '10.0.0.9', weights=(1,)), PEERS)


def test_pools_are_split_only_in_load_balancing():
    s = subnet(ranges=(rng('192.0.2.100', '192.0.2.199'), rng('192.0.2.10', '192.0.2.19', client_class='voip')))
    assert pools_of(s, lb(s)) == [
        {'pool': '192.0.2.10 - 192.0.2.19', 'client-class': 'voip'},
        {'pool': '192.0.2.100 - 192.0.2.149', 'client-class': 'HA_server1'},
        {'pool': '192.0.2.150 - 192.0.2.199', 'client-class': 'HA_server2'},
    ]
    standby = DhcpData('dhcp4', 'hot-standby', PEERS, (s,))
    assert pools_of(s, standby)[1] == {'pool': '192.0.2.100 - 192.0.2.199'}


# -- the checks ---------------------------------------------------------------------------------------------------


def test_good_data_has_no_findings():
    s = subnet(
        ranges=(rng('192.0.2.100', '192.0.2.199'),),
        reservations=(Reservation(ip('192.0.2.20'), '00:11:22:33:44:55', 'printer'),),
    )
    assert check_dhcp_data(lb(s)) == []


def test_each_mistake_is_named_with_where_it_is():
    a = subnet(
        '192.0.2.0/24',
        1,
        ranges=(
            rng('192.0.2.100', '192.0.2.199'),
            rng('192.0.2.150', '192.0.2.160'),  # overlaps the first
            rng('192.0.3.1', '192.0.3.9'),  # outside
            rng('192.0.2.250', '192.0.2.250'),  # too small to split
        ),
        reservations=(
            Reservation(ip('192.0.2.20'), '00:11:22:33:44:55'),
            Reservation(ip('192.0.2.20'), '00:11:22:33:44:66'),  # address twice
            Reservation(ip('192.0.2.21'), '00-11-22-33-44-55'),  # MAC twice, spelled otherwise
            Reservation(ip('198.51.100.1'), '00:11:22:33:44:77'),  # outside
            Reservation(ip('192.0.2.22'), 'not-a-mac'),
            Reservation(ip('192.0.2.120'), '00:11:22:33:44:88'),  # inside server1's half
        ),
    )
    b = subnet('192.0.2.128/25', 1)  # inside a, same id
    c = subnet('2001:db8::/64', 0)  # other family, no id
    assert codes(check_dhcp_data(lb(a, b, c))) == [
        ('dhcp.family', 'subnet4[2].subnet'),
        ('dhcp.pool-outside-prefix', 'subnet4[0].ranges[2]'),
        ('dhcp.pool-overlap', 'subnet4[0].ranges[1]'),
        ('dhcp.pool-split', 'subnet4[0].ranges[3]'),
        ('dhcp.prefix-overlap', 'subnet4[1].subnet'),
        ('dhcp.reservation-duplicate-address', 'subnet4[0].reservations[1]'),
        ('dhcp.reservation-duplicate-mac', 'subnet4[0].reservations[2]'),
        ('dhcp.reservation-hw-address', 'subnet4[0].reservations[4]'),
        ('dhcp.reservation-in-peer-pool', 'subnet4[0].reservations[5]'),
        ('dhcp.reservation-outside-prefix', 'subnet4[0].reservations[3]'),
        ('dhcp.subnet-id-duplicate', 'subnet4[1].id'),
        ('dhcp.subnet-id-missing', 'subnet4[2].id'),
    ]
    same_start = [subnet('10.0.0.0/25', 5), subnet('10.0.0.0/24', 6)]
    assert codes(check_dhcp_data(lb(*same_start))) == [('dhcp.prefix-overlap', 'subnet4[0].subnet')]
    warning = next(f for f in check_dhcp_data(lb(a)) if f.code == 'dhcp.reservation-in-peer-pool')
    assert not warning.is_error and 'server1' in warning.message


def test_a_load_balancing_peer_without_a_pool_is_an_error():
    s = subnet(
        ranges=(rng('192.0.2.10', '192.0.2.99', peer='server1'), rng('192.0.2.100', '192.0.2.120', peer='server1'))
    )
    (finding,) = check_dhcp_data(lb(s))
    assert finding.code == 'dhcp.peer-without-pool' and finding.is_error
    assert 'server2 has no pool in 192.0.2.0/24' in finding.message
    assert check_dhcp_data(DhcpData('dhcp4', 'hot-standby', PEERS, (s,))) == []


# -- subnet ids ---------------------------------------------------------------------------------------------------


def test_new_ids_are_above_every_id_ever_given_and_skip_those_in_use():
    assert next_subnet_ids(3, highest_given=5, taken={7}) == [6, 8, 9]
    assert next_subnet_ids(1, highest_given=0) == [1]
    with pytest.raises(SubnetIdError, match='no subnet id is left'):
        next_subnet_ids(2, highest_given=4294967293)


# -- rendering ----------------------------------------------------------------------------------------------------


def full_subnet():
    return subnet(
        subnet_id=7,
        ranges=(rng('192.0.2.100', '192.0.2.199'),),
        reservations=(Reservation(ip('192.0.2.20'), '00:11:22:33:44:55', 'printer'),),
        options=(DhcpOption('routers', '192.0.2.1'), DhcpOption('domain-name-servers', '192.0.2.53, 192.0.2.54')),
        lifetimes={'valid-lifetime': 3600, 'renew-timer': 900},
        relay_addresses=(ip('192.0.2.1'),),
        extra={'match-client-id': False, 'reservations': [{'client-id': '01:aa:bb', 'ip-address': '192.0.2.30'}]},
    )


def test_render_gives_keas_subnet_entries():
    (entry,) = render_subnets(lb(full_subnet()))
    assert entry == {
        'id': 7,
        'subnet': '192.0.2.0/24',
        'valid-lifetime': 3600,
        'renew-timer': 900,
        'relay': {'ip-addresses': ['192.0.2.1']},
        'option-data': [
            {'name': 'routers', 'data': '192.0.2.1'},
            {'name': 'domain-name-servers', 'data': '192.0.2.53, 192.0.2.54'},
        ],
        'pools': [
            {'pool': '192.0.2.100 - 192.0.2.149', 'client-class': 'HA_server1'},
            {'pool': '192.0.2.150 - 192.0.2.199', 'client-class': 'HA_server2'},
        ],
        'reservations': [
            {'hw-address': '00:11:22:33:44:55', 'ip-address': '192.0.2.20', 'hostname': 'printer'},
            {'client-id': '01:aa:bb', 'ip-address': '192.0.2.30'},
        ],
        'match-client-id': False,
    }


def test_kea_3_gets_client_class_lists_and_ipv6_gets_address_lists():
    (entry,) = render_subnets(lb(full_subnet()), version=KeaVersion(3, 0, 1))
    assert entry['pools'][0] == {'pool': '192.0.2.100 - 192.0.2.149', 'client-classes': ['HA_server1']}
    v6 = subnet(
        '2001:db8:1::/64',
        3,
        ranges=(rng('2001:db8:1::100', '2001:db8:1::2ff'),),
        reservations=(Reservation(ip('2001:db8:1::5'), '00:11:22:33:44:55'),),
    )
    (entry6,) = render_subnets(lb(v6, family='dhcp6'))
    assert entry6['reservations'] == [{'hw-address': '00:11:22:33:44:55', 'ip-addresses': ['2001:db8:1::5']}]
    assert entry6['pools'][1] == {'pool': '2001:db8:1::200 - 2001:db8:1::2ff', 'client-class': 'HA_server2'}


def test_bad_data_is_not_rendered_and_says_why():
    bad = subnet(ranges=(rng('192.0.3.1', '192.0.3.9'),))
    with pytest.raises(
        RenderError, match=r'subnet4\[0\]\.ranges\[0\]: range 192.0.3.1 - 192.0.3.9 is not inside'
    ) as info:
        render_subnets(lb(bad))
    assert info.value.findings[0].code == 'dhcp.pool-outside-prefix'


def test_a_users_template_wins_and_its_mistakes_are_named(tmp_path):
    (tmp_path / 'subnets.json.j2').write_text(
        '[{% for s in subnets %}{"id": {{ s.id }}, "subnet": {{ s.subnet | tojson }}, "pools": {{ s.pools | tojson }},'
        ' "user-context": {"from": "netbox"}}{{ "," if not loop.last }}{% endfor %}]'
    )
    (entry,) = render_subnets(lb(full_subnet()), template_dirs=[tmp_path])
    assert entry['user-context'] == {'from': 'netbox'} and 'reservations' not in entry
    (tmp_path / 'subnets.json.j2').write_text('[{"id": 99, "subnet": "10.0.0.0/8"}]')
    with pytest.raises(RenderError, match=r'subnet \[0\] must be 192.0.2.0/24 with id 7'):
        render_subnets(lb(full_subnet()), template_dirs=[tmp_path])
    (tmp_path / 'subnets.json.j2').write_text('[{% for s in subnets %}')
    with pytest.raises(RenderError, match='syntax error'):
        render_subnets(lb(full_subnet()), template_dirs=[tmp_path])


# -- the way back: import -----------------------------------------------------------------------------------------


def config_with(subnets, **more):
    return {'Dhcp4': {'subnet4': subnets, **more}}


def test_a_split_pool_imports_as_one_range_and_renders_back_the_same():
    running = [
        {
            'id': 12,
            'subnet': '192.0.2.0/24',
            'pools': [
                {'pool': '192.0.2.10 - 192.0.2.99', 'client-class': 'HA_server1'},
                {'pool': '192.0.2.100 - 192.0.2.150', 'client-class': 'HA_server2'},  # uneven: kept as is
                {'pool': '192.0.2.200 - 192.0.2.209', 'client-class': 'HA_server2'},  # one peer's alone
                {'pool': '192.0.2.220/30'},  # no class: stays unsplit, with a warning
            ],
            'reservations': [
                {'hw-address': '00:11:22:33:44:55', 'ip-address': '192.0.2.5', 'hostname': 'a'},
                {'duid': '01:02:03', 'ip-address': '192.0.2.6'},
            ],
            'option-data': [
                {'name': 'routers', 'data': '192.0.2.1'},
                {'name': 'domain-name', 'data': 'x', 'csv-format': False},
            ],
            'valid-lifetime': 600,
            'match-client-id': False,
        }
    ]
    imported = subnets_from_config(config_with(running), peers=PEERS)
    (s,) = imported.subnets
    assert s.subnet_id == 12 and s.lifetimes == {'valid-lifetime': 600}
    assert [(r.text, r.weights, r.peer, r.split) for r in s.ranges] == [
        ('192.0.2.10 - 192.0.2.150', (90, 51), None, True),
        ('192.0.2.200 - 192.0.2.209', None, 'server2', True),
        ('192.0.2.220 - 192.0.2.223', None, None, False),
    ]
    assert s.reservations == (Reservation(ip('192.0.2.5'), '00:11:22:33:44:55', 'a'),)
    assert s.extra['reservations'] == [{'duid': '01:02:03', 'ip-address': '192.0.2.6'}]
    assert any('match-client-id kept' in line for line in imported.kept)
    data = lb(s)
    assert [(f.code, f.field) for f in check_dhcp_data(data)] == [('dhcp.pool-not-split', 'subnet4[0].ranges[2]')]
    assert not diff_configs(config_with(running), {'Dhcp4': {'subnet4': render_subnets(data)}})
    standby = render_subnets(DhcpData('dhcp4', 'hot-standby', (), subnets_from_config(config_with(running)).subnets))
    assert not diff_configs(config_with(running), {'Dhcp4': {'subnet4': standby}})


def test_what_cannot_be_represented_is_listed():
    config = config_with(
        [],
        **{
            'shared-networks': [{'name': 'floor1', 'subnet4': [{'id': 3, 'subnet': '10.1.0.0/24'}]}],
            'reservations': [{'hw-address': '00:11:22:33:44:55', 'ip-address': '10.9.9.9'}],
        },
    )
    imported = subnets_from_config(config, peers=PEERS)
    assert imported.left_out == (
        "shared network 'floor1' and its 1 subnet(s): not imported",
        '1 global reservation(s): not imported',
    )


# -- real Kea -----------------------------------------------------------------------------------------------------


def config_test(server, config):
    return KeaClient(server.endpoint()).request('config-test', config)[0]


@pytest.mark.kea
def test_a_running_pair_imported_and_rendered_runs_unchanged_and_passes_config_test(lb_pair):
    server1 = lb_pair[0]
    running = KeaClient(server1.endpoint()).config_get().config
    imported = subnets_from_config(running, peers=PEERS)
    (s,) = imported.subnets
    assert [(r.text, r.weights) for r in s.ranges] == [('192.0.2.10 - 192.0.2.189', None)]
    inner = dict(running['Dhcp4'])
    inner['subnet4'] = render_subnets(lb(*imported.subnets))
    assert not diff_configs(running, {'Dhcp4': inner})
    # More than the lab has: reservations, options, a second prefix with an uneven split; Kea accepts it.
    more = ServedSubnet(
        net('198.51.100.0/24'),
        2,
        ranges=(rng('198.51.100.10', '198.51.100.200', weights=(2, 1)),),
        reservations=(Reservation(ip('198.51.100.5'), '00:11:22:33:44:55', 'printer'),),
        options=(DhcpOption('routers', '198.51.100.1'),),
        lifetimes={'valid-lifetime': 600},
    )
    inner['subnet4'] = render_subnets(lb(*imported.subnets, more))
    assert config_test(server1, {'Dhcp4': inner}).result == 0


@requires_kea('3.0')
@pytest.mark.kea
def test_kea_3_runs_what_is_rendered_for_it(kea_lab):
    server1, _ = kea_lab.load_balancing(kea='3.0')
    running = KeaClient(server1.endpoint()).config_get().config
    imported = subnets_from_config(running, peers=PEERS, version=KeaVersion(3, 0, 0))
    inner = dict(running['Dhcp4'])
    inner['subnet4'] = render_subnets(lb(*imported.subnets), version=KeaVersion(3, 0, 0))
    assert inner['subnet4'][0]['pools'][0]['client-classes'] == ['HA_server1']
    assert not diff_configs(running, {'Dhcp4': inner}, version=KeaVersion(3, 0, 0))
    assert config_test(server1, {'Dhcp4': inner}).result == 0
