"""
The plugin for pynetbox: `pynetbox.api(url, token=..., extensions=[KeaHAExtension])`.

It tells pynetbox which fields hold JSON as it is (a snapshot's `before` and `after` are Kea configs, whose peers
have Kea's own `url` keys: plain pynetbox takes any nested `url` for a link to a NetBox object and fails on them), and
gives each object its actions as detail endpoints:

    nb.plugins.kea_ha.servers.get(name='kea1').import_from_kea.create({})
    nb.plugins.kea_ha.relationships.get(name='site-a').sync.create({'dry_run': True})
    nb.plugins.kea_ha.relationships.get(name='site-a').render.list()
    nb.plugins.kea_ha.snapshots.get(42).restore.create({'which': 'before'})
    nb.plugins.kea_ha.peers.get(9).operate.create({'operation': 'maintenance-start'})
    nb.plugins.kea_ha.relationships.get(name='site-a').import_ipam.create({})
    nb.plugins.kea_ha.served_prefixes.filter(relationship='site-a')
"""

from __future__ import annotations

from pynetbox import Extension, JsonField
from pynetbox.core.endpoint import DetailEndpoint
from pynetbox.core.response import Record

__all__ = (
    'KeaHAExtension',
    'Peers',
    'Relationships',
    'ServedPrefixes',
    'Servers',
    'Snapshots',
)


class Servers(Record):
    """A Kea server (`/api/plugins/kea-ha/servers/`)."""

    @property
    def import_from_kea(self) -> DetailEndpoint:
        """`POST servers/{id}/import/`: import what it runs."""
        return DetailEndpoint(self, 'import')

    @property
    def read_status(self) -> DetailEndpoint:
        """`POST servers/{id}/status/`: read its HA state and drift (and its partners')."""
        return DetailEndpoint(self, 'status')


class Relationships(Record):
    """An HA relationship (`/api/plugins/kea-ha/relationships/`); `findings` and `state_machine` are JSON."""

    findings = JsonField
    state_machine = JsonField

    @property
    def sync(self) -> DetailEndpoint:
        """`POST relationships/{id}/sync/` (`{"dry_run": true}`: a plan)."""
        return DetailEndpoint(self, 'sync')

    @property
    def read_status(self) -> DetailEndpoint:
        """`POST relationships/{id}/status/`."""
        return DetailEndpoint(self, 'status')

    @property
    def render(self) -> DetailEndpoint:
        """`GET relationships/{id}/render/`: each peer's rendered block (`.list()` yields the one answer)."""
        return DetailEndpoint(self, 'render')

    @property
    def import_ipam(self) -> DetailEndpoint:
        """`POST relationships/{id}/import-ipam/` (`{"vrf": id}`): what the primary runs into NetBox IPAM."""
        return DetailEndpoint(self, 'import-ipam')


class ServedPrefixes(Record):
    """A prefix a relationship serves from NetBox IPAM (`/api/plugins/kea-ha/served-prefixes/`); its Kea values are
    JSON."""

    relay_addresses = JsonField
    options = JsonField
    pool_splits = JsonField
    extra = JsonField


class Peers(Record):
    """An HA peer (`/api/plugins/kea-ha/peers/`)."""

    @property
    def operate(self) -> DetailEndpoint:
        """`POST peers/{id}/operate/` (`{"operation": ...}`)."""
        return DetailEndpoint(self, 'operate')


class Snapshots(Record):
    """A config snapshot (`/api/plugins/kea-ha/snapshots/`); `before` and `after` are Kea configs, as JSON."""

    before = JsonField
    after = JsonField

    @property
    def restore(self) -> DetailEndpoint:
        """`POST snapshots/{id}/restore/` (`{"which": "before" | "after"}`)."""
        return DetailEndpoint(self, 'restore')


class _Models:
    """The Record classes, by pynetbox's name for each endpoint."""

    Servers = Servers
    Relationships = Relationships
    Peers = Peers
    Snapshots = Snapshots
    ServedPrefixes = ServedPrefixes


class KeaHAExtension(Extension):
    """The netbox-kea-ha plugin (`/api/plugins/kea-ha/`) for pynetbox."""

    plugin_name = 'kea-ha'
    models = _Models
