"""Normalisation on hand-written configs: canonical values, defaults, inheritance, ordering (no Kea needed).

The same rules are proved against real Kea 2.2 in test_diff_kea.py.
"""

import copy

import pytest

from tools.kea_source_facts import kea_fact, simple_parser

from netbox_kea_ha.kea.defaults import DefaultsError, available, load_defaults
from netbox_kea_ha.kea.ha import KeaVersion
from netbox_kea_ha.kea.normalise import (
    canonical_hex,
    canonical_identifier,
    canonical_pool,
    canonical_prefix,
    inherited_keys,
    normalise,
    respell,
)
from netbox_kea_ha.kea.replicate import ConfigError


@pytest.mark.parametrize(
    ('given', 'expected'),
    [
        ('192.0.2.10 - 192.0.2.99', '192.0.2.10-192.0.2.99'),
        ('192.0.2.10-192.0.2.99', '192.0.2.10-192.0.2.99'),
        ('192.0.2.0 - 192.0.2.63', '192.0.2.0/26'),
        ('192.0.2.64-192.0.2.64', '192.0.2.64/32'),
        ('192.0.2.5/26', '192.0.2.0/26'),
        ('2001:DB8:1::10 - 2001:db8:1::FF', '2001:db8:1::10-2001:db8:1::ff'),
        ('2001:db8:1::-2001:db8:1::ffff', '2001:db8:1::/112'),
        ('2001:db8:1:0:1::/80', '2001:db8:1:0:1::/80'),
        ('not a pool', 'not a pool'),
        ('192.0.2.9 - 2001:db8::1', '192.0.2.9 - 2001:db8::1'),
        (42, 42),
    ],
)
def test_canonical_pool(given, expected):
    assert canonical_pool(given) == expected


@pytest.mark.parametrize(
    ('kind', 'given', 'expected'),
    [
        ('hw-address', 'AA:BB:CC:DD:EE:01', 'aa:bb:cc:dd:ee:01'),
        ('hw-address', 'a:b:c:d:e:f', '0a:0b:0c:0d:0e:0f'),
        ('hw-address', 'aabbccddee01', 'aa:bb:cc:dd:ee:01'),
        ('duid', '01:02:03:04:05:0A', '01:02:03:04:05:0a'),
        ('client-id', '01:AA:bb:cc:dd:ee:02', '01AABBCCDDEE02'),
        ('circuit-id', "'abc'", '616263'),
        ('flex-id', "'xyz'", '78797A'),
        ('hw-address', 'zz:zz', 'zz:zz'),
        ('ip-address', '192.0.2.1', '192.0.2.1'),
    ],
)
def test_canonical_identifier_matches_what_kea_writes_back(kind, given, expected):
    assert canonical_identifier(kind, given) == expected


def test_canonical_hex_and_prefix():
    assert canonical_hex('61:62:63') == '616263'
    assert canonical_hex('0x6869') == '6869'
    assert canonical_hex('ab') == 'AB'
    assert canonical_hex('not hex') == 'not hex'
    assert canonical_prefix('2001:DB8:0:0::/64') == '2001:db8::/64'
    assert canonical_prefix('2001:DB8::1') == '2001:db8::1'
    assert canonical_prefix('192.0.2.1') == '192.0.2.1'


def base4(**extra):
    return {'Dhcp4': {'interfaces-config': {'interfaces': []}, **extra}}


def expanded_subnet(**extra):
    """A subnet as Kea 2.2's config-get writes it under a global valid-lifetime of 4000."""
    subnet = {
        '4o6-interface': '',
        '4o6-interface-id': '',
        '4o6-subnet': '',
        'calculate-tee-times': False,
        'id': 1,
        'max-valid-lifetime': 4000,
        'min-valid-lifetime': 4000,
        'option-data': [],
        'pools': [],
        'relay': {'ip-addresses': []},
        'reservations': [],
        'store-extended-info': False,
        'subnet': '192.0.2.0/24',
        't1-percent': 0.5,
        't2-percent': 0.875,
        'valid-lifetime': 4000,
    }
    subnet.update(extra)
    return subnet


def test_defaults_and_inherited_values_are_dropped():
    written = base4(**{'valid-lifetime': 4000, 'subnet4': [{'id': 1, 'subnet': '192.0.2.0/24'}]})
    got = base4(
        **{
            'valid-lifetime': 4000,
            'decline-probation-period': 86400,
            'dhcp-ddns': {
                'enable-updates': False,
                'max-queue-size': 1024,
                'ncr-format': 'JSON',
                'ncr-protocol': 'UDP',
                'sender-ip': '0.0.0.0',
                'sender-port': 0,
                'server-ip': '127.0.0.1',
                'server-port': 53001,
            },
            'interfaces-config': {'interfaces': [], 're-detect': True},
            'subnet4': [expanded_subnet()],
        }
    )
    assert normalise(written) == normalise(got)
    assert normalise(written) == {
        'Dhcp4': {
            'interfaces-config': {'interfaces': []},
            'valid-lifetime': 4000,
            'subnet4': [{'id': 1, 'subnet': '192.0.2.0/24'}],
        }
    }


def test_a_subnet_value_differing_from_what_it_inherits_is_kept():
    got = base4(
        **{
            'valid-lifetime': 4000,
            'subnet4': [
                expanded_subnet(**{'valid-lifetime': 5000, 'min-valid-lifetime': 5000, 'max-valid-lifetime': 6000})
            ],
        }
    )
    assert normalise(got)['Dhcp4']['subnet4'] == [
        {'id': 1, 'subnet': '192.0.2.0/24', 'valid-lifetime': 5000, 'max-valid-lifetime': 6000}
    ]


def test_min_lifetime_inherited_from_a_shared_network_is_not_confused_with_the_subnet_own():
    # Kea derives a shared network's min-valid-lifetime into its subnets; without it a subnet's minimum is its
    # own valid-lifetime. The two configs below differ for Kea (the subnet's minimum is 4000 vs 6000).
    with_min = base4(
        **{
            'shared-networks': [
                {
                    'name': 'n',
                    'valid-lifetime': 4000,
                    'min-valid-lifetime': 4000,
                    'subnet4': [{'id': 1, 'subnet': '192.0.2.0/24', 'valid-lifetime': 6000}],
                }
            ]
        }
    )
    without = copy.deepcopy(with_min)
    del without['Dhcp4']['shared-networks'][0]['min-valid-lifetime']
    assert normalise(with_min) != normalise(without)


def test_global_value_change_shows_only_at_the_global_level():
    old = normalise(base4(**{'valid-lifetime': 4000, 'subnet4': [expanded_subnet()]}))
    new = normalise(base4(**{'valid-lifetime': 5000, 'subnet4': [{'id': 1, 'subnet': '192.0.2.0/24'}]}))
    assert old['Dhcp4']['subnet4'] == new['Dhcp4']['subnet4'] == [{'id': 1, 'subnet': '192.0.2.0/24'}]
    assert old['Dhcp4']['valid-lifetime'] != new['Dhcp4']['valid-lifetime']


def test_options_by_name_and_by_code_and_hex_data_compare_equal():
    by_name = base4(
        **{
            'option-def': [{'name': 'my-opt', 'code': 222, 'type': 'uint8'}],
            'option-data': [
                {'name': 'routers', 'data': '192.0.2.1'},
                {'name': 'my-opt', 'data': '7'},
                {'name': 'domain-name', 'csv-format': False, 'data': '61:62:63'},
            ],
        }
    )
    by_code = base4(
        **{
            'option-def': [
                {
                    'name': 'my-opt',
                    'code': 222,
                    'type': 'uint8',
                    'space': 'dhcp4',
                    'array': False,
                    'encapsulate': '',
                    'record-types': '',
                }
            ],
            'option-data': [
                {
                    'code': 15,
                    'name': 'domain-name',
                    'csv-format': False,
                    'data': '616263',
                    'space': 'dhcp4',
                    'always-send': False,
                },
                {'code': 222, 'name': 'my-opt', 'data': '7', 'space': 'dhcp4', 'csv-format': True},
                {'code': 3, 'data': '192.0.2.1'},
            ],
        }
    )
    assert normalise(by_name) == normalise(by_code)
    assert normalise(by_name)['Dhcp4']['option-data'][0] == {'code': 3, 'data': '192.0.2.1'}


def test_unknown_option_name_is_kept_by_name():
    config = base4(**{'option-data': [{'name': 'no-such-option', 'data': 'x'}]})
    assert normalise(config)['Dhcp4']['option-data'] == [{'name': 'no-such-option', 'data': 'x'}]


def test_booleans_are_not_numbers():
    assert normalise(base4(**{'authoritative': False})) == normalise(base4())
    assert normalise(base4(**{'authoritative': 0})) != normalise(base4())


def test_unordered_lists_are_sorted_and_ordered_ones_kept():
    subnets = [{'id': 2, 'subnet': '198.51.100.0/24'}, {'id': 1, 'subnet': '192.0.2.0/24'}]
    classes = [{'name': 'b'}, {'name': 'a'}]
    one = normalise(base4(**{'subnet4': subnets, 'client-classes': classes}))
    two = normalise(base4(**{'subnet4': subnets[::-1], 'client-classes': classes}))
    assert one == two
    assert [c['name'] for c in one['Dhcp4']['client-classes']] == ['b', 'a']
    assert normalise(base4(**{'client-classes': classes[::-1]})) != normalise(base4(**{'client-classes': classes}))


def test_loggers_output_options_spelling_and_hash():
    old = {
        'Dhcp4': {'loggers': [{'name': 'kea-dhcp4', 'severity': 'INFO', 'output_options': [{'output': 'stdout'}]}]},
        'hash': 'ABC',
    }
    new = {
        'Dhcp4': {
            'loggers': [
                {
                    'name': 'kea-dhcp4',
                    'severity': 'INFO',
                    'debuglevel': 0,
                    'output-options': [{'output': 'stdout', 'flush': True, 'maxver': 1}],
                }
            ]
        }
    }
    assert normalise(old) == normalise(new)
    assert 'hash' not in normalise(old)


def test_ha_defaults_depend_on_the_mode():
    def ha(mode, **params):
        return base4(
            **{
                'hooks-libraries': [
                    {
                        'library': '/h/libdhcp_ha.so',
                        'parameters': {
                            'high-availability': [
                                {
                                    'this-server-name': 's1',
                                    'mode': mode,
                                    'peers': [
                                        {
                                            'name': 's1',
                                            'url': 'http://127.0.0.1:1/',
                                            'role': 'primary',
                                            'auto-failover': True,
                                        }
                                    ],
                                    **params,
                                }
                            ]
                        },
                    }
                ]
            }
        )

    assert normalise(ha('load-balancing', **{'delayed-updates-limit': 100})) == normalise(ha('load-balancing'))
    assert normalise(ha('hot-standby', **{'delayed-updates-limit': 100})) != normalise(ha('hot-standby'))
    assert normalise(ha('hot-standby', **{'multi-threading': {'enable-multi-threading': False}})) == normalise(
        ha('hot-standby')
    )


def test_other_hooks_parameters_are_left_alone():
    config = base4(
        **{
            'hooks-libraries': [
                {
                    'library': '/h/libdhcp_run_script.so',
                    'parameters': {'option-data': [], 'pools': [{'pool': '1.1.1.1 - 1.1.1.1'}]},
                }
            ]
        }
    )
    assert normalise(config)['Dhcp4']['hooks-libraries'] == config['Dhcp4']['hooks-libraries']


def test_input_is_not_changed():
    config = base4(
        **{
            'subnet4': [
                {
                    'id': 1,
                    'subnet': '192.0.2.0/24',
                    'relay': {'ip-address': '192.0.2.1'},
                    'pools': [{'pool': '192.0.2.10 - 192.0.2.20'}],
                    'reservations': [{'hw-address': 'AA:BB:CC:DD:EE:FF', 'hostname': 'h'}],
                }
            ]
        }
    )
    before = copy.deepcopy(config)
    normalise(config)
    assert config == before


def test_dhcp6_inherits_preferred_lifetimes():
    written = {'Dhcp6': {'preferred-lifetime': 3000, 'subnet6': [{'id': 1, 'subnet': '2001:DB8:1::/64'}]}}
    got = {
        'Dhcp6': {
            'preferred-lifetime': 3000,
            'calculate-tee-times': True,
            't2-percent': 0.8,
            'subnet6': [
                {
                    'id': 1,
                    'subnet': '2001:db8:1::/64',
                    'preferred-lifetime': 3000,
                    'min-preferred-lifetime': 3000,
                    'max-preferred-lifetime': 3000,
                    'valid-lifetime': 7200,
                    'min-valid-lifetime': 7200,
                    'max-valid-lifetime': 7200,
                    'rapid-commit': False,
                    'pd-pools': [],
                    'pools': [],
                    'option-data': [],
                    'relay': {'ip-addresses': []},
                    'reservations': [],
                    'calculate-tee-times': True,
                    't1-percent': 0.5,
                    't2-percent': 0.8,
                    'store-extended-info': False,
                }
            ],
        }
    }
    assert normalise(written) == normalise(got)


@pytest.mark.parametrize(
    ('config', 'message'),
    [
        ('x', 'must be a JSON object'),
        ({'Dhcp4': {}, 'Dhcp6': {}}, 'exactly one of Dhcp4 or Dhcp6'),
        ({'Control-agent': {}}, "found 'Control-agent'"),
    ],
)
def test_not_a_config_is_refused_clearly(config, message):
    with pytest.raises(ConfigError, match=message):
        normalise(config)


def test_defaults_files_and_version_fallback():
    files = available()
    assert ('dhcp4', KeaVersion(2, 2)) in files and ('dhcp6', KeaVersion(2, 2)) in files
    assert load_defaults('dhcp4').version == KeaVersion(2, 2, 0)
    assert load_defaults('dhcp4', KeaVersion(2, 6, 3)).source == 'kea-2.6-dhcp4.json'
    assert load_defaults('dhcp6', KeaVersion(3, 0, 3)).source == 'kea-3.0-dhcp6.json'
    # A Kea without its own table uses the newest older one.
    assert load_defaults('dhcp4', KeaVersion(2, 4, 1)).source == files[('dhcp4', KeaVersion(2, 2))]
    assert load_defaults('dhcp4', KeaVersion(3, 1, 2)).source == 'kea-3.0-dhcp4.json'
    assert load_defaults('dhcp4', KeaVersion(3, 0, 3)).kinds['ha/hot-standby']['restrict-commands'] is True
    assert load_defaults('dhcp4', KeaVersion(2, 6, 3)).kinds['ha/hot-standby']['restrict-commands'] is False
    assert load_defaults('dhcp6').options['dhcp6']['dns-servers'] == 23
    assert load_defaults('dhcp4').options['dhcp4']['routers'] == 3
    with pytest.raises(DefaultsError, match="family must be 'dhcp4' or 'dhcp6', got 'dhcp5'"):
        load_defaults('dhcp5')


def test_inherited_keys_by_version():
    assert 'allocator' not in inherited_keys('dhcp4')
    assert {'allocator', 'offer-lifetime'} <= inherited_keys('dhcp4', KeaVersion(2, 6, 3))
    assert 'pd-allocator' in inherited_keys('dhcp6', KeaVersion(3, 0, 0))


@pytest.mark.parametrize(
    ('tag', 'version'),
    [('Kea-2.2.0', KeaVersion(2, 2, 0)), ('Kea-2.6.3', KeaVersion(2, 6, 3)), ('Kea-3.0.3', KeaVersion(3, 0, 3))],
)
def test_inherited_keys_match_kea_source(tag, version):
    """What the normaliser takes as inherited is Kea's own INHERIT_TO_SUBNET4/6 list of that release (stored in
    tests/kea/kea_source_facts.json)."""
    for family in (4, 6):
        kea = kea_fact(tag, simple_parser(family), f'INHERIT_TO_SUBNET{family}')
        assert inherited_keys(f'dhcp{family}', version) == set(kea)


def test_respell_writes_keys_the_way_each_version_writes_them_back():
    v22, v26, v30 = KeaVersion(2, 2), KeaVersion(2, 6, 3), KeaVersion(3, 0, 3)
    logger = {'name': 'kea-dhcp4', 'output-options': [{'output': 'stdout'}]}
    assert respell('logger', logger, v22) == {'name': 'kea-dhcp4', 'output_options': [{'output': 'stdout'}]}
    pool = {'pool': '192.0.2.0/26', 'client-class': 'HA_server1', 'require-client-classes': ['late']}
    assert respell('pool', pool, v26) is pool
    assert respell('pool', pool, v30) == {
        'pool': '192.0.2.0/26',
        'client-classes': ['HA_server1'],
        'evaluate-additional-classes': ['late'],
    }
    assert respell('subnet', {'client-class': ''}, v30) == {'client-classes': []}
    socket = {'socket-type': 'unix', 'socket-name': 'kea4.sock'}
    assert respell('global', {'control-socket': socket}, v30) == {'control-sockets': [socket]}
    assert respell('client-class', {'name': 'x', 'only-if-required': True}, v30) == {
        'name': 'x',
        'only-in-additional-list': True,
    }


def test_kea_3_0_pool_classes_compare_equal_in_both_spellings():
    written = base4(
        **{
            'subnet4': [
                {
                    'id': 1,
                    'subnet': '192.0.2.0/24',
                    'pools': [{'pool': '192.0.2.10 - 192.0.2.20', 'client-class': 'HA_server1'}],
                }
            ]
        }
    )
    got = base4(
        **{
            'subnet4': [
                {
                    'id': 1,
                    'subnet': '192.0.2.0/24',
                    'pools': [{'pool': '192.0.2.10-192.0.2.20', 'client-classes': ['HA_server1']}],
                }
            ]
        }
    )
    v30 = KeaVersion(3, 0, 3)
    assert normalise(written, version=v30) == normalise(got, version=v30)
