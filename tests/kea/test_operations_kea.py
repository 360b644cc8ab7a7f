"""
HA operations against real Kea (kealab): maintenance and the return from it, lease resync, scopes, continue and
reset, each round trip with the HA states read back; every refusal (nothing sent: the servers' logs say which
commands they received); an unreachable peer. Kea 2.2 pairs, a Kea 3.0 pair, and a Kea 2.6 hub, where
`ha-maintenance-start` acts on every relationship of the server that receives it.

Each test that changes a server builds its own lab; `lb_pair` is only read.
"""

import pytest

from tests.kea.test_rollout_kea import FAST, SETTLE, log_marks, received
from tests.kea_fixtures import requires_kea

from netbox_kea_ha.kea.client import KeaClient
from netbox_kea_ha.kea.operations import Operation, OperationPeer, Options, operate

pytestmark = pytest.mark.kea

#: The HA commands that change state: none of them may reach a server when an operation is refused.
CHANGING = ('ha-maintenance-start', 'ha-maintenance-cancel', 'ha-sync', 'ha-scopes', 'ha-continue', 'ha-reset')


def peers_of(servers, names=None):
    """The operation's view of a kealab relationship (`names`: a hub's name in it, by server)."""
    names = names or {}
    return [OperationPeer(names.get(s.name, s.name), s.role, f'lab-{s.name}') for s in servers]


def run(operation, name, servers, *, names=None, mode=None, endpoints=None, **options):
    names = names or {}
    if endpoints is None:
        endpoints = {names.get(s.name, s.name): s.endpoint() for s in servers}
    return operate(
        operation,
        name,
        peers_of(servers, names),
        endpoints,
        mode or servers[-1].mode,
        Options(**options),
        settle_timeout=SETTLE,
    )


def changing(servers, marks):
    """How many state-changing HA commands each server received since `marks`."""
    return {s.name: sum(received(s, marks[s.name], c) for c in CHANGING) for s in servers}


def commands_since(server, mark):
    return [line for line in server.log_lines()[mark:] if 'Received command' in line]


def scopes(server, index=0):
    with KeaClient(server.endpoint()) as client:
        return sorted(client.status_get().relationships[index].local.scopes)


def test_maintenance_and_return_in_a_load_balancing_pair(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST)
    server1, server2 = servers
    kea_lab.wait_ha(servers, timeout=SETTLE)
    marks = log_marks(servers)

    report = run(Operation.MAINTENANCE_START, 'server2', servers)

    assert report.ok, report.summary()
    assert report.receiver == 'server1'
    assert report.states == {'server2': 'in-maintenance', 'server1': 'partner-in-maintenance'}
    assert (received(server1, marks['server1'], 'ha-maintenance-start'), changing([server2], marks)) == (
        1,
        {'server2': 0},
    )
    assert scopes(server1) == ['server1', 'server2']  # the partner serves everyone
    assert 'lab-server1 (server1) answers all clients' in report.interruption

    # While in maintenance, what would be unsafe or pointless is refused, and nothing is sent.
    marks = log_marks(servers)
    refusals = {
        'again': run(Operation.MAINTENANCE_START, 'server2', servers),
        'the partner too': run(Operation.MAINTENANCE_START, 'server1', servers),
        'reset': run(Operation.RESET, 'server2', servers),
        'scopes': run(Operation.SCOPES, 'server1', servers, scopes='partner'),
    }
    assert refusals['again'].refused == 'lab-server2 (server2) is already in maintenance'
    assert 'serving in place of lab-server2 (server2), which is in maintenance' in refusals['the partner too'].refused
    assert 'return from maintenance' in refusals['reset'].refused
    assert 'scopes can be set in load-balancing only' in refusals['scopes'].refused
    assert not any(r.sent for r in refusals.values())
    assert changing(servers, marks) == {'server1': 0, 'server2': 0}

    back = run(Operation.MAINTENANCE_CANCEL, 'server2', servers)

    assert back.ok, back.summary()
    assert back.cancels >= 1
    assert received(server1, marks['server1'], 'ha-maintenance-cancel') == back.cancels
    assert back.states == {'server2': 'load-balancing', 'server1': 'load-balancing'}
    assert scopes(server1) == ['server1'] and scopes(server2) == ['server2']
    again = run(Operation.MAINTENANCE_CANCEL, 'server2', servers)
    assert again.refused == 'lab-server2 (server2) is not in maintenance (it is in load-balancing)'


def test_maintenance_of_the_hot_standby_primary(kea_lab):
    servers = kea_lab.hot_standby(parameters=FAST)
    primary, standby = servers
    kea_lab.wait_ha(servers, timeout=SETTLE)

    report = run(Operation.MAINTENANCE_START, 'server1', servers)

    assert report.ok, report.summary()
    assert report.states == {'server1': 'in-maintenance', 'server2': 'partner-in-maintenance'}
    assert scopes(standby) == ['server1']  # the standby serves the primary's scope
    back = run(Operation.MAINTENANCE_CANCEL, 'server1', servers)
    assert back.ok, back.summary()
    assert back.states == {'server1': 'hot-standby', 'server2': 'hot-standby'}
    assert (scopes(primary), scopes(standby)) == (['server1'], [])


def test_resync_pulls_the_leases_a_peer_missed(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST)
    server1, server2 = servers
    kea_lab.wait_ha(servers, timeout=SETTLE)
    # Leases added with lease commands are not replicated to the partner (kea-2.2-observed.md).
    lease = {'ip-address': '192.0.2.50', 'hw-address': '0a:00:00:00:00:50', 'subnet-id': 1}
    assert server1.command('lease4-add', lease)['result'] == 0
    assert server2.command('lease4-get', {'ip-address': '192.0.2.50'})['result'] == 3
    marks = log_marks(servers)

    report = run(Operation.SYNC, 'server2', servers, max_period=20)

    assert report.ok, report.summary()
    pulled = server2.command('lease4-get', {'ip-address': '192.0.2.50'})
    assert pulled['arguments']['hw-address'] == lease['hw-address']
    assert received(server2, marks['server2'], 'ha-sync') == 1
    assert received(server1, marks['server1'], 'dhcp-disable') == 1  # the source was paused for the pull
    assert report.states == {'server2': 'load-balancing', 'server1': 'load-balancing'}
    assert 'lab-server1 (server1) answers no DHCP query while' in report.interruption


def test_scopes_a_load_balancing_server_takes_its_partners_and_gives_it_back(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST)
    server1, server2 = servers
    kea_lab.wait_ha(servers, timeout=SETTLE)

    took = run(Operation.SCOPES, 'server1', servers, scopes='partner')

    assert took.ok, took.summary()
    assert scopes(server1) == ['server1', 'server2'] and scopes(server2) == ['server2']
    marks = log_marks(servers)
    again = run(Operation.SCOPES, 'server1', servers, scopes='partner')
    assert again.refused == 'lab-server1 (server1) already serves server1, server2' and not again.sent
    assert changing(servers, marks) == {'server1': 0, 'server2': 0}

    back = run(Operation.SCOPES, 'server1', servers, scopes='own')

    assert back.ok, back.summary()
    assert scopes(server1) == ['server1']


def test_continue_lets_a_paused_state_machine_go_on(kea_lab):
    paused = {**FAST, 'state-machine': {'states': [{'state': 'waiting', 'pause': 'always'}]}}
    servers = kea_lab.load_balancing(parameters=paused)
    waiting = {'server1': 'waiting', 'server2': 'waiting'}
    assert kea_lab.wait_ha(servers, timeout=SETTLE, states=waiting) == waiting

    first = run(Operation.CONTINUE, 'server1', servers)

    assert first.ok, first.summary()
    assert first.states['server1'] != 'waiting'
    second = run(Operation.CONTINUE, 'server2', servers)
    assert second.ok, second.summary()
    kea_lab.wait_ha(servers, timeout=SETTLE)
    marks = log_marks(servers)
    refused = run(Operation.CONTINUE, 'server1', servers)
    assert refused.refused == (
        'nothing is paused: lab-server1 (server1) is in load-balancing, and its state machine pauses only in '
        'waiting (always)'
    )
    assert changing(servers, marks) == {'server1': 0, 'server2': 0}


def test_refusals_while_a_restarted_peer_waits_and_its_partner_is_in_partner_down(kea_lab):
    """server2 dies, server1 goes partner-down; server2 comes back and its state machine pauses in waiting. Every
    operation that would be unsafe or pointless in those states is refused with the reason, and nothing is sent;
    then continue lets server2 go on and the pair returns to load-balancing."""
    paused = {**FAST, 'state-machine': {'states': [{'state': 'waiting', 'pause': 'always'}]}}
    servers = kea_lab.load_balancing(parameters=paused)
    server1, server2 = servers
    kea_lab.wait_ha(servers, timeout=SETTLE, states={'server1': 'waiting', 'server2': 'waiting'})
    assert run(Operation.CONTINUE, 'server1', servers).ok
    assert run(Operation.CONTINUE, 'server2', servers).ok
    kea_lab.wait_ha(servers, timeout=SETTLE)
    server2.kill_dhcp()
    kea_lab.wait_ha([server1], timeout=SETTLE, states={'server1': 'partner-down'})
    server2.start_dhcp()
    kea_lab.wait_ha([server2], timeout=SETTLE, states={'server2': 'waiting'})
    marks = log_marks(servers)

    refusals = {
        'maintenance of the survivor': run(Operation.MAINTENANCE_START, 'server1', servers),
        'maintenance of the restarted': run(Operation.MAINTENANCE_START, 'server2', servers),
        'return from no maintenance': run(Operation.MAINTENANCE_CANCEL, 'server2', servers),
        'resync from a starting source': run(Operation.SYNC, 'server1', servers),
        'scopes out of the normal state': run(Operation.SCOPES, 'server1', servers, scopes='own'),
        'continue where nothing pauses': run(Operation.CONTINUE, 'server1', servers),
        'reset of a waiting server': run(Operation.RESET, 'server2', servers),
    }

    assert {name: report.refused for name, report in refusals.items()} == {
        'maintenance of the survivor': 'lab-server1 (server1) sees its partner lab-server2 (server2) as down '
        '(partner-down): lab-server2 (server2) cannot take over its clients',
        'maintenance of the restarted': 'lab-server1 (server1) is in partner-down: it has lost touch with '
        'lab-server2 (server2), and a maintenance needs both to talk',
        'return from no maintenance': 'lab-server2 (server2) is not in maintenance (it is in waiting)',
        'resync from a starting source': 'lab-server2 (server2) is in waiting: it is still starting, and its leases '
        'may not be complete',
        'scopes out of the normal state': 'lab-server1 (server1) is in partner-down: scopes can be set in '
        'load-balancing only (Kea sets the scopes of each state itself, and any state change resets them)',
        'continue where nothing pauses': 'nothing is paused: lab-server1 (server1) is in partner-down, and its state '
        'machine pauses only in waiting (always)',
        'reset of a waiting server': 'lab-server2 (server2) is already waiting: a reset would change nothing',
    }
    assert not any(report.sent for report in refusals.values())
    assert changing(servers, marks) == {'server1': 0, 'server2': 0}

    resumed = run(Operation.CONTINUE, 'server2', servers)

    assert resumed.ok, resumed.summary()
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'load-balancing', 'server2': 'load-balancing'}


def test_continue_when_nothing_is_paused_is_refused(lb_pair):
    marks = log_marks(lb_pair)
    report = run(Operation.CONTINUE, 'server1', lb_pair)
    assert report.refused == (
        'nothing is paused: the state machine of lab-server1 (server1) pauses in no state (no state-machine pause)'
    )
    assert changing(lb_pair, marks) == {'server1': 0, 'server2': 0}


def test_reset_sends_a_server_back_to_waiting_and_it_returns(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST)
    server1, server2 = servers
    kea_lab.wait_ha(servers, timeout=SETTLE)
    marks = log_marks(servers)

    report = run(Operation.RESET, 'server2', servers)

    assert report.ok, report.summary()
    assert received(server2, marks['server2'], 'ha-reset') == 1
    went = [line for line in server2.log_lines()[marks['server2'] :] if 'HA_STATE_TRANSITION' in line]
    assert any('to WAITING' in line for line in went), went
    assert report.states == {'server2': 'load-balancing', 'server1': 'load-balancing'}


def test_an_unreachable_peer_fails_and_the_others_hear_nothing(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST)
    server1, server2 = servers
    kea_lab.wait_ha(servers, timeout=SETTLE)
    server2.stop()
    marks = log_marks([server1])

    down = run(Operation.MAINTENANCE_START, 'server2', servers)

    assert not down.ok and not down.sent and down.refused is None
    assert down.error.startswith('lab-server2 (server2) cannot be reached: status-get at http://')
    assert down.error.endswith('nothing was sent to any peer')
    assert commands_since(server1, marks['server1']) == []  # not even a status-get
    endpoints = {'server1': server1.endpoint(), 'server2': 'no host'}
    no_endpoint = run(Operation.RESET, 'server2', servers, endpoints=endpoints)
    assert no_endpoint.error == 'lab-server2 (server2) cannot be reached: no host; nothing was sent to any peer'

    # The partner that would take over (or the source of a resync) must answer too.
    partner_down = run(Operation.MAINTENANCE_START, 'server1', servers)
    assert partner_down.refused.startswith('its partner lab-server2 (server2) cannot be reached (status-get at')
    assert partner_down.refused.endswith('nobody would serve the clients of lab-server1 (server1)')
    source_down = run(Operation.SYNC, 'server1', servers)
    assert source_down.refused.startswith('the source lab-server2 (server2) cannot be reached')
    assert changing([server1], marks) == {'server1': 0}


@requires_kea('3.0')
def test_maintenance_and_scopes_on_kea_3_0(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST, kea='3.0')
    server1, server2 = servers
    kea_lab.wait_ha(servers, timeout=SETTLE)

    report = run(Operation.MAINTENANCE_START, 'server1', servers)
    assert report.ok, report.summary()
    assert report.states == {'server1': 'in-maintenance', 'server2': 'partner-in-maintenance'}
    back = run(Operation.MAINTENANCE_CANCEL, 'server1', servers)
    assert back.ok, back.summary()
    assert back.states == {'server1': 'load-balancing', 'server2': 'load-balancing'}

    # Kea 3.0 reports names, so the commands name the relationship (server-name).
    took = run(Operation.SCOPES, 'server2', servers, scopes='partner')
    assert took.ok, took.summary()
    assert scopes(server2) == ['server1', 'server2']
    assert run(Operation.SCOPES, 'server2', servers, scopes='own').ok
    assert scopes(server2) == ['server2']


@requires_kea('2.6')
def test_on_a_hub_maintenance_stays_in_its_relationship(kea_lab):
    hub, branch2, branch3 = kea_lab.hub_and_spoke(parameters=FAST, kea='2.6')
    kea_lab.wait_ha([hub, branch2, branch3], timeout=SETTLE)
    pair = [branch2, hub]  # relationship 1: server2 primary, the hub (server1-server2) standby
    names = {'server1': 'server1-server2'}
    marks = log_marks([hub, branch2, branch3])

    # Maintenance of the branch would go to the hub, and Kea's ha-maintenance-start acts on every relationship there.
    refused = run(Operation.MAINTENANCE_START, 'server2', pair, names=names, mode='hot-standby')
    assert refused.refused.startswith('lab-server1 (server1-server2) is in 2 HA relationships (a hub)')
    assert changing([hub, branch2, branch3], marks) == {'server1': 0, 'server2': 0, 'server3': 0}

    # Maintenance of the hub's peer goes to the branch: only this relationship of the hub is in maintenance.
    report = run(Operation.MAINTENANCE_START, 'server1-server2', pair, names=names, mode='hot-standby')
    assert report.ok, report.summary()
    assert hub.ha_states() == ['in-maintenance', 'hot-standby']
    assert (branch2.ha_state(), branch3.ha_state()) == ('partner-in-maintenance', 'hot-standby')
    back = run(Operation.MAINTENANCE_CANCEL, 'server1-server2', pair, names=names, mode='hot-standby')
    assert back.ok, back.summary()
    assert hub.ha_states() == ['hot-standby', 'hot-standby']

    # Scopes with server-name: the hub takes the branch's scope in that relationship only.
    took = run(Operation.SCOPES, 'server1-server2', pair, names=names, mode='hot-standby', scopes='partner')
    assert took.ok, took.summary()
    assert (scopes(hub, 0), scopes(hub, 1)) == (['server2'], [])
    assert run(Operation.SCOPES, 'server1-server2', pair, names=names, mode='hot-standby', scopes='own').ok
    assert scopes(hub, 0) == []
