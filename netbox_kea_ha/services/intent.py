"""
NetBox -> Kea values: the one loader of NetBox's intent (`load_intent`), and the conversions of model instances into
`kea.intent` values it is made of. No network I/O; a bounded number of queries, whatever the number of objects.

This module never imports the models (Django's app registry gives their classes): the models import it, to
validate a change in `clean()` against the intent as it is saved (`Loaded.intent`) and as it would be after the
change (`dataclasses.replace` on those values, with `relationship_intent` / `peer_value` / `server_intent` for the
changed object). Everything else (pages, REST, jobs) loads through `load_intent` too.

Passwords are `REDACTED` unless `reveal=True` (a job that pushes to Kea), which raises `SecretError` for a password
that was withdrawn or set for another destination (`SecretsMixin.secret_problem`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.apps import apps

from ..crypto import SecretError
from ..kea.findings import Finding
from ..kea.ha import PEER_KEYS, Peer, Relationship
from ..kea.intent import NEW, Intent, RelationshipIntent, ServerIntent
from ..kea.intent_findings import relationship_findings as kea_relationship_findings
from ..kea.redact import REDACTED
from .dhcpdata import load_dhcp_data

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from ..models import HAPeer, HARelationship, KeaServer

__all__ = (
    'Loaded',
    'load_intent',
    'ordered_peers',
    'peer_value',
    'relationship_findings',
    'relationship_intent',
    'relationship_value',
    'server_intent',
)


def _model(name: str) -> Any:
    return apps.get_model('netbox_kea_ha', name)


def ordered_peers(peers: Iterable[HAPeer]) -> list[HAPeer]:
    """Peers in the order they are rendered: primary, secondary, standby, backups; then by creation."""
    return sorted(peers, key=lambda p: (p.render_rank, p.pk is None, p.pk or 0))


def peer_value(peer: HAPeer, server: KeaServer | None = None, reveal: bool = False) -> Peer:
    """
    The Kea value of one peer (with `server` in place of its saved server: a change not saved yet). Keys of
    `extra_parameters` that Kea knows (TLS files, ...) become fields.
    """
    if server is not None:
        peer.server = server
    if reveal:
        # Raises SecretError for a password withdrawn or set for another URL: it is never sent elsewhere.
        password = peer.get_basic_auth_password()
        extra = peer.revealed_extra_parameters()
    else:
        password = REDACTED if peer.has_basic_auth_password else None
        extra = dict(peer.extra_parameters or {})
    known = {key.replace('-', '_'): extra.pop(key) for key in PEER_KEYS if key in extra}
    return Peer(
        name=peer.effective_name,
        url=peer.effective_url,
        role=peer.role,
        auto_failover=peer.auto_failover,
        basic_auth_user=peer.basic_auth_user or None,
        basic_auth_password=password,
        **known,
        extra=extra,
    )


def relationship_value(relationship: HARelationship, peers: Iterable[Peer], reveal: bool = False) -> Relationship:
    """The Kea value of a relationship with these peer values, as nobody in particular sees it."""
    state_machine = {'states': list(relationship.state_machine)} if relationship.state_machine else None
    extra = relationship.revealed_extra_parameters() if reveal else dict(relationship.extra_parameters or {})
    return Relationship(
        this_server_name=None,
        mode=relationship.mode,
        peers=tuple(peers),
        parameters=relationship.parameters,
        state_machine=state_machine,
        extra=extra,
    )


def relationship_intent(
    relationship: HARelationship,
    peers: Iterable[HAPeer],
    reveal: bool = False,
    servers: dict[int, KeaServer] | None = None,
) -> RelationshipIntent:
    """
    A relationship with these peers (saved or not) as a `RelationshipIntent`; `servers` replaces the servers of
    the peers by key (a server changed and not saved yet).
    """
    servers = servers or {}
    ordered = ordered_peers(peers)
    values = tuple(peer_value(p, servers.get(p.server_id), reveal) for p in ordered)
    return RelationshipIntent(
        key=relationship.pk or NEW,
        name=str(relationship.name),
        value=relationship_value(relationship, values, reveal),
        servers=tuple(p.server_id or NEW for p in ordered),
    )


def server_intent(server: KeaServer, relationships: Iterable[int] = ()) -> ServerIntent:
    """A server (saved or not) as a `ServerIntent`, a peer of the relationships of these keys."""
    return ServerIntent(
        key=server.pk or NEW,
        name=str(server.name),
        family=str(server.family),
        version=server.version,
        tag=str(server.effective_server_tag),
        hooks_dir=str(server.effective_hooks_dir or ''),
        replicate=bool(server.effective_replicate_config),
        relationships=tuple(relationships),
    )


@dataclass
class Loaded:
    """What `load_intent` read: the `Intent` values, and the model instances they came from, by key."""

    intent: Intent
    servers: dict[int, KeaServer] = field(default_factory=dict)
    relationships: dict[int, HARelationship] = field(default_factory=dict)
    #: Each peer, by (relationship key, server key).
    peers: dict[tuple[int, int], HAPeer] = field(default_factory=dict)
    _revealed: dict[int, RelationshipIntent | SecretError] = field(default_factory=dict, repr=False)

    def peers_of(self, relationship: int) -> list[HAPeer]:
        """The peers of a relationship, in render order."""
        return ordered_peers(p for (rel, _), p in self.peers.items() if rel == relationship)

    def revealed(self, server: int) -> Intent:
        """
        The intent with the passwords of every relationship of `server` in clear (for a job that pushes to it, or
        compares what it runs with what it should run). Raises SecretError naming the password that cannot be
        used (withdrawn, set for another destination, unreadable); each relationship is revealed once.
        """
        relationships = dict(self.intent.relationships)
        for key in self.intent.servers[server].relationships:
            if key not in self._revealed:
                try:
                    revealed = relationship_intent(self.relationships[key], self.peers_of(key), reveal=True)
                    self._revealed[key] = replace(revealed, dhcp=self.intent.relationships[key].dhcp)
                except SecretError as exc:
                    self._revealed[key] = exc
            value = self._revealed[key]
            if isinstance(value, SecretError):
                raise value
            relationships[key] = value
        return Intent(self.intent.servers, relationships)


def relationship_findings(relationship: HARelationship) -> list[Finding]:
    """Every finding of a relationship (saved or not) as NetBox holds it (`kea.intent_findings`)."""
    if not relationship.pk:
        intent = Intent().replace_relationship(relationship_intent(relationship, ()))
        return kea_relationship_findings(intent, NEW)
    return kea_relationship_findings(load_intent(relationships=[relationship]).intent, relationship.pk)


def _keys(objects: Any) -> set[int]:
    if objects is None:
        return set()
    if hasattr(objects, 'values_list'):
        return set(objects.values_list('pk', flat=True))
    return {obj.pk for obj in objects if obj.pk}


def load_intent(
    relationships: QuerySet[Any] | Iterable[HARelationship] | None = None,
    servers: QuerySet[Any] | Iterable[KeaServer] | None = None,
    *,
    everything: bool = False,
    reveal: bool = False,
) -> Loaded:
    """
    NetBox's intent for `relationships` and `servers` (querysets or saved instances), or for every relationship
    with peers (`everything`, three queries), in at most eight queries whatever their number (and six more for the
    DHCP data of relationships whose source is NetBox IPAM, `dhcpdata.load_dhcp_data`):

    the given relationships and those of the given servers, their peers with their servers and addresses; then
    every other relationship of those servers, with their peers, servers and addresses. So each given server, and
    each server of a given relationship, has all its relationships loaded (its render context, its hub rules and
    its desired config are complete); the other servers loaded have only those.
    """
    peer_model, server_model = _model('HAPeer'), _model('KeaServer')
    relationship_model = _model('HARelationship')
    if everything:
        loaded_peers = list(peer_model.objects.select_related('server__address'))
        rels = {r.pk: r for r in relationship_model.objects.filter(peers__isnull=False).distinct()}
        members = {p.server_id for p in loaded_peers}
    else:
        seeds = _keys(servers)
        first = _keys(relationships)
        if seeds:
            first |= set(peer_model.objects.filter(server__in=seeds).values_list('relationship_id', flat=True))
        loaded_peers = list(peer_model.objects.filter(relationship__in=first).select_related('server__address'))
        members = {p.server_id for p in loaded_peers} | seeds
        more = set(peer_model.objects.filter(server__in=members).values_list('relationship_id', flat=True)) - first
        if more:
            loaded_peers += peer_model.objects.filter(relationship__in=more).select_related('server__address')
            first |= more
        rels = {r.pk: r for r in relationship_model.objects.filter(pk__in=first)}
    by_server: dict[int, KeaServer] = {p.server_id: p.server for p in loaded_peers}
    missing = members - set(by_server)
    if missing:
        by_server |= {s.pk: s for s in server_model.objects.filter(pk__in=missing).select_related('address')}
    out = Loaded(Intent(), servers=by_server, relationships=rels)
    grouped: dict[int, list[HAPeer]] = {key: [] for key in rels}
    for peer in loaded_peers:
        peer.server = by_server[peer.server_id]
        peer.relationship = rels[peer.relationship_id]
        grouped[peer.relationship_id].append(peer)
        out.peers[(peer.relationship_id, peer.server_id)] = peer
    rel_intents = {key: relationship_intent(rels[key], group, reveal) for key, group in grouped.items()}
    ipam = {key: rel for key, rel in rel_intents.items() if rels[key].dhcp_source == 'ipam'}
    if ipam:
        families = {key: str(by_server[rel.servers[0]].family) for key, rel in ipam.items() if rel.servers}
        for key, data in load_dhcp_data(ipam, families).items():
            rel_intents[key] = replace(rel_intents[key], dhcp=data)
    memberships: dict[int, list[RelationshipIntent]] = {}
    for rel in rel_intents.values():
        for server in rel.servers:
            memberships.setdefault(server, []).append(rel)
    server_intents = {
        key: server_intent(s, (r.key for r in sorted(memberships.get(key, ()), key=lambda r: (r.name, r.key))))
        for key, s in by_server.items()
    }
    out.intent = Intent(server_intents, rel_intents)
    return out
