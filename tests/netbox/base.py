"""Helpers for the NetBox-layer tests: plugin URL namespaces, object factories, NetBox's filterset test shim."""

from ipam.models import IPAddress

from netbox_kea_ha.models import ConfigSnapshot, HAPeer, HARelationship, KeaServer

try:  # NetBox 4.7 renames the mixins (#22161).
    from utilities.testing import BaseFilterSetTestMixin as BaseFilterSetTests
    from utilities.testing import ChangeLoggedFilterSetTestMixin as ChangeLoggedFilterSetTests
except ImportError:  # pragma: no cover - NetBox 4.6
    from utilities.testing import BaseFilterSetTests, ChangeLoggedFilterSetTests

__all__ = (
    'PASSWORD',
    'PEER_PASSWORD',
    'FilterSetTests',
    'PluginViewTestCase',
    'RecordFilterSetTests',
    'grant',
    'make_ip',
    'make_peer',
    'make_relationship',
    'make_server',
    'make_snapshot',
)

#: Distinctive passwords that no page, export or log may ever show.
PASSWORD = 'Zq7-Control-Pw-5150'
PEER_PASSWORD = 'Xk9-Peer-Pw-8088'


class PluginViewTestCase:
    """ViewTestCases use `<app>:<model>_<action>`; plugin views live under `plugins:`."""

    def _get_base_url(self):
        return f'plugins:{self.model._meta.app_label}:{self.model._meta.model_name}_{{}}'


class _PluginFilterSets:
    """NetBox's filterset tests look for the FilterSet in the test's own package: point them at netbox_kea_ha."""

    def test_missing_filters(self):
        cls = type(self)
        module = cls.__module__
        cls.__module__ = 'netbox_kea_ha.tests'
        try:
            super().test_missing_filters()
        finally:
            cls.__module__ = module


class FilterSetTests(_PluginFilterSets, ChangeLoggedFilterSetTests):
    """NetBox's filterset tests of a change-logged model (every model field has a filter; created, last_updated)."""


class RecordFilterSetTests(_PluginFilterSets, BaseFilterSetTests):
    """NetBox's filterset tests of a model without change logging (config snapshots)."""


def grant(user, model, *actions, constraints=None):
    """An ObjectPermission for `user` on `model` with these actions (and constraints)."""
    from core.models import ObjectType
    from users.models import ObjectPermission

    permission = ObjectPermission.objects.create(
        name=f'{model._meta.model_name} {" ".join(actions)} {constraints}',
        actions=list(actions),
        constraints=constraints,
    )
    permission.object_types.add(ObjectType.objects.get_for_model(model))
    permission.users.add(user)
    return permission


def make_ip(address):
    """An IPAddress, reloaded so that `address` is an IPNetwork as NetBox has it."""
    return IPAddress.objects.get(pk=IPAddress.objects.create(address=address).pk)


def make_server(name, address, **fields):
    """A saved KeaServer on a new IPAddress (`address` with prefix length)."""
    return KeaServer.objects.create(name=name, address=make_ip(address), **fields)


def make_relationship(name, mode='hot-standby', **fields):
    """A saved HARelationship."""
    return HARelationship.objects.create(name=name, mode=mode, **fields)


def make_peer(relationship, server, role, **fields):
    """A saved HAPeer, validated like a form or the API would (full_clean)."""
    peer = HAPeer(relationship=relationship, server=server, role=role, **fields)
    peer.full_clean()
    peer.save()
    return peer


def make_snapshot(server, relationship=None, **fields):
    """A saved ConfigSnapshot of `server` (what sync jobs write), with a small redacted config."""
    fields.setdefault('before', {'Dhcp4': {'valid-lifetime': 3600}})
    return ConfigSnapshot.objects.create(server=server, relationship=relationship, **fields)
