"""Every kealab setup starts real Kea 2.2 and settles in its operational HA state."""

import httpx
import pytest

from kealab import KeaLab, LabError

pytestmark = pytest.mark.kea


def _status(server):
    answer = server.command('status-get')
    assert answer['result'] == 0, answer
    return answer['arguments']['high-availability'][0]


def _assert_distinct(servers):
    assert len({s.address for s in servers}) == len(servers)
    assert all(s.address.startswith('127.') for s in servers)
    assert len({s.ca_url for s in servers}) == len(servers)


def test_lb_pair_is_load_balancing(lb_pair):
    server1, server2 = lb_pair
    assert (server1.name, server1.role, server2.name, server2.role) == ('server1', 'primary', 'server2', 'secondary')
    _assert_distinct(lb_pair)
    ha1, ha2 = _status(server1), _status(server2)
    assert ha1['ha-mode'] == 'load-balancing'
    assert ha1['ha-servers']['local'] == {'role': 'primary', 'scopes': ['server1'], 'state': 'load-balancing'}
    assert ha2['ha-servers']['local'] == {'role': 'secondary', 'scopes': ['server2'], 'state': 'load-balancing'}
    assert ha1['ha-servers']['remote']['role'] == 'secondary'
    # The PID Kea reports is the one the lab recorded.
    assert server1.command('status-get')['arguments']['pid'] == server1.pids['dhcp']


def test_lb_pair_config_is_the_recipe(lb_pair):
    server1, server2 = lb_pair
    relationship = server1.relationship
    assert relationship.this_server_name == 'server1'
    assert relationship.mode == 'load-balancing'
    assert [(p.name, p.url, p.role, p.auto_failover) for p in relationship.peers] == [
        ('server1', server1.ca_url, 'primary', True),
        ('server2', server2.ca_url, 'secondary', True),
    ]
    assert dict(relationship.parameters) == {
        'heartbeat-delay': 1000,
        'max-response-delay': 3000,
        'max-ack-delay': 2000,
        'max-unacked-clients': 0,
    }
    assert server2.relationship.this_server_name == 'server2'
    pools = server1.config['Dhcp4']['subnet4'][0]['pools']
    assert [p['client-class'] for p in pools] == ['HA_server1', 'HA_server2']
    # What Kea runs is what the lab wrote.
    running = server1.command('config-get')['arguments']['Dhcp4']
    ha_hook = [h for h in running['hooks-libraries'] if h['library'].endswith('libdhcp_ha.so')][0]
    assert ha_hook['parameters']['high-availability'][0]['peers'][1]['url'] == server2.ca_url
    assert running['interfaces-config']['interfaces'] == []


def test_lb_trio_backup(lb_trio):
    server1, server2, server3 = lb_trio
    _assert_distinct(lb_trio)
    assert _status(server1)['ha-servers']['local']['state'] == 'load-balancing'
    assert _status(server2)['ha-servers']['local']['state'] == 'load-balancing'
    backup = _status(server3)
    assert backup['ha-servers'] == {'local': {'role': 'backup', 'scopes': [], 'state': 'backup'}}
    assert server3.relationship.peer('server3').auto_failover is False


def test_hs_pair(hs_pair):
    server1, server2 = hs_pair
    assert _status(server1)['ha-servers']['local'] == {
        'role': 'primary',
        'scopes': ['server1'],
        'state': 'hot-standby',
    }
    assert _status(server2)['ha-servers']['local'] == {'role': 'standby', 'scopes': [], 'state': 'hot-standby'}
    assert [p['pool'] for p in server1.config['Dhcp4']['subnet4'][0]['pools']] == ['192.0.2.10 - 192.0.2.189']


def test_pb_pair(pb_pair):
    server1, server2 = pb_pair
    assert _status(server1)['ha-mode'] == 'passive-backup'
    assert _status(server1)['ha-servers']['local']['state'] == 'passive-backup'
    assert _status(server2)['ha-servers']['local']['state'] == 'backup'


def test_lb_pair_auth(lb_pair_auth):
    server1, server2 = lb_pair_auth
    user, password = server1.credentials
    assert password not in repr(server1)
    assert _status(server1)['ha-servers']['local']['state'] == 'load-balancing'
    body = {'command': 'status-get', 'service': ['dhcp4']}
    assert httpx.post(server1.ca_url, json=body).status_code == 401
    assert httpx.post(server1.ca_url, json=body, auth=(user, 'wrong')).status_code == 401
    assert httpx.post(server1.ca_url, json=body, auth=(user, password)).status_code == 200
    peer = server1.relationship.peer('server2')
    assert (peer.basic_auth_user, peer.basic_auth_password) == server2.credentials


def test_lb6_pair(lb6_pair):
    server1, server2 = lb6_pair
    assert server1.service == 'dhcp6'
    assert 'Dhcp6' in server1.config
    ha = _status(server1)
    assert ha['ha-servers']['local']['state'] == 'load-balancing'
    assert _status(server2)['ha-servers']['local']['state'] == 'load-balancing'
    assert server1.command('config-get')['arguments']['Dhcp6']['subnet6'][0]['subnet'] == '2001:db8:1::/64'


def test_hot_standby_with_backup_and_passive_backup_with_two_backups(kea_lab):
    hs = kea_lab.hot_standby(backup=True)
    pb = kea_lab.passive_backup(backups=2)
    assert [s.name for s in hs + pb] == ['server1', 'server2', 'server3', 'server4', 'server5', 'server6']
    _assert_distinct(hs + pb)
    states = kea_lab.wait_ha(hs + pb)
    assert states == {
        'server1': 'hot-standby',
        'server2': 'hot-standby',
        'server3': 'backup',
        'server4': 'passive-backup',
        'server5': 'backup',
        'server6': 'backup',
    }


def test_parameters_override_and_drop(kea_lab):
    # heartbeat-delay 500 instead of 1000: overridden, and the pair settles twice as fast.
    servers = kea_lab.load_balancing(parameters={'heartbeat-delay': 500, 'max-unacked-clients': None}, start=False)
    relationship = servers[0].config['Dhcp4']['hooks-libraries'][1]['parameters']['high-availability'][0]
    assert relationship['heartbeat-delay'] == 500
    assert 'max-unacked-clients' not in relationship
    assert not servers[0].dhcp.alive and not servers[0].ca.alive
    kea_lab.start(servers)
    kea_lab.wait_ha(servers)
    running = servers[0].command('config-get')['arguments']['Dhcp4']['hooks-libraries'][1]
    assert running['parameters']['high-availability'][0]['heartbeat-delay'] == 500
    assert running['parameters']['high-availability'][0]['max-unacked-clients'] == 10  # Kea's default


def test_tls_setup_settles_and_requires_client_certificates(kea_lab):
    servers = kea_lab.load_balancing(tls=True, auth=True, wait=True)
    server1 = servers[0]
    assert server1.ca_url.startswith('https://')
    assert server1.ca_config['Control-agent']['cert-required'] is True
    body = {'command': 'status-get', 'service': ['dhcp4']}
    with pytest.raises(httpx.ConnectError):  # the CA is not in the default trust store
        httpx.post(server1.ca_url, json=body, auth=server1.credentials)
    assert _status(server1)['ha-servers']['local']['state'] == 'load-balancing'


def test_dedicated_listener_setup(kea_lab):
    """Kea 2.2 with Kea's and HA's multi-threading on: the peers talk to each other's dedicated HA listener."""
    servers = kea_lab.load_balancing(dedicated_listener=True, wait=True)
    urls = [s.peer_url for s in servers]
    assert all(s.peer_url != s.ca_url and s.peer_url.startswith(f'http://{s.address}:') for s in servers)
    for server in servers:
        running = server.command('config-get')['arguments']['Dhcp4']
        assert running['multi-threading']['enable-multi-threading'] is True
        ha = running['hooks-libraries'][1]['parameters']['high-availability'][0]
        assert ha['multi-threading']['http-dedicated-listener'] is True
        assert [p['url'] for p in ha['peers']] == urls
        beat = httpx.post(server.peer_url, json={'command': 'ha-heartbeat'}).json()[0]
        assert (beat['result'], beat['arguments']['state']) == (0, 'load-balancing')
    assert _status(servers[0])['ha-servers']['remote']['in-touch'] is True


def test_wait_ha_timeout_names_each_state(lb_pair, kea_lab):
    with pytest.raises(LabError) as info:  # wait_ha only reads: the shared pair serves
        kea_lab.wait_ha(lb_pair, timeout=0.5, states={'server1': 'partner-down'})
    message = str(info.value)
    assert 'did not settle within 0.5 s' in message
    assert 'server1 load-balancing (want partner-down)' in message
    assert 'server2 load-balancing (want load-balancing)' in message


def test_bad_input_is_named():
    with pytest.raises(LabError, match='not in 127.0.0.0/8'):
        KeaLab(address='192.0.2.1')
    with pytest.raises(LabError, match='not an IPv4 address'):
        KeaLab(address='localhost')
    with KeaLab() as lab:
        with pytest.raises(LabError, match="unknown HA mode 'active-active'"):
            lab.ha('active-active', ['primary', 'secondary'])
        with pytest.raises(LabError, match='family must be 4 or 6'):
            lab.load_balancing(family=5)
        with pytest.raises(LabError, match="no server named 'server9'"):
            lab.server('server9')
