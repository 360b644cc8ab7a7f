"""
The refusals of HA operations that real Kea reaches only through a network fault between the two servers (both
answer NetBox, but not each other) or a timing window: checked on `status-get` answers as Kea 2.2 writes them
(`kea.status.parse_status`). Everything else is refused on real Kea in test_operations_kea.py.
"""

import pytest

from netbox_kea_ha.kea.operations import Operation, OperationPeer, Options, resolve, state_problem
from netbox_kea_ha.kea.operations.checks import fell_back, outcome_problem
from netbox_kea_ha.kea.status import parse_status

PEERS = [OperationPeer('server1', 'primary', 'kea-1'), OperationPeer('server2', 'secondary', 'kea-2')]
MODE = 'load-balancing'


def entry(state, partner_state, scopes=(), interrupted=False, role='primary', partner_role='secondary'):
    """The relationship entry of a Kea 2.2 `status-get` answer."""
    arguments = {
        'pid': 1,
        'high-availability': [
            {
                'ha-mode': MODE,
                'ha-servers': {
                    'local': {'role': role, 'state': state, 'scopes': list(scopes)},
                    'remote': {
                        'role': partner_role,
                        'last-state': partner_state,
                        'last-scopes': [],
                        'age': 1,
                        'in-touch': True,
                        'communication-interrupted': interrupted,
                        'connecting-clients': 0,
                        'unacked-clients': 0,
                        'unacked-clients-left': 0,
                        'analyzed-packets': 0,
                    },
                },
            }
        ],
    }
    return parse_status(arguments).ha


def problem(operation, name, states, options=None, counts=None):
    """`state_problem` of `operation` on `name`; `states`: {peer: (state, partner_state, interrupted)}."""
    peer = next(p for p in PEERS if p.name == name)
    resolved = resolve(operation, peer, PEERS, MODE, options or Options())
    roles = {'server1': ('primary', 'secondary'), 'server2': ('secondary', 'primary')}
    entries = {
        n: entry(s, ps, interrupted=i, role=roles[n][0], partner_role=roles[n][1]) for n, (s, ps, i) in states.items()
    }
    return state_problem(resolved, entries, counts or {})


LB = ('load-balancing', 'load-balancing', False)


@pytest.mark.parametrize(
    ('operation', 'name', 'states', 'expected'),
    [
        (
            Operation.MAINTENANCE_START,
            'server2',
            {'server2': LB, 'server1': ('load-balancing', 'load-balancing', True)},
            'kea-1 (server1) has lost touch with kea-2 (server2) (communication interrupted)',
        ),
        (
            Operation.MAINTENANCE_START,
            'server2',
            {'server2': ('load-balancing', 'syncing', False), 'server1': ('syncing', 'load-balancing', False)},
            "kea-1 (server1) is in syncing, not load-balancing: it cannot take over kea-2 (server2)'s clients now",
        ),
        (
            Operation.MAINTENANCE_START,
            'server2',
            {'server2': ('ready', 'load-balancing', False), 'server1': LB},
            'kea-2 (server2) is in ready, not load-balancing: wait until HA has settled',
        ),
        (
            Operation.MAINTENANCE_CANCEL,
            'server2',
            {'server2': ('in-maintenance', 'partner-down', False), 'server1': ('partner-down', 'unavailable', True)},
            'kea-1 (server1) has already taken over for good (partner-down: it lost touch with kea-2 (server2) '
            'during the maintenance), so Kea can no longer cancel it: restart Kea on kea-2 (server2); it then syncs '
            'its leases and returns by itself',
        ),
        (
            Operation.MAINTENANCE_CANCEL,
            'server2',
            {'server2': ('in-maintenance', 'load-balancing', False), 'server1': LB},
            'kea-1 (server1) is in load-balancing, not partner-in-maintenance: there is no maintenance to cancel',
        ),
        (
            Operation.SYNC,
            'server2',
            {'server2': ('syncing', 'partner-down', False), 'server1': ('partner-down', 'syncing', False)},
            'kea-2 (server2) is syncing its leases already',
        ),
    ],
)
def test_unsafe_states_are_refused(operation, name, states, expected):
    assert problem(operation, name, states) == expected


def test_a_hub_partner_is_refused_for_maintenance_both_ways():
    counts = {'server1': 3, 'server2': 1}
    states = {'server2': LB, 'server1': LB}
    refused = problem(Operation.MAINTENANCE_START, 'server2', states, counts=counts)
    assert refused.startswith('kea-1 (server1) is in 3 HA relationships (a hub)')
    maintenance = {'server2': ('in-maintenance', 'partner-in-maintenance', False)}
    maintenance['server1'] = ('partner-in-maintenance', 'in-maintenance', False)
    assert problem(Operation.MAINTENANCE_CANCEL, 'server2', maintenance, counts=counts) == refused
    assert problem(Operation.MAINTENANCE_START, 'server2', states, counts={'server1': 1}) is None


def test_a_cancel_that_fell_back_is_seen_and_the_normal_states_end_it():
    resolved = resolve(Operation.MAINTENANCE_CANCEL, PEERS[1], PEERS, MODE, Options())
    back = {'server2': entry('in-maintenance', 'partner-in-maintenance', role='secondary', partner_role='primary')}
    back['server1'] = entry('partner-in-maintenance', 'in-maintenance')
    assert fell_back(resolved, back)
    settling = {'server2': entry('ready', 'load-balancing', role='secondary', partner_role='primary')}
    settling['server1'] = entry('load-balancing', 'ready')
    assert not fell_back(resolved, settling)
    assert outcome_problem(resolved, back, settling) == 'kea-2 (server2) is in ready, waiting for load-balancing'
    done = {'server2': entry('load-balancing', 'load-balancing', role='secondary', partner_role='primary')}
    done['server1'] = entry('load-balancing', 'load-balancing')
    assert outcome_problem(resolved, back, done) is None
    gone = {'server2': done['server2'], 'server1': 'status-get at http://127.0.0.1:1/: connection refused'}
    assert outcome_problem(resolved, back, gone) == (
        'kea-1 (server1) does not answer: status-get at http://127.0.0.1:1/: connection refused'
    )
