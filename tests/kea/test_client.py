"""KeaClient against real Kea 2.2 (kealab): every helper, on the shared read-only setups and on fresh labs."""

import dataclasses

import pytest

from kealab.configs import FAST_HA_PARAMETERS
from netbox_kea_ha.kea.client import Answer, Endpoint, KeaClient, KeaConfig
from netbox_kea_ha.kea.exceptions import (
    KeaCommandFailed,
    KeaEmpty,
    KeaServerOffline,
    KeaUnreachable,
    KeaUnsupported,
)
from netbox_kea_ha.kea.ha import HAMode, HARole, HAState, KeaVersion

pytestmark = pytest.mark.kea


# --- read-only, on the shared setups ----------------------------------------------------------------------------


def test_status_get_load_balancing(lb_pair):
    server1, server2 = lb_pair
    with KeaClient(server1.endpoint()) as kea:
        status = kea.status_get()
    assert status.pid == server1.pids['dhcp']
    assert status.multi_threading is False
    assert status.uptime >= 0 and status.reload >= 0
    (ha,) = status.relationships
    assert ha is status.ha
    assert ha.mode is HAMode.LOAD_BALANCING
    assert (ha.local.role, ha.local.state, ha.local.scopes) == (HARole.PRIMARY, HAState.LOAD_BALANCING, ('server1',))
    assert ha.local.server_name is None  # Kea 2.2 does not report names
    assert ha.remote.role is HARole.SECONDARY
    assert ha.remote.in_touch is True
    assert ha.remote.communication_interrupted is False
    assert ha.remote.clock_skew is None
    with KeaClient(server2.endpoint()) as kea:
        assert kea.status_get().ha.local.scopes == ('server2',)


def test_status_get_backup_has_no_remote(lb_trio):
    with KeaClient(lb_trio[2].endpoint()) as kea:
        ha = kea.status_get().ha
    assert (ha.mode, ha.local.role, ha.local.state, ha.local.scopes) == ('load-balancing', 'backup', 'backup', ())
    assert ha.remote is None


def test_status_get_hot_standby_and_passive_backup(hs_pair, pb_pair):
    with KeaClient(hs_pair[1].endpoint()) as kea:
        ha = kea.status_get().ha
    assert (ha.mode, ha.local.role, ha.local.state, ha.local.scopes) == (
        HAMode.HOT_STANDBY,
        HARole.STANDBY,
        HAState.HOT_STANDBY,
        (),
    )
    assert ha.remote.role is HARole.PRIMARY
    with KeaClient(pb_pair[0].endpoint()) as kea:
        ha = kea.status_get().ha
    assert (ha.mode, ha.local.state) == (HAMode.PASSIVE_BACKUP, HAState.PASSIVE_BACKUP)
    assert ha.remote is None  # in passive-backup Kea reports no partner, the primary's included


def test_dhcp6(lb6_pair):
    server1 = lb6_pair[0]
    endpoint = server1.endpoint()
    assert endpoint.service == 'dhcp6'
    with KeaClient(endpoint) as kea:
        assert kea.status_get().ha.local.state is HAState.LOAD_BALANCING
        assert 'lease6-get-page' in kea.list_commands()
        config = kea.config_get().config
    assert config['Dhcp6']['subnet6'][0]['subnet'] == '2001:db8:1::/64'
    with KeaClient(dataclasses.replace(endpoint, service='dhcp4')) as kea, pytest.raises(KeaServerOffline) as info:
        kea.status_get()
    assert info.value.text == 'forwarding socket is not configured for the server type dhcp4'


def test_version_get(lb_pair):
    with KeaClient(lb_pair[0].endpoint()) as kea:
        version = kea.version_get()
    assert version.version == KeaVersion(2, 2, 0)
    assert version.text == '2.2.0'
    assert version.extended.startswith('2.2.0\n')


def test_list_commands_shows_the_hooks(lb_pair):
    with KeaClient(lb_pair[0].endpoint()) as kea:
        commands = kea.list_commands()
    assert {'ha-heartbeat', 'ha-maintenance-start', 'lease4-get-page', 'config-set', 'status-get'} <= set(commands)


def test_control_agent_itself(lb_pair):
    with KeaClient(lb_pair[0].endpoint(service=None)) as kea:
        commands = kea.list_commands()
        assert 'ha-heartbeat' not in commands
        assert {'config-get', 'status-get', 'version-get'} <= set(commands)
        assert 'Control-agent' in kea.config_get().config


def test_config_get(lb_pair):
    server1, server2 = lb_pair
    with KeaClient(server1.endpoint()) as kea:
        running = kea.config_get()
    assert isinstance(running, KeaConfig)
    assert running.hash is None  # Kea 2.2 has no config hash
    assert list(running.config) == ['Dhcp4']
    hooks = running.config['Dhcp4']['hooks-libraries']
    ha = [h for h in hooks if h['library'].endswith('libdhcp_ha.so')][0]['parameters']['high-availability'][0]
    assert ha['this-server-name'] == 'server1'
    assert [p['url'] for p in ha['peers']] == [server1.ca_url, server2.ca_url]
    with KeaClient(server1.endpoint()) as kea, pytest.raises(KeaUnsupported):
        kea.config_hash_get()


def test_ha_heartbeat(lb_pair, hs_pair):
    with KeaClient(lb_pair[1].endpoint()) as kea:
        beat = kea.ha_heartbeat()
    assert (beat.state, beat.scopes, beat.unsent_update_count) == (HAState.LOAD_BALANCING, ('server2',), 0)
    assert beat.date_time.endswith('GMT')
    with KeaClient(hs_pair[1].endpoint()) as kea:
        assert kea.ha_heartbeat().scopes == ()


def test_request_returns_every_answer(lb_pair):
    with KeaClient(lb_pair[0].endpoint()) as kea:
        answers = kea.request('foo-bar')
    assert answers == [Answer(2, "'foo-bar' command not supported.", None)]


def test_unknown_command_is_unsupported(lb_pair):
    endpoint = lb_pair[0].endpoint()
    with KeaClient(endpoint) as kea, pytest.raises(KeaUnsupported) as info:
        kea.command('foo-bar')
    error = info.value
    assert (error.result, error.text, error.command, error.url) == (
        2,
        "'foo-bar' command not supported.",
        'foo-bar',
        endpoint.url,
    )
    assert str(error) == f"foo-bar at {endpoint.url}: result 2: 'foo-bar' command not supported."


def test_empty_result(lb_pair):
    with KeaClient(lb_pair[0].endpoint()) as kea:
        with pytest.raises(KeaEmpty) as info:
            kea.command('lease4-get', {'ip-address': '192.0.2.250'})
        assert (info.value.result, info.value.text) == (3, 'Lease not found.')
        answer = kea.command('lease4-get', {'ip-address': '192.0.2.250'}, empty_ok=True)
    assert answer == Answer(3, 'Lease not found.', None)


def test_on_sent_is_called_once_the_first_request_is_written(lb_pair):
    sent = []
    with KeaClient(lb_pair[0].endpoint(), on_sent=lambda: sent.append(True)) as kea:
        assert kea.version_get()
        assert kea.status_get()
    assert sent == [True]
    # Nothing listens there: no request is written, on_sent is not called.
    closed = dataclasses.replace(lb_pair[0].endpoint(), url='http://127.0.0.1:9/')
    with KeaClient(closed, on_sent=lambda: sent.append(False)) as kea, pytest.raises(KeaUnreachable):
        kea.version_get()
    assert sent == [True]


def test_command_failure_keeps_keas_text(lb_pair):
    with KeaClient(lb_pair[0].endpoint()) as kea, pytest.raises(KeaCommandFailed) as info:
        kea.command('ha-sync')  # no arguments
    assert not isinstance(info.value, KeaServerOffline)
    assert info.value.text == "arguments not found in the 'ha-sync' command"


# --- changes, each on its own lab -------------------------------------------------------------------------------


def test_config_test_set_write_reload(kea_lab, tmp_path):
    server = kea_lab.standalone()
    with KeaClient(server.endpoint()) as kea:
        running = kea.config_get().config
        assert kea.config_test(running).startswith('Configuration seems sane.')

        bad = dict(running)
        bad['Dhcp4'] = dict(running['Dhcp4'], subnet4=[dict(running['Dhcp4']['subnet4'][0], subnet='192.0.2.0/33')])
        with pytest.raises(KeaCommandFailed) as info:
            kea.config_test(bad)
        assert 'Invalid prefix length specified for subnet: 33' in info.value.text
        assert info.value.command == 'config-test'

        changed = dict(running)
        changed['Dhcp4'] = dict(running['Dhcp4'], **{'valid-lifetime': 4321})
        assert kea.config_set(changed) is None  # no hash on 2.2
        assert kea.config_get().config['Dhcp4']['valid-lifetime'] == 4321

        written = kea.config_write(str(tmp_path / 'written.json'))
        assert written.filename == str(tmp_path / 'written.json')
        assert written.size == (tmp_path / 'written.json').stat().st_size
        assert '"valid-lifetime": 4321' in (tmp_path / 'written.json').read_text()

        with pytest.raises(KeaCommandFailed) as info:
            kea.config_write('/nonexistent/dir/x.json')
        assert 'Unable to open file /nonexistent/dir/x.json for writing' in info.value.text

        assert kea.config_reload() is None  # back to the file the server was started with
        assert kea.config_get().config['Dhcp4']['valid-lifetime'] == 3600
        kea.config_set(changed)
        kea.config_write()  # no filename: the -c file
    assert server.read_config_file()['Dhcp4']['valid-lifetime'] == 4321


def test_config_helpers_refuse_bad_input(lb_pair):
    with KeaClient(lb_pair[0].endpoint()) as kea:
        with pytest.raises(ValueError, match='config must be a non-empty map'):
            kea.config_test({})
        with pytest.raises(ValueError, match='scopes must be a list of server names'):
            kea.ha_scopes('server1')
        with pytest.raises(ValueError, match='arguments of status-get must be a map'):
            kea.command('status-get', ['x'])


def test_maintenance_round_trip(kea_lab):
    server1, server2 = kea_lab.load_balancing(parameters=FAST_HA_PARAMETERS, wait=True)
    with KeaClient(server1.endpoint()) as kea1, KeaClient(server2.endpoint()) as kea2:
        text = kea1.ha_maintenance_start()
        assert text.startswith('Server is now in the partner-in-maintenance state')
        status1 = kea1.status_get().ha
        assert status1.local.state is HAState.PARTNER_IN_MAINTENANCE
        assert set(status1.local.scopes) == {'server1', 'server2'}
        assert kea2.status_get().ha.local.state is HAState.IN_MAINTENANCE

        with pytest.raises(KeaCommandFailed) as info:
            kea1.ha_maintenance_start()
        assert 'Unable to transition the server from the partner-in-maintenance' in info.value.text
        with pytest.raises(KeaCommandFailed) as info:
            kea2.ha_maintenance_cancel()
        assert 'not in the partner-in-maintenance state' in info.value.text

        assert kea1.ha_maintenance_cancel() == 'Server maintenance successfully canceled.'
    kea_lab.wait_ha([server1, server2])


def test_scopes_sync_continue_reset(kea_lab):
    server1, server2 = kea_lab.load_balancing(parameters=FAST_HA_PARAMETERS, wait=True)
    with KeaClient(server1.endpoint()) as kea1, KeaClient(server2.endpoint()) as kea2:
        assert kea1.ha_scopes(['server1', 'server2']) == 'New HA scopes configured.'
        assert kea1.status_get().ha.local.scopes == ('server1', 'server2')
        with pytest.raises(KeaCommandFailed) as info:
            kea1.ha_scopes(['nosuch'])
        assert info.value.text == "invalid server name specified 'nosuch' while enabling/disabling HA scopes"
        assert kea1.ha_scopes(['server1']) == 'New HA scopes configured.'

        kea1.command('lease4-add', {'ip-address': '192.0.2.20', 'hw-address': '1a:1b:1c:1d:1e:1f'})
        with pytest.raises(KeaEmpty):  # lease4-add is not replicated
            kea2.command('lease4-get', {'ip-address': '192.0.2.20'})
        assert kea2.ha_sync('server1', max_period=30) == 'Lease database synchronization complete.'
        lease = kea2.command('lease4-get', {'ip-address': '192.0.2.20'}).arguments
        assert lease['hw-address'] == '1a:1b:1c:1d:1e:1f'

        # Kea 2.2 bug (kea-2.2-observed.md §3): an unknown server-name makes the server answer nothing, and the
        # Control Agent then reports it as offline although it runs.
        with pytest.raises(KeaServerOffline):
            kea2.ha_sync('server9')
        assert kea2.status_get().pid == server2.pids['dhcp']

        assert kea1.ha_continue() == 'HA state machine is not paused.'
        assert kea1.ha_reset() == 'HA state machine reset.'
    kea_lab.wait_ha([server1, server2])


def test_stopped_dhcp_server_behind_running_control_agent(kea_lab):
    server = kea_lab.standalone()
    endpoint = server.endpoint()
    server.kill_dhcp()  # SIGKILL: the socket file stays, connecting is refused
    with KeaClient(endpoint) as kea, pytest.raises(KeaServerOffline) as info:
        kea.status_get()
    assert info.value.text.endswith('Connection refused. The server is likely to be offline')
    assert info.value.result == 1
    server.start_dhcp()
    server.kill_dhcp(15)  # SIGTERM: the socket file is removed
    with KeaClient(endpoint) as kea, pytest.raises(KeaServerOffline) as info:
        kea.status_get()
    assert 'No such file or directory. The server is likely to be offline' in info.value.text
    with KeaClient(dataclasses.replace(endpoint, service=None)) as kea:
        assert kea.status_get().relationships == ()  # the Control Agent itself still answers


def test_endpoint_repr_and_validation():
    endpoint = Endpoint('http://127.0.0.1:8000/', username='api', password='s3cret-pass')
    assert 's3cret-pass' not in repr(endpoint)
    assert 's3cret-pass' not in repr(KeaClient(endpoint))
    for url in ('http://api:s3cret@127.0.0.1:8000/', 'http://api:s3cret@127.0.0.1:99999/', 'http://api:s3cret@[::1/'):
        with pytest.raises(ValueError, match='must not contain credentials') as info:
            Endpoint(url)
        assert 's3cret' not in str(info.value)
    with pytest.raises(ValueError, match='must start with http:// or https://'):
        Endpoint('ftp://127.0.0.1/')
    with pytest.raises(ValueError, match="service 'dhcp5' is not one of"):
        Endpoint('http://127.0.0.1:8000/', service='dhcp5')
    with pytest.raises(ValueError, match='password is set without a username'):
        Endpoint('http://127.0.0.1:8000/', password='x')
    with pytest.raises(ValueError, match='timeout must be a positive number'):
        Endpoint('http://127.0.0.1:8000/', timeout=0)
    with pytest.raises(ValueError, match='is not https, but TLS files are set'):
        Endpoint('http://127.0.0.1:8000/', ca_file='/tmp/ca.pem')
    with pytest.raises(ValueError, match='is not a valid URL'):
        Endpoint('http://127.0.0.1:99999/')


def test_answers_holding_passwords_never_show_them(lb_pair_auth):
    """config-get returns the peers' basic-auth-password in clear (Kea needs it); reprs must not show it."""
    server = lb_pair_auth[0]
    password = server.relationship.peer('server2').basic_auth_password
    with KeaClient(server.endpoint()) as kea:
        running = kea.config_get()
        answer = kea.command('config-get')
    assert password in str(running.config) and password in str(answer.arguments)  # the values keep it
    for shown in (repr(running), repr(answer), str(running), str(answer)):
        assert password not in shown
        assert "'Dhcp4': {" in shown and "'hooks-libraries'" in shown  # an outline: the keys, never the values
    assert len(repr(running)) < len(str(running.config)) / 2
