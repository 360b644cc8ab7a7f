"""
Views of ConfigSnapshot: list, detail (with the diff of what was pushed), delete, bulk delete; and the "Config
snapshots" tab of Kea servers and HA relationships. Snapshots are written by jobs only: no add or edit. The
Restore button and view are with the other actions (views/actions.py).
"""

from django.utils.translation import gettext_lazy as _

from netbox.object_actions import BulkDelete, BulkExport, DeleteObject
from netbox.ui import layout
from netbox.ui.panels import ObjectsTablePanel
from netbox.views import generic
from utilities.views import ViewTab, register_model_view

from ..filtersets.snapshots import ConfigSnapshotFilterSet
from ..forms.snapshots import ConfigSnapshotFilterForm
from ..kea.diff import diff_configs
from ..models import ConfigSnapshot, HARelationship, KeaServer
from ..tables.snapshots import ConfigSnapshotTable
from ..ui import panels
from .actions import RestoreSnapshot

__all__ = (
    'ConfigSnapshotBulkDeleteView',
    'ConfigSnapshotDeleteView',
    'ConfigSnapshotListView',
    'ConfigSnapshotView',
    'HARelationshipSnapshotsView',
    'KeaServerSnapshotsView',
)

#: Lines of a diff shown on the snapshot page (the whole diff is in the REST API).
DIFF_LINES = 4000


def _snapshots():
    return ConfigSnapshot.objects.select_related('server', 'relationship', 'user', 'job', 'restored_from').defer(
        'before', 'after', '_secrets'
    )


@register_model_view(ConfigSnapshot, 'list', path='', detail=False)
class ConfigSnapshotListView(generic.ObjectListView):
    """Every config snapshot, newest first."""

    queryset = _snapshots()
    filterset = ConfigSnapshotFilterSet
    filterset_form = ConfigSnapshotFilterForm
    table = ConfigSnapshotTable
    actions = (BulkExport, BulkDelete)


@register_model_view(ConfigSnapshot)
class ConfigSnapshotView(generic.ObjectView):
    """One snapshot: its record, the restores made from it, and the normalised diff of the push (redacted)."""

    queryset = ConfigSnapshot.objects.select_related('server', 'relationship', 'user', 'job', 'restored_from')
    template_name = 'generic/object.html'
    actions = (RestoreSnapshot, DeleteObject)
    layout = layout.SimpleLayout(
        left_panels=[panels.ConfigSnapshotPanel()],
        right_panels=[
            ObjectsTablePanel(
                'netbox_kea_ha.configsnapshot',
                filters={'restored_from_id': lambda ctx: ctx['object'].pk},
                exclude_columns=['restored_from'],
                title=_('Restores of this snapshot'),
            ),
        ],
        bottom_panels=[panels.ConfigSnapshotDiffPanel()],
    )

    def get_extra_context(self, request, instance):
        """The diff (stored configs are already redacted) and its size."""
        diff_lines, changes, error = [], [], None
        if instance.after is not None:
            try:
                diff = diff_configs(instance.before, instance.after, version=instance.server.version)
                diff_lines = diff.text(f'{instance.server} running (before)', f'{instance.server} pushed (after)')
                diff_lines = diff_lines.splitlines()
                changes = [str(change) for change in diff.changes]
            except ValueError as exc:
                error = str(exc)
        return {
            'diff_lines': diff_lines[:DIFF_LINES],
            'diff_truncated': len(diff_lines) > DIFF_LINES,
            'changes': changes,
            'diff_error': error,
        }


@register_model_view(ConfigSnapshot, 'delete')
class ConfigSnapshotDeleteView(generic.ObjectDeleteView):
    """Delete a snapshot."""

    queryset = ConfigSnapshot.objects.all()


@register_model_view(ConfigSnapshot, 'bulk_delete', path='delete', detail=False)
class ConfigSnapshotBulkDeleteView(generic.BulkDeleteView):
    """Delete several snapshots."""

    queryset = _snapshots()
    filterset = ConfigSnapshotFilterSet
    table = ConfigSnapshotTable


class _SnapshotsTab(generic.ObjectChildrenView):
    """The "Config snapshots" tab of the object whose snapshots `parent_field` names."""

    child_model = ConfigSnapshot
    table = ConfigSnapshotTable
    filterset = ConfigSnapshotFilterSet
    filterset_form = ConfigSnapshotFilterForm
    actions = (BulkDelete,)
    parent_field = None
    tab = ViewTab(
        label=_('Config snapshots'),
        badge=lambda obj: obj.config_snapshots.count(),
        permission='netbox_kea_ha.view_configsnapshot',
        weight=600,
        hide_if_empty=True,
    )

    def get_children(self, request, parent):
        """The parent's snapshots the user may see."""
        return _snapshots().restrict(request.user, 'view').filter(**{self.parent_field: parent})


@register_model_view(KeaServer, 'snapshots', path='snapshots')
class KeaServerSnapshotsView(_SnapshotsTab):
    """The "Config snapshots" tab of a Kea server."""

    queryset = KeaServer.objects.all()
    parent_field = 'server'


@register_model_view(HARelationship, 'snapshots', path='snapshots')
class HARelationshipSnapshotsView(_SnapshotsTab):
    """The "Config snapshots" tab of an HA relationship."""

    queryset = HARelationship.objects.all()
    parent_field = 'relationship'
