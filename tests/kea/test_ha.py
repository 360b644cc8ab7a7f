"""ha.py: the typed HA values, and the parameter table checked against Kea's own source (defaults and bounds of
Kea 2.2.0, 2.6.3, 3.0.3, as stored in tests/kea/kea_source_facts.json by tools/kea_source_facts.py) and against the
defaults a real Kea 2.2 fills in (config-get)."""

from __future__ import annotations

from typing import Any

import pytest

from tools.kea_source_facts import HA_PARSER, kea_fact

from kealab import LabServer
from netbox_kea_ha.kea.client import KeaClient
from netbox_kea_ha.kea.detect import detect
from netbox_kea_ha.kea.ha import (
    HA_PARAMETERS,
    OPERATIONAL_STATES,
    PEER_KEYS,
    SECRET_KEYS,
    HAMode,
    HAState,
    KeaVersion,
    Peer,
    Relationship,
    library_name,
    parameter,
)

TAGS = {'Kea-2.2.0': KeaVersion(2, 2, 0), 'Kea-2.6.3': KeaVersion(2, 6, 3), 'Kea-3.0.3': KeaVersion(3, 0, 3)}


# --------------------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------------------


def test_kea_version() -> None:
    """Parsed from package versions and version-get texts; compared numerically."""
    assert KeaVersion.parse('2.6.3-1+deb13u1') == KeaVersion(2, 6, 3)
    assert KeaVersion.parse('2.2.0\ntarball\nlinked with: ...') == KeaVersion(2, 2, 0)
    assert KeaVersion.parse('3.0') == KeaVersion(3, 0, 0)
    assert KeaVersion(2, 10, 0) > KeaVersion(2, 6, 3) > KeaVersion(2, 2, 0)
    assert str(KeaVersion(3, 0, 3)) == '3.0.3'
    with pytest.raises(ValueError, match="not a Kea version: 'kea'"):
        KeaVersion.parse('kea')


def test_states_and_modes() -> None:
    """Every mode settles in its own state; 'unavailable' is a state Kea itself reports and accepts."""
    assert {str(m): str(s) for m, s in OPERATIONAL_STATES.items()} == {
        'load-balancing': 'load-balancing',
        'hot-standby': 'hot-standby',
        'passive-backup': 'passive-backup',
    }
    assert 'unavailable' in {str(s) for s in HAState}
    assert SECRET_KEYS >= {'basic-auth-password', 'password'}


def test_attr_names() -> None:
    """Python names of the parameters (the NetBox model's field names)."""
    assert parameter('heartbeat-delay').attr == 'heartbeat_delay'
    assert parameter('multi-threading.enable-multi-threading').attr == 'mt_enable'
    assert parameter('multi-threading.http-dedicated-listener').attr == 'mt_http_dedicated_listener'
    assert len({p.attr for p in HA_PARAMETERS}) == len(HA_PARAMETERS)


def test_round_trip_keeps_everything() -> None:
    """from_kea -> to_kea gives the same JSON, unknown keys (relationship, peer, multi-threading) included."""
    data: dict[str, Any] = {
        'this-server-name': 'server1',
        'mode': 'load-balancing',
        'heartbeat-delay': 1000,
        'multi-threading': {'enable-multi-threading': True, 'mystery': 1},
        'state-machine': {'states': [{'state': 'waiting', 'pause': 'once'}]},
        'peers': [
            {'name': 'server1', 'url': 'http://127.0.0.1:1/', 'role': 'primary', 'comment': 'x'},
            {'name': 'server2', 'url': 'http://127.0.0.1:2/', 'role': 'secondary', 'basic-auth-password': 'p'},
        ],
        'foo-bar': 1,
    }
    rel = Relationship.from_kea(data)
    assert rel.parameters == {'heartbeat-delay': 1000, 'multi-threading.enable-multi-threading': True}
    assert rel.extra == {'multi-threading': {'mystery': 1}, 'foo-bar': 1}
    assert rel.to_kea() == data
    assert 'basic_auth_password=' not in repr(rel.peers[1]), 'the password stays out of reprs'


def test_non_map_values_survive_without_crashing() -> None:
    """Values Kea refuses are kept as given (validate reports them); to_kea does not crash on them."""
    for mt in (5, None, [1]):
        rel = Relationship.from_kea({'this-server-name': 's', 'mode': 'hot-standby', 'multi-threading': mt})
        assert rel.to_kea()['multi-threading'] == mt
    rel = Relationship.from_kea({'this-server-name': 's', 'mode': 'x', 'peers': {'a': 1}})
    assert rel.peers == () and rel.extra == {'peers': {'a': 1}} and rel.to_kea()['peers'] == {'a': 1}
    rel = Relationship.from_kea({'peers': ['server1']})
    assert rel.peers == (Peer(None, None, None),)


def test_views_of_a_relationship() -> None:
    """with_server, this_peer, peer, roles, effective, dedicated_listener."""
    peers = (Peer('server1', 'http://127.0.0.1:1/', 'primary'), Peer('server2', 'http://127.0.0.1:2/', 'secondary'))
    rel = Relationship('server1', 'load-balancing', peers, {'heartbeat-delay': 1000})
    assert rel.this_peer is peers[0] and rel.with_server('server2').this_peer is peers[1]
    assert rel.peer('nosuch') is None and list(rel.roles()) == ['primary', 'secondary']
    assert rel.effective('heartbeat-delay') == 1000
    assert rel.effective('delayed-updates-limit') == 100, 'load-balancing default'
    assert Relationship('s', 'hot-standby').effective('delayed-updates-limit') == 0
    assert rel.effective('restrict-commands', KeaVersion(3, 0, 0)) is True
    assert rel.dedicated_listener(KeaVersion(2, 2, 0)) is False
    assert rel.dedicated_listener(KeaVersion(2, 6, 3)) is True
    assert rel.dedicated_listener(KeaVersion(2, 6, 3), dhcp_multi_threading=False) is False
    off = Relationship('s', 'hot-standby', (), {'multi-threading.http-dedicated-listener': False})
    assert off.dedicated_listener(KeaVersion(3, 0, 3)) is False


def test_library_name() -> None:
    """The file name of a hooks-libraries path, as Kea reads it (quotes and blanks stripped)."""
    assert library_name('/usr/lib/kea/hooks/libdhcp_ha.so') == 'libdhcp_ha.so'
    assert library_name(' "libdhcp_ha.so" ') == 'libdhcp_ha.so'
    assert library_name(None) == '' and library_name(5) == ''


def test_peer_keys_render_order() -> None:
    """A peer renders name, url, role first, then what is set."""
    peer = Peer('s', 'http://127.0.0.1:1/', 'backup', auto_failover=False, basic_auth_user='u')
    assert list(peer.to_kea()) == ['name', 'url', 'role', 'auto-failover', 'basic-auth-user']
    assert PEER_KEYS[:3] == ('name', 'url', 'role')


# --------------------------------------------------------------------------------------------------------------
# The table against Kea's source (facts stored in tests/kea/kea_source_facts.json; always run)
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('tag', list(TAGS))
def test_defaults_matchkea_source(tag: str) -> None:
    """Every default in HA_PARAMETERS equals Kea's SimpleDefaults for that release, per mode."""
    version = TAGS[tag]
    general = kea_fact(tag, HA_PARSER, 'HA_CONFIG_DEFAULTS')
    lb = general | kea_fact(tag, HA_PARSER, 'HA_CONFIG_LB_DEFAULTS')
    mt = {f'multi-threading.{k}': v for k, v in kea_fact(tag, HA_PARSER, 'HA_CONFIG_MT_DEFAULTS').items()}
    for mode, kea in ((HAMode.HOT_STANDBY, general | mt), (HAMode.LOAD_BALANCING, lb | mt)):
        known = {p.key for p in HA_PARAMETERS if p.since is None or version >= p.since}
        ours = {p.key: p.default_for(version, mode) for p in HA_PARAMETERS if p.key in known and p.default is not None}
        assert ours == kea, f'{tag} {mode}'
    assert kea_fact(tag, HA_PARSER, 'HA_CONFIG_PEER_DEFAULTS') == {'auto-failover': True}


@pytest.mark.parametrize('tag', list(TAGS))
def test_bounds_matchkea_source(tag: str) -> None:
    """Integer parameters: uint16 / uint32 exactly as Kea's parser reads them."""
    kea = {
        key: {'uint16_t': 65535, 'uint32_t': 4294967295}[kind]
        for key, kind in kea_fact(tag, HA_PARSER, 'getAndValidateInteger').items()
    }
    ours = {
        p.key.split('.', 1)[-1]: p.maximum
        for p in HA_PARAMETERS
        if p.type is int and (p.since is None or TAGS[tag] >= p.since)
    }
    assert ours == kea


# --------------------------------------------------------------------------------------------------------------
# The table against a real Kea 2.2 (config-get returns every default it filled in)
# --------------------------------------------------------------------------------------------------------------


def _filled_in(server: LabServer) -> tuple[Relationship, Relationship]:
    with KeaClient(server.endpoint()) as client:
        running = detect(client.config_get().config).relationships[0]
    configured = server.relationship
    assert configured is not None
    return configured, running


@pytest.mark.kea
def test_defaults_match_real_kea22(lb_pair: tuple[LabServer, ...], hs_pair: tuple[LabServer, ...]) -> None:
    """What Kea 2.2 fills in for parameters the lab left unset equals default_for(2.2, mode)."""
    for servers in (lb_pair, hs_pair):
        configured, running = _filled_in(servers[0])
        unset = [p for p in HA_PARAMETERS if p.key not in configured.parameters and p.default is not None]
        assert unset, 'the lab leaves some parameters to Kea'
        for p in unset:
            if p.since is not None and p.since > KeaVersion(2, 2, 0):
                assert p.key not in running.parameters
                continue
            assert running.parameters[p.key] == p.default_for(KeaVersion(2, 2, 0), running.mode), p.key
        assert [peer.auto_failover for peer in running.peers] == [
            True if peer.auto_failover is None else peer.auto_failover for peer in configured.peers
        ]
