"""kea.intent: NetBox's intent as values: who sees which relationship, replication sources (hubs too), changes."""

from __future__ import annotations

from dataclasses import replace

from netbox_kea_ha.kea.ha import KeaVersion, Peer, Relationship
from netbox_kea_ha.kea.intent import NEW, Intent, RelationshipIntent, ServerIntent
from netbox_kea_ha.kea.intent_findings import relationship_findings


def server(key: int, name: str, replicate: bool = True, version: KeaVersion | None = None) -> ServerIntent:
    return ServerIntent(key, name, 'dhcp4', version, name, '/usr/lib/kea/hooks', replicate)


def rel(key: int, name: str, mode: str, *peers: tuple[int, str, str]) -> RelationshipIntent:
    values = tuple(Peer(n, f'http://127.0.0.{s}:8000/', role) for s, n, role in peers)
    return RelationshipIntent(key, name, Relationship(None, mode, values), tuple(s for s, _, _ in peers))


def intent(servers: list[ServerIntent], relationships: list[RelationshipIntent]) -> Intent:
    base = Intent({s.key: s for s in servers}, {})
    for item in relationships:
        base = base.replace_relationship(item)
    return base


def test_each_server_sees_its_relationships_as_itself() -> None:
    pair = rel(10, 'r', 'load-balancing', (1, 'kea-1', 'primary'), (2, 'kea-2', 'secondary'))
    values = intent([server(1, 'kea-1'), server(2, 'kea-2')], [pair])
    assert values.servers[2].relationships == (10,)
    context = values.render_context(2)
    assert (context.server_tag, context.relationships[0].this_server_name) == ('kea-2', 'kea-2')
    assert pair.peer_index(2) == 1 and pair.peer_index(3) is None and pair.primary == 1


def test_replication_follows_the_primary_and_spares_hubs() -> None:
    pair = rel(10, 'pair', 'load-balancing', (1, 'a', 'primary'), (2, 'b', 'secondary'))
    branch2 = rel(11, 'hub-2', 'hot-standby', (4, 'b2', 'primary'), (3, 'hub-a', 'standby'))
    branch5 = rel(12, 'hub-5', 'hot-standby', (5, 'b5', 'primary'), (3, 'hub-b', 'standby'))
    primary_hub = rel(13, 'up', 'hot-standby', (6, 'up-hub', 'primary'), (7, 'up-1', 'standby'))
    primary_hub2 = rel(14, 'up2', 'hot-standby', (6, 'up-hub2', 'primary'), (8, 'up-2', 'standby'))
    everyone = [server(k, f's{k}') for k in range(1, 9)]
    values = intent(everyone, [pair, branch2, branch5, primary_hub, primary_hub2])
    assert values.replication_source(2) == 1  # a partner carries its primary's shared parts
    assert values.replication_source(1) is None  # a primary keeps its own
    assert values.replication_source(3) is None  # a hub: no one branch's subnets are right for it
    assert values.replication_source(7) is None  # a branch of a hub primary: the hub's subnets are every branch's
    off = intent([replace(s, replicate=s.key != 1) for s in everyone], [pair])
    assert off.replication_source(2) is None  # replication off on the primary


def test_a_change_is_a_replaced_value_and_findings_follow_it() -> None:
    pair = rel(10, 'r', 'hot-standby', (1, 'kea-1', 'primary'), (2, 'kea-2', 'standby'))
    before = intent([server(1, 'kea-1'), server(2, 'kea-2')], [pair])
    assert not [f for f in relationship_findings(before, 10) if f.is_error]
    two_primaries = replace(
        pair, value=replace(pair.value, peers=tuple(replace(p, role='primary') for p in pair.value.peers))
    )
    after = before.replace_relationship(two_primaries)
    errors = [f for f in relationship_findings(after, 10) if f.is_error]
    assert (('peers',), 'multiple primary servers specified') in [(f.path, f.message) for f in errors]
    assert before.relationships[10] is pair  # the loaded values are left as they were
    new = rel(NEW, 'new', 'hot-standby')
    findings = relationship_findings(before.replace_relationship(new), NEW)
    assert findings and all(f.incomplete for f in findings if f.is_error)
