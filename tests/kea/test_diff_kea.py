"""No false drift, and real changes found, against real Kea 2.2.

Each hand-written config is `config-set` on a real server and read back with `config-get`; the normalised forms
must be equal (no false drift). Then a real change is set and the diff between what ran before and what runs
after must name exactly the changed path.
"""

import copy

import pytest

from tests.kea_fixtures import requires_kea

from kealab import KeaLab
from kealab.roots import root_ready
from netbox_kea_ha.kea.diff import ABSENT, diff_configs
from netbox_kea_ha.kea.ha import KeaVersion
from netbox_kea_ha.kea.normalise import normalise

pytestmark = pytest.mark.kea

HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks'


@pytest.fixture(scope='module')
def servers():
    """One standalone DHCPv4 and one DHCPv6 server of our own (this module changes their configs)."""
    with KeaLab() as lab:
        yield {4: lab.standalone(family=4), 6: lab.standalone(family=6)}


def per_server(server):
    """The server's own plumbing from its lab config (interfaces, socket, lease file, loggers, ...)."""
    root = f'Dhcp{server.family}'
    keep = (
        'interfaces-config',
        'control-socket',
        'control-sockets',
        'lease-database',
        'loggers',
        'data-directory',
        'server-id',
    )
    return {k: copy.deepcopy(v) for k, v in server.config[root].items() if k in keep}


def full(server, shared):
    return {f'Dhcp{server.family}': {**per_server(server), **copy.deepcopy(shared)}}


def config_set(server, config):
    answer = server.command('config-set', config, timeout=30)
    assert answer['result'] == 0, answer.get('text')


def config_get(server):
    answer = server.command('config-get', timeout=30)
    assert answer['result'] == 0, answer.get('text')
    return answer['arguments']


def round_trip(server, shared):
    config = full(server, shared)
    config_set(server, config)
    return config, config_get(server)


V4_CASES = {
    'subnets, pools in both forms, options by name and code': {
        'valid-lifetime': 3600,
        'renew-timer': 900,
        'rebind-timer': 1800,
        'subnet4': [
            {
                'id': 1,
                'subnet': '192.0.2.0/24',
                'pools': [
                    {'pool': '192.0.2.10 - 192.0.2.99'},
                    {'pool': '192.0.2.128/26'},
                    {'pool': '192.0.2.100 - 192.0.2.103', 'client-class': 'HA_server1'},
                ],
                'option-data': [
                    {'name': 'routers', 'data': '192.0.2.1'},
                    {'code': 6, 'data': '192.0.2.53, 192.0.2.54'},
                    {'name': 'domain-name', 'csv-format': False, 'data': '65:78:61:6d:70:6c:65'},
                ],
                'relay': {'ip-address': '192.0.2.250'},
            },
            {'id': 2, 'subnet': '198.51.100.0/24', 'valid-lifetime': 3600, 'interface': ''},
        ],
    },
    'reservations with every identifier': {
        'host-reservation-identifiers': ['hw-address', 'client-id', 'circuit-id', 'flex-id'],
        'reservations': [{'hw-address': 'AA:BB:CC:00:00:09', 'hostname': 'global-host'}],
        'subnet4': [
            {
                'id': 1,
                'subnet': '192.0.2.0/24',
                'reservations': [
                    {'hw-address': 'AA:BB:CC:DD:EE:01', 'ip-address': '192.0.2.200'},
                    {'client-id': '01:AA:bb:cc:dd:ee:02', 'hostname': 'h2'},
                    {'circuit-id': "'circuit-3'", 'hostname': 'h3'},
                    {'flex-id': "'flex-4'", 'hostname': 'h4', 'next-server': '192.0.2.5'},
                    {
                        'hw-address': 'a:b:c:d:e:f',
                        'hostname': 'h5',
                        'option-data': [{'name': 'domain-name-servers', 'data': '192.0.2.53'}],
                        'client-classes': ['vip'],
                    },
                ],
            }
        ],
    },
    'classes, option definitions, shared networks with inheritance': {
        'valid-lifetime': 4000,
        'min-valid-lifetime': 3000,
        't1-percent': 0.4,
        'calculate-tee-times': True,
        'option-def': [{'name': 'my-opt', 'code': 222, 'type': 'uint32'}],
        'option-data': [{'name': 'my-opt', 'data': '42'}, {'name': 'domain-name', 'data': 'example.org'}],
        'client-classes': [
            {'name': 'vip', 'test': "substring(option[61].hex,0,3) == 'vip'", 'next-server': '192.0.2.7'},
            {'name': 'phones', 'option-data': [{'code': 66, 'data': 'tftp.example.org'}]},
        ],
        'shared-networks': [
            {
                'name': 'office',
                'valid-lifetime': 5000,
                'relay': {'ip-addresses': ['192.0.2.254']},
                'option-data': [{'name': 'routers', 'data': '203.0.113.1'}],
                'subnet4': [
                    {'id': 10, 'subnet': '203.0.113.0/25', 'pools': [{'pool': '203.0.113.10-203.0.113.20'}]},
                    {'id': 11, 'subnet': '203.0.113.128/25', 'valid-lifetime': 6000, 'max-valid-lifetime': 8000},
                ],
            },
            {'name': 'lab', 'min-valid-lifetime': 1000, 'subnet4': [{'id': 12, 'subnet': '198.18.0.0/24'}]},
        ],
        'subnet4': [{'id': 1, 'subnet': '192.0.2.0/24', 'valid-lifetime': 4000, 'min-valid-lifetime': 3000}],
    },
    'ddns, lease processing, partial maps': {
        'ddns-send-updates': False,
        'ddns-qualifying-suffix': 'example.org.',
        'hostname-char-set': '[^A-Za-z0-9.-]',
        'expired-leases-processing': {'reclaim-timer-wait-time': 5},
        'dhcp-ddns': {'enable-updates': False, 'server-port': 53001},
        'multi-threading': {'enable-multi-threading': False},
        'sanity-checks': {'lease-checks': 'fix'},
        'authoritative': True,
    },
    'HA hooks with a password': {
        'hooks-libraries': [
            {'library': f'{HOOKS}/libdhcp_lease_cmds.so'},
            {
                'library': f'{HOOKS}/libdhcp_ha.so',
                'parameters': {
                    'high-availability': [
                        {
                            'this-server-name': 'server1',
                            'mode': 'hot-standby',
                            'heartbeat-delay': 1000,
                            'max-response-delay': 3000,
                            'multi-threading': {'enable-multi-threading': False},
                            'peers': [
                                {'name': 'server1', 'url': 'http://127.0.0.1:1/', 'role': 'primary'},
                                {
                                    'name': 'server2',
                                    'url': 'http://127.0.0.1:2/',
                                    'role': 'standby',
                                    'auto-failover': True,
                                    'basic-auth-user': 'ha',
                                    'basic-auth-password': 'not-shown',
                                },
                            ],
                        }
                    ]
                },
            },
        ],
    },
}

V6_CASES = {
    'DHCPv6 pools, prefix delegation, options, reservations, shared networks': {
        'preferred-lifetime': 3000,
        'valid-lifetime': 4000,
        'max-preferred-lifetime': 3500,
        'subnet6': [
            {
                'id': 1,
                'subnet': '2001:DB8:1::/64',
                'pools': [{'pool': '2001:db8:1::10 - 2001:db8:1::FF'}, {'pool': '2001:db8:1:0:1::/80'}],
                'pd-pools': [{'prefix': '2001:db8:8::', 'prefix-len': 56, 'delegated-len': 64}],
                'option-data': [{'name': 'dns-servers', 'data': '2001:db8::53'}, {'code': 24, 'data': 'example.org'}],
                'reservations': [
                    {'duid': '01:02:03:04:05:0A', 'ip-addresses': ['2001:DB8:1::100']},
                    {'hw-address': 'aa:bb:cc:dd:ee:ff', 'prefixes': ['2001:db8:9::/64'], 'hostname': 'r2'},
                ],
                'rapid-commit': True,
            }
        ],
        'shared-networks': [
            {
                'name': 'net6',
                'preferred-lifetime': 2000,
                'interface-id': '',
                'subnet6': [{'id': 2, 'subnet': '2001:db8:2::/64', 'interface': ''}],
            }
        ],
        'client-classes': [{'name': 'c6', 'test': "option[1].hex == 'x'"}],
        'option-def': [{'name': 'o6', 'code': 1000, 'type': 'string'}],
    },
}


@pytest.mark.parametrize('name', list(V4_CASES))
def test_no_false_drift_dhcp4(servers, name):
    config, got = round_trip(servers[4], V4_CASES[name])
    assert normalise(config) == normalise(got)
    assert diff_configs(got, config).empty


@pytest.mark.parametrize('name', list(V6_CASES))
def test_no_false_drift_dhcp6(servers, name):
    config, got = round_trip(servers[6], V6_CASES[name])
    assert normalise(config) == normalise(got)
    assert diff_configs(got, config).empty


def test_set_of_what_kea_returned_is_stable(servers):
    """config-get -> config-set -> config-get is a fixed point once normalised (rollback relies on it)."""
    _, first = round_trip(servers[4], V4_CASES['classes, option definitions, shared networks with inheritance'])
    config_set(servers[4], first)
    assert diff_configs(first, config_get(servers[4])).empty


def changed(shared, change):
    new = copy.deepcopy(shared)
    change(new)
    return new


BASE = V4_CASES['subnets, pools in both forms, options by name and code']

REAL_CHANGES = [
    (
        'a timer',
        lambda c: c.update({'renew-timer': 1000}),
        {'Dhcp4.renew-timer': (900, 1000)},
    ),
    (
        'a timer back to its default',
        lambda c: c.update({'valid-lifetime': 7200}),
        # subnet 2 set valid-lifetime 3600 itself: it keeps it.
        {
            'Dhcp4.valid-lifetime': (3600, 7200),
            'Dhcp4.subnet4[198.51.100.0/24].valid-lifetime': (ABSENT, 3600),
        },
    ),
    (
        'a subnet',
        lambda c: c['subnet4'].append({'id': 3, 'subnet': '203.0.113.0/24'}),
        {'Dhcp4.subnet4[203.0.113.0/24]': (ABSENT, {'id': 3, 'subnet': '203.0.113.0/24'})},
    ),
    (
        'an option value',
        lambda c: c['subnet4'][0]['option-data'][0].update({'data': '192.0.2.254'}),
        {'Dhcp4.subnet4[192.0.2.0/24].option-data[dhcp4:3].data': ('192.0.2.1', '192.0.2.254')},
    ),
    (
        'a removed pool',
        lambda c: c['subnet4'][0]['pools'].pop(1),
        {'Dhcp4.subnet4[192.0.2.0/24].pools[192.0.2.128/26]': ({'pool': '192.0.2.128/26'}, ABSENT)},
    ),
]


@pytest.mark.parametrize(('name', 'change', 'expected'), REAL_CHANGES, ids=[c[0] for c in REAL_CHANGES])
def test_real_change_is_found_at_its_path(servers, name, change, expected):
    server = servers[4]
    _, before = round_trip(server, BASE)
    desired = full(server, changed(BASE, change))
    # What would be pushed, compared with what runs.
    planned = diff_configs(before, desired)
    assert {c.path: (c.old, c.new) for c in planned} == expected
    # And after Kea took it, what runs now differs from before in exactly the same way.
    config_set(server, desired)
    after = config_get(server)
    assert {c.path: (c.old, c.new) for c in diff_configs(before, after)} == expected
    assert diff_configs(after, desired).empty


def test_shared_network_minimum_inherited_by_kea_is_told_apart(servers):
    """Kea derives a shared network's min-valid-lifetime into its subnets; normalisation must keep that apart."""
    server = servers[4]
    shared = {
        'shared-networks': [
            {
                'name': 'n',
                'valid-lifetime': 4000,
                'min-valid-lifetime': 4000,
                'subnet4': [{'id': 1, 'subnet': '192.0.2.0/24', 'valid-lifetime': 6000}],
            }
        ]
    }
    _, with_min = round_trip(server, shared)
    del shared['shared-networks'][0]['min-valid-lifetime']
    _, without = round_trip(server, shared)
    subnet_with = with_min['Dhcp4']['shared-networks'][0]['subnet4'][0]
    subnet_without = without['Dhcp4']['shared-networks'][0]['subnet4'][0]
    assert (subnet_with['min-valid-lifetime'], subnet_without['min-valid-lifetime']) == (4000, 6000)
    assert not diff_configs(with_min, without).empty


def test_password_change_is_found_and_never_shown(servers):
    server = servers[4]
    shared = V4_CASES['HA hooks with a password']
    _, before = round_trip(server, shared)
    new = copy.deepcopy(shared)
    new['hooks-libraries'][1]['parameters']['high-availability'][0]['peers'][1]['basic-auth-password'] = 'other'
    diff = diff_configs(before, full(server, new))
    assert [c.path.rsplit('.', 1)[-1] for c in diff] == ['basic-auth-password']
    assert 'not-shown' not in diff.text() + repr(diff.changes)
    assert 'other' not in diff.text() + repr(diff.changes)


@pytest.mark.parametrize(('family', 'name'), [(4, n) for n in V4_CASES] + [(6, n) for n in V6_CASES])
def test_normalised_form_is_an_equivalent_config_kea_takes(servers, family, name):
    """The compact form of a config-get answer can be set as it is, and Kea then runs the same config."""
    server = servers[family]
    _, got = round_trip(server, (V4_CASES if family == 4 else V6_CASES)[name])
    compact = normalise(got)
    config_set(server, compact)
    assert diff_configs(got, config_get(server)).empty


def test_a_global_timer_edited_in_the_compact_form_reaches_inheriting_subnets(servers):
    server = servers[4]
    _, got = round_trip(server, BASE)
    compact = normalise(got)
    compact['Dhcp4']['renew-timer'] = 1000
    config_set(server, compact)
    subnets = {s['subnet']: s for s in config_get(server)['Dhcp4']['subnet4']}
    assert subnets['192.0.2.0/24']['renew-timer'] == 1000
    assert subnets['198.51.100.0/24']['renew-timer'] == 1000


@pytest.fixture(scope='module', params=['2.6', '3.0'])
def newer(request):
    """A standalone DHCPv4 and DHCPv6 server of Kea 2.6.3 or 3.0.3 (kealab's Debian 13 roots), and its version."""
    if not root_ready(request.param):
        pytest.skip(f'no Kea {request.param} root cached (python -m kealab builds it, about a minute)')
    with KeaLab(kea=request.param) as lab:
        servers = {4: lab.standalone(family=4), 6: lab.standalone(family=6)}
        with KeaClientFor(servers[4]) as client:
            version = client.version_get().version
        yield servers, version


def KeaClientFor(server):  # noqa: N802 - reads like the class it returns
    from netbox_kea_ha.kea.client import KeaClient

    return KeaClient(server.endpoint())


@pytest.mark.parametrize(('family', 'name'), [(4, n) for n in V4_CASES] + [(6, n) for n in V6_CASES])
def test_no_false_drift_and_equivalent_compact_form_on_kea_2_6_and_3_0(newer, family, name):
    """The same round trips on Kea 2.6.3 and 3.0.3, with their own measured defaults and spellings
    (`output-options`, `control-sockets`, `client-classes` lists, `ddns-conflict-resolution-mode`)."""
    servers, version = newer
    assert version >= KeaVersion(2, 6)
    server = servers[family]
    case = copy.deepcopy((V4_CASES if family == 4 else V6_CASES)[name])
    for subnet in case.get('subnet4', []):
        if 'ip-address' in subnet.get('relay', {}):
            # Kea >= 2.6 no longer reads the single relay address.
            subnet['relay'] = {'ip-addresses': [subnet['relay']['ip-address']]}
    config, got = round_trip(server, case)
    assert normalise(config, version=version) == normalise(got, version=version)
    assert diff_configs(got, config, version=version).empty
    config_set(server, normalise(got, version=version))
    assert diff_configs(got, config_get(server), version=version).empty


@requires_kea('2.6')
def test_no_false_drift_on_a_hub(hub_spoke):
    """A real Kea 2.6 hub: its two relationships (defaults per mode filled in by Kea) and the subnets naming them
    compare equal to the config the lab wrote; the compact form keeps both relationships whole."""
    hub = hub_spoke[0]
    with KeaClientFor(hub) as client:
        running = client.config_get().config
        version = client.version_get().version
    assert diff_configs(running, hub.config, version=version).empty
    compact = normalise(running, version=version)['Dhcp4']
    (ha_hook,) = [h for h in compact['hooks-libraries'] if h['library'].endswith('libdhcp_ha.so')]
    relationships = ha_hook['parameters']['high-availability']
    assert [r['this-server-name'] for r in relationships] == ['server1-server2', 'server1-server3']
    for relationship in relationships:  # Kea's defaults dropped, what the lab set kept
        assert 'sync-leases' not in relationship
        assert relationship['multi-threading'] == {'http-dedicated-listener': False}
    assert [s['user-context'] for s in compact['subnet4']] == [
        {'ha-server-name': 'server1-server2'},
        {'ha-server-name': 'server1-server3'},
    ]
    changed = copy.deepcopy(hub.config)
    changed['Dhcp4']['hooks-libraries'][1]['parameters']['high-availability'][1]['heartbeat-delay'] = 2000
    assert diff_configs(running, changed, version=version).paths == (
        'Dhcp4.hooks-libraries[libdhcp_ha.so].parameters.high-availability[server1-server3].heartbeat-delay',
    )
