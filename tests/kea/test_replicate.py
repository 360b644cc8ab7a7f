"""Replication: which keys are shared, which stay per server, and each peer's built config."""

import pytest

from tools.kea_source_facts import json_config_parser, kea_fact, simple_parser

from netbox_kea_ha.kea.replicate import (
    SERVER_KEYS,
    SHARED_KEYS,
    ConfigError,
    KeyClass,
    KeySets,
    ReplicationError,
    build_peer_config,
    config_root,
    is_rendered_hook,
    split_config,
)

HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks'


def ha_hook(this_server, url2='http://127.0.0.1:18002/'):
    return {
        'library': f'{HOOKS}/libdhcp_ha.so',
        'parameters': {
            'high-availability': [
                {
                    'this-server-name': this_server,
                    'mode': 'load-balancing',
                    'peers': [
                        {'name': 'server1', 'url': 'http://127.0.0.1:18001/', 'role': 'primary'},
                        {'name': 'server2', 'url': url2, 'role': 'secondary'},
                    ],
                }
            ]
        },
    }


LEASE_CMDS = {'library': f'{HOOKS}/libdhcp_lease_cmds.so'}


def server_config(name, *, subnets, valid=3600, extra_hooks=(), **extra):
    return {
        'Dhcp4': {
            'interfaces-config': {'interfaces': [f'eth-{name}']},
            'control-socket': {'socket-type': 'unix', 'socket-name': f'/run/kea/{name}.sock'},
            'lease-database': {'type': 'memfile', 'name': f'/var/lib/kea/{name}.csv'},
            'loggers': [{'name': 'kea-dhcp4', 'output_options': [{'output': f'/var/log/{name}.log'}]}],
            'valid-lifetime': valid,
            'hooks-libraries': [*extra_hooks, LEASE_CMDS, ha_hook(name)],
            'subnet4': subnets,
            **extra,
        }
    }


SUBNET_A = {'id': 1, 'subnet': '192.0.2.0/24', 'pools': [{'pool': '192.0.2.10 - 192.0.2.99'}]}
SUBNET_B = {'id': 2, 'subnet': '198.51.100.0/24'}


def test_key_lists_do_not_overlap_and_cover_the_documented_keys():
    assert not SHARED_KEYS & SERVER_KEYS
    for key in (
        'subnet4',
        'subnet6',
        'shared-networks',
        'option-data',
        'option-def',
        'client-classes',
        'reservations',
        'valid-lifetime',
        'renew-timer',
        'ddns-send-updates',
        'host-reservation-identifiers',
        'expired-leases-processing',
    ):
        assert key in SHARED_KEYS, key
    for key in (
        'interfaces-config',
        'control-socket',
        'control-sockets',
        'lease-database',
        'hosts-database',
        'loggers',
        'server-tag',
        'dhcp-ddns',
        'multi-threading',
        'data-directory',
        'server-id',
        'config-control',
        'hooks-libraries',
    ):
        assert key in SERVER_KEYS, key


@pytest.mark.parametrize('tag', ['Kea-2.2.0', 'Kea-2.6.3', 'Kea-3.0.3'])
def test_every_global_parameter_kea_knows_is_classified(tag):
    """Every top-level key Kea's DHCPv4 and DHCPv6 servers take (SimpleParser4/6's global tables, and the keys
    the config parser reads itself; stored in tests/kea/kea_source_facts.json) is in exactly one list: none falls
    to 'per-server' only by being unknown."""
    keys = set()
    for family in (4, 6):
        keys |= set(kea_fact(tag, simple_parser(family), f'GLOBAL{family}_PARAMETERS'))
        keys |= set(kea_fact(tag, json_config_parser(family), 'config_pair.first'))
    assert len(keys) > 60
    assert sorted(keys - SHARED_KEYS - SERVER_KEYS) == []


def test_unknown_key_is_per_server():
    assert KeySets().classify('some-future-key') is KeyClass.SERVER
    assert KeySets().classify('subnet4') is KeyClass.SHARED


def test_split_takes_rendered_hooks_out():
    flex = {'library': f'{HOOKS}/libdhcp_flex_option.so', 'parameters': {'options': []}}
    split = split_config(server_config('server1', subnets=[SUBNET_A], extra_hooks=[flex], future={'x': 1}))
    assert split.root == 'Dhcp4'
    assert set(split.shared) == {'valid-lifetime', 'subnet4'}
    assert set(split.server) == {
        'interfaces-config',
        'control-socket',
        'lease-database',
        'loggers',
        'hooks-libraries',
        'future',
    }
    assert split.server['hooks-libraries'] == [flex]
    assert [h['library'].rsplit('/', 1)[1] for h in split.rendered_hooks] == ['libdhcp_lease_cmds.so', 'libdhcp_ha.so']


def test_split_repr_hides_the_peers_passwords():
    config = server_config('server1', subnets=[SUBNET_A])
    peers = config['Dhcp4']['hooks-libraries'][1]['parameters']['high-availability'][0]['peers']
    peers[1]['basic-auth-password'] = 'never-shown'
    split = split_config(config)
    assert split.rendered_hooks[1]['parameters']['high-availability'][0]['peers'][1]['basic-auth-password'] == (
        'never-shown'
    )
    assert 'never-shown' not in repr(split) and "'basic-auth-password': '********'" in repr(split)


def test_build_with_replication_takes_primary_shared_and_keeps_own_server_parts():
    primary = server_config(
        'server1',
        subnets=[SUBNET_A, SUBNET_B],
        valid=7200,
        **{'option-data': [{'name': 'routers', 'data': '192.0.2.1'}]},
    )
    own = server_config('server2', subnets=[SUBNET_A], valid=3600, **{'server-tag': 's2', 'renew-timer': 900})
    rendered = [LEASE_CMDS, ha_hook('server2')]
    built = build_peer_config(own, rendered, primary=primary)['Dhcp4']
    assert built['subnet4'] == [SUBNET_A, SUBNET_B]
    assert built['valid-lifetime'] == 7200
    assert built['option-data'] == [{'name': 'routers', 'data': '192.0.2.1'}]
    # A shared key only the peer had is dropped: the primary is the source of truth.
    assert 'renew-timer' not in built
    # Per-server parts are the peer's own.
    assert built['interfaces-config'] == {'interfaces': ['eth-server2']}
    assert built['server-tag'] == 's2'
    assert built['lease-database']['name'] == '/var/lib/kea/server2.csv'
    assert built['hooks-libraries'] == rendered


def test_build_without_replication_changes_only_the_rendered_hooks():
    own = server_config('server2', subnets=[SUBNET_A], **{'renew-timer': 900})
    primary = server_config('server1', subnets=[SUBNET_B])
    new_ha = ha_hook('server2', url2='http://127.0.0.1:19002/')
    built = build_peer_config(own, [LEASE_CMDS, new_ha], primary=primary, replicate=False)
    expected = dict(own['Dhcp4'], **{'hooks-libraries': [LEASE_CMDS, new_ha]})
    assert built == {'Dhcp4': expected}


def test_other_hooks_stay_in_place_and_rendered_go_where_the_old_ones_were():
    flex = {'library': f'{HOOKS}/libdhcp_flex_option.so'}
    run_script = {'library': f'{HOOKS}/libdhcp_run_script.so', 'parameters': {'name': '/bin/true'}}
    own = server_config('server2', subnets=[], extra_hooks=[flex])
    own['Dhcp4']['hooks-libraries'].append(run_script)
    rendered = [LEASE_CMDS, ha_hook('server2')]
    built = build_peer_config(own, rendered, primary=server_config('server1', subnets=[]))
    assert built['Dhcp4']['hooks-libraries'] == [flex, *rendered, run_script]


def test_hooks_appended_when_the_server_had_none():
    own = {'Dhcp4': {'interfaces-config': {'interfaces': []}}}
    built = build_peer_config(own, [LEASE_CMDS, ha_hook('server2')])
    assert built['Dhcp4']['hooks-libraries'] == [LEASE_CMDS, ha_hook('server2')]


def test_unknown_keys_are_never_clobbered():
    own = server_config('server2', subnets=[], **{'my-extension': {'a': 1}})
    primary = server_config('server1', subnets=[], **{'my-extension': {'a': 2}, 'other-unknown': True})
    built = build_peer_config(own, [LEASE_CMDS, ha_hook('server2')], primary=primary)['Dhcp4']
    assert built['my-extension'] == {'a': 1}
    assert 'other-unknown' not in built


def test_extra_key_lists_move_keys_between_lists():
    sets = KeySets.with_extra(shared_keys=['my-extension'], server_keys=['option-data'])
    assert sets.classify('my-extension') is KeyClass.SHARED
    assert sets.classify('option-data') is KeyClass.SERVER
    own = server_config('server2', subnets=[], **{'option-data': [{'code': 6, 'data': '10.0.0.2'}]})
    primary = server_config('server1', subnets=[SUBNET_A], **{'option-data': [], 'my-extension': 5})
    built = build_peer_config(own, [LEASE_CMDS, ha_hook('server2')], primary=primary, key_sets=sets)['Dhcp4']
    assert built['option-data'] == [{'code': 6, 'data': '10.0.0.2'}]
    assert built['my-extension'] == 5
    assert built['subnet4'] == [SUBNET_A]


def test_dhcp6_is_split_the_same_way():
    own = {
        'Dhcp6': {
            'server-id': {'type': 'LLT'},
            'data-directory': '/var/lib/kea',
            'preferred-lifetime': 3000,
            'subnet6': [],
            'hooks-libraries': [],
        }
    }
    primary = {
        'Dhcp6': {
            'server-id': {'type': 'EN'},
            'preferred-lifetime': 2000,
            'subnet6': [{'id': 1, 'subnet': '2001:db8::/64'}],
            'hash': 'ignored',
        },
        'hash': 'X',
    }
    built = build_peer_config(own, [LEASE_CMDS], primary=primary)['Dhcp6']
    assert built['server-id'] == {'type': 'LLT'}
    assert built['preferred-lifetime'] == 2000
    assert built['subnet6'] == [{'id': 1, 'subnet': '2001:db8::/64'}]


def test_config_get_arguments_with_hash_are_accepted():
    root, inner = config_root({'Dhcp4': {'a': 1}, 'hash': 'ABC'})
    assert root == 'Dhcp4' and inner == {'a': 1}


@pytest.mark.parametrize(
    ('config', 'message'),
    [
        ([], 'must be a JSON object, got list'),
        ({}, 'exactly one of Dhcp4 or Dhcp6, found nothing'),
        ({'Dhcp4': {}, 'Dhcp6': {}}, "found 'Dhcp4', 'Dhcp6'"),
        ({'Dhcp4': []}, 'Dhcp4 must be a JSON object, got list'),
        ({'Dhcp4': {'hooks-libraries': 'x'}}, 'Dhcp4 hooks-libraries must be a list, got str'),
    ],
)
def test_bad_configs_are_named(config, message):
    with pytest.raises(ConfigError, match=message.replace('(', r'\(')):
        build_peer_config(config, [LEASE_CMDS])


def test_family_mismatch_is_refused():
    with pytest.raises(ReplicationError, match='cannot replicate a Dhcp6 config onto a Dhcp4 server'):
        build_peer_config({'Dhcp4': {}}, [LEASE_CMDS], primary={'Dhcp6': {}})


@pytest.mark.parametrize(
    ('rendered', 'message'),
    [
        ('x', 'must be a list of entries, got str'),
        ([{'parameters': {}}], r'hooks-libraries\[0\] must be an object with a "library" path'),
        ([LEASE_CMDS, {'library': '/x/libdhcp_flex_option.so'}], r"\[1\] is 'libdhcp_flex_option.so'"),
    ],
)
def test_bad_rendered_hooks_are_named(rendered, message):
    with pytest.raises(ReplicationError, match=message):
        build_peer_config({'Dhcp4': {}}, rendered)


@pytest.mark.parametrize(
    ('shared', 'server', 'message'),
    [
        (['a'], ['a'], 'both shared and per-server: a'),
        ('subnet4', [], 'shared_keys must be a list'),
        ([''], [], 'non-empty strings'),
        (['hooks-libraries'], [], "'hooks-libraries' cannot be shared"),
    ],
)
def test_bad_key_lists_are_named(shared, server, message):
    with pytest.raises(ReplicationError, match=message):
        KeySets.with_extra(shared_keys=shared, server_keys=server)


def test_rendered_hook_detection_by_file_name():
    assert is_rendered_hook({'library': 'libdhcp_ha.so'})
    assert is_rendered_hook({'library': '/opt/kea/lib/hooks/libdhcp_lease_cmds.so'})
    assert not is_rendered_hook({'library': '/opt/libdhcp_ha.so.bak'})
    assert not is_rendered_hook({'parameters': {}})
    assert not is_rendered_hook('libdhcp_ha.so')
