"""
NetBox's intent for a set of Kea servers, as plain frozen values: what the NetBox layer loads once
(`services.intent.load_intent`) and what validation, rendering, each server's desired config, drift and sync are
functions of (with the running configs). Nothing here knows Django.

* `RelationshipIntent`: one HA relationship: its `Relationship` value (`this-server-name` not set: each server sees
  it as itself, `seen_by`) and which server each of its peers is.
* `ServerIntent`: one Kea server: name, family, Kea version, `this-server-name`, hooks directory, replication.
* `Intent`: servers and relationships by key (NetBox's ids), and what follows from them: each server's render
  context and replication source. `replace_relationship` / `replace_server` give the intent with one change (what a
  form's `clean()` validates), without touching the loaded values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .dhcpdata.values import DhcpData
from .ha import HARole, KeaVersion, Relationship
from .render import RenderContext

__all__ = (
    'NEW',
    'Intent',
    'RelationshipIntent',
    'ServerIntent',
)

#: The key of an object not saved yet (a form's new relationship, peer or server).
NEW = 0


@dataclass(frozen=True)
class RelationshipIntent:
    """One HA relationship as NetBox intends it."""

    key: int
    name: str
    #: The Kea value, peers in the order they are rendered; `this_server_name` is None.
    value: Relationship
    #: The key of the server of each peer of `value`, in the same order.
    servers: tuple[int, ...] = ()
    #: Its DHCP data when that comes from NetBox IPAM (None: the primary's running config has it).
    dhcp: DhcpData | None = None

    def peer_index(self, server: int) -> int | None:
        """The position of `server`'s peer in `value.peers`, or None when it is not a peer."""
        try:
            return self.servers.index(server)
        except ValueError:
            return None

    def peer_name(self, server: int) -> str | None:
        """The peer name `server` has in this relationship (its `this-server-name` here), or None."""
        index = self.peer_index(server)
        return None if index is None else self.value.peers[index].name

    def role_of(self, server: int) -> Any:
        """The role of `server`'s peer, or None."""
        index = self.peer_index(server)
        return None if index is None else self.value.peers[index].role

    def seen_by(self, server: int) -> Relationship:
        """The relationship as `server` renders it: its `this-server-name` set (None when it is no peer)."""
        return replace(self.value, this_server_name=self.peer_name(server))

    @property
    def peer_names(self) -> list[str]:
        """The peer names, in order."""
        return [peer.name for peer in self.value.peers]

    @property
    def primary(self) -> int | None:
        """The key of the primary's server, or None."""
        return next((s for s, p in zip(self.servers, self.value.peers, strict=True) if p.role == HARole.PRIMARY), None)


@dataclass(frozen=True)
class ServerIntent:
    """One Kea server as NetBox intends it (effective values: the server's own, else the plugin's settings)."""

    key: int
    name: str
    family: str
    version: KeaVersion | None
    #: Its `this-server-name` when no relationship names it otherwise (the server tag, else the name).
    tag: str
    hooks_dir: str
    #: Whether replication is on for it (its own choice, else the setting).
    replicate: bool
    #: The keys of its relationships, by name.
    relationships: tuple[int, ...] = ()


@dataclass(frozen=True)
class Intent:
    """Servers and relationships by key, and what follows from them."""

    servers: Mapping[int, ServerIntent] = field(default_factory=dict)
    relationships: Mapping[int, RelationshipIntent] = field(default_factory=dict)

    def of_server(self, server: int) -> list[RelationshipIntent]:
        """The relationships `server` is a peer of, by name (as loaded: every one of them)."""
        return [self.relationships[key] for key in self.servers[server].relationships if key in self.relationships]

    def render_context(self, server: int) -> RenderContext:
        """What `server`'s `hooks-libraries` block is rendered from: every relationship it is a peer of, as it
        sees them."""
        intent = self.servers[server]
        values = tuple(rel.seen_by(server) for rel in self.of_server(server))
        tag = values[0].this_server_name if values and values[0].this_server_name else intent.tag
        return RenderContext(
            server_tag=tag,
            hooks_dir=intent.hooks_dir,
            family=intent.family,
            relationships=values,
            kea_version=intent.version,
        )

    def dhcp_of(self, server: int) -> list[DhcpData]:
        """The DHCP data from NetBox IPAM of `server`'s relationships (empty: its subnets are not NetBox's)."""
        return [rel.dhcp for rel in self.of_server(server) if rel.dhcp is not None]

    def replication_source(self, server: int) -> int | None:
        """
        The server whose shared config `server` should carry, or None. Replication is on for a partner when both
        the primary's and the partner's replication is on; a primary is never overwritten by another server's shared
        parts. A hub (a server in several relationships, Kea >= 2.6) neither takes nor gives shared parts: its
        subnets belong to different branches, so no one primary's are right for it, and its own are not a branch's.
        """
        intent = self.servers[server]
        rels = self.of_server(server)
        if not intent.replicate or len(rels) != 1:
            return None
        rel = rels[0]
        primary = rel.primary
        if rel.role_of(server) == HARole.PRIMARY or primary is None or primary not in self.servers:
            return None
        source = self.servers[primary]
        return primary if source.replicate and len(source.relationships) == 1 else None

    def replace_relationship(self, rel: RelationshipIntent) -> Intent:
        """The intent with `rel` in place of the relationship of its key (or added), and each server's list of
        relationships following who its peers are."""
        relationships = dict(self.relationships) | {rel.key: rel}
        return Intent(self._servers_for(relationships), relationships)

    def replace_server(self, server: ServerIntent, relationships: Iterable[RelationshipIntent] = ()) -> Intent:
        """The intent with `server` (and the relationships whose values it changes, e.g. its derived peer URLs)."""
        rels = dict(self.relationships) | {rel.key: rel for rel in relationships}
        return replace(self, servers=dict(self.servers) | {server.key: server}, relationships=rels)

    def _servers_for(self, relationships: Mapping[int, RelationshipIntent]) -> dict[int, ServerIntent]:
        members: dict[int, list[RelationshipIntent]] = {}
        for rel in relationships.values():
            for member in rel.servers:
                members.setdefault(member, []).append(rel)
        out = {}
        for key, server in self.servers.items():
            rels = sorted(members.get(key, ()), key=lambda r: (r.name, r.key))
            out[key] = replace(server, relationships=tuple(r.key for r in rels))
        return out
