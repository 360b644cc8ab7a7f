"""The validator's API and the rules not proven against Kea 2.2 in test_validate_kea22.py: the exact text of
every warning, the Kea >= 2.6 rules (hub-and-spoke, dedicated listeners, 3.x control sockets), the entry points'
field paths, and Kea's URL parser."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from netbox_kea_ha.kea.findings import Finding, Severity, path_of, path_text, strip_position
from netbox_kea_ha.kea.ha import KeaVersion, Peer, Relationship
from netbox_kea_ha.kea.kea_url import KeaUrl, parse_kea_url
from netbox_kea_ha.kea.validate import (
    errors,
    find_dhcp_config,
    validate_config,
    validate_hooks_libraries,
    validate_relationship,
    validate_relationships,
    warnings,
)

V22, V26, V30 = KeaVersion(2, 2, 0), KeaVersion(2, 6, 3), KeaVersion(3, 0, 3)
TIMERS = {'heartbeat-delay': 1000, 'max-response-delay': 3000, 'max-ack-delay': 2000, 'max-unacked-clients': 0}
HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks'


def peer(name: str, role: str, url: str | None = None, **more: Any) -> Peer:
    return Peer(name, url or f'http://127.0.0.{name[-1]}:8000/', role, **more)


def lb(this: str = 'server1', params: dict[str, Any] | None = None, **more: Any) -> Relationship:
    peers = more.pop('peers', (peer('server1', 'primary'), peer('server2', 'secondary')))
    return Relationship(this, more.pop('mode', 'load-balancing'), tuple(peers), TIMERS | (params or {}), **more)


def only(findings: list[Finding], code: str) -> Finding:
    """The single finding with this code (and there must be no error unless it is one)."""
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, findings
    return found[0]


def server(rels: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    hooks = [
        {'library': f'{HOOKS}/libdhcp_lease_cmds.so'},
        {'library': f'{HOOKS}/libdhcp_ha.so', 'parameters': {'high-availability': rels}},
    ]
    return {'Dhcp4': {'hooks-libraries': hooks, **more}}


# --------------------------------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------------------------------


def test_a_good_relationship_has_no_finding() -> None:
    """The observed lab pair (1000/3000 ms) is clean for every version."""
    for version in (None, V22, V26, V30):
        assert validate_relationship(lb(), version=version) == []
        assert validate_relationships([lb()], version=version) == []


def test_finding_values() -> None:
    """Severity strings, as_dict/from_dict (one serialisation), str(), errors() and warnings()."""
    f = Finding(Severity.ERROR, ('peers', 1, 'url'), 'bad url', 'ha.url-not-ip', incomplete=True)
    assert f.as_dict() == {
        'severity': 'error',
        'path': ['peers', 1, 'url'],
        'field': 'peers[1].url',
        'message': 'bad url',
        'code': 'ha.url-not-ip',
        'incomplete': True,
        'peer': None,
        'server': None,
        'relationship': None,
    }
    assert Finding.from_dict(f.as_dict()) == f
    assert str(f) == 'error: peers[1].url: bad url'
    w = Finding(Severity.WARNING, ('heartbeat-delay',), 'slow', 'ha.x')
    assert errors([f, w]) == [f] and warnings([f, w]) == [w] and f.is_error and not w.is_error


def test_finding_locations_are_data() -> None:
    """Where a finding is: its relationship, its peer and the key inside it, read from the path, not from text."""
    f = Finding(Severity.ERROR, path_of('hooks-libraries[1].parameters.high-availability[2].peers[0].url'), 'x', 'c')
    assert (f.relationship_index, f.in_relationship().path) == (2, ('peers', 0, 'url'))
    inner = f.in_relationship()
    assert (inner.peer_index, inner.key, inner.named(['a', 'b']).peer) == (0, ('url',), 'a')
    assert Finding.from_dict({'severity': 'warning', 'field': 'peers[1].name', 'message': 'm', 'code': 'c'}).path == (
        'peers',
        1,
        'name',
    )
    assert path_text(path_of('state-machine.states[0].pause')) == 'state-machine.states[0].pause'


def test_field_paths_per_entry_point() -> None:
    """Relative to the relationship, to the list, or to the server map."""
    rel = lb(peers=(peer('server1', 'primary'), peer('server2', 'secondary', 'http://localhost/')))
    assert [f.field for f in errors(validate_relationship(rel))] == ['peers[1].url']
    assert [f.field for f in errors(validate_relationships([rel]))] == ['high-availability[0].peers[1].url']
    hooks = server([rel.to_kea()])['Dhcp4']['hooks-libraries']
    assert [f.field for f in errors(validate_hooks_libraries(hooks))] == [
        'hooks-libraries[1].parameters.high-availability[0].peers[1].url'
    ]
    assert [f.field for f in errors(validate_config(server([rel.to_kea()])))] == [
        'hooks-libraries[1].parameters.high-availability[0].peers[1].url'
    ]


def test_all_findings_not_only_the_first() -> None:
    """Unlike Kea, every problem is reported, in Kea's order."""
    rel = Relationship(
        'server9',
        'load-balancing',
        (peer('server1', 'primary', 'https://127.0.0.1:1/'), peer('server2', 'primary', 'http://x/')),
        {'heartbeat-delay': -1},
    )
    assert [f.code for f in errors(validate_relationship(rel))] == [
        'ha.negative',
        'ha.no-peer-for-this-server',
        'ha.https-without-tls',
        'ha.url-not-ip',
        'ha.multiple-primary',
        'ha.secondary-required',
    ]


def test_incomplete_relationship_built_one_peer_at_a_time() -> None:
    """A relationship being entered: only `incomplete` errors until it has what its mode needs."""
    empty = Relationship('server1', 'hot-standby', ())
    assert {(f.code, f.incomplete) for f in errors(validate_relationship(empty))} == {
        ('ha.no-peer-for-this-server', True),
        ('ha.standby-required', True),
        ('ha.primary-required', True),
    }
    half = Relationship('server1', 'hot-standby', (peer('server1', 'primary'),), TIMERS)
    assert [(f.code, f.incomplete) for f in errors(validate_relationship(half))] == [('ha.standby-required', True)]


def test_version_none_means_22() -> None:
    """Unknown version: Kea 2.2's rules (one relationship; max-rejected-lease-updates is ignored there)."""
    assert [f.code for f in validate_relationships([lb(), lb('server2')])] == ['ha.relationship-count']
    assert [f.code for f in validate_relationship(lb(params={'max-rejected-lease-updates': 3}))] == [
        'ha.parameter-not-supported'
    ]
    assert validate_relationship(lb(params={'max-rejected-lease-updates': 3}), version=V26) == []


def test_find_dhcp_config() -> None:
    """The family and server map; ValueError naming what is wrong."""
    assert find_dhcp_config({'Dhcp6': {'a': 1}, 'hash': 'x'}) == ('dhcp6', {'a': 1})
    for bad, message in (
        (None, 'expected a map with a Dhcp4 or Dhcp6 key, got NoneType'),
        ({}, 'expected a Dhcp4 or Dhcp6 key, found keys: none'),
        ({'Dhcp4': 1}, 'Dhcp4 must be a map, got int'),
    ):
        with pytest.raises(ValueError, match='^' + message.replace('(', r'\(').replace(')', r'\)') + '$'):
            find_dhcp_config(bad)
    assert [(f.code, f.message) for f in validate_config({'Control-agent': {}})] == [
        ('config.not-a-server-config', "expected a Dhcp4 or Dhcp6 key, found keys: 'Control-agent'")
    ]
    assert validate_config({'Dhcp4': {}}) == []


# --------------------------------------------------------------------------------------------------------------
# Warnings: exact messages
# --------------------------------------------------------------------------------------------------------------

WARNINGS: list[tuple[str, Relationship, str, str]] = [
    (
        'ha.response-delay-not-above-heartbeat',
        lb(params={'max-response-delay': 500}),
        'max-response-delay',
        'max-response-delay (500 ms) is not greater than heartbeat-delay (1000 ms): communication counts as '
        'interrupted between two heartbeats and the partner can be declared down while it is healthy; make it '
        'several heartbeats long (e.g. 3000).',
    ),
    (
        'ha.response-delay-few-heartbeats',
        lb(params={'max-response-delay': 2500}),
        'max-response-delay',
        'max-response-delay (2500 ms) spans fewer than 3 heartbeats (1000 ms each): one late heartbeat is enough '
        'to count the partner as unreachable; make it at least 3000 ms.',
    ),
    (
        'ha.heartbeat-disabled',
        lb(params={'heartbeat-delay': 0}),
        'heartbeat-delay',
        'heartbeat-delay is 0: Kea then sends no heartbeats at all, so a failed partner is never detected; use e.g. '
        '1000-10000 ms.',
    ),
    (
        'ha.duplicate-peer-url',
        lb(peers=(peer('server1', 'primary'), peer('server2', 'secondary', 'http://127.0.0.1:8000'))),
        'peers[1].url',
        "peers 'server1' and 'server2' have the same URL http://127.0.0.1:8000: each peer needs its own address or "
        'port, or HA talks to the wrong server.',
    ),
    (
        'ha.unknown-key',
        lb(extra={'heartbeat-dealy': 1000}),
        'heartbeat-dealy',
        "unknown HA parameter 'heartbeat-dealy': Kea ignores it (check the spelling).",
    ),
    (
        'ha.auto-failover-on-backup',
        lb(
            peers=(
                peer('server1', 'primary'),
                peer('server2', 'secondary'),
                peer('server3', 'backup', auto_failover=True),
            )
        ),
        'peers[2].auto-failover',
        "auto-failover is true on the backup server 'server3': a backup never takes over automatically; set it to "
        'false.',
    ),
    (
        'ha.auto-failover-disabled',
        lb(peers=(peer('server1', 'primary'), peer('server2', 'secondary', auto_failover=False))),
        'peers[1].auto-failover',
        "auto-failover disabled for server2: when its partner fails it will not serve the partner's clients until "
        'told to with ha-scopes.',
    ),
    (
        'ha.odd-peer-name',
        lb('server 1', peers=(peer('server 1', 'primary'), peer('server2', 'secondary'))),
        'peers[0].name',
        "peer name 'server 1' makes the client class 'HA_server 1' that pools and subnets must name exactly; use "
        'letters, digits, dot, dash and underscore only.',
    ),
    (
        'ha.name-blanks',
        lb('server1 '),
        'this-server-name',
        "this-server-name 'server1 ' has leading or trailing blanks: Kea strips them and uses 'server1'; remove them.",
    ),
    (
        'ha.url-without-port',
        lb(peers=(peer('server1', 'primary'), peer('server2', 'secondary', 'http://127.0.0.2/'))),
        'peers[1].url',
        "the URL of 'server2' has no port: Kea has no default port and connects to port 0; give the port of its "
        'Control Agent or HA listener.',
    ),
    (
        'ha.url-port-out-of-range',
        lb(peers=(peer('server1', 'primary'), peer('server2', 'secondary', 'http://127.0.0.2:70000/'))),
        'peers[1].url',
        "the URL of 'server2' has port 70000, above 65535: Kea accepts it but cannot connect.",
    ),
    (
        'ha.http-with-tls',
        lb(
            params={'trust-anchor': '/ca.pem', 'cert-file': '/c.pem', 'key-file': '/k.pem'},
            peers=(peer('server1', 'primary'), peer('server2', 'secondary', 'https://127.0.0.2:8000/')),
        ),
        'peers[0].url',
        "peer 'server1' has TLS settings but an http:// URL: Kea speaks TLS to it anyway; write https:// so the URL "
        'says what happens.',
    ),
    (
        'ha.lease-syncing-disabled',
        lb(params={'sync-leases': False, 'send-lease-updates': False}),
        'sync-leases',
        'lease database synchronization between HA servers is disabled (sync-leases is false): fine only when the '
        'lease databases replicate by other means.',
    ),
    (
        'ha.lease-updates-and-syncing-differ',
        lb(params={'sync-leases': False}),
        'sync-leases',
        'unusual configuration where "send-lease-updates": true and "sync-leases": false: set both true (memfile) '
        'or both false (replicated database).',
    ),
    (
        'ha.parameter-not-supported',
        lb(params={'max-rejected-lease-updates': 0}),
        'max-rejected-lease-updates',
        "'max-rejected-lease-updates' is not known to Kea 2.2.0 (it needs Kea 2.3.1 or later): Kea ignores it.",
    ),
]


@pytest.mark.parametrize(('code', 'rel', 'field', 'message'), WARNINGS, ids=[w[0] for w in WARNINGS])
def test_warning_message(code: str, rel: Relationship, field: str, message: str) -> None:
    """Each warning: its field and exact text; never an error with it."""
    findings = validate_relationship(rel)
    assert errors(findings) == []
    found = only(findings, code)
    assert (found.severity, found.field, found.message) == (Severity.WARNING, field, message)


def test_lease_updates_disabled_message() -> None:
    """send-lease-updates false: Kea's own warning, with advice."""
    found = only(validate_relationship(lb(params={'send-lease-updates': False})), 'ha.lease-updates-disabled')
    assert found.message == (
        'lease updates will not be generated (send-lease-updates is false): fine only when the lease databases '
        'replicate by other means (e.g. SQL replication).'
    )


def test_unknown_keys_everywhere() -> None:
    """Unknown keys in the relationship, its multi-threading map, a peer, state-machine and a state."""
    rel = Relationship.from_kea(
        {
            **lb().to_kea(),
            'multi-threading': {'enable-multi-threading': False, 'threads': 2},
            'state-machine': {'states': [{'state': 'ready', 'pause': 'once', 'why': 'x'}], 'version': 1},
            'peers': [{**lb().to_kea()['peers'][0], 'weight': 1}, lb().to_kea()['peers'][1]],
        }
    )
    assert [(f.field, f.message) for f in validate_relationship(rel)] == [
        ('state-machine.states[0].why', "unknown key 'why' in a state-machine state: Kea ignores it."),
        (
            'multi-threading.threads',
            "unknown multi-threading parameter 'threads': Kea ignores it (check the spelling).",
        ),
        ('state-machine.version', "unknown state-machine key 'version': Kea ignores it."),
        ('peers[0].weight', "unknown peer parameter 'weight': Kea ignores it (check the spelling)."),
    ]


def test_timer_warnings_use_kea_defaults_and_skip_passive_backup() -> None:
    """Unset timers are Kea's defaults (10 s / 60 s: fine); passive-backup has no heartbeats to check."""
    assert validate_relationship(Relationship('server1', 'load-balancing', lb().peers)) == []
    short = Relationship('server1', 'load-balancing', lb().peers, {'max-response-delay': 5000})
    assert [f.code for f in validate_relationship(short)] == ['ha.response-delay-not-above-heartbeat']
    pb = Relationship('server1', 'passive-backup', (peer('server1', 'primary'),), {'heartbeat-delay': 0})
    assert validate_relationship(pb) == []
    bad = lb(params={'heartbeat-delay': 'x', 'max-response-delay': 100})
    assert [f.code for f in validate_relationship(bad)] == ['ha.invalid-type'], 'no warning from an invalid value'


def test_multi_threading_against_kea_multi_threading() -> None:
    """validate_config knows Kea's own MT (set, or the version default: off in 2.2, on since 2.3.5)."""
    ha_mt = lb(params={'multi-threading.enable-multi-threading': True}).to_kea()
    found = only(validate_config(server([ha_mt])), 'ha.mt-without-dhcp-mt')
    assert found.field == 'hooks-libraries[1].parameters.high-availability[0].multi-threading.enable-multi-threading'
    assert found.message == (
        'HA multi-threading has been disabled, it cannot be enabled when Kea global multi-threading is disabled'
        '; enable multi-threading in the server config or disable it in the HA config.'
    )
    assert validate_config(server([ha_mt]), version=V26) == []
    # 2.6 with Kea MT switched off: HA MT (default on) is silently off, and so is the dedicated listener.
    off = server([lb().to_kea()], **{'multi-threading': {'enable-multi-threading': False}})
    found = only(validate_config(off, version=V26), 'ha.mt-without-dhcp-mt')
    assert found.field.endswith('high-availability[0].multi-threading')
    assert "so the dedicated HA listener does not run and peers that use this server's URL cannot reach it" in (
        found.message
    )
    on = server([lb().to_kea()], **{'multi-threading': {'enable-multi-threading': True}})
    found = only(validate_config(on), 'ha.dhcp-mt-without-ha-mt')
    assert found.message == (
        'HA multi-threading is disabled while Kea global multi-threading is enabled, which most likely causes '
        'performance degradation; enable HA multi-threading too.'
    )


def test_hooks_warnings() -> None:
    """No lease_cmds; the HA hook twice; unknown keys next to high-availability."""
    rel = lb().to_kea()
    hooks = [{'library': f'{HOOKS}/libdhcp_ha.so', 'parameters': {'high-availability': [rel], 'extra': 1}}]
    assert [(f.field, f.message) for f in validate_hooks_libraries(hooks + hooks)] == [
        (
            'hooks-libraries[1]',
            "libdhcp_ha.so is listed more than once: Kea loads it twice and then fails on every packet ('callbacks "
            "for HA_MT already exist'); keep a single entry.",
        ),
        (
            'hooks-libraries',
            'libdhcp_lease_cmds.so is not loaded: Kea starts, but its partners cannot synchronise leases from it '
            '(they stay in syncing forever); load it together with libdhcp_ha.so.',
        ),
        ('hooks-libraries[0].parameters.extra', "unknown HA hook parameter 'extra': Kea ignores it."),
    ]
    assert validate_hooks_libraries([{'library': 'libdhcp_lease_cmds.so'}], version=V30) == []
    assert validate_hooks_libraries([]) == []


# --------------------------------------------------------------------------------------------------------------
# Kea >= 2.6: several relationships (hub-and-spoke), dedicated listeners, 3.x control sockets
# --------------------------------------------------------------------------------------------------------------


def hub(listener_ports: tuple[int, int] = (18742, 18744), **params: Any) -> list[Relationship]:
    """The observed 2.6 hub (kea-2.6-3.0-observed.md §3.5), as the hub (server2 / server4) sees it."""
    return [
        Relationship(
            'server2',
            'hot-standby',
            (
                peer('server1', 'primary', 'http://127.0.0.1:18741/'),
                peer('server2', 'standby', f'http://127.0.0.1:{listener_ports[0]}/'),
            ),
            TIMERS | params,
        ),
        Relationship(
            'server4',
            'hot-standby',
            (
                peer('server3', 'primary', 'http://127.0.0.1:18743/'),
                peer('server4', 'standby', f'http://127.0.0.1:{listener_ports[1]}/'),
            ),
            TIMERS,
        ),
    ]


def test_hub_and_spoke_26() -> None:
    """The observed hub is valid in 2.6 and 3.0, and refused by 2.2 (exactly one relationship)."""
    assert validate_relationships(hub(), version=V26) == []
    assert validate_relationships(hub(), version=V30) == []
    assert [(f.field, f.message) for f in validate_relationships(hub(), version=V22)] == [
        (
            'high-availability',
            'invalid number of configurations in the HA configuration list. Expected exactly one configuration',
        )
    ]


def test_hub_only_hot_standby() -> None:
    """Kea >= 2.5.5: several relationships must all be hot-standby."""
    rels = hub()
    rels[1] = Relationship('server4', 'load-balancing', (peer('server3', 'primary'), peer('server4', 'secondary')))
    found = errors(validate_relationships(rels, version=V26))
    assert [(f.field, f.message, f.code) for f in found] == [
        (
            'high-availability[1].mode',
            "multiple HA relationships are only supported for 'hot-standby' mode",
            'ha.hub-not-hot-standby',
        )
    ]


def test_hub_names_unique_across_relationships() -> None:
    """A peer name may appear in one relationship only (Kea maps names to relationships)."""
    rels = hub()
    rels[1] = Relationship(
        'server4', 'hot-standby', (peer('server1', 'primary', 'http://127.0.0.1:18743/'), rels[1].peers[1]), TIMERS
    )
    found = errors(validate_relationships(rels, version=V26))
    assert [(f.field, f.message) for f in found] == [
        (
            'high-availability[1].peers[0].name',
            "server names must be unique for different relationships: a relationship 'server1' already exists",
        )
    ]


def test_hub_dedicated_listener_clash() -> None:
    """Both hub names on one URL with dedicated listeners (the 2.6 default): Kea cannot bind the second."""
    found = errors(validate_relationships(hub((18742, 18742)), version=V26))
    assert [(f.field, f.code) for f in found] == [('high-availability[1].peers[1].url', 'ha.listener-url-clash')]
    assert found[0].message == (
        'Error initializing hooks: CmdHttpListener::run failed: unable to setup TCP acceptor for listening to the '
        "incoming HTTP requests: bind: Address already in use (the dedicated HA listeners of 'server2' and "
        "'server4' both use http://127.0.0.1:18742/: give each hub name its own port, or set "
        'http-dedicated-listener false in every relationship)'
    )
    # The "ctl" variant: listeners off everywhere, both names on the hub's control socket. Fine.
    off = {'multi-threading.http-dedicated-listener': False}
    rels = [Relationship(r.this_server_name, r.mode, r.peers, r.parameters | off) for r in hub((18852, 18852))]
    assert validate_relationships(rels, version=V30) == []


def test_hub_multi_threading_mismatch() -> None:
    """MT on in one relationship and off in another: Kea logs 'no thread pool' errors."""
    rels = hub(**{'multi-threading.enable-multi-threading': False})
    found = only(validate_relationships(rels, version=V26), 'ha.hub-multi-threading-mismatch')
    assert found.field == 'high-availability'
    assert found.message == (
        'HA multi-threading is on in some relationships and off in others: Kea then logs '
        "HA_RESUME_CLIENT_LISTENER_FAILED 'no thread pool' errors; use the same setting in every relationship."
    )


def test_hub_lists_26_texts() -> None:
    """2.6 texts for an empty list and a relationship that is not a map."""
    assert [f.message for f in validate_relationships([], version=V26)] == [
        'a list of HA configurations must not be empty'
    ]
    hooks = server([lb().to_kea(), 'server2'])['Dhcp4']['hooks-libraries']
    found = errors(validate_hooks_libraries(hooks, version=V26))
    assert [(f.field, f.message) for f in found] == [
        (
            'hooks-libraries[1].parameters.high-availability[1]',
            'HA configuration for a relationship must be a map',
        )
    ]


def test_hub_subnets_name_their_relationship() -> None:
    """With several relationships every subnet should carry user-context ha-server-name of one of them."""
    subnets = [
        {'id': 1, 'subnet': '192.0.2.0/24', 'user-context': {'ha-server-name': 'server2'}},
        {'id': 2, 'subnet': '198.51.100.0/24'},
        {'id': 3, 'subnet': '203.0.113.0/24', 'user-context': {'ha-server-name': 'server9'}},
        {'id': 4, 'subnet': '203.0.113.0/25', 'user-context': {'ha-server-name': ''}},
    ]
    network = {
        'name': 'n',
        'user-context': {'ha-server-name': 'server4'},
        'subnet4': [{'id': 5, 'subnet': '10.0.0.0/8'}],
    }
    config = server([r.to_kea() for r in hub()], subnet4=subnets, **{'shared-networks': [network]})
    assert [(f.field, f.message) for f in validate_config(config, version=V26)] == [
        (
            'subnet4[1].user-context',
            "subnet 198.51.100.0/24 has no user-context 'ha-server-name': with several relationships Kea cannot tell "
            'which relationship serves it; name one of its peers there.',
        ),
        (
            'subnet4[2].user-context.ha-server-name',
            "subnet 203.0.113.0/24 names ha-server-name 'server9', which is no peer of this server's relationships.",
        ),
        (
            'subnet4[3].user-context.ha-server-name',
            "subnet 203.0.113.0/25: 'ha-server-name' must be a non-empty string.",
        ),
    ]


def test_kea30_control_socket_on_the_listener_port() -> None:
    """3.x: the dedicated HA listener (on by default) and an HTTP control socket cannot share address and port."""
    rel = lb(peers=(peer('server1', 'primary', 'http://127.0.0.1:18811/'), peer('server2', 'secondary')))
    sockets = [{'socket-type': 'unix', 'socket-name': 'k.sock'}, {'socket-type': 'http', 'socket-port': 18811}]
    config = server([rel.to_kea()], **{'control-sockets': sockets})
    (found,) = errors(validate_config(config, version=V30))
    assert found.field == 'hooks-libraries[1].parameters.high-availability[0].peers[0].url'
    assert found.message == (
        'Error initializing hooks: CmdHttpListener::run failed: unable to setup TCP acceptor for listening to the '
        "incoming HTTP requests: bind: Address already in use (the dedicated HA listener of 'server1' and "
        'control-sockets[1] both use '
        '127.0.0.1:18811: give the HA listener its own port, or set http-dedicated-listener false and point the '
        'peers at the control socket)'
    )
    wildcard = copy.deepcopy(config)
    wildcard['Dhcp4']['control-sockets'][1]['socket-address'] = '0.0.0.0'
    assert [f.code for f in errors(validate_config(wildcard, version=V30))] == ['ha.listener-control-socket-clash']
    other_port = copy.deepcopy(config)
    other_port['Dhcp4']['control-sockets'][1]['socket-port'] = 18812
    assert errors(validate_config(other_port, version=V30)) == []
    no_listener = server(
        [lb(params={'multi-threading.http-dedicated-listener': False}, peers=rel.peers).to_kea()],
        **{'control-sockets': sockets},
    )
    assert errors(validate_config(no_listener, version=V30)) == []
    # Kea 2.2: no dedicated listener by default, so nothing clashes.
    assert errors(validate_config(config, version=V22)) == []


def test_bare_library_names_by_version() -> None:
    """A bare file name: refused before 2.6.3 (dlopen() does not look in the hooks directory), fine after."""
    hooks = [{'library': 'libdhcp_lease_cmds.so'}]
    assert [f.code for f in validate_hooks_libraries(hooks, version=KeaVersion(2, 6, 2))] == ['hooks.bare-library-name']
    assert validate_hooks_libraries(hooks, version=V26) == []


# --------------------------------------------------------------------------------------------------------------
# Kea's URL parser and position stripping
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('url', 'parsed'),
    [
        ('http://127.0.0.1:8000/', KeaUrl('http', '127.0.0.1', 8000, '/')),
        ('https://[2001:db8::1]:443/kea', KeaUrl('https', '[2001:db8::1]', 443, '/kea')),
        ('http://127.0.0.1', KeaUrl('http', '127.0.0.1', 0, '')),
        ('http://127.0.0.1/x', KeaUrl('http', '127.0.0.1', 0, '/x')),
        ('http://127.0.0.1:+80', KeaUrl('http', '127.0.0.1', 80, '')),
        ('http://127.0.0.1:-1/', KeaUrl('http', '127.0.0.1', 4294967295, '/')),
        ('http://name.example:8000/', KeaUrl('http', 'name.example', 8000, '/')),
    ],
)
def test_kea_url(url: str, parsed: KeaUrl) -> None:
    """Parsed the way Kea's Url class does (boost::lexical_cast ports included)."""
    assert parse_kea_url(url) == parsed


def test_kea_url_address_and_text() -> None:
    """Only IP literals are addresses; to_text is Kea's toText (port 0 omitted)."""
    assert str(parse_kea_url('http://[::1]:8000/').address()) == '::1'
    assert parse_kea_url('http://localhost:8000/').address() is None
    assert parse_kea_url('http://01.2.3.4:8000/').address() is None, 'inet_pton refuses leading zeros'
    assert parse_kea_url('http://127.0.0.1:0080').to_text() == 'http://127.0.0.1:80'
    with pytest.raises(ValueError, match=r'^invalid port number 99999999999 in http://a:99999999999$'):
        parse_kea_url('http://a:99999999999')


def test_strip_position() -> None:
    """Kea's file positions go; the text stays."""
    assert strip_position("missing parameter 'url' (<wire>:0:1791)") == "missing parameter 'url'"
    assert strip_position("invalid type specified for parameter 'x' (/a b/kea.conf:31:27)") == (
        "invalid type specified for parameter 'x'"
    )
    assert strip_position('get(string) called on a non-map Element in (kea.json:1:232)') == (
        'get(string) called on a non-map Element'
    )
    assert strip_position('multiple primary servers specified') == 'multiple primary servers specified'


def test_every_code_is_documented() -> None:
    """docs/validation.md lists every code the validator can produce."""
    root = Path(__file__).resolve().parents[2]
    source = ''.join(
        (root / 'netbox_kea_ha' / 'kea' / name).read_text() for name in ('validate.py', 'relationship_rules.py')
    )
    codes = set(re.findall(r"'((?:ha|hooks|config)\.[a-z0-9-]+)'", source))
    roles = ('primary', 'secondary', 'standby')
    codes |= {f'ha.multiple-{r}' for r in roles} | {f'ha.{r}-required' for r in roles}
    codes |= {'ha.secondary-not-allowed', 'ha.standby-not-allowed'}
    assert len(codes) > 60
    documented = set(re.findall(r'`((?:ha|hooks|config)\.[a-z0-9-]+)`', (root / 'docs' / 'validation.md').read_text()))
    assert codes - documented == set()


def test_library_paths_of_263_and_later() -> None:
    """Kea >= 2.6.3 loads libraries from its hooks directory only, and names an empty file name its own way."""
    hooks = [{'library': '/opt/kea/libdhcp_lease_cmds.so'}, {'library': f'{HOOKS}/'}]
    found = validate_hooks_libraries(hooks, version=V26, hooks_dir=HOOKS + '/')
    assert [(f.field, f.message) for f in found] == [
        (
            'hooks-libraries[0].library',
            f"hooks library configuration error: invalid path specified: '/opt/kea', supported path is '{HOOKS}'",
        ),
        ('hooks-libraries[1].library', f"hooks library configuration error: path: '{HOOKS}/' has no filename"),
    ]
    assert [f.code for f in validate_hooks_libraries(hooks, version=V26)] == ['hooks.blank-library']
    assert validate_hooks_libraries(hooks[:1], version=V22, hooks_dir=HOOKS) == [], 'Kea 2.2 loads any path'


@pytest.mark.parametrize(
    ('url', 'code', 'message'),
    [
        (
            'http://ha:s3cret@127.0.0.2:8000/',
            'ha.invalid-url',
            'invalid URL: invalid port number ***@127.0.0.2:8000 in http://ha:***@127.0.0.2:8000/ for server server2',
        ),
        (
            'http://ha:s3cret@127.0.0.2/',
            'ha.invalid-url',
            'invalid URL: invalid port number ***@127.0.0.2 in http://ha:***@127.0.0.2/ for server server2',
        ),
    ],
)
def test_a_password_put_into_a_peer_url_is_never_quoted(url: str, code: str, message: str) -> None:
    """Kea refuses such a URL with a text that quotes it (and the part it failed on): ours hides the password."""
    finding = only(
        validate_relationship(lb(peers=(peer('server1', 'primary'), peer('server2', 'secondary', url)))), code
    )
    assert finding.message == message
    assert 's3cret' not in str(finding)
