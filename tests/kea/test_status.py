"""Parsing `status-get` and `ha-heartbeat` of Kea 2.2, 2.6 and 3.0.

The 2.2 shapes are read from real servers (kealab); the 2.6 and 3.0 shapes are the answers captured from real
servers in kea-2.6-3.0-observed.md §3.3, §3.5 and §4.2 (copied verbatim).
"""

import re

import pytest

from netbox_kea_ha.kea.client import KeaClient
from netbox_kea_ha.kea.exceptions import KeaProtocolError
from netbox_kea_ha.kea.ha import HAMode, HARole, HAState
from netbox_kea_ha.kea.status import Heartbeat, parse_heartbeat, parse_status

STATUS_26 = {
    'dhcp-state': {
        'disabled-by-db-connection': [],
        'disabled-by-local-command': [],
        'disabled-by-remote-command': [],
        'disabled-by-user': False,
        'globally-disabled': False,
    },
    'high-availability': [
        {
            'ha-mode': 'load-balancing',
            'ha-servers': {
                'local': {
                    'role': 'primary',
                    'scopes': ['server1'],
                    'server-name': 'server1',
                    'state': 'load-balancing',
                },
                'remote': {
                    'age': 0,
                    'analyzed-packets': 0,
                    'communication-interrupted': False,
                    'connecting-clients': 0,
                    'in-touch': True,
                    'last-scopes': ['server2'],
                    'last-state': 'load-balancing',
                    'role': 'secondary',
                    'server-name': 'server2',
                    'unacked-clients': 0,
                    'unacked-clients-left': 0,
                },
            },
        }
    ],
    'multi-threading-enabled': True,
    'packet-queue-size': 64,
    'packet-queue-statistics': [0.0, 0.0, 0.0],
    'pid': 25504,
    'reload': 10,
    'sockets': {'status': 'ready'},
    'thread-pool-size': 2,
    'uptime': 10,
}


def _hub_entry(local_name, remote_name):
    return {
        'ha-mode': 'hot-standby',
        'ha-servers': {
            'local': {'role': 'standby', 'scopes': [], 'server-name': local_name, 'state': 'hot-standby'},
            'remote': {
                'age': 0,
                'in-touch': True,
                'last-scopes': [remote_name],
                'last-state': 'hot-standby',
                'role': 'primary',
                'server-name': remote_name,
            },
        },
    }


def test_kea_26_status():
    status = parse_status(STATUS_26)
    assert (status.pid, status.uptime, status.reload, status.multi_threading) == (25504, 10, 10, True)
    ha = status.ha
    assert ha.mode is HAMode.LOAD_BALANCING
    assert (ha.local.server_name, ha.remote.server_name) == ('server1', 'server2')
    assert ha.remote.last_scopes == ('server2',)
    assert ha.remote.system_time is None and ha.remote.clock_skew is None
    assert status.raw['dhcp-state']['globally-disabled'] is False
    assert status.relationship('server2') is ha


def test_kea_30_status_adds_clock_fields():
    data = {**STATUS_26, 'high-availability': [dict(STATUS_26['high-availability'][0])]}
    servers = data['high-availability'][0]['ha-servers']
    data['high-availability'][0]['ha-servers'] = {
        'local': {**servers['local'], 'system-time': '2026-11-24 17:59:01'},
        'remote': {**servers['remote'], 'system-time': '2026-11-24 17:59:01', 'clock-skew': 0},
    }
    ha = parse_status(data).ha
    assert ha.local.system_time == '2026-11-24 17:59:01'
    assert (ha.remote.system_time, ha.remote.clock_skew) == ('2026-11-24 17:59:01', 0)


def test_hub_and_spoke_has_one_entry_per_relationship():
    status = parse_status(
        {'pid': 1, 'high-availability': [_hub_entry('server2', 'server1'), _hub_entry('server4', 'server3')]}
    )
    assert [(r.local.server_name, r.remote.server_name) for r in status.relationships] == [
        ('server2', 'server1'),
        ('server4', 'server3'),
    ]
    assert status.relationship('server3').local.server_name == 'server4'
    assert status.relationship('nosuch') is None
    assert all(r.local.role is HARole.STANDBY and r.local.scopes == () for r in status.relationships)


def test_without_ha_hook_and_unknown_values():
    assert parse_status({'pid': 7, 'uptime': 1, 'reload': 1}).relationships == ()
    assert parse_status({'pid': 7}).ha is None
    entry = _hub_entry('a', 'b')
    entry['ha-mode'] = 'future-mode'
    entry['ha-servers']['local']['state'] = 'future-state'
    ha = parse_status({'high-availability': [entry]}).ha
    assert (ha.mode, ha.local.state) == ('future-mode', 'future-state')
    assert not isinstance(ha.mode, HAMode)


@pytest.mark.parametrize(
    ('data', 'message'),
    [
        (None, 'status-get arguments is NoneType, expected a map'),
        ({'high-availability': [1]}, 'high-availability[0] is int, expected a map'),
        ({'high-availability': [{'ha-mode': 'hot-standby', 'ha-servers': {}}]}, 'ha-servers.local is NoneType'),
        (
            {'high-availability': [{'ha-mode': 5, 'ha-servers': {'local': {}}}]},
            'high-availability[0].ha-mode is int, expected a string',
        ),
        ({'high-availability': [{**_hub_entry('a', 'b'), 'ha-mode': 'hot-standby'}], 'uptime': True}, 'uptime is bool'),
    ],
)
def test_wrong_shapes_raise_protocol_errors(data, message):
    with pytest.raises(KeaProtocolError, match=re.escape(message)):
        parse_status(data)


def test_remote_of_the_wrong_shape():
    entry = _hub_entry('a', 'b')
    entry['ha-servers']['remote']['in-touch'] = 'yes'
    with pytest.raises(KeaProtocolError, match='remote.in-touch is str, expected a boolean'):
        parse_status({'high-availability': [entry]})
    entry = _hub_entry('a', 'b')
    entry['ha-servers']['remote']['last-scopes'] = 'b'
    with pytest.raises(KeaProtocolError, match='remote.last-scopes is not a list of server names'):
        parse_status({'high-availability': [entry]})


def test_heartbeat():
    beat = parse_heartbeat(
        {
            'date-time': 'Tue, 24 Nov 2026 17:56:34 GMT',
            'scopes': ['server1'],
            'state': 'load-balancing',
            'unsent-update-count': 0,
        }
    )
    assert beat == Heartbeat(HAState.LOAD_BALANCING, ('server1',), 'Tue, 24 Nov 2026 17:56:34 GMT', 0)
    with pytest.raises(KeaProtocolError, match='ha-heartbeat.state is missing|ha-heartbeat.state is NoneType'):
        parse_heartbeat({'scopes': []})


@pytest.mark.kea
def test_real_kea_22_statuses(lb_trio):
    """Every server of a real LB + backup trio parses into the values its role implies."""
    statuses = []
    for server in lb_trio:
        with KeaClient(server.endpoint()) as kea:
            statuses.append(kea.status_get())
    primary, secondary, backup = (s.ha for s in statuses)
    assert primary.local.state == secondary.local.state == HAState.LOAD_BALANCING
    assert (primary.remote.role, secondary.remote.role) == (HARole.SECONDARY, HARole.PRIMARY)
    assert (primary.local.scopes, secondary.local.scopes) == (('server1',), ('server2',))
    assert backup.remote is None and backup.local.state is HAState.BACKUP
    assert [s.pid for s in statuses] == [s.pids['dhcp'] for s in lb_trio]
