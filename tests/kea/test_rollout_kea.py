"""The safe rolling push against real Kea 2.2 pairs and trios (kealab), faults included, and against real Kea 2.6.3
and 3.0.3 pairs (kealab's Debian roots).

Each test builds its own lab (it changes configs and kills processes). Desired configs are built the way the
plugin builds them: each peer's running config (compacted by `normalise`, so that an edited global timer reaches
the subnets that inherit it), the primary's shared parts, and the peer's own HA and lease_cmds entries.
"""

import copy
import os
import shutil

import pytest

from tests.kea_fixtures import requires_kea

from kealab.configs import FAST_HA_PARAMETERS
from netbox_kea_ha.kea.client import KeaClient
from netbox_kea_ha.kea.diff import diff_configs
from netbox_kea_ha.kea.normalise import normalise
from netbox_kea_ha.kea.replicate import build_peer_config, split_config
from netbox_kea_ha.kea.rollout import PeerOutcome, Target, plan, rollout

pytestmark = pytest.mark.kea

#: HA timers half the recipe's: the pushes settle sooner (the procedure does not depend on the values).
FAST = FAST_HA_PARAMETERS
#: Generous: the machine's two cores are shared (observed: 1-4 s).
SETTLE = 30.0
NEW_SUBNET = {'id': 2, 'subnet': '198.51.100.0/24', 'pools': [{'pool': '198.51.100.10 - 198.51.100.99'}]}


def running(server):
    with KeaClient(server.endpoint()) as client:
        return client.config_get().config


def compact(server):
    """The server's running config in compact form, for its own Kea version (the compact form of a 2.6 config
    read with 2.2's defaults would drop `http-dedicated-listener: false`, a 2.2 default but not a 2.6 one)."""
    with KeaClient(server.endpoint()) as client:
        return normalise(client.config_get().config, version=client.version_get().version)


def desired_configs(servers, change_shared=None, change_peer=None):
    """Every server's desired config: the primary's (changed) shared parts, each peer's own rest and hooks."""
    configs = {s.name: compact(s) for s in servers}
    primary = copy.deepcopy(configs[servers[0].name])
    if change_shared:
        change_shared(primary[next(iter(primary))])
    out = {}
    for server in servers:
        own = copy.deepcopy(configs[server.name])
        if change_peer:
            change_peer(server.name, own[next(iter(own))])
        hooks = list(split_config(own).rendered_hooks)
        out[server.name] = build_peer_config(own, hooks, primary=primary)
    return out


def targets(servers, desired):
    return [Target(s.name, s.endpoint(), desired[s.name]) for s in servers]


def received(server, since, command):
    """How many times the server logged receiving `command` after log line `since`."""
    return sum(f"Received command '{command}'" in line for line in server.log_lines()[since:])


def log_marks(servers):
    return {s.name: len(s.log_lines()) for s in servers}


def ha_of(config):
    inner = config[next(iter(config))]
    for hook in inner['hooks-libraries']:
        if hook['library'].endswith('libdhcp_ha.so'):
            return hook['parameters']['high-availability'][0]
    raise AssertionError('no HA hook')


def add_timer_and_subnet(inner):
    inner['renew-timer'] = 1000
    inner['subnet4'].append(NEW_SUBNET)


def assert_runs_timer_and_subnet(server):
    config = running(server)['Dhcp4']
    subnets = {s['subnet']: s for s in config['subnet4']}
    assert config['renew-timer'] == 1000
    assert subnets['192.0.2.0/24']['renew-timer'] == 1000, 'the subnet inherits the new global timer'
    assert subnets['198.51.100.0/24']['pools'] == [{'option-data': [], 'pool': '198.51.100.10-198.51.100.99'}]


def handover_push(servers, progress):
    """The timer and subnet change pushed with the scope handover, `progress` watching."""
    desired = desired_configs(servers, add_timer_and_subnet)
    return rollout(targets(servers, desired), settle_timeout=SETTLE, handover=True, progress=progress)


def test_timer_and_subnet_change_reach_both_peers(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    events = []
    report = rollout(
        targets(servers, desired_configs(servers, add_timer_and_subnet)), progress=events.append, settle_timeout=SETTLE
    )
    assert report.ok, report.summary()
    assert [p.outcome for p in report.peers] == [PeerOutcome.PUSHED, PeerOutcome.PUSHED]
    # The secondary first, the primary last; each one settled before the next was touched.
    sets = [(e.peer, e.state) for e in events if e.step in ('config-set', 'settle') and e.state != 'start']
    assert sets == [('server2', 'ok'), ('server2', 'ok'), ('server1', 'ok'), ('server1', 'ok')]
    for server in servers:
        assert_runs_timer_and_subnet(server)
        # config-write: the file the server restarts from holds the new config too.
        assert server.read_config_file()['Dhcp4']['renew-timer'] == 1000
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'load-balancing', 'server2': 'load-balancing'}
    # The change itself is in the report, path by path.
    paths = {c.path for c in report.peer('server1').changes}
    assert paths == {'Dhcp4.renew-timer', 'Dhcp4.subnet4[198.51.100.0/24]'}
    assert '+    "renew-timer": 1000' in report.peer('server1').diff_text


def test_timer_change_with_a_backup_goes_backup_first(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST, backup=True)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    events = []
    report = rollout(
        targets(servers, desired_configs(servers, add_timer_and_subnet)), progress=events.append, settle_timeout=SETTLE
    )
    assert report.ok, report.summary()
    order = [e.peer for e in events if e.step == 'config-set' and e.state == 'ok']
    assert order == ['server3', 'server2', 'server1']
    for server in servers:
        assert_runs_timer_and_subnet(server)
    states = kea_lab.wait_ha(servers, timeout=SETTLE)
    assert states == {'server1': 'load-balancing', 'server2': 'load-balancing', 'server3': 'backup'}


def test_hot_standby_pair_push(kea_lab):
    servers = kea_lab.hot_standby(parameters=FAST)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    report = rollout(targets(servers, desired_configs(servers, add_timer_and_subnet)), settle_timeout=SETTLE)
    assert report.ok, report.summary()
    assert [p.role for p in report.peers] == ['primary', 'standby']
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'hot-standby', 'server2': 'hot-standby'}


def test_a_peer_whose_config_does_not_differ_gets_no_config_set(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    server1, server2 = servers

    # Only server2's own (per-server) part changes.
    def tag_server2(name, inner):
        if name == 'server2':
            inner['server-tag'] = 'second'

    desired = desired_configs(servers, change_peer=tag_server2)
    marks = log_marks(servers)
    report = rollout(targets(servers, desired), settle_timeout=SETTLE)
    assert report.ok, report.summary()
    assert report.peer('server1').outcome is PeerOutcome.UNCHANGED
    assert report.peer('server2').outcome is PeerOutcome.PUSHED
    assert [c.path for c in report.peer('server2').changes] == ['Dhcp4.server-tag']
    # server1 was never sent a config-test or config-set: its log says so, and it still runs the configuration it
    # was started with (`reload`, the whole seconds since its last configuration, is its `uptime`, give or take the
    # rounding). server2's log shows the config-set, and it runs the new tag. (Its own `reload` cannot tell: the set
    # may come within a second of its start.)
    assert received(server1, marks['server1'], 'config-set') == 0
    assert received(server1, marks['server1'], 'config-test') == 0
    assert received(server1, marks['server1'], 'config-get') == 1
    assert received(server2, marks['server2'], 'config-set') == 1
    with KeaClient(server1.endpoint()) as client:
        status = client.status_get()
    assert status.uptime - status.reload <= 1, (status.uptime, status.reload)
    assert running(server2)['Dhcp4']['server-tag'] == 'second'

    # Pushing the same again sends nothing to anyone.
    desired = desired_configs(servers)
    marks = log_marks(servers)
    again = rollout(targets(servers, desired), settle_timeout=SETTLE)
    assert again.ok and not again.changed
    assert [p.outcome for p in again.peers] == [PeerOutcome.UNCHANGED, PeerOutcome.UNCHANGED]
    assert again.summary().startswith('nothing to push')
    for server in servers:
        assert received(server, marks[server.name], 'config-set') == 0


def test_validation_stops_a_config_kea_would_reject_before_anything_is_sent(lb_pair):
    servers = lb_pair  # the shared pair: this rollout must not send it anything (and the test says if it did)
    desired = desired_configs(servers, add_timer_and_subnet)
    ha_of(desired['server2'])['this-server-name'] = 'server9'
    marks = log_marks(servers)
    report = rollout(targets(servers, desired), settle_timeout=SETTLE)
    assert not report.ok
    assert "no peer configuration specified for the 'server9'" in report.refused
    assert [p.outcome for p in report.peers] == [PeerOutcome.NOT_ATTEMPTED, PeerOutcome.NOT_ATTEMPTED]
    for server in servers:
        lines = server.log_lines()[marks[server.name] :]
        assert not any('Received command' in line for line in lines), lines


@pytest.mark.parametrize('handover', [False, True], ids=['rolling', 'with-handover'])
def test_a_config_that_breaks_the_hooks_at_load_is_rolled_back(kea_lab, handover):
    """TLS files missing on the Kea host: our validation cannot see it and config-test passes, but Kea's HA load
    fails and leaves the server without hooks. The rollout sees it in list-commands and sets the old config back."""
    servers = kea_lab.load_balancing(parameters=FAST)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    server1, server2 = servers

    def missing_tls_files(inner):
        add_timer_and_subnet(inner)

    desired = desired_configs(servers, missing_tls_files)
    for config in desired.values():
        ha_of(config).update(
            {
                'trust-anchor': '/nonexistent/ca.pem',
                'cert-file': '/nonexistent/cert.pem',
                'key-file': '/nonexistent/key.pem',
            }
        )
    before = running(server2)
    marks = log_marks(servers)
    report = rollout(targets(servers, desired), settle_timeout=SETTLE, handover=handover)
    assert not report.ok
    peer2 = report.peer('server2')
    assert peer2.outcome is PeerOutcome.ROLLED_BACK
    assert 'One or more hook libraries failed to load' in peer2.error
    steps = ['config-get', 'diff', 'method', 'config-test', 'config-set', 'rollback', 'hooks', 'settle']
    if handover:
        # server1 served both scopes meanwhile, and gave server2's back once server2 had recovered.
        steps = [*steps[:4], 'drain', 'handover', 'config-set', 'rollback', 'hold', 'hooks', 'serving', 'handback']
        steps += ['release', 'settle', 'resume']
    assert [s.name for s in peer2.steps] == steps
    assert all(s.ok for s in peer2.steps if s.name != 'config-set')
    assert report.peer('server1').outcome is PeerOutcome.NOT_ATTEMPTED
    assert received(server1, marks['server1'], 'config-set') == 0
    assert 'stopped: server2: config-set failed' in report.summary()
    with KeaClient(server2.endpoint()) as client:
        assert 'ha-heartbeat' in client.list_commands()
    assert diff_configs(before, running(server2)).empty
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'load-balancing', 'server2': 'load-balancing'}


def test_dhcp_server_killed_in_the_middle(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    server1, server2 = servers

    def kill_primary_before_its_turn(event):
        if event.peer == 'server1' and event.step == 'config-set' and event.state == 'start':
            server1.kill_dhcp()

    report = rollout(
        targets(servers, desired_configs(servers, add_timer_and_subnet)),
        progress=kill_primary_before_its_turn,
        settle_timeout=SETTLE,
    )
    assert not report.ok
    assert report.peer('server2').outcome is PeerOutcome.PUSHED
    peer1 = report.peer('server1')
    assert peer1.outcome is PeerOutcome.FAILED
    assert 'config-set failed' in peer1.error and 'offline' in peer1.error
    assert [(s.name, s.ok) for s in peer1.steps][-2:] == [('config-set', False), ('rollback', False)]
    # The reachable server runs a working config (the new one), with its hooks.
    assert_runs_timer_and_subnet(server2)
    with KeaClient(server2.endpoint()) as client:
        assert 'ha-heartbeat' in client.list_commands()
    # Restarted, server1 runs what its file holds (the old config) and HA recovers.
    server1.start_dhcp()
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'load-balancing', 'server2': 'load-balancing'}
    assert 'renew-timer' in running(server1)['Dhcp4'] and running(server1)['Dhcp4']['renew-timer'] == 900


def test_control_agent_killed_in_the_middle(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    server1, server2 = servers
    marks = log_marks(servers)

    def kill_ca_while_settling(event):
        if event.peer == 'server2' and event.step == 'settle' and event.state == 'start':
            server2.kill_ca()

    report = rollout(
        targets(servers, desired_configs(servers, add_timer_and_subnet)),
        progress=kill_ca_while_settling,
        settle_timeout=3.0,  # any bound proves it: the Control Agent is gone until the test restarts it
    )
    assert not report.ok
    peer2 = report.peer('server2')
    assert peer2.outcome is PeerOutcome.FAILED
    assert [(s.name, s.ok) for s in peer2.steps][-4:] == [
        ('config-set', True),
        ('hooks', True),
        ('settle', False),
        ('rollback', False),
    ]
    assert 'status-get failed' in peer2.steps[-2].text
    assert report.peer('server1').outcome is PeerOutcome.NOT_ATTEMPTED
    assert received(server1, marks['server1'], 'config-set') == 0
    # server1 is reachable and still runs its (old, working) config.
    with KeaClient(server1.endpoint()) as client:
        assert 'ha-heartbeat' in client.list_commands()
    assert running(server1)['Dhcp4']['renew-timer'] == 900
    server2.start_ca()
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'load-balancing', 'server2': 'load-balancing'}


@pytest.mark.parametrize('handover', [False, True], ids=['rolling', 'handover'])
def test_config_write_failure_rolls_back(kea_lab, handover):
    """Kea cannot write its config file (here: a directory stands where the file was). With the handover, the
    failure comes after the partner handed the scope back: it takes it again for the rollback's reload, and hands
    it back once the peer is out of syncing."""
    servers = kea_lab.load_balancing(parameters=FAST)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    server1, server2 = servers
    saved = server2.paths.config_file.read_bytes()
    server2.paths.config_file.unlink()
    os.mkdir(server2.paths.config_file)
    partner_scopes = {}

    def at_rollback(event):
        if event.peer == 'server2' and event.step == 'rollback' and event.state == 'start':
            with KeaClient(server1.endpoint()) as client:
                partner_scopes['rollback'] = client.status_get().ha.local.scopes

    try:
        report = rollout(
            targets(servers, desired_configs(servers, add_timer_and_subnet)),
            settle_timeout=SETTLE,
            handover=handover,
            progress=at_rollback,
        )
    finally:
        shutil.rmtree(server2.paths.config_file)
        server2.paths.config_file.write_bytes(saved)
    peer2 = report.peer('server2')
    assert peer2.outcome is PeerOutcome.ROLLED_BACK
    assert 'config-write failed' in peer2.error and 'Unable to open file' in peer2.error
    assert report.peer('server1').outcome is PeerOutcome.NOT_ATTEMPTED
    assert running(server2)['Dhcp4']['renew-timer'] == 900
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'load-balancing', 'server2': 'load-balancing'}
    if handover:
        steps = [s.name for s in peer2.steps][4:]
        held = ['hold', 'hooks', 'serving', 'handback', 'release', 'settle']
        rollback = ['handover', 'rollback', *held, 'resume']
        assert steps == ['drain', 'handover', 'config-set', *held, 'config-write', *rollback]
        assert sorted(partner_scopes['rollback']) == ['server1', 'server2']
        with KeaClient(server1.endpoint()) as client:
            assert client.status_get().ha.local.scopes == ('server1',)


def test_unhealthy_relationship_is_refused_unless_forced(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    server1, server2 = servers
    desired = desired_configs(servers, add_timer_and_subnet)
    server2.kill_dhcp()
    kea_lab.wait_ha([server1], timeout=SETTLE, states={'server1': 'partner-down'})
    marks = log_marks([server1])
    report = rollout(targets([server1], {'server1': desired['server1']}), settle_timeout=SETTLE)
    assert 'the relationship is not healthy: server1: HA state is partner-down, not load-balancing' in report.refused
    assert received(server1, marks['server1'], 'config-set') == 0
    # Forced, the reachable peer takes it and settles back in partner-down (its partner is still gone).
    report = rollout(targets(servers, desired), force=True, settle_timeout=SETTLE)
    assert report.peer('server2').outcome is PeerOutcome.FAILED
    assert 'cannot be read' in report.peer('server2').error
    peer1 = report.peer('server1')
    assert peer1.outcome is PeerOutcome.PUSHED, report.summary()
    assert [(s.name, s.ok) for s in peer1.steps][-4:] == [
        ('config-set', True),
        ('hooks', True),
        ('settle', True),
        ('config-write', True),
    ]
    assert peer1.steps[-2].text == 'partner-down' and peer1.state == 'partner-down'
    assert_runs_timer_and_subnet(server1)
    assert received(server1, marks['server1'], 'config-set') == 1
    # The partner comes back (on its old config: the change does not disrupt HA) and the pair recovers.
    server2.start_dhcp()
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'load-balancing', 'server2': 'load-balancing'}


def test_disruptive_change_needs_the_flag(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST)
    kea_lab.wait_ha(servers, timeout=SETTLE)

    def to_hot_standby(name, inner):
        ha = ha_of({'Dhcp4': inner})
        ha['mode'] = 'hot-standby'
        for peer in ha['peers']:
            if peer['role'] == 'secondary':
                peer['role'] = 'standby'

    desired = desired_configs(servers, change_peer=to_hot_standby)
    marks = log_marks(servers)
    report = rollout(targets(servers, desired), settle_timeout=SETTLE)
    assert 'server1: mode load-balancing -> hot-standby' in report.refused
    assert 'role of server2 secondary -> standby' in report.refused
    assert 'allow_disruptive' in report.refused
    for server in servers:
        assert received(server, marks[server.name], 'config-set') == 0
    report = rollout(targets(servers, desired), allow_disruptive=True, settle_timeout=SETTLE)
    assert report.ok, report.summary()
    assert report.disruptive
    hot_standby = {'server1': 'hot-standby', 'server2': 'hot-standby'}
    assert kea_lab.wait_ha(servers, timeout=SETTLE, states=hot_standby) == hot_standby
    assert [ha_of(running(s))['mode'] for s in servers] == ['hot-standby', 'hot-standby']


def test_plan_sends_nothing_and_shows_the_diff(lb_pair):
    servers = lb_pair  # the shared pair: a plan only reads (and the test says if it did more)
    desired = desired_configs(servers, add_timer_and_subnet)
    marks = log_marks(servers)
    report = plan(targets(servers, desired))
    assert report.dry_run and report.ok and report.differs and not report.changed
    assert report.summary().startswith('plan: changes to push')
    for server in servers:
        peer = report.peer(server.name)
        assert peer.outcome is PeerOutcome.NOT_ATTEMPTED
        assert {c.path for c in peer.changes} == {'Dhcp4.renew-timer', 'Dhcp4.subnet4[198.51.100.0/24]'}
        assert received(server, marks[server.name], 'config-set') == 0
        assert received(server, marks[server.name], 'config-test') == 0


def test_dhcp6_pair_push(kea_lab):
    servers = kea_lab.load_balancing(parameters=FAST, family=6)
    kea_lab.wait_ha(servers, timeout=SETTLE)

    def longer(inner):
        inner['preferred-lifetime'] = 2500

    report = rollout(targets(servers, desired_configs(servers, longer)), settle_timeout=SETTLE)
    assert report.ok, report.summary()
    for server in servers:
        subnet = running(server)['Dhcp6']['subnet6'][0]
        assert subnet['preferred-lifetime'] == 2500
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'load-balancing', 'server2': 'load-balancing'}


@pytest.mark.parametrize('kea', ['2.6', '3.0'])
def test_push_to_kea_2_6_and_3_0_pairs(kea_lab, kea):
    """The same push on Kea 2.6.3 (Control Agents) and 3.0.3 (the servers' own HTTP control sockets), normalised
    with their own measured defaults."""
    from kealab.roots import root_ready

    if not root_ready(kea):
        pytest.skip(f'no Kea {kea} root cached (python -m kealab builds it, about a minute)')
    servers = kea_lab.load_balancing(parameters=FAST, kea=kea)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    desired = desired_configs(servers, add_timer_and_subnet)
    report = rollout(targets(servers, desired), settle_timeout=SETTLE)
    assert report.ok, report.summary()
    assert {str(p.version)[:3] for p in report.peers} == {kea}
    for server in servers:
        assert_runs_timer_and_subnet(server)
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'load-balancing', 'server2': 'load-balancing'}
    again = rollout(targets(servers, desired_configs(servers)), settle_timeout=SETTLE)
    assert [p.outcome for p in again.peers] == [PeerOutcome.UNCHANGED, PeerOutcome.UNCHANGED], again.summary()


@requires_kea('3.0')
def test_the_reloaded_peer_answers_nothing_until_its_scope_is_handed_back(kea_lab):
    """Kea 3.0 reports why a server does not answer (`dhcp-state`): the reloaded peer is disabled by a user command
    from right after its config-set until its partner serves its own scope only, and answers again afterwards."""
    servers = kea_lab.load_balancing(parameters=FAST, kea='3.0')
    kea_lab.wait_ha(servers, timeout=SETTLE)
    by_name = {s.name: s for s in servers}
    seen = {}

    def disabled_by_user(name):
        with KeaClient(by_name[name].endpoint()) as client:
            return client.command('status-get').arguments['dhcp-state']['disabled-by-user']

    def watch(event):
        if event.peer == 'server2' and event.state == 'ok' and event.step in ('hold', 'handback', 'release'):
            with KeaClient(by_name['server1'].endpoint()) as client:
                scopes = client.status_get().ha.local.scopes
            seen[event.step] = (disabled_by_user('server2'), scopes)

    report = handover_push(servers, watch)
    assert report.ok, report.summary()
    assert seen['hold'] == (True, ('server1', 'server2'))
    assert seen['handback'] == (True, ('server1',))
    assert seen['release'] == (False, ('server1',))
    assert not disabled_by_user('server1') and not disabled_by_user('server2')
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'load-balancing', 'server2': 'load-balancing'}


@requires_kea('3.0')
def test_kea_3_0_3_with_dedicated_listeners_gets_no_config_test(kea_lab):
    """On Kea 3.0.0-3.0.3 a config-test followed by a config-set kills the dedicated HA listener for good
    (kea-2.6-3.0-observed.md §4.3): the rollout skips config-test there, and the pair keeps talking through
    its listeners after the push."""
    servers = kea_lab.load_balancing(parameters=FAST, kea='3.0', dedicated_listener=True)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    assert all(s.peer_url != s.ca_url for s in servers)
    marks = log_marks(servers)
    events = []
    report = rollout(
        targets(servers, desired_configs(servers, add_timer_and_subnet)), progress=events.append, settle_timeout=SETTLE
    )
    assert report.ok, report.summary()
    assert {str(p.version) for p in report.peers} == {'3.0.3'}
    tests = [(e.peer, e.message) for e in events if e.step == 'config-test']
    assert tests == [
        (name, 'skipped: a config-test kills the dedicated HA listener of Kea 3.0.3 (fixed in 3.0.4)')
        for name in ('server2', 'server1')
    ]
    for server in servers:
        assert received(server, marks[server.name], 'config-test') == 0
        assert received(server, marks[server.name], 'config-set') == 1
        assert_runs_timer_and_subnet(server)
    assert kea_lab.wait_ha(servers, timeout=SETTLE) == {'server1': 'load-balancing', 'server2': 'load-balancing'}
    for server in servers:  # each listener still answers its partner's heartbeats
        with KeaClient(server.endpoint(url=server.peer_url)) as client:
            assert client.ha_heartbeat().state == 'load-balancing'


@requires_kea('3.0')
def test_push_to_one_relationship_of_a_hub(kea_lab):
    """A Kea 3.0 hub (server1) with two branches: pushing the relationship of server1 (named server1-server2 in
    it) and server2 sets the hub first (its standby), waits until both of its relationships have settled (its
    config-set restarts the one with server3 too), then the branch. server3 is not touched."""
    hub, branch2, branch3 = kea_lab.hub_and_spoke(parameters=FAST, kea='3.0')
    kea_lab.wait_ha([hub, branch2, branch3], timeout=SETTLE)
    desired = {}
    for server in (hub, branch2):  # no replication: the hub serves every branch's subnet, each branch its own
        config = compact(server)
        config['Dhcp4']['renew-timer'] = 1000
        desired[server.name] = config
    marks = log_marks([hub, branch2, branch3])
    events = []
    report = rollout(
        [
            Target('server1-server2', hub.endpoint(), desired['server1']),
            Target('server2', branch2.endpoint(), desired['server2']),
        ],
        progress=events.append,
        settle_timeout=SETTLE,
    )
    assert report.ok, report.summary()
    assert [(p.name, p.role, p.outcome) for p in report.peers] == [
        ('server1-server2', 'standby', PeerOutcome.PUSHED),
        ('server2', 'primary', PeerOutcome.PUSHED),
    ]
    assert [e.peer for e in events if e.step == 'config-set' and e.state == 'ok'] == ['server1-server2', 'server2']
    settled = [s.text for s in report.peer('server1-server2').steps if s.name == 'settle']
    assert settled == ['hot-standby, hot-standby, partner in touch']
    for server in (hub, branch2):
        assert running(server)['Dhcp4']['renew-timer'] == 1000
    assert received(branch3, marks['server3'], 'config-set') == 0
    assert kea_lab.wait_ha([hub, branch2, branch3], timeout=SETTLE) == dict.fromkeys(
        ('server1', 'server2', 'server3'), 'hot-standby'
    )


def test_scope_handover_keeps_the_restarting_peers_scope_served(kea_lab):
    """With `handover`, the partner serves both scopes while a load-balancing peer restarts, and hands the peer's
    scope back as soon as the peer has left waiting and syncing, before it settles: never both serving it."""
    servers = kea_lab.load_balancing(parameters=FAST, backup=True)
    kea_lab.wait_ha(servers, timeout=SETTLE)
    by_name = {s.name: s for s in servers}
    seen = {}
    at_handback = {}

    def scopes_of(name):
        with KeaClient(by_name[name].endpoint()) as client:
            return client.status_get().ha.local

    def watch(event):
        if event.peer not in ('server1', 'server2'):
            return
        partner = 'server2' if event.peer == 'server1' else 'server1'
        if event.step == 'hooks' and event.state == 'ok':  # reloaded, still restarting
            seen[event.peer] = scopes_of(partner).scopes
        if event.step == 'handback' and event.state == 'ok':
            at_handback[event.peer] = (scopes_of(partner).scopes, scopes_of(event.peer).state)

    report = handover_push(servers, watch)
    assert report.ok, report.summary()
    assert sorted(seen['server2']) == ['server1', 'server2']
    assert sorted(seen['server1']) == ['server1', 'server2']
    # When the handback is done the partner serves its own scope only, and the peer has left syncing.
    assert at_handback['server2'][0] == ('server1',)
    assert at_handback['server1'][0] == ('server2',)
    assert {at_handback[p][1] for p in at_handback} <= {'ready', 'load-balancing'}
    assert [s.name for s in report.peer('server2').steps] == [
        'config-get',
        'diff',
        'method',
        'config-test',
        'drain',
        'handover',
        'config-set',
        'hold',
        'hooks',
        'serving',
        'handback',
        'release',
        'settle',
        'config-write',
        'resume',
    ]
    assert 'handover' not in [s.name for s in report.peer('server3').steps]
    kea_lab.wait_ha(servers, timeout=SETTLE)
    for server in servers[:2]:
        with KeaClient(server.endpoint()) as client:
            assert client.status_get().ha.local.scopes == (server.name,)
        assert_runs_timer_and_subnet(server)
