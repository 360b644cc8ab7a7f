"""
What a relationship's DHCP data from NetBox IPAM looks like before anything is pushed: the data of one relationship
whatever its source (its pages, the checks of its form and of a served prefix's form), and the subnet entry one
served prefix gives Kea with the findings about it. No network I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..kea.dhcpdata.checks import check_dhcp_data
from ..kea.dhcpdata.render import render_subnets
from ..kea.dhcpdata.values import DhcpData
from ..kea.findings import Finding
from ..kea.ha import HARole
from ..kea.render import RenderError
from ..plugin_settings import template_dirs
from .dhcpdata import load_dhcp_data
from .intent import load_intent, relationship_intent

__all__ = ('ServedPreview', 'relationship_dhcp', 'served_prefix_preview')

_SPLIT_ROLES = (HARole.PRIMARY, HARole.SECONDARY)


def relationship_dhcp(relationship: Any, changed: Any = None) -> DhcpData:
    """One relationship's DHCP data from NetBox IPAM, whatever its source (for its pages and the checks of a form),
    with `changed` (a served prefix not saved yet) in place of the saved one."""
    loaded = load_intent(relationships=[relationship]) if relationship.pk else None
    rel = loaded.intent.relationships.get(relationship.pk) if loaded else None
    if rel is None:
        rel = relationship_intent(relationship, ())
    servers = loaded.servers if loaded else {}
    family = next((str(servers[s].family) for s in rel.servers if s in servers), 'dhcp4')
    found = load_dhcp_data({rel.key: rel}, {rel.key: family}, any_source=True, changed=changed)
    peers = tuple(p.name for p in rel.value.peers if p.role in _SPLIT_ROLES)
    return found.get(rel.key) or DhcpData(family, str(rel.value.mode), peers)


@dataclass(frozen=True)
class ServedPreview:
    """What one served prefix gives Kea: its subnet entry (None when it cannot be rendered, `error` says why) and
    the findings about it, relationship-wide ones included (an overlap with another served prefix)."""

    entry: dict[str, Any] | None
    findings: tuple[Finding, ...]
    error: str = ''


def served_prefix_preview(served: Any) -> ServedPreview:
    """The subnet entry a served prefix (saved or as a form would save it) gives every peer of its relationship, as
    Kea 2.2 spells it, and the findings about it. No network I/O."""
    data = relationship_dhcp(served.relationship, changed=served)
    index = next((i for i, s in enumerate(data.subnets) if s.key == (served.pk or 0) and s.prefix), None)
    if index is None:
        return ServedPreview(None, (), 'not served yet')
    findings = tuple(f for f in check_dhcp_data(data) if len(f.path) > 1 and f.path[1] == index)
    try:
        (entry,) = render_subnets(replace(data, subnets=(data.subnets[index],)), template_dirs=template_dirs())
    except RenderError as exc:
        return ServedPreview(None, findings, str(exc))
    return ServedPreview(entry, findings)
