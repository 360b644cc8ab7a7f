"""Views of HARelationship; the detail page shows peers, validation findings and each server's rendered block."""

from dataclasses import replace

from django.utils.translation import gettext_lazy as _

from extras.ui.panels import CustomFieldsPanel, TagsPanel
from netbox.ui import actions, layout
from netbox.ui.panels import CommentsPanel, JSONPanel, ObjectsTablePanel
from netbox.views import generic
from utilities.query import count_related
from utilities.views import register_model_view

from .. import filtersets, forms, tables
from ..models import HAPeer, HARelationship
from ..object_actions import extra_actions
from ..services.display import shown_relationship
from ..tables.peers import STATUS_COLUMNS
from ..ui import panels

__all__ = (
    'HARelationshipBulkDeleteView',
    'HARelationshipBulkEditView',
    'HARelationshipBulkImportView',
    'HARelationshipDeleteView',
    'HARelationshipEditView',
    'HARelationshipListView',
    'HARelationshipView',
)


def _relationships():
    return HARelationship.objects.annotate(peer_count=count_related(HAPeer, 'relationship'))


@register_model_view(HARelationship, 'list', path='', detail=False)
class HARelationshipListView(generic.ObjectListView):
    """All HA relationships."""

    queryset = _relationships()
    filterset = filtersets.HARelationshipFilterSet
    filterset_form = forms.HARelationshipFilterForm
    table = tables.HARelationshipTable


@register_model_view(HARelationship)
class HARelationshipView(generic.ObjectView):
    """
    One relationship: its parameters (Kea's default where not set), peers, their HA status as Kea reports it and
    the history of their states, the validation errors and warnings computed from NetBox's data, and the
    `hooks-libraries` block each peer's server would get (secrets redacted).
    """

    queryset = HARelationship.objects.all()
    template_name = 'generic/object.html'
    layout = layout.SimpleLayout(
        left_panels=[
            panels.HARelationshipPanel(),
            *panels.parameter_panels(),
        ],
        right_panels=[
            panels.FindingsPanel(),
            JSONPanel('state_machine', title=_('State machine')),
            JSONPanel('extra_parameters', title=_('Extra parameters')),
            TagsPanel(),
            CustomFieldsPanel(),
            CommentsPanel(),
        ],
        bottom_panels=[
            ObjectsTablePanel(
                'netbox_kea_ha.hapeer',
                filters={'relationship_id': lambda ctx: ctx['object'].pk},
                exclude_columns=['relationship', 'mode'],
                title=_('Peers'),
                actions=[
                    actions.AddObject(
                        'netbox_kea_ha.hapeer',
                        url_params={'relationship': lambda ctx: ctx['object'].pk},
                        label=_('Add a peer'),
                    ),
                ],
            ),
            ObjectsTablePanel(
                'netbox_kea_ha.hapeer',
                filters={'relationship_id': lambda ctx: ctx['object'].pk},
                include_columns=['name', *STATUS_COLUMNS],
                exclude_columns=[c for c in tables.HAPeerTable.Meta.fields if c not in ('name', *STATUS_COLUMNS)],
                title=_('HA status'),
            ),
            ObjectsTablePanel(
                'netbox_kea_ha.servedprefix',
                filters={'relationship_id': lambda ctx: ctx['object'].pk},
                exclude_columns=['relationship'],
                title=_('Served prefixes (DHCP data from NetBox IPAM)'),
                actions=[
                    actions.AddObject(
                        'netbox_kea_ha.servedprefix',
                        url_params={'relationship': lambda ctx: ctx['object'].pk},
                        label=_('Serve a prefix'),
                    ),
                ],
            ),
            panels.HAHistoryPanel(),
            panels.RenderedBlocksPanel(),
        ],
    )

    @property
    def actions(self):
        """NetBox's buttons, then those registered for relationships (see object_actions)."""
        return (*generic.ObjectView.actions, *extra_actions('harelationship'))

    def get_extra_context(self, request, instance):
        """Findings (computed now and last recorded) and the rendered blocks the user may see. No network I/O."""
        blocks, findings = shown_relationship(instance, request.user)
        shown = {(f.code, f.message) for f in findings}
        blocks = [
            # A block's own findings, less those the Validation panel already shows for the relationship.
            replace(block, findings=tuple(f for f in block.findings if (f.code, f.message) not in shown))
            for block in blocks
        ]
        return {'findings': findings, 'recorded_findings': instance.findings, 'rendered_blocks': blocks}


@register_model_view(HARelationship, 'add', detail=False)
@register_model_view(HARelationship, 'edit')
class HARelationshipEditView(generic.ObjectEditView):
    """Add or edit a relationship."""

    queryset = HARelationship.objects.all()
    form = forms.HARelationshipForm


@register_model_view(HARelationship, 'delete')
class HARelationshipDeleteView(generic.ObjectDeleteView):
    """Delete a relationship and its peers."""

    queryset = HARelationship.objects.all()


@register_model_view(HARelationship, 'bulk_import', path='import', detail=False)
class HARelationshipBulkImportView(generic.BulkImportView):
    """Import relationships from CSV, YAML or JSON."""

    queryset = HARelationship.objects.all()
    model_form = forms.HARelationshipImportForm


@register_model_view(HARelationship, 'bulk_edit', path='edit', detail=False)
class HARelationshipBulkEditView(generic.BulkEditView):
    """Edit several relationships at once."""

    queryset = _relationships()
    filterset = filtersets.HARelationshipFilterSet
    table = tables.HARelationshipTable
    form = forms.HARelationshipBulkEditForm


@register_model_view(HARelationship, 'bulk_delete', path='delete', detail=False)
class HARelationshipBulkDeleteView(generic.BulkDeleteView):
    """Delete several relationships at once."""

    queryset = _relationships()
    filterset = filtersets.HARelationshipFilterSet
    table = tables.HARelationshipTable
