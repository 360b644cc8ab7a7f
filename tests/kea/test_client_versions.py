"""The client against real Kea 2.6 (through its Control Agent) and 3.0 (its own HTTP control socket, `service`
None), from kealab's Debian 13 roots."""

import copy
import dataclasses
import socket

import pytest

from tests.kea_fixtures import requires_kea

from kealab.configs import FAST_HA_PARAMETERS
from netbox_kea_ha.kea.client import KeaClient, gather_status, gather_sync
from netbox_kea_ha.kea.exceptions import KeaCommandFailed, KeaForbidden, KeaTLSError, KeaUnauthorized
from netbox_kea_ha.kea.ha import HAMode, HARole, HAState, KeaVersion

pytestmark = pytest.mark.kea


@requires_kea('3.0')
def test_kea_30_read_helpers(lb30_pair_auth):
    server1, server2 = lb30_pair_auth
    endpoint = server1.endpoint()
    assert endpoint.service is None
    with KeaClient(endpoint) as kea:
        version = kea.version_get()
        status = kea.status_get()
        running = kea.config_get()
        digest = kea.config_hash_get()
        commands = kea.list_commands()
        beat = kea.ha_heartbeat()
    assert version.version >= KeaVersion(3, 0, 0)
    ha = status.ha
    assert (ha.local.state, ha.local.server_name, ha.remote.server_name) == (
        HAState.LOAD_BALANCING,
        'server1',
        'server2',
    )
    assert ha.local.system_time and isinstance(ha.remote.clock_skew, int)
    assert running.hash == digest and len(digest) == 64
    assert 'control-sockets' in running.config['Dhcp4']
    assert {'ha-heartbeat', 'lease4-get-page', 'config-hash-get'} <= set(commands)
    assert beat.state is HAState.LOAD_BALANCING


@requires_kea('3.0')
def test_kea_30_auth(lb30_pair_auth):
    endpoint = lb30_pair_auth[0].endpoint()
    with KeaClient(dataclasses.replace(endpoint, password='wrong')) as kea, pytest.raises(KeaUnauthorized):
        kea.status_get()


@requires_kea('3.0')
def test_kea_30_config_set_returns_the_hash(kea_lab):
    server = kea_lab.standalone(kea='3.0')
    with KeaClient(server.endpoint()) as kea:
        running = kea.config_get()
        assert kea.config_set(running.config) == running.hash  # the same config: the same hash
        changed = copy.deepcopy(running.config)
        changed['Dhcp4']['valid-lifetime'] = 4000
        new_hash = kea.config_set(changed)
        assert new_hash != running.hash and kea.config_hash_get() == new_hash
        assert kea.config_reload() == running.hash  # back to the file
        with pytest.raises(KeaCommandFailed) as info:
            kea.config_write('/tmp/elsewhere.json')
        assert 'not allowed to write config into /tmp/elsewhere.json' in info.value.text


@requires_kea('3.0')
def test_kea_30_dedicated_listener_forbids_management_commands(kea_lab):
    (server,) = kea_lab.passive_backup(backups=0, kea='3.0', start=False)
    with socket.socket() as probe:
        probe.bind((server.address, 0))
        listener_port = probe.getsockname()[1]
    relationship = server.config['Dhcp4']['hooks-libraries'][1]['parameters']['high-availability'][0]
    relationship['multi-threading'] = {'http-dedicated-listener': True}  # restrict-commands: true by default
    relationship['peers'][0]['url'] = f'http://{server.address}:{listener_port}/'
    kea_lab.start([server])
    kea_lab.wait_ha([server])
    listener = dataclasses.replace(server.endpoint(), url=f'http://{server.address}:{listener_port}/')
    with KeaClient(listener) as kea:
        assert kea.status_get().ha.local.state is HAState.PASSIVE_BACKUP  # an HA command: allowed
        with pytest.raises(KeaForbidden) as info:
            kea.config_get()
    assert info.value.status == 403
    assert str(info.value) == f'config-get at {listener.url}: HTTP 403: Forbidden'


@requires_kea('3.0')
def test_kea_30_tls_control_socket(kea_lab):
    server = kea_lab.standalone(kea='3.0', tls=True)
    with KeaClient(server.endpoint()) as kea:
        assert kea.version_get().version >= KeaVersion(3, 0, 0)
    no_cert = dataclasses.replace(server.endpoint(), cert_file=None, key_file=None)
    with KeaClient(no_cert) as kea, pytest.raises(KeaTLSError):
        kea.version_get()


@requires_kea('2.6')
def test_kea_26_through_its_control_agent(kea_lab):
    server1, server2 = kea_lab.hot_standby(kea='2.6', parameters=FAST_HA_PARAMETERS, wait=True)
    endpoint = server2.endpoint()
    assert endpoint.service == 'dhcp4'
    with KeaClient(endpoint) as kea:
        assert kea.version_get().version.minor == 6
        status = kea.status_get()
        running = kea.config_get()
        assert kea.config_set(running.config) == running.hash
        with pytest.raises(KeaCommandFailed) as info:
            kea.config_write('/tmp/elsewhere.json')
        assert 'must be in the same directory as the config file' in info.value.text
    assert status.ha.local.server_name == 'server2'
    assert status.multi_threading is True
    assert status.raw['dhcp-state']['globally-disabled'] is False
    kea_lab.wait_ha([server1, server2])


@requires_kea('2.6', '3.0')
def test_fleet_of_every_version(kea_lab):
    servers = kea_lab.load_balancing(kea=['2.2', '3.0']) + kea_lab.hot_standby(kea=['2.6', '3.0'])
    kea_lab.wait_ha(servers)
    outcomes = gather_sync(gather_status([s.endpoint() for s in servers]))
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert [o.value.ha.local.server_name for o in outcomes] == [None, 'server2', 'server3', 'server4']
    assert [o.value.ha.local.state for o in outcomes] == ['load-balancing'] * 2 + ['hot-standby'] * 2


@requires_kea('2.6')
def test_kea_26_hub_status_and_heartbeat_per_relationship(hub_spoke):
    """A hub reports one entry per relationship; HA commands pick one with `server-name`."""
    hub = hub_spoke[0]
    with KeaClient(hub.endpoint()) as kea:
        status = kea.status_get()
        beats = [kea.ha_heartbeat(server_name=name) for name in ('server1-server2', 'server1-server3')]
        with pytest.raises(KeaCommandFailed) as info:
            kea.ha_heartbeat(server_name='nosuch')
    first, second = status.relationships
    assert status.ha is first
    assert status.relationship('server1-server3') is second and status.relationship('server3') is second
    assert status.relationship('server2') is first and status.relationship('nosuch') is None
    for entry, branch in ((first, 'server2'), (second, 'server3')):
        assert (entry.mode, entry.local.role, entry.local.state, entry.local.scopes) == (
            HAMode.HOT_STANDBY,
            HARole.STANDBY,
            HAState.HOT_STANDBY,
            (),
        )
        assert (entry.remote.server_name, entry.remote.role, entry.remote.last_scopes) == (
            branch,
            HARole.PRIMARY,
            (branch,),
        )
    assert [(b.state, b.scopes) for b in beats] == [(HAState.HOT_STANDBY, ())] * 2
    assert info.value.text == "nosuch matches no configured 'server-name'"
