"""Detection on hand-written configs shaped like Kea 2.2, 2.6 and 3.0 ones (kea-2.2-observed.md,
kea-2.6-3.0-observed.md), malformed input, and a property-based test: thousands of mutated configs, from which
only `DetectionError` may escape."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netbox_kea_ha.kea.detect import Detection, DetectionError, detect, infer_version
from netbox_kea_ha.kea.findings import Finding
from netbox_kea_ha.kea.ha import KeaVersion, Relationship
from netbox_kea_ha.kea.validate import errors, warnings

HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks'


def peers(*specs: tuple[str, str, int]) -> list[dict[str, Any]]:
    """Peer entries (name, role, port) at 127.0.0.1."""
    return [
        {'name': n, 'url': f'http://127.0.0.1:{port}/', 'role': r, 'auto-failover': r != 'backup'}
        for n, r, port in specs
    ]


def kea22_lb(this: str = 'server1', backup: bool = False) -> dict[str, Any]:
    """The observed Kea 2.2 load-balancing config (kea-2.2-observed.md §1), as config-get's arguments."""
    specs = [('server1', 'primary', 18001), ('server2', 'secondary', 18002)]
    if backup:
        specs.append(('server3', 'backup', 18003))
    return {
        'Dhcp4': {
            'interfaces-config': {'interfaces': [], 'dhcp-socket-type': 'udp'},
            'control-socket': {'socket-type': 'unix', 'socket-name': '/run/kea/kea4-ctrl.sock'},
            'lease-database': {'type': 'memfile', 'persist': True, 'name': '/var/lib/kea/l.csv', 'lfc-interval': 0},
            'valid-lifetime': 3600,
            'hooks-libraries': [
                {'library': f'{HOOKS}/libdhcp_lease_cmds.so'},
                {
                    'library': f'{HOOKS}/libdhcp_ha.so',
                    'parameters': {
                        'high-availability': [
                            {
                                'this-server-name': this,
                                'mode': 'load-balancing',
                                'heartbeat-delay': 1000,
                                'max-response-delay': 3000,
                                'max-ack-delay': 2000,
                                'max-unacked-clients': 0,
                                'sync-timeout': 60000,
                                'sync-page-limit': 10000,
                                'delayed-updates-limit': 0,
                                'peers': peers(*specs),
                            }
                        ]
                    },
                },
            ],
            'subnet4': [
                {
                    'id': 1,
                    'subnet': '192.0.2.0/24',
                    'pools': [
                        {'pool': '192.0.2.10 - 192.0.2.99', 'client-class': 'HA_server1'},
                        {'pool': '192.0.2.100 - 192.0.2.189', 'client-class': 'HA_server2'},
                    ],
                }
            ],
        }
    }


def hub26(hash_: bool = True) -> dict[str, Any]:
    """The Kea 2.6 hub of kea-2.6-3.0-observed.md §3.5: two hot-standby relationships, dedicated listeners."""
    timers = {'heartbeat-delay': 1000, 'max-response-delay': 3000, 'max-ack-delay': 2000, 'max-unacked-clients': 0}
    config: dict[str, Any] = {
        'Dhcp4': {
            'hooks-libraries': [
                {'library': f'{HOOKS}/libdhcp_lease_cmds.so'},
                {
                    'library': f'{HOOKS}/libdhcp_ha.so',
                    'parameters': {
                        'high-availability': [
                            {
                                'this-server-name': 'server2',
                                'mode': 'hot-standby',
                                **timers,
                                'peers': peers(('server1', 'primary', 18741), ('server2', 'standby', 18742)),
                            },
                            {
                                'this-server-name': 'server4',
                                'mode': 'hot-standby',
                                **timers,
                                'peers': peers(('server3', 'primary', 18743), ('server4', 'standby', 18744)),
                            },
                        ]
                    },
                },
            ],
            'subnet4': [
                {'id': 1, 'subnet': '192.0.2.0/24', 'user-context': {'ha-server-name': 'server2'}},
                {'id': 2, 'subnet': '198.51.100.0/24', 'user-context': {'ha-server-name': 'server4'}},
            ],
        }
    }
    if hash_:
        config['hash'] = 'F08C2526156849992292A2A9B009B6BA9E90404BBBC8F6EFAC1BDE722144B0D7'
    return config


def kea30_ctl() -> dict[str, Any]:
    """A Kea 3.0 server (kea-2.6-3.0-observed.md §4.2-4.3, the "ctl" variant): own HTTP control socket, peers
    reach it there, dedicated listener off, libraries by bare file name, pools with `client-classes`."""
    return {
        'Dhcp4': {
            'control-sockets': [
                {'socket-type': 'unix', 'socket-name': 'kea4-ctrl.sock'},
                {'socket-type': 'http', 'socket-address': '127.0.0.1', 'socket-port': 18813},
            ],
            'hooks-libraries': [
                {'library': 'libdhcp_lease_cmds.so'},
                {
                    'library': 'libdhcp_ha.so',
                    'parameters': {
                        'high-availability': [
                            {
                                'this-server-name': 'server1',
                                'mode': 'load-balancing',
                                'heartbeat-delay': 1000,
                                'max-response-delay': 3000,
                                'multi-threading': {'http-dedicated-listener': False},
                                'peers': peers(('server1', 'primary', 18813), ('server2', 'secondary', 18814)),
                            }
                        ]
                    },
                },
            ],
            'subnet4': [
                {
                    'id': 1,
                    'subnet': '192.0.2.0/24',
                    'pools': [{'pool': '192.0.2.10-192.0.2.99', 'client-classes': ['HA_server1']}],
                }
            ],
        },
        'hash': 'ABCDEF',
    }


# --------------------------------------------------------------------------------------------------------------
# What is detected
# --------------------------------------------------------------------------------------------------------------


def test_kea22_load_balancing_pair() -> None:
    """The observed 2.2 pair: one relationship, this server, its role, the hooks directory, no finding."""
    d = detect(kea22_lb())
    assert d.family == 'dhcp4'
    assert len(d.relationships) == 1
    rel = d.relationships[0]
    assert rel.mode == 'load-balancing'
    assert [(p.name, p.url, p.role, p.auto_failover) for p in rel.peers] == [
        ('server1', 'http://127.0.0.1:18001/', 'primary', True),
        ('server2', 'http://127.0.0.1:18002/', 'secondary', True),
    ]
    assert rel.parameters['heartbeat-delay'] == 1000
    assert rel.parameters['sync-page-limit'] == 10000
    assert d.this_server_names == ('server1',)
    assert d.roles == ('primary',)
    assert d.hooks_dir == HOOKS
    assert d.ha_library == f'{HOOKS}/libdhcp_ha.so'
    assert d.lease_cmds_loaded is True
    assert d.findings == ()
    assert d.kea_version is None and d.config_hash is None
    assert d.has_ha


def test_the_partner_and_the_backup_see_themselves() -> None:
    """Detecting the secondary's or the backup's config gives its own name and role."""
    assert detect(kea22_lb('server2', backup=True)).roles == ('secondary',)
    backup = detect(kea22_lb('server3', backup=True))
    assert backup.this_server_names == ('server3',) and backup.roles == ('backup',)
    assert [p.role for p in backup.relationships[0].peers] == ['primary', 'secondary', 'backup']


def test_relationship_round_trips_to_the_same_kea_json() -> None:
    """What is detected renders back to the same `high-availability` entry (nothing lost, nothing added)."""
    config = kea22_lb(backup=True)
    entry = config['Dhcp4']['hooks-libraries'][1]['parameters']['high-availability'][0]
    assert detect(config).relationships[0].to_kea() == entry


def test_accepts_text_bytes_and_the_whole_answer() -> None:
    """JSON text, bytes, the config-get answer list, the answer map: all give the same detection."""
    config = kea22_lb()
    expected = detect(config)
    answer = [{'result': 0, 'arguments': config}]
    for given_ in (json.dumps(config), json.dumps(config).encode(), answer, answer[0], json.dumps(answer)):
        assert detect(given_) == expected


def test_no_ha_hook() -> None:
    """A server without the HA hook: no relationship, no error."""
    config = kea22_lb()
    del config['Dhcp4']['hooks-libraries'][1]
    d = detect(config)
    assert (d.relationships, d.this_server_names, d.roles, d.ha_library, d.hooks_dir) == ((), (), (), None, None)
    assert d.lease_cmds_loaded and not d.has_ha
    del config['Dhcp4']['hooks-libraries']
    assert detect(config).lease_cmds_loaded is False


def test_dhcp6() -> None:
    """A Dhcp6 config is detected as dhcp6."""
    config = {'Dhcp6': kea22_lb()['Dhcp4']}
    del config['Dhcp6']['subnet4']
    assert detect(config).family == 'dhcp6'


def test_kea26_hub_and_spoke() -> None:
    """The 2.6 hub: two relationships, two names of this server, standby in both; hash -> 2.6 rules, no error."""
    d = detect(hub26())
    assert d.kea_version == KeaVersion(2, 6, 0)
    assert d.config_hash == 'F08C2526156849992292A2A9B009B6BA9E90404BBBC8F6EFAC1BDE722144B0D7'
    assert [r.mode for r in d.relationships] == ['hot-standby', 'hot-standby']
    assert d.this_server_names == ('server2', 'server4')
    assert d.roles == ('standby', 'standby')
    assert [[p.name for p in r.peers] for r in d.relationships] == [['server1', 'server2'], ['server3', 'server4']]
    assert errors(d.findings) == []


def test_hub_without_any_version_marker_is_read_as_26() -> None:
    """Several relationships can only run on >= 2.5.5, so they imply 2.6 when nothing else tells."""
    d = detect(hub26(hash_=False))
    assert d.kea_version == KeaVersion(2, 6, 0)
    assert errors(d.findings) == []


def test_hub_checked_as_22_when_the_version_is_given() -> None:
    """With the version given as 2.2, the hub is refused as Kea 2.2 refuses it."""
    d = detect(hub26(), version=KeaVersion(2, 2, 0))
    assert [f.code for f in errors(d.findings)] == ['ha.relationship-count']


def test_hub_clash_of_dedicated_listeners() -> None:
    """Both hub names on the same URL with dedicated listeners (the 2.6 default): Kea's bind error."""
    config = hub26()
    rels = config['Dhcp4']['hooks-libraries'][1]['parameters']['high-availability']
    rels[1]['peers'][1]['url'] = rels[0]['peers'][1]['url']
    found = errors(detect(config).findings)
    assert [(f.code, f.field) for f in found] == [
        ('ha.listener-url-clash', 'hooks-libraries[1].parameters.high-availability[1].peers[1].url')
    ]


def test_kea30_control_socket_variant() -> None:
    """3.0: bare library names (no hooks_dir), control-sockets -> 3.0 rules, peers at the control sockets."""
    d = detect(kea30_ctl())
    assert d.kea_version == KeaVersion(3, 0, 0)
    assert d.ha_library == 'libdhcp_ha.so' and d.hooks_dir is None and d.lease_cmds_loaded
    assert d.roles == ('primary',)
    assert d.relationships[0].parameters['multi-threading.http-dedicated-listener'] is False
    assert errors(d.findings) == []


def test_kea30_dedicated_listener_on_the_control_socket_port() -> None:
    """3.0 with the listener on (its default) and the peer URL = the own HTTP control socket: bind clash."""
    config = kea30_ctl()
    del config['Dhcp4']['hooks-libraries'][1]['parameters']['high-availability'][0]['multi-threading']
    found = errors(detect(config).findings)
    assert [f.code for f in found] == ['ha.listener-control-socket-clash']
    assert found[0].message.startswith('Error initializing hooks: CmdHttpListener::run failed: unable to setup')


def test_bare_library_names_need_263() -> None:
    """Bare names without another marker: checked as 2.2, where dlopen() does not find them."""
    config = kea30_ctl()
    del config['Dhcp4']['control-sockets'], config['hash']
    config['Dhcp4']['subnet4'][0]['pools'][0] = {'pool': '192.0.2.10-192.0.2.99'}
    d = detect(config)
    assert d.kea_version is None
    assert [f.code for f in errors(d.findings)] == ['hooks.bare-library-name'] * 2
    assert errors(detect(config, version=KeaVersion(2, 6, 3)).findings) == []


def test_max_rejected_lease_updates_marks_26() -> None:
    """config-get of 2.4+ always lists max-rejected-lease-updates."""
    config = kea22_lb()
    config['Dhcp4']['hooks-libraries'][1]['parameters']['high-availability'][0]['max-rejected-lease-updates'] = 10
    assert infer_version(config) == KeaVersion(2, 6, 0)
    assert infer_version(kea22_lb()) is None
    assert infer_version({'nope': 1}) is None


def test_findings_for_what_kea_refuses_or_frowns_upon() -> None:
    """Kea's errors and the warnings come with detection, with full paths."""
    config = kea22_lb(this='server9')
    config['Dhcp4']['hooks-libraries'].pop(0)
    d = detect(config)
    assert d.this_server_names == ('server9',) and d.roles == (None,)
    assert [(f.severity, f.field, f.code) for f in d.findings] == [
        ('warning', 'hooks-libraries', 'ha.no-lease-cmds'),
        ('error', 'hooks-libraries[0].parameters.high-availability[0].this-server-name', 'ha.no-peer-for-this-server'),
    ]
    assert all(isinstance(f, Finding) for f in d.findings)


def test_several_ha_hooks_detects_the_first_and_warns() -> None:
    """Two HA hooks: Kea loads both and then breaks; the first is detected, a warning says so."""
    config = kea22_lb()
    second = copy.deepcopy(config['Dhcp4']['hooks-libraries'][1])
    second['parameters']['high-availability'][0]['this-server-name'] = 'server2'
    config['Dhcp4']['hooks-libraries'].append(second)
    d = detect(config)
    assert d.this_server_names == ('server1',)
    assert [f.code for f in warnings(d.findings)] == ['ha.hook-listed-twice']


def test_ha_hook_without_parameters_is_a_finding() -> None:
    """An HA hook without parameters: no relationship, and Kea's HA_MISSING_CONFIGURATION as an error."""
    config = kea22_lb()
    del config['Dhcp4']['hooks-libraries'][1]['parameters']
    d = detect(config)
    assert d.relationships == () and d.ha_library is not None
    assert [f.message for f in errors(d.findings)] == [
        'high-availability parameter not specified for High Availability hooks library'
    ]


def test_this_server_name_is_stripped_like_kea() -> None:
    """Kea strips blanks from this-server-name; detection reports the name Kea uses."""
    config = kea22_lb(this=' server1\t')
    d = detect(config)
    assert d.this_server_names == ('server1',) and d.roles == ('primary',)


# --------------------------------------------------------------------------------------------------------------
# Malformed input: DetectionError naming what is wrong
# --------------------------------------------------------------------------------------------------------------


def _hooks(config: dict[str, Any]) -> list[Any]:
    hooks: list[Any] = config['Dhcp4']['hooks-libraries']
    return hooks


def _with(change: Any) -> dict[str, Any]:
    config = kea22_lb()
    change(config)
    return config


@pytest.mark.parametrize(
    ('given_', 'message'),
    [
        ('{"Dhcp4": ', 'the config is not JSON: Expecting value: line 1 column 11 (char 10)'),
        (b'\xff\xfe', 'the config is not UTF-8 text'),
        ('[1, 2]', 'expected a config-get answer with one entry, got a list of 2'),
        ([{'result': 1, 'text': 'boom'}], "the config-get answer is an error (result 1): 'boom'"),
        ('"Dhcp4"', 'expected a map with a Dhcp4 or Dhcp6 key, got str'),
        ({'Dhcp5': {}, 'hash': 'x'}, "expected a Dhcp4 or Dhcp6 key, found keys: 'Dhcp5', 'hash'"),
        ({'Dhcp4': {}, 'Dhcp6': {}}, 'both Dhcp4 and Dhcp6 are present: one server config holds one of them'),
        ({'Dhcp4': []}, 'Dhcp4 must be a map, got list'),
        ({'Dhcp4': {'hooks-libraries': {}}}, "Dhcp4 'hooks-libraries' must be a list, got dict"),
        (
            _with(lambda c: _hooks(c)[1].update(parameters=['high-availability'])),
            'hooks-libraries[1].parameters of libdhcp_ha.so must be a map, got list',
        ),
        (
            _with(lambda c: _hooks(c)[1]['parameters'].update({'high-availability': {}})),
            'hooks-libraries[1].parameters.high-availability must be a list, got dict',
        ),
        (
            _with(lambda c: _hooks(c)[1]['parameters'].update({'high-availability': ['server1']})),
            'hooks-libraries[1].parameters.high-availability[0] must be a map, got str',
        ),
        (
            _with(lambda c: _hooks(c)[1]['parameters']['high-availability'][0].pop('this-server-name')),
            'hooks-libraries[1].parameters.high-availability[0].this-server-name must be a non-empty string, got None',
        ),
        (
            _with(lambda c: _hooks(c)[1]['parameters']['high-availability'][0].update({'this-server-name': 7})),
            'hooks-libraries[1].parameters.high-availability[0].this-server-name must be a non-empty string, got 7',
        ),
    ],
)
def test_malformed_input(given_: Any, message: str) -> None:
    """Input that does not let relationships be read raises DetectionError with a message naming the problem."""
    with pytest.raises(DetectionError) as info:
        detect(given_)
    assert str(info.value).startswith(message)
    assert isinstance(info.value, ValueError)


def test_secrets_stay_out_of_error_messages() -> None:
    """A DetectionError never quotes a peer's password (it names keys and types, not peer values)."""
    config = kea22_lb()
    rel = _hooks(config)[1]['parameters']['high-availability'][0]
    rel['peers'][1]['basic-auth-password'] = 'hunter2-secret'
    rel['this-server-name'] = ['not', 'a', 'string']
    with pytest.raises(DetectionError) as info:
        detect(config)
    assert 'hunter2' not in str(info.value)
    del rel['this-server-name']
    rel['this-server-name'] = 'server1'
    rel['peers'][1]['basic-auth-user'] = 'ha:user'
    assert all('hunter2' not in f.message for f in detect(config).findings)


# --------------------------------------------------------------------------------------------------------------
# Property-based: mutated real-shaped configs
# --------------------------------------------------------------------------------------------------------------

_BASES = [kea22_lb(), kea22_lb('server3', backup=True), hub26(), kea30_ctl()]
_INTERESTING = st.sampled_from(
    [
        'server1',
        'server2',
        'primary',
        'secondary',
        'standby',
        'backup',
        'load-balancing',
        'hot-standby',
        'passive-backup',
        'http://127.0.0.1:8000/',
        'https://[::1]:8000/',
        'http://localhost/',
        'libdhcp_ha.so',
        f'{HOOKS}/libdhcp_ha.so',
        'libdhcp_lease_cmds.so',
        'waiting',
        'once',
        '',
        ' ',
        'a:b',
    ]
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | _INTERESTING
)
_JUNK = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6) | _INTERESTING, inner, max_size=3),
    max_leaves=6,
)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for key, value in obj.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            out += _paths(value, (*prefix, index))
    return out


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        obj = obj[key]
    return obj


@st.composite
def mutated_configs(draw: st.DrawFn) -> Any:
    """A real-shaped config with 1-6 mutations at random paths: replace, drop, insert junk, or retype."""
    config: Any = copy.deepcopy(draw(st.sampled_from(_BASES)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        paths = _paths(config)
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(['replace', 'drop', 'insert', 'wrap', 'stringify']))
        target = _get(config, path)
        if op == 'replace':
            value = draw(_JUNK)
        elif op == 'wrap':
            value = [target]
        elif op == 'stringify':
            value = json.dumps(target)
        elif op == 'insert' and isinstance(target, dict):
            target[draw(st.text(max_size=6) | _INTERESTING)] = draw(_JUNK)
            continue
        elif op == 'insert' and isinstance(target, list):
            target.insert(draw(st.integers(0, len(target))), draw(_JUNK))
            continue
        elif op == 'drop' and path:
            parent = _get(config, path[:-1])
            del parent[path[-1]]
            continue
        else:
            continue
        if path:
            _get(config, path[:-1])[path[-1]] = value
        else:
            config = value
    form = draw(st.sampled_from(['object', 'json', 'truncated-json', 'answer']))
    if form == 'json':
        return json.dumps(config)
    if form == 'truncated-json':
        text = json.dumps(config)
        return text[: draw(st.integers(0, len(text)))]
    if form == 'answer':
        return [{'result': 0, 'arguments': config}]
    return config


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_configs())
def test_only_detection_error_escapes(config: Any) -> None:
    """Whatever is mutated, detect returns a consistent Detection or raises DetectionError; nothing else."""
    try:
        d = detect(config)
    except DetectionError as exc:
        assert str(exc)
        return
    assert isinstance(d, Detection)
    assert len(d.relationships) == len(d.this_server_names) == len(d.roles)
    assert all(isinstance(r, Relationship) for r in d.relationships)
    assert all(isinstance(f, Finding) and f.message and f.code for f in d.findings)
    assert d.family in ('dhcp4', 'dhcp6')
