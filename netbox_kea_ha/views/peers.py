"""Views of HAPeer."""

from django.utils.translation import gettext_lazy as _

from extras.ui.panels import CustomFieldsPanel, TagsPanel
from netbox.ui import layout
from netbox.ui.panels import CommentsPanel, JSONPanel
from netbox.views import generic
from utilities.views import register_model_view

from .. import filtersets, forms, tables
from ..models import HAPeer
from ..object_actions import extra_actions
from ..ui import panels

__all__ = (
    'HAPeerBulkDeleteView',
    'HAPeerBulkEditView',
    'HAPeerBulkImportView',
    'HAPeerDeleteView',
    'HAPeerEditView',
    'HAPeerListView',
    'HAPeerView',
)


def _peers():
    return HAPeer.objects.select_related(
        'relationship', 'server', 'server__address', 'server__device', 'server__virtual_machine'
    )


@register_model_view(HAPeer, 'list', path='', detail=False)
class HAPeerListView(generic.ObjectListView):
    """All peers of all relationships."""

    queryset = _peers()
    filterset = filtersets.HAPeerFilterSet
    filterset_form = forms.HAPeerFilterForm
    table = tables.HAPeerTable


@register_model_view(HAPeer)
class HAPeerView(generic.ObjectView):
    """One peer: its server, role, URL, credentials state and HA state."""

    queryset = _peers()
    template_name = 'generic/object.html'
    layout = layout.SimpleLayout(
        left_panels=[
            panels.HAPeerPanel(),
            JSONPanel('extra_parameters', title=_('Extra parameters')),
        ],
        right_panels=[
            panels.HAPeerStatusPanel(),
            TagsPanel(),
            CustomFieldsPanel(),
            CommentsPanel(),
        ],
    )

    @property
    def actions(self):
        """NetBox's buttons, then those registered for peers (see object_actions)."""
        return (*generic.ObjectView.actions, *extra_actions('hapeer'))


@register_model_view(HAPeer, 'add', detail=False)
@register_model_view(HAPeer, 'edit')
class HAPeerEditView(generic.ObjectEditView):
    """Add a server to a relationship, or edit its peer entry."""

    queryset = HAPeer.objects.all()
    form = forms.HAPeerForm


@register_model_view(HAPeer, 'delete')
class HAPeerDeleteView(generic.ObjectDeleteView):
    """Remove a peer from its relationship."""

    queryset = HAPeer.objects.all()


@register_model_view(HAPeer, 'bulk_import', path='import', detail=False)
class HAPeerBulkImportView(generic.BulkImportView):
    """Import peers from CSV, YAML or JSON."""

    queryset = HAPeer.objects.all()
    model_form = forms.HAPeerImportForm


@register_model_view(HAPeer, 'bulk_edit', path='edit', detail=False)
class HAPeerBulkEditView(generic.BulkEditView):
    """Edit several peers at once."""

    queryset = _peers()
    filterset = filtersets.HAPeerFilterSet
    table = tables.HAPeerTable
    form = forms.HAPeerBulkEditForm


@register_model_view(HAPeer, 'bulk_delete', path='delete', detail=False)
class HAPeerBulkDeleteView(generic.BulkDeleteView):
    """Remove several peers at once."""

    queryset = _peers()
    filterset = filtersets.HAPeerFilterSet
    table = tables.HAPeerTable
