"""
What each server should run, by NetBox's intent: its own config with the rendered HA block and, when replication
is on, the primary's shared parts. Used by sync (what to push), status (drift) and plan (the per-peer diff).

Replication source: a relationship's primary. Replication is on for a partner when both the primary's and the
partner's effective `replicate_config` are on: switching it off on the primary stops replication in all its
relationships; switching it off on a partner keeps that partner's own shared config. A server that is primary in
one of its relationships is never overwritten by another server's shared parts.
"""

from ..choices import HARoleChoices
from ..crypto import SecretError
from ..kea.normalise import normalise
from ..kea.replicate import KeySets, ReplicationError, build_peer_config, config_root
from ..plugin_settings import get_setting
from .intent import ordered_peers, render_context, server_relationships

__all__ = (
    'DesiredError',
    'desired_config',
    'key_sets',
    'relationships_by_server',
    'rendered_hooks',
    'replication_source',
    'same_config',
)


class DesiredError(Exception):
    """A server's desired config cannot be built (the HA block does not render, a password cannot be read, ...)."""


def key_sets():
    """The shared / per-server key lists in force (the plugin's `shared_keys` and `server_keys` added)."""
    try:
        return KeySets.with_extra(get_setting('shared_keys'), get_setting('server_keys'))
    except ReplicationError as exc:
        raise DesiredError(f'settings shared_keys/server_keys: {exc}') from None


def relationships_by_server(servers):
    """
    `{server.pk: [relationships]}`: every relationship each server is a peer of, with the relationships' peers and
    their servers loaded, in a few queries for any number of servers.
    """
    from ..models import HARelationship

    out = {server.pk: [] for server in servers}
    relationships = (
        HARelationship.objects.filter(peers__server__in=list(out))
        .distinct()
        .order_by('name', 'pk')
        .prefetch_related('peers__server__address')
    )
    for relationship in relationships:
        for peer in relationship.peers.all():
            if peer.server_id in out and relationship not in out[peer.server_id]:
                out[peer.server_id].append(relationship)
    return out


def _template_dirs():
    templates_dir = get_setting('templates_dir')
    return (templates_dir,) if templates_dir else ()


def rendered_hooks(server, relationships=None):
    """The server's lease_cmds and HA `hooks-libraries` entries, passwords in clear (only for a push)."""
    from ..kea.render import RenderError, render_hooks_libraries

    try:
        context = render_context(server, relationships, reveal=True)
        return render_hooks_libraries(context, template_dirs=_template_dirs())
    except (RenderError, SecretError) as exc:
        raise DesiredError(f'the HA block of {server} cannot be rendered: {exc}') from None


def replication_source(server, relationships=None):
    """The server whose shared config `server` should carry, or None (it is a primary, or replication is off)."""
    if relationships is None:
        relationships = server_relationships(server)
    if not server.effective_replicate_config:
        return None
    source = None
    for relationship in sorted(relationships, key=lambda r: (str(r.name), r.pk)):
        peers = ordered_peers(relationship.peers.all())
        me = next((p for p in peers if p.server_id == server.pk), None)
        if me is None:
            continue
        if me.role == HARoleChoices.PRIMARY:
            return None
        primary = next((p for p in peers if p.role == HARoleChoices.PRIMARY), None)
        if source is None and primary is not None and primary.server.effective_replicate_config:
            source = primary.server
    return source


def desired_config(server, running, source_config=None, relationships=None, hooks=None):
    """
    The config `server` should run: `running` (its config-get) with its rendered HA block and, given
    `source_config` (the replication source's running config), that config's shared parts.
    """
    if hooks is None:
        hooks = rendered_hooks(server, relationships)
    try:
        return build_peer_config(
            running, hooks, primary=source_config, replicate=source_config is not None, key_sets=key_sets()
        )
    except ReplicationError as exc:
        raise DesiredError(f'the desired config of {server} cannot be built: {exc}') from None


#: Top-level lists that can be large and that no other part of a config is read against: when both configs hold
#: the very same value, it is left out of the normalised comparison (inherited values come from the globals, which
#: stay in).
_BULK_KEYS = ('subnet4', 'subnet6', 'shared-networks', 'reservations')


def same_config(a, b, version=None):
    """
    Whether Kea would treat two configs as the same: equal as they are, or equal once normalised. Large lists that
    are identical on both sides (subnets, shared networks, global reservations) are not normalised: a no-op sync
    of a big config costs the comparison of its HA block and globals, not of every subnet.
    """
    if a == b:
        return True
    root_a, inner_a = config_root(a)
    root_b, inner_b = config_root(b)
    if root_a != root_b:
        return False
    same = [k for k in _BULK_KEYS if k in inner_a and k in inner_b and inner_a[k] == inner_b[k]]
    if same:
        a = {root_a: {k: v for k, v in inner_a.items() if k not in same}}
        b = {root_b: {k: v for k, v in inner_b.items() if k not in same}}
    return normalise(a, version=version) == normalise(b, version=version)
