"""The rollout's checks, reports and argument handling without real Kea. Every path of the push itself is
proved against real Kea (2.2, and 2.6/3.0 from kealab's roots) in test_rollout_kea.py.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netbox_kea_ha.kea.client import Endpoint
from netbox_kea_ha.kea.detect import detect
from netbox_kea_ha.kea.findings import Finding
from netbox_kea_ha.kea.ha import KeaVersion, Relationship
from netbox_kea_ha.kea.rollout import (
    PeerOutcome,
    PeerReport,
    Progress,
    RolloutError,
    RolloutReport,
    Step,
    Target,
    config_test_is_unsafe,
    disruptive_changes,
    operational_state,
    push_rank,
    rollout,
    settle_problem,
)
from netbox_kea_ha.kea.rollout.checks import relationships_disagree
from netbox_kea_ha.kea.status import parse_status

HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks'


def config(this, mode='load-balancing', roles=('primary', 'secondary'), urls=None, **ha):
    names = [f'server{i}' for i in range(1, len(roles) + 1)]
    urls = urls or [f'http://127.0.0.1:{18000 + i}/' for i in range(1, len(roles) + 1)]
    return {
        'Dhcp4': {
            'valid-lifetime': 3600,
            'hooks-libraries': [
                {'library': f'{HOOKS}/libdhcp_lease_cmds.so'},
                {
                    'library': f'{HOOKS}/libdhcp_ha.so',
                    'parameters': {
                        'high-availability': [
                            {
                                'this-server-name': this,
                                'mode': mode,
                                'peers': [
                                    {'name': n, 'url': u, 'role': r} for n, u, r in zip(names, urls, roles, strict=True)
                                ],
                                **ha,
                            }
                        ]
                    },
                },
            ],
        }
    }


def test_rollout_package_imports_without_django():
    code = (
        'import sys\n'
        "for blocked in ('django', 'netbox'):\n"
        '    sys.modules[blocked] = None\n'
        'import netbox_kea_ha.kea.rollout, netbox_kea_ha.kea.rollout.procedure\n'
        'import netbox_kea_ha.kea.defaults, netbox_kea_ha.kea.normalise, netbox_kea_ha.kea.diff\n'
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=root)
    assert result.returncode == 0, result.stderr


def test_operational_states_and_order():
    assert operational_state('load-balancing', 'secondary') == 'load-balancing'
    assert operational_state('hot-standby', 'standby') == 'hot-standby'
    assert operational_state('passive-backup', 'primary') == 'passive-backup'
    assert operational_state('load-balancing', 'backup') == 'backup'
    assert operational_state('active-active', 'primary') is None
    roles = ['primary', None, 'backup', 'standby', 'secondary', 'backup']
    assert sorted(roles, key=push_rank) == ['backup', 'backup', 'standby', 'secondary', 'primary', None]


def test_disruptive_changes_are_named():
    running = detect(config('server1'))
    assert disruptive_changes('server1', running, detect(config('server1', **{'heartbeat-delay': 500}))) == []
    hs = detect(config('server1', mode='hot-standby', roles=('primary', 'standby')))
    assert disruptive_changes('server1', running, hs) == [
        'server1: mode load-balancing -> hot-standby',
        'server1: role of server2 secondary -> standby',
    ]
    moved = detect(config('server1', urls=['http://127.0.0.1:18001/', 'http://127.0.0.1:19002/']))
    assert disruptive_changes('server1', running, moved) == [
        'server1: URL of server2 http://127.0.0.1:18002/ -> http://127.0.0.1:19002/'
    ]
    trio = detect(config('server1', roles=('primary', 'secondary', 'backup')))
    assert disruptive_changes('server1', running, trio) == ['server1: peer server3 added']


def test_settle_takes_partner_down_only_when_accepted():
    """A primary whose partner died (the shape of kea-2.2-observed.md §4): not settled, unless partner-down is
    accepted (a forced push onto a peer that was in partner-down before)."""
    status = parse_status(
        {
            'high-availability': [
                {
                    'ha-mode': 'load-balancing',
                    'ha-servers': {
                        'local': {'role': 'primary', 'scopes': ['server1', 'server2'], 'state': 'partner-down'},
                        'remote': {
                            'role': 'secondary',
                            'last-state': 'unavailable',
                            'last-scopes': [],
                            'in-touch': True,
                            'communication-interrupted': True,
                        },
                    },
                }
            ]
        }
    )
    args = (status, 'server1', 'load-balancing', 'primary')
    assert settle_problem(*args) == 'HA state is partner-down, waiting for load-balancing'
    assert settle_problem(*args, accept={'partner-down'}) is None
    assert settle_problem(*args, accept={'waiting'}) == 'HA state is partner-down, waiting for load-balancing'


def test_desired_configs_must_describe_one_relationship():
    same = [('server1', detect(config('server1'))), ('server2', detect(config('server2')))]
    assert relationships_disagree(same) == []
    other = [('server1', detect(config('server1'))), ('server2', detect(config('server2', mode='hot-standby')))]
    assert relationships_disagree(other) == [
        'the desired configs of server1 and server2 describe different HA relationships'
    ]


def test_config_test_is_skipped_only_where_kea_loses_its_listener():
    default = Relationship.from_kea(
        config('server1')['Dhcp4']['hooks-libraries'][1]['parameters']['high-availability'][0]
    )
    no_listener = Relationship.from_kea(
        config('server1', **{'multi-threading': {'http-dedicated-listener': False}})['Dhcp4']['hooks-libraries'][1][
            'parameters'
        ]['high-availability'][0]
    )
    assert config_test_is_unsafe(KeaVersion(3, 0, 3), [default])
    assert config_test_is_unsafe(KeaVersion(3, 0, 0), [default])
    assert not config_test_is_unsafe(KeaVersion(3, 0, 4), [default])
    assert not config_test_is_unsafe(KeaVersion(2, 6, 3), [default])
    assert not config_test_is_unsafe(KeaVersion(2, 2, 0), [default])
    assert not config_test_is_unsafe(KeaVersion(3, 0, 3), [no_listener])
    assert not config_test_is_unsafe(None, [default])


def test_report_summary_and_json():
    peer = PeerReport('server2', 'http://127.0.0.1:1/', role='secondary', outcome=PeerOutcome.ROLLED_BACK)
    peer.steps += [
        Step('config-set', False, 'result 1: One or more hook libraries failed to load'),
        Step('rollback', True),
    ]
    peer.error = 'config-set failed: result 1: One or more hook libraries failed to load'
    report = RolloutReport(peers=[peer, PeerReport('server1', 'http://127.0.0.1:2/', role='primary')])
    assert not report.ok and not report.changed
    assert report.summary().splitlines() == [
        'stopped: server2: config-set failed: result 1: One or more hook libraries failed to load',
        '  server2 (secondary): rolled back - config-set: FAILED (result 1: One or more hook libraries failed to '
        'load), rollback: ok',
        '  server1 (primary): not attempted - no steps',
    ]
    data = json.loads(json.dumps(report.as_dict()))
    assert data['peers'][0]['outcome'] == 'rolled back'
    assert data['peers'][0]['steps'][0] == {
        'name': 'config-set',
        'ok': False,
        'text': 'result 1: One or more hook libraries failed to load',
        'seconds': 0.0,
    }
    assert (
        str(Progress('settle', 'start', 'waiting up to 60 s', 'server2'))
        == '[server2] settle: start - waiting up to 60 s'
    )
    with pytest.raises(KeyError, match="no peer named 'server9'"):
        report.peer('server9')
    finding = detect(config('server1', roles=('primary',))).findings[0]
    report.findings['server1'] = (finding,)
    (shown,) = report.as_dict()['findings']['server1']
    assert shown['code'] == 'ha.secondary-required' and shown['incomplete'] is True
    assert Finding.from_dict(shown) == finding


@pytest.mark.parametrize(
    ('targets', 'message'),
    [
        ([], 'at least one target'),
        (
            [
                Target('a', Endpoint('http://127.0.0.1:1/'), {'Dhcp4': {}}),
                Target('a', Endpoint('http://127.0.0.1:2/'), {'Dhcp4': {}}),
            ],
            'names must be unique, got a, a',
        ),
        (
            [Target('a', Endpoint('http://127.0.0.1:1/'), {'Control-agent': {}})],
            'desired config of a is not a Kea config',
        ),
        (
            [
                Target('a', Endpoint('http://127.0.0.1:1/'), {'Dhcp4': {}}),
                Target('b', Endpoint('http://127.0.0.1:2/'), {'Dhcp6': {}}),
            ],
            'mix Dhcp4 and Dhcp6',
        ),
    ],
)
def test_bad_targets_are_refused_clearly(targets, message):
    with pytest.raises(RolloutError, match=message):
        rollout(targets)


def test_bad_timeouts_are_refused():
    with pytest.raises(RolloutError, match='settle_timeout and poll_interval must be positive'):
        rollout([Target('a', Endpoint('http://127.0.0.1:1/'), {'Dhcp4': {}})], settle_timeout=0)


def test_unreachable_peer_refuses_the_push():
    # Port 9 on loopback: nothing listens (connection refused), nothing leaves 127.0.0.0/8.
    target = Target('server1', Endpoint('http://127.0.0.1:9/', timeout=2), config('server1'))
    report = rollout([target])
    assert report.refused.startswith('cannot read every peer: server1: ')
    assert report.peer('server1').outcome is PeerOutcome.NOT_ATTEMPTED
