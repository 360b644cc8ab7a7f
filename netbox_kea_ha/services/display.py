"""
What a user is shown of a relationship (its page and `GET relationships/{id}/render/`): each peer's server's rendered
`hooks-libraries` block (passwords redacted) and the findings, less what the user may not view. No network I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..crypto import SecretError
from ..kea.findings import Finding, Severity
from ..kea.intent_findings import relationship_findings
from ..kea.redact import redact_secrets
from ..kea.render import RenderError
from ..models import HAPeer, HARelationship
from ..visibility import visible_peers
from .desired import render_block
from .intent import Loaded, load_intent
from .trust import secret_findings

if TYPE_CHECKING:
    from ..models import KeaServer

__all__ = (
    'RenderedBlock',
    'render_relationship',
    'shown_relationship',
    'withhold_findings',
)


@dataclass(frozen=True)
class RenderedBlock:
    """One server's rendered `hooks-libraries` block (redacted), or why it could not be rendered or is not shown."""

    server: KeaServer
    hooks_libraries: list[dict[str, Any]] | None
    error: str | None = None
    #: What validation says about the rendered block (paths relative to `hooks-libraries`).
    findings: tuple[Finding, ...] = ()
    #: True when the block is not shown to this user (`error` says why), not because it cannot be rendered.
    withheld: bool = False

    @property
    def text(self) -> str:
        """The block as indented JSON, keys in the order they were rendered."""
        return json.dumps(self.hooks_libraries, indent=2) if self.hooks_libraries is not None else ''


def _render(loaded: Loaded, server: int) -> RenderedBlock:
    """A server's block for display, with the findings on it: passwords never revealed, and redacted once more."""
    instance = loaded.servers[server]
    try:
        block = render_block(loaded.intent.render_context(server))
    except (RenderError, SecretError) as exc:
        return RenderedBlock(instance, None, str(exc))
    findings = tuple(f.named(server=str(instance)) for f in block.findings)
    return RenderedBlock(instance, redact_secrets(block.hooks_libraries), None, findings)


def render_relationship(
    relationship: HARelationship, user: Any = None, loaded: Loaded | None = None
) -> list[RenderedBlock]:
    """
    The rendered block of each peer's server (each with all the relationships that server is in). With `user`: only
    the peers the user may see (the peer and its server, `visibility.visible_peers`), and the block of a server that
    is also in a relationship, or next to a peer, the user may not see (a hub's block holds every relationship of
    the server, and every peer's name, URL and user) is withheld: `error` says why.
    """
    loaded = loaded or load_intent(relationships=[relationship])
    servers = list(loaded.intent.relationships[relationship.pk].servers)
    withheld: dict[int, str] = {}
    if user is not None:
        shown = set(
            visible_peers(HAPeer.objects.filter(relationship=relationship), user).values_list('server_id', flat=True)
        )
        servers = [server for server in servers if server in shown]
        withheld = _withheld_servers(loaded, servers, user)
    return [
        RenderedBlock(loaded.servers[server], None, withheld[server], withheld=True)
        if server in withheld
        else _render(loaded, server)
        for server in servers
    ]


def shown_relationship(relationship: HARelationship, user: Any) -> tuple[list[RenderedBlock], list[Finding]]:
    """
    What `user` may see of a relationship on its page and at `render/`: the rendered blocks (`render_relationship`)
    and the findings (Kea's rules, and what stops a sync: `trust.secret_findings`), less those about a withheld
    server or a peer the user may not see.
    """
    loaded = load_intent(relationships=[relationship])
    blocks = render_relationship(relationship, user, loaded)
    shown = {block.server.pk for block in blocks}
    peers = loaded.peers_of(relationship.pk)
    hidden = {peer.effective_name for peer in peers if peer.server_id not in shown}
    findings = [*relationship_findings(loaded.intent, relationship.pk), *secret_findings(peers)]
    return blocks, withhold_findings([f for f in findings if f.peer not in hidden], blocks)


def withhold_findings(findings: Iterable[Finding], blocks: Iterable[RenderedBlock]) -> list[Finding]:
    """
    `findings` less those about the whole HA list of a server whose block is withheld (they can name relationships
    and peers the user may not view); one warning per such server says that they are not shown.
    """
    findings = list(findings)
    withheld = {str(block.server) for block in blocks if block.withheld}
    kept = [finding for finding in findings if finding.server not in withheld]
    notes = [
        Finding(
            Severity.WARNING,
            (),
            'findings about the whole HA list of this server are not shown: it is also in an HA relationship '
            'you may not view',
            'netbox.withheld',
            server=name,
        )
        for name in sorted(withheld)
        if any(finding.server == name for finding in findings)
    ]
    return kept + notes


def _withheld_servers(loaded: Loaded, servers: list[int], user: Any) -> dict[int, str]:
    """
    {server key: why its block is not shown} for `servers` that are in a relationship `user` may not view, or next
    to a peer `user` may not see (its block names every peer of every relationship it is in).
    """
    intent = loaded.intent
    memberships = [(server, rel) for server in servers for rel in intent.servers[server].relationships]
    relationships = {rel for _, rel in memberships}
    visible = set(
        HARelationship.objects.restrict(user, 'view').filter(pk__in=relationships).values_list('pk', flat=True)
    )
    neighbours = HAPeer.objects.filter(relationship_id__in=relationships)
    unseen = neighbours.exclude(pk__in=visible_peers(neighbours, user).values('pk'))
    hidden = set(unseen.values_list('relationship_id', flat=True))
    out: dict[int, str] = {}
    for server, rel in memberships:
        if rel not in visible:
            out[server] = 'not shown: the server is also in an HA relationship you may not view'
        elif rel in hidden:
            out.setdefault(server, 'not shown: its block names a peer or Kea server you may not view')
    return out
