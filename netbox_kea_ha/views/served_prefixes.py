"""Views of ServedPrefix: the page shows the subnet entry the prefix gives Kea and the checks about it."""

import json

from django.utils.translation import gettext_lazy as _

from extras.ui.panels import CustomFieldsPanel, TagsPanel
from netbox.ui import attrs, layout, panels
from netbox.ui.panels import CommentsPanel, JSONPanel
from netbox.views import generic
from utilities.views import register_model_view

from .. import filtersets, forms, tables
from ..models import ServedPrefix
from ..services.dhcp_preview import served_prefix_preview

__all__ = (
    'ServedPrefixBulkDeleteView',
    'ServedPrefixBulkEditView',
    'ServedPrefixBulkImportView',
    'ServedPrefixDeleteView',
    'ServedPrefixEditView',
    'ServedPrefixListView',
    'ServedPrefixView',
)


def _served():
    return ServedPrefix.objects.select_related('relationship', 'prefix', 'prefix__vrf')


class ServedPrefixPanel(panels.ObjectAttributesPanel):
    """The prefix, its relationship, subnet id, options, lifetimes and where its clients are."""

    relationship = attrs.RelatedObjectAttr('relationship', linkify=True)
    prefix = attrs.RelatedObjectAttr('prefix', linkify=True)
    subnet_id = attrs.TextAttr('subnet_id', label=_('Subnet id'))
    routers = attrs.TextAttr('routers')
    dns_servers = attrs.TextAttr('dns_servers', label=_('DNS servers'))
    domain_name = attrs.TextAttr('domain_name', label=_('Domain name'))
    valid_lifetime = attrs.TextAttr('valid_lifetime', label='valid-lifetime')
    renew_timer = attrs.TextAttr('renew_timer', label='renew-timer')
    rebind_timer = attrs.TextAttr('rebind_timer', label='rebind-timer')
    interface = attrs.TextAttr('interface')
    description = attrs.TextAttr('description')


class SubnetEntryPanel(panels.TemplatePanel):
    """The `subnet4`/`subnet6` entry the prefix gives every peer, and the checks about it."""

    def __init__(self, **kwargs):
        super().__init__('netbox_kea_ha/panels/subnet_entry.html', title=_('What Kea gets'), **kwargs)


@register_model_view(ServedPrefix, 'list', path='', detail=False)
class ServedPrefixListView(generic.ObjectListView):
    """Every served prefix."""

    queryset = _served()
    filterset = filtersets.ServedPrefixFilterSet
    filterset_form = forms.ServedPrefixFilterForm
    table = tables.ServedPrefixTable


@register_model_view(ServedPrefix)
class ServedPrefixView(generic.ObjectView):
    """One served prefix and the subnet entry it gives Kea (computed from NetBox's data; nothing is sent)."""

    queryset = _served()
    template_name = 'generic/object.html'
    layout = layout.SimpleLayout(
        left_panels=[
            ServedPrefixPanel(),
            JSONPanel('options', title=_('Other options')),
            JSONPanel('pool_splits', title=_('Pool splits')),
            JSONPanel('extra', title=_('Other subnet keys')),
        ],
        right_panels=[SubnetEntryPanel(), TagsPanel(), CustomFieldsPanel(), CommentsPanel()],
    )

    def get_extra_context(self, request, instance):
        """The rendered entry and the findings about this prefix."""
        preview = served_prefix_preview(instance)
        text = json.dumps(preview.entry, indent=2) if preview.entry is not None else ''
        return {'subnet_entry': text, 'subnet_findings': preview.findings, 'subnet_error': preview.error}


@register_model_view(ServedPrefix, 'add', detail=False)
@register_model_view(ServedPrefix, 'edit')
class ServedPrefixEditView(generic.ObjectEditView):
    """Serve a prefix from a relationship, or edit how it is served."""

    queryset = ServedPrefix.objects.all()
    form = forms.ServedPrefixForm


@register_model_view(ServedPrefix, 'delete')
class ServedPrefixDeleteView(generic.ObjectDeleteView):
    """Stop serving a prefix (its subnet id is not given again)."""

    queryset = ServedPrefix.objects.all()


@register_model_view(ServedPrefix, 'bulk_import', path='import', detail=False)
class ServedPrefixBulkImportView(generic.BulkImportView):
    """Import served prefixes from CSV, YAML or JSON."""

    queryset = ServedPrefix.objects.all()
    model_form = forms.ServedPrefixImportForm


@register_model_view(ServedPrefix, 'bulk_edit', path='edit', detail=False)
class ServedPrefixBulkEditView(generic.BulkEditView):
    """Edit several served prefixes at once."""

    queryset = _served()
    filterset = filtersets.ServedPrefixFilterSet
    table = tables.ServedPrefixTable
    form = forms.ServedPrefixBulkEditForm


@register_model_view(ServedPrefix, 'bulk_delete', path='delete', detail=False)
class ServedPrefixBulkDeleteView(generic.BulkDeleteView):
    """Stop serving several prefixes."""

    queryset = _served()
    filterset = filtersets.ServedPrefixFilterSet
    table = tables.ServedPrefixTable
