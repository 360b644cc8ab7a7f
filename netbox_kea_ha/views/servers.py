"""Views of KeaServer: list, detail, add/edit, delete, bulk import/edit/delete."""

from django.utils.translation import gettext_lazy as _

from extras.ui.panels import CustomFieldsPanel, TagsPanel
from netbox.ui import actions, layout
from netbox.ui.panels import CommentsPanel, ObjectsTablePanel
from netbox.views import generic
from utilities.query import count_related
from utilities.views import register_model_view

from .. import filtersets, forms, tables
from ..models import HAPeer, KeaServer
from ..object_actions import extra_actions
from ..ui import panels

__all__ = (
    'KeaServerBulkDeleteView',
    'KeaServerBulkEditView',
    'KeaServerBulkImportView',
    'KeaServerDeleteView',
    'KeaServerEditView',
    'KeaServerListView',
    'KeaServerView',
)


def _servers():
    return KeaServer.objects.select_related('device', 'virtual_machine', 'address').annotate(
        peer_count=count_related(HAPeer, 'server')
    )


@register_model_view(KeaServer, 'list', path='', detail=False)
class KeaServerListView(generic.ObjectListView):
    """All Kea servers."""

    queryset = _servers()
    filterset = filtersets.KeaServerFilterSet
    filterset_form = forms.KeaServerFilterForm
    table = tables.KeaServerTable


@register_model_view(KeaServer)
class KeaServerView(generic.ObjectView):
    """One Kea server: host, control endpoint, configuration, state, its peers in HA relationships (each with its
    relationship's own state) and their HA history."""

    queryset = KeaServer.objects.select_related('device', 'virtual_machine', 'address')
    template_name = 'generic/object.html'
    layout = layout.SimpleLayout(
        left_panels=[
            panels.KeaServerPanel(),
            panels.KeaServerControlPanel(),
            panels.KeaServerConfigPanel(),
        ],
        right_panels=[
            panels.KeaServerStatusPanel(),
            TagsPanel(),
            CustomFieldsPanel(),
            CommentsPanel(),
        ],
        bottom_panels=[
            ObjectsTablePanel(
                'netbox_kea_ha.hapeer',
                filters={'server_id': lambda ctx: ctx['object'].pk},
                # Each relationship's own state (a hub has several; the server's HA state is its first one's).
                include_columns=['ha_state', 'partner_state', 'scopes', 'communication_interrupted'],
                exclude_columns=['server'],
                title=_('HA relationships'),
                actions=[
                    actions.AddObject(
                        'netbox_kea_ha.hapeer',
                        url_params={'server': lambda ctx: ctx['object'].pk},
                        label=_('Add to a relationship'),
                    ),
                ],
            ),
            panels.HAHistoryPanel(),
        ],
    )

    @property
    def actions(self):
        """NetBox's buttons, then those registered for Kea servers (see object_actions)."""
        return (*generic.ObjectView.actions, *extra_actions('keaserver'))


@register_model_view(KeaServer, 'add', detail=False)
@register_model_view(KeaServer, 'edit')
class KeaServerEditView(generic.ObjectEditView):
    """Add or edit a Kea server."""

    queryset = KeaServer.objects.all()
    form = forms.KeaServerForm


@register_model_view(KeaServer, 'delete')
class KeaServerDeleteView(generic.ObjectDeleteView):
    """Delete a Kea server (refused while it is a peer of a relationship)."""

    queryset = KeaServer.objects.all()


@register_model_view(KeaServer, 'bulk_import', path='import', detail=False)
class KeaServerBulkImportView(generic.BulkImportView):
    """Import Kea servers from CSV, YAML or JSON."""

    queryset = KeaServer.objects.all()
    model_form = forms.KeaServerImportForm


@register_model_view(KeaServer, 'bulk_edit', path='edit', detail=False)
class KeaServerBulkEditView(generic.BulkEditView):
    """Edit several Kea servers at once."""

    queryset = _servers()
    filterset = filtersets.KeaServerFilterSet
    table = tables.KeaServerTable
    form = forms.KeaServerBulkEditForm


@register_model_view(KeaServer, 'bulk_delete', path='delete', detail=False)
class KeaServerBulkDeleteView(generic.BulkDeleteView):
    """Delete several Kea servers at once."""

    queryset = _servers()
    filterset = filtersets.KeaServerFilterSet
    table = tables.KeaServerTable
