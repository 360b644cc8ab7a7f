"""The rollout's checks, reports and argument handling without real Kea; plus the one path real Kea cannot take
here (a Kea 3.0.3 server, where config-test must be skipped), with a fake transport.

Every other path is proved against real Kea 2.2 in test_rollout_kea.py.
"""

import copy
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from netbox_kea_ha.kea.client import Endpoint, KeaClient
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
    role_rank,
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
    assert sorted(roles, key=role_rank) == ['backup', 'backup', 'standby', 'secondary', 'primary', None]


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


class FakeKea30:
    """A Kea 3.0.3 server's HTTP control socket, reduced to what a rollout asks. Real Kea 3.0.3 cannot run in
    this suite (Debian 12 ships 2.2), and 3.0.3 is where config-test must be skipped; everything else a rollout
    does is proved on real Kea 2.2."""

    def __init__(self, name, running):
        self.name = name
        self.config = copy.deepcopy(running)
        self.commands = []

    def status(self):
        ha = self.config['Dhcp4']['hooks-libraries'][1]['parameters']['high-availability'][0]
        partner = next(p for p in ha['peers'] if p['name'] != self.name)
        me = next(p for p in ha['peers'] if p['name'] == self.name)
        state = 'load-balancing'
        return {
            'pid': 1,
            'uptime': 5,
            'reload': 5,
            'high-availability': [
                {
                    'ha-mode': ha['mode'],
                    'ha-servers': {
                        'local': {'role': me['role'], 'scopes': [self.name], 'state': state, 'server-name': self.name},
                        'remote': {
                            'age': 0,
                            'in-touch': True,
                            'communication-interrupted': False,
                            'last-scopes': [],
                            'last-state': state,
                            'role': partner['role'],
                            'server-name': partner['name'],
                            'analyzed-packets': 0,
                            'connecting-clients': 0,
                            'unacked-clients': 0,
                            'unacked-clients-left': 0,
                        },
                    },
                }
            ],
        }

    def handle(self, request):
        body = json.loads(request.content)
        command = body['command']
        self.commands.append(command)
        answers = {
            'version-get': {'result': 0, 'text': '3.0.3'},
            'config-get': {'result': 0, 'arguments': {**copy.deepcopy(self.config), 'hash': 'H'}},
            'list-commands': {'result': 0, 'arguments': ['ha-heartbeat', 'lease4-get-page', 'config-set']},
            'config-write': {'result': 0, 'text': 'Configuration written', 'arguments': {'filename': 'x', 'size': 1}},
            'config-test': {'result': 0, 'text': 'Configuration seems sane.'},
        }
        if command == 'config-set':
            self.config = copy.deepcopy(body['arguments'])
            answer = {'result': 0, 'text': 'Configuration successful.', 'arguments': {'hash': 'H2'}}
        elif command == 'status-get':
            answer = {'result': 0, 'arguments': self.status()}
        else:
            answer = answers[command]
        return httpx.Response(200, json=[answer])


def test_config_test_is_skipped_on_kea_3_0_3_with_a_dedicated_listener():
    servers = {name: FakeKea30(name, config(name)) for name in ('server1', 'server2')}
    for fake in servers.values():
        assert parse_status(fake.status()).ha.local.state == 'load-balancing'

    def client_factory(endpoint):
        name = 'server1' if endpoint.url.endswith(':18001/') else 'server2'
        return KeaClient(endpoint, transport=httpx.MockTransport(servers[name].handle))

    targets = [
        Target(
            name, Endpoint(f'http://127.0.0.1:{18000 + i}/', service=None), config(name, **{'heartbeat-delay': 2000})
        )
        for i, name in enumerate(servers, 1)
    ]
    events = []
    report = rollout(targets, client_factory=client_factory, progress=events.append, settle_timeout=5)
    assert report.ok, report.summary()
    for fake in servers.values():
        assert 'config-test' not in fake.commands
        assert fake.commands.count('config-set') == 1
    skipped = [e for e in events if e.step == 'config-test']
    assert all('skipped: a config-test kills the dedicated HA listener of Kea 3.0.3' in e.message for e in skipped)
    assert len(skipped) == 2
