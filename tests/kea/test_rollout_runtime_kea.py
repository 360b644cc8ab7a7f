"""
The least-loss push against real Kea (kealab): changes Kea takes while it runs go by its own commands, HA never
restarted (Kea 3.0 with the subnet_cmds, class_cmds and host_cmds hooks); a server without them falls back to a
reload; a command Kea refuses rolls that peer back; a reload hands the peer's scope to its partner and always
hands it back (docs/push.md). Each test builds its own lab: it changes configs.
"""

import copy

import pytest

from tests.kea.test_rollout_kea import FAST, SETTLE, desired_configs, log_marks, received, running, targets
from tests.kea_fixtures import requires_kea

from kealab import COMMANDS_HOOKS
from netbox_kea_ha.kea.client import KeaClient
from netbox_kea_ha.kea.rollout import PeerOutcome, plan, rollout

pytestmark = pytest.mark.kea

NEW_SUBNET = {'id': 7, 'subnet': '198.51.100.0/24', 'pools': [{'pool': '198.51.100.10 - 198.51.100.99'}]}


def add_subnet_class_and_reservation(inner):
    inner.setdefault('subnet4', []).append(copy.deepcopy(NEW_SUBNET))
    inner.setdefault('client-classes', []).append(
        {'name': 'phones', 'test': "substring(option[60].hex,0,6) == 'Phone!'"}
    )
    inner.setdefault('reservations', []).append({'hw-address': '0a:0b:0c:0d:0e:0f', 'ip-address': '198.51.100.200'})


def ha_transitions(server, since):
    return [line for line in server.log_lines()[since:] if 'HA_STATE_TRANSITION' in line]


def reload_seconds(server):
    with KeaClient(server.endpoint()) as client:
        return client.status_get().reload


@requires_kea('3.0')
def test_a_subnet_a_class_and_a_reservation_go_at_runtime_without_restarting_ha(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST, kea='3.0', hooks=COMMANDS_HOOKS)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    desired = desired_configs(servers, add_subnet_class_and_reservation)
    marks = log_marks(servers)
    before = {s.name: reload_seconds(s) for s in servers}

    planned = plan(targets(servers, desired), runtime=True)
    assert [(p.method, p.interruption.split(':')[0]) for p in planned.peers] == [('runtime', 'none')] * 2
    assert planned.peers[0].method_detail == (
        'subnet 198.51.100.0/24 (id 7) added',
        'client class phones added',
        'reservation hw-address 0a:0b:0c:0d:0e:0f of the global reservations added',
    )
    report = rollout(targets(servers, desired), settle_timeout=SETTLE, runtime=True)

    assert report.ok, report.summary()
    assert [p.outcome for p in report.peers] == [PeerOutcome.PUSHED, PeerOutcome.PUSHED]
    for server in servers:
        inner = running(server)['Dhcp4']
        assert [s['id'] for s in inner['subnet4']] == [1, 7]
        assert [c['name'] for c in inner['client-classes']][-1] == 'phones'
        assert inner['reservations'][0]['hw-address'] == '0a:0b:0c:0d:0e:0f'
        # HA was never restarted: no config-set or config-test, no state transition, the reload clock kept going.
        assert received(server, marks[server.name], 'config-set') == 0
        assert received(server, marks[server.name], 'config-test') == 1
        assert received(server, marks[server.name], 'subnet4-add') == 1
        assert ha_transitions(server, marks[server.name]) == []
        assert reload_seconds(server) >= before[server.name]
        assert received(server, marks[server.name], 'config-write') == 1
        assert '198.51.100.0/24' in server.paths.config_file.read_text()  # written to the file it starts from
    steps = [s.name for s in report.peers[0].steps]
    assert steps[-5:] == ['subnet4-add', 'class-add', 'reservation-add', 'verify', 'config-write']
    again = rollout(targets(servers, desired), settle_timeout=SETTLE, runtime=True)
    assert [p.outcome for p in again.peers] == [PeerOutcome.UNCHANGED] * 2


@requires_kea('3.0')
def test_a_command_kea_refuses_rolls_that_peer_back_and_stops(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST, kea='3.0', hooks=COMMANDS_HOOKS)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    originals = {s.name: running(s) for s in servers}

    def good_then_bad(inner):
        inner['subnet4'].append(copy.deepcopy(NEW_SUBNET))
        # A pool outside its subnet: Kea refuses it when the subnet is added (config-test is off to get there).
        inner['subnet4'].append({'id': 8, 'subnet': '203.0.113.0/24', 'pools': [{'pool': '192.0.2.200 - 192.0.2.210'}]})

    report = rollout(
        targets(servers, desired_configs(servers, good_then_bad)),
        settle_timeout=SETTLE,
        runtime=True,
        config_test=False,
    )

    assert not report.ok
    first, second = report.peers[1], report.peers[0]  # the secondary goes first
    assert first.outcome is PeerOutcome.ROLLED_BACK and second.outcome is PeerOutcome.NOT_ATTEMPTED
    assert 'Kea refused subnet4-add (subnet 203.0.113.0/24 (id 8) added)' in first.error
    assert [s.name for s in first.steps][-3:] == ['subnet4-add', 'subnet4-add', 'undo']
    for server in servers:  # both run exactly what they ran before
        assert [s['id'] for s in running(server)['Dhcp4']['subnet4']] == [
            s['id'] for s in originals[server.name]['Dhcp4']['subnet4']
        ]
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'load-balancing', 'server2': 'load-balancing'}


def test_a_server_without_the_commands_hooks_is_reloaded(kea_lab):
    """Kea 2.2 (Debian 12) ships no subnet_cmds: the same change goes by config-set, the scope handed over."""
    servers = kea_lab.load_balancing(parameters=FAST)
    kea_lab.wait_ha(servers, timeout=SETTLE)

    def add(inner):
        inner['subnet4'].append(copy.deepcopy(NEW_SUBNET))

    desired = desired_configs(servers, add)
    planned = plan(targets(servers, desired), runtime=True, handover=True)
    assert [p.method for p in planned.peers] == ['reload', 'reload']
    assert planned.peers[1].method_detail == (
        'the server lacks subnet4-add (load the subnet_cmds, class_cmds and host_cmds hooks)',
    )
    assert planned.peers[1].interruption.startswith('one lease sync: both servers stop answering for about')
    assert 'server1 serves its scope meanwhile (handed over)' in planned.peers[1].interruption
    marks = log_marks(servers)
    report = rollout(targets(servers, desired), settle_timeout=SETTLE, runtime=True, handover=True)
    assert report.ok, report.summary()
    assert [received(s, marks[s.name], 'config-set') for s in servers] == [1, 1]
    # Each side: as the partner, handed over and back; as the peer pushed, drained and resumed.
    assert [received(s, marks[s.name], 'ha-scopes') for s in servers] == [4, 4]


def test_hot_standby_primary_hands_its_scope_to_the_standby_and_back(kea_lab):
    servers = kea_lab.hot_standby(parameters=FAST)
    kea_lab.wait_ha(servers, timeout=SETTLE)

    def longer(inner):
        inner['valid-lifetime'] = 5400

    report = rollout(targets(servers, desired_configs(servers, longer)), settle_timeout=SETTLE, handover=True)
    assert report.ok, report.summary()
    primary = report.peer('server1')
    texts = {s.name: s.text for s in primary.steps}
    assert texts['handover'].startswith('server2 serves server1')
    assert texts['handback'].startswith('server2 serves no scope')
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'hot-standby', 'server2': 'hot-standby'}
    with KeaClient(servers[1].endpoint()) as client:
        assert client.status_get().relationships[0].local.scopes == ()


def test_scopes_are_handed_back_after_a_failed_push(kea_lab):
    """A config-set Kea refuses (a hook that does not exist; config-test off to get there) on the secondary: it is
    rolled back, and the primary gives its scope back."""
    servers = kea_lab.load_balancing(parameters=FAST)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    desired = desired_configs(servers)

    def broken(name, inner):
        if name == 'server2':
            inner['hooks-libraries'].append({'library': '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_nothing.so'})
            inner['valid-lifetime'] = 5400

    desired = desired_configs(servers, change_peer=broken)
    report = rollout(
        targets(servers, desired), settle_timeout=SETTLE, handover=True, config_test=False, allow_disruptive=True
    )
    assert not report.ok
    secondary = report.peer('server2')
    assert secondary.outcome is PeerOutcome.ROLLED_BACK, report.summary()
    steps = [s.name for s in secondary.steps]
    assert steps.index('drain') < steps.index('handover') < steps.index('config-set') < steps.index('handback')
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'load-balancing', 'server2': 'load-balancing'}
    with KeaClient(servers[0].endpoint()) as client:
        assert client.status_get().relationships[0].local.scopes == ('server1',)
