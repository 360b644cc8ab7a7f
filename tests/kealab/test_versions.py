"""kealab runs Kea 2.6 and 3.0 from Debian 13 roots, alone and in HA with the host's Kea 2.2."""

import signal

import pytest

from tests.kea_fixtures import requires_kea

from kealab import KeaLab, LabError
from kealab.configs import FAST_HA_PARAMETERS
from kealab.processes import pid_alive

pytestmark = pytest.mark.kea


def _local(server):
    answer = server.command('status-get')
    assert answer['result'] == 0, answer
    return answer['arguments']['high-availability'][0]['ha-servers']['local']


@requires_kea('2.6')
def test_kea_26_pair_through_control_agents(kea_lab):
    server1, server2 = kea_lab.load_balancing(kea='2.6', auth=True, wait=True)
    assert server1.version == '2.6' and server1.ca is not None and server1.api_service == 'dhcp4'
    assert server1.command('version-get')['text'].startswith('2.6.')
    assert _local(server1)['server-name'] == 'server1'
    ha = server1.config['Dhcp4']['hooks-libraries'][1]['parameters']['high-availability'][0]
    assert ha['multi-threading'] == {'http-dedicated-listener': False}
    assert ha['peers'][1]['url'] == server2.ca_url
    # The daemons run inside the root, with paths as they see them.
    assert server1.paths.dir.is_relative_to(server1.runtime.root)
    assert server1.config['Dhcp4']['control-socket']['socket-name'].startswith('/srv/kv/')
    assert oct(server1.paths.dir.stat().st_mode & 0o777) == '0o750'


@requires_kea('3.0')
def test_kea_30_pair_on_its_own_http_control_sockets(kea_lab):
    server1, server2, server3 = kea_lab.hot_standby(kea='3.0', backup=True, auth=True, wait=True)
    assert server1.ca is None and server1.api_service is None and server1.pids['ca'] is None
    sockets = server1.config['Dhcp4']['control-sockets']
    assert [s['socket-type'] for s in sockets] == ['unix', 'http']
    assert (sockets[1]['socket-address'], sockets[1]['socket-port']) == (server1.address, server1.port)
    assert server1.command('version-get')['text'].startswith('3.0.')
    local = _local(server1)
    assert (local['state'], local['server-name']) == ('hot-standby', 'server1')
    assert 'system-time' in local
    with pytest.raises(LabError, match='has no Control Agent'):
        server1.kill_ca()


@requires_kea('3.0')
def test_kea_30_load_balancing_uses_client_classes_lists(kea_lab):
    servers = kea_lab.load_balancing(kea='3.0', family=6, wait=True)
    pools = servers[0].config['Dhcp6']['subnet6'][0]['pools']
    assert [p['client-classes'] for p in pools] == [['HA_server1'], ['HA_server2']]
    assert 'data-directory' not in servers[0].config['Dhcp6']
    running = servers[1].command('config-get')['arguments']
    assert running['Dhcp6']['subnet6'][0]['pools'][1]['client-classes'] == ['HA_server2']
    assert len(running['hash']) == 64


@requires_kea('2.6', '3.0')
def test_mixed_versions_in_one_relationship(kea_lab):
    servers = kea_lab.load_balancing(backup=True, kea=['2.2', '3.0', '2.6'], wait=True)
    assert [s.command('version-get')['text'][:3] for s in servers] == ['2.2', '3.0', '2.6']
    assert [s.name for s in servers] == ['server1', 'server2', 'server3']


@requires_kea('2.6')
def test_hub_and_spoke(hub_spoke):
    hub, branch2, branch3 = hub_spoke
    assert (hub.role, branch2.role, branch3.role) == ('standby', 'primary', 'primary')
    assert [r.this_server_name for r in hub.relationships] == ['server1-server2', 'server1-server3']
    assert {p.url for r in hub.relationships for p in r.peers if p.role == 'standby'} == {hub.peer_url}
    subnets = hub.config['Dhcp4']['subnet4']
    assert [s['user-context']['ha-server-name'] for s in subnets] == ['server1-server2', 'server1-server3']
    entries = hub.command('status-get')['arguments']['high-availability']
    assert [
        (
            e['ha-servers']['local']['server-name'],
            e['ha-servers']['local']['state'],
            e['ha-servers']['remote']['server-name'],
        )
        for e in entries
    ] == [('server1-server2', 'hot-standby', 'server2'), ('server1-server3', 'hot-standby', 'server3')]
    assert hub.ha_states() == ['hot-standby', 'hot-standby']
    remote = _status_remote(branch3)
    assert (remote['server-name'], remote['last-state']) == ('server1-server3', 'hot-standby')


def _status_remote(server):
    answer = server.command('status-get')
    assert answer['result'] == 0, answer
    (entry,) = answer['arguments']['high-availability']
    return entry['ha-servers']['remote']


def test_hub_and_spoke_needs_kea_2_6():
    with KeaLab() as lab, pytest.raises(LabError, match='hub-and-spoke needs Kea 2.6 or later'):
        lab.hub_and_spoke()


@requires_kea('3.0')
def test_kill_and_restart_in_a_root_and_cleanup():
    with KeaLab() as lab:
        server1, server2 = lab.load_balancing(kea='3.0', parameters=FAST_HA_PARAMETERS, wait=True)
        old = server2.pids['dhcp']
        server2.kill_dhcp(signal.SIGKILL)
        assert not pid_alive(old)
        lab.wait_ha([server1], states={'server1': 'partner-down'})
        server2.start_dhcp()
        lab.wait_ha([server1, server2])
        pids = [server1.pids['dhcp'], server2.pids['dhcp']]
        directories = [server1.paths.dir, server2.paths.dir]
        assert (lab.workdir / 'server1').resolve() == server1.paths.dir
    assert not [p for p in pids if pid_alive(p)]
    assert not [d for d in directories if d.exists()]


def test_unknown_version_is_named():
    with pytest.raises(LabError, match="Kea version '2.4' is not available; choose one of 2.2, 2.6, 3.0"):
        KeaLab(kea='2.4')
    with KeaLab() as lab, pytest.raises(LabError, match="Kea version '9.9' is not available"):
        lab.load_balancing(kea='9.9')
