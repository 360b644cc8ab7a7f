"""
What each server should run, by NetBox's intent (`kea.intent.Intent`): its own running config with its rendered HA
block and, when replication is on, its replication source's shared parts (`Intent.replication_source`). Used by
sync (what to push), status and the fleet check (drift) and plan (the per-peer diff); the plugin's settings
(`shared_keys`, `server_keys`, `templates_dir`) are applied here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..kea.dhcpdata.render import render_subnets, subnets_key
from ..kea.intent import Intent
from ..kea.render import RenderContext, RenderError, render_hooks_block, render_hooks_libraries
from ..kea.replicate import KeySets, ReplicationError, build_peer_config
from ..plugin_settings import get_setting, template_dirs

__all__ = (
    'DesiredError',
    'desired_config',
    'ipam_subnets',
    'key_sets',
    'render_block',
    'rendered_hooks',
)


class DesiredError(Exception):
    """A server's desired config cannot be built (the HA block does not render, a password cannot be read, ...)."""


def key_sets() -> KeySets:
    """The shared / per-server key lists in force (the plugin's `shared_keys` and `server_keys` added)."""
    try:
        return KeySets.with_extra(get_setting('shared_keys'), get_setting('server_keys'))
    except ReplicationError as exc:
        raise DesiredError(f'settings shared_keys/server_keys: {exc}') from None


def render_block(context: RenderContext) -> Any:
    """A `kea.render.RenderedBlock` of a render context with the templates in force (raises RenderError)."""
    return render_hooks_block(context, template_dirs=template_dirs())


def rendered_hooks(intent: Intent, server: int) -> list[dict[str, Any]]:
    """`server`'s lease_cmds and HA `hooks-libraries` entries (passwords as `intent` has them: in clear for a push)."""
    try:
        return render_hooks_libraries(intent.render_context(server), template_dirs=template_dirs())
    except RenderError as exc:
        raise DesiredError(f'the HA block of {intent.servers[server].name} cannot be rendered: {exc}') from None


def desired_config(
    intent: Intent,
    server: int,
    running: Mapping[str, Any],
    source_running: Mapping[str, Any] | None = None,
    hooks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """
    The config `server` should run: `running` (its config-get) with its rendered HA block (`hooks`, or rendered
    now) and, given `source_running` (its replication source's running config), that config's shared parts.
    """
    if hooks is None:
        hooks = rendered_hooks(intent, server)
    try:
        config = build_peer_config(
            running, hooks, primary=source_running, replicate=source_running is not None, key_sets=key_sets()
        )
    except ReplicationError as exc:
        raise DesiredError(f'the desired config of {intent.servers[server].name} cannot be built: {exc}') from None
    dhcp = intent.dhcp_of(server)
    if dhcp:
        root = next(iter(config))
        config = {root: dict(config[root], **{subnets_key(dhcp[0].family): ipam_subnets(intent, server)})}
    return config


def ipam_subnets(intent: Intent, server: int) -> list[dict[str, Any]]:
    """`server`'s subnet list from NetBox IPAM (every relationship of it whose source is IPAM, in turn), rendered for
    its Kea version; DesiredError naming the server and the fault when it cannot be."""
    out: list[dict[str, Any]] = []
    for data in intent.dhcp_of(server):
        try:
            out += render_subnets(data, version=intent.servers[server].version, template_dirs=template_dirs())
        except RenderError as exc:
            raise DesiredError(f'the subnets of {intent.servers[server].name} from NetBox IPAM: {exc}') from None
    return out
