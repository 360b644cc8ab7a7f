"""
NetBox models -> Kea values, findings and rendered blocks: the one entry point of the NetBox layer into the Kea
layer. No network I/O here: this runs inside `Model.clean()`, forms, views and API calls.

* values (`services.values`): each relationship as one server sees it; passwords `REDACTED` unless revealed;
* validation (`services.validation`): findings, and the `check_*` functions of `Model.clean()`;
* rendering (here): each server's `hooks-libraries` block, through `kea.render`.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..crypto import SecretError
from ..plugin_settings import get_setting
from .validation import (
    PROBE_VERSIONS,
    FindingView,
    check_peer,
    check_relationship,
    check_server,
    finding_view,
    relationship_findings,
)
from .values import (
    REDACTED,
    ordered_peers,
    peer_value,
    relationship_value,
    saved_peers,
    server_relationships,
)

__all__ = (
    'PROBE_VERSIONS',
    'REDACTED',
    'FindingView',
    'RenderedBlock',
    'check_peer',
    'check_relationship',
    'check_server',
    'finding_view',
    'ordered_peers',
    'peer_value',
    'relationship_findings',
    'relationship_value',
    'render_context',
    'render_relationship',
    'render_server',
    'saved_peers',
    'server_relationships',
    'shown_relationship',
    'withhold_findings',
)


@dataclass(frozen=True)
class RenderedBlock:
    """One server's rendered `hooks-libraries` block (redacted unless revealed), or why it could not be rendered."""

    server: Any
    hooks_libraries: list[dict[str, Any]] | None
    error: str | None = None
    #: What validation says about the rendered block (paths relative to `hooks-libraries`).
    findings: tuple[FindingView, ...] = ()
    #: True when the block is not shown to this user (`error` says why), not because it cannot be rendered.
    withheld: bool = False

    @property
    def text(self) -> str:
        """The block as indented JSON, keys in the order they were rendered."""
        return json.dumps(self.hooks_libraries, indent=2) if self.hooks_libraries is not None else ''


def render_context(server: Any, relationships: Iterable[Any] | None = None, reveal: bool = False) -> Any:
    """
    The RenderContext of a server: its this-server-name, hooks dir, family, version, and every relationship it is
    a peer of (each as the server sees it). Passwords are REDACTED unless `reveal` is true.
    """
    from ..kea.render import RenderContext

    if relationships is None:
        relationships = server_relationships(server)
    values = []
    for relationship in relationships:
        peers = ordered_peers(relationship.peers.all())
        me = next((p for p in peers if p.server_id == server.pk), None)
        values.append(relationship_value(relationship, peers, me.effective_name if me else None, reveal=reveal))
    server_tag = values[0].this_server_name if values and values[0].this_server_name else server.effective_server_tag
    return RenderContext(
        server_tag=server_tag,
        hooks_dir=server.effective_hooks_dir,
        family=server.family,
        relationships=tuple(values),
        kea_version=server.version,
    )


def _template_dirs() -> tuple[str, ...]:
    templates_dir = get_setting('templates_dir')
    return (templates_dir,) if templates_dir else ()


def render_server(server: Any, relationships: Iterable[Any] | None = None) -> RenderedBlock:
    """
    A server's `hooks-libraries` block for display, with the findings on it: passwords never revealed, and
    redacted once more. Rendering errors (a template problem, nothing to render) come back as `error`.
    """
    from ..kea.redact import redact_secrets
    from ..kea.render import RenderError, render_hooks_block

    try:
        block = render_hooks_block(render_context(server, relationships), template_dirs=_template_dirs())
    except (RenderError, SecretError) as exc:
        return RenderedBlock(server, None, str(exc))
    findings = tuple(finding_view(f, server=str(server)) for f in block.findings)
    return RenderedBlock(server, redact_secrets(block.hooks_libraries), None, findings)


def render_relationship(relationship: Any, user: Any = None) -> list[RenderedBlock]:
    """
    The rendered block of each peer's server (each with all the relationships that server is in). With `user`: only
    the peers the user may see (the peer and its server, `visibility.visible_peers`), and the block of a server that
    is also in a relationship, or next to a peer, the user may not see (a hub's block holds every relationship of
    the server, and every peer's name, URL and user) is withheld: `error` says why.
    """
    peers = ordered_peers(saved_peers(relationship))
    withheld: dict[int, str] = {}
    if user is not None:
        from ..models import HAPeer
        from ..visibility import visible_peers

        shown = set(visible_peers(HAPeer.objects.filter(relationship=relationship), user).values_list('pk', flat=True))
        peers = [peer for peer in peers if peer.pk in shown]
        withheld = _withheld_servers(peers, user)
    return [
        RenderedBlock(peer.server, None, withheld[peer.server_id], withheld=True)
        if peer.server_id in withheld
        else render_server(peer.server)
        for peer in peers
    ]


def shown_relationship(relationship: Any, user: Any) -> tuple[list[RenderedBlock], list[FindingView]]:
    """
    What `user` may see of a relationship on its page and at `render/`: the rendered blocks (`render_relationship`)
    and the findings (Kea's rules, and what stops a sync: `trust.secret_findings`), less those about a withheld
    server or a peer the user may not see.
    """
    from .trust import secret_findings

    blocks = render_relationship(relationship, user)
    shown = {block.server.pk for block in blocks}
    peers = saved_peers(relationship)
    hidden = {peer.effective_name for peer in peers if peer.server_id not in shown}
    findings = [*relationship_findings(relationship, peers), *secret_findings(relationship, peers)]
    findings = [finding for finding in findings if finding.peer not in hidden]
    return blocks, withhold_findings(findings, blocks)


def withhold_findings(findings: Iterable[FindingView], blocks: Iterable[RenderedBlock]) -> list[FindingView]:
    """
    `findings` less those about the whole HA list of a server whose block is withheld (they can name relationships
    and peers the user may not view); one warning per such server says that they are not shown.
    """
    findings = list(findings)
    withheld = {str(block.server) for block in blocks if block.withheld}
    kept = [finding for finding in findings if finding.server not in withheld]
    notes = [
        FindingView(
            severity='warning',
            field='',
            message='findings about the whole HA list of this server are not shown: it is also in an HA relationship '
            'you may not view',
            code='netbox.withheld',
            server=name,
        )
        for name in sorted(withheld)
        if any(finding.server == name for finding in findings)
    ]
    return kept + notes


def _withheld_servers(peers: list[Any], user: Any) -> dict[int, str]:
    """
    {server id: why its block is not shown} for the servers among `peers` that are in a relationship `user` may not
    view, or next to a peer `user` may not see (its block names every peer of every relationship it is in).
    """
    from ..models import HAPeer, HARelationship
    from ..visibility import visible_peers

    memberships = list(
        HAPeer.objects.filter(server_id__in={peer.server_id for peer in peers}).values_list(
            'server_id', 'relationship_id'
        )
    )
    relationships = {rel for _, rel in memberships}
    visible = set(
        HARelationship.objects.restrict(user, 'view').filter(pk__in=relationships).values_list('pk', flat=True)
    )
    neighbours = HAPeer.objects.filter(relationship_id__in=relationships)
    hidden = set(
        neighbours.exclude(pk__in=visible_peers(neighbours, user).values('pk')).values_list(
            'relationship_id', flat=True
        )
    )
    out = {}
    for server_id, relationship_id in memberships:
        if relationship_id not in visible:
            out[server_id] = 'not shown: the server is also in an HA relationship you may not view'
        elif relationship_id in hidden:
            out.setdefault(server_id, 'not shown: its block names a peer or Kea server you may not view')
    return out
