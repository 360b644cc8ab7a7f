"""Forms of HARelationship: edit, bulk import, bulk edit, filter. One field per HA parameter; blank = Kea's default."""

from django import forms
from django.utils.translation import gettext_lazy as _

from netbox.forms import (
    PrimaryModelBulkEditForm,
    PrimaryModelFilterSetForm,
    PrimaryModelForm,
    PrimaryModelImportForm,
)
from utilities.forms import add_blank_choice
from utilities.forms.fields import CSVChoiceField, DynamicModelMultipleChoiceField, TagFilterField
from utilities.forms.rendering import FieldSet
from utilities.forms.widgets import BulkEditNullBooleanSelect

from ..choices import DhcpSourceChoices, HAModeChoices, PushProcedureChoices
from ..kea.ha import HA_PARAMETERS
from ..models import HARelationship, KeaServer
from .fields import JSONValueField, parameter_form_field, parameter_groups, parameter_help
from .mixins import FieldErrorFallbackMixin

__all__ = (
    'HARelationshipBulkEditForm',
    'HARelationshipFilterForm',
    'HARelationshipForm',
    'HARelationshipImportForm',
)

_PARAMETER_ATTRS = tuple(p.attr for p in HA_PARAMETERS)

#: The model fields of the edit and the import form.
_FIELDS = (
    'name', 'mode', *_PARAMETER_ATTRS, 'state_machine', 'extra_parameters', 'push_procedure', 'dhcp_source',
    'description', 'owner', 'comments', 'tags',
)  # fmt: skip

_STATE_MACHINE_HELP = _(
    'Optional list of {"state": "<HA state>", "pause": "never|once|always"} entries (Kea\'s state-machine.states)'
)
_EXTRA_HELP = _('Other keys of the relationship entry, kept as Kea accepted them (JSON object)')


def _parameter_fieldsets():
    return tuple(FieldSet(*(p.attr for p in params), name=label) for label, params in parameter_groups())


class HARelationshipForm(FieldErrorFallbackMixin, PrimaryModelForm):
    """Add or edit an HA relationship: mode, HA parameters (blank = Kea's default), state machine, extra keys."""

    state_machine = JSONValueField(label=_('State machine'), empty=list, help_text=_STATE_MACHINE_HELP)
    extra_parameters = JSONValueField(label=_('Extra parameters'), empty=dict, help_text=_EXTRA_HELP)

    dhcp_source = forms.ChoiceField(
        label=_('DHCP data from'),
        choices=DhcpSourceChoices,
        required=False,
        initial=DhcpSourceChoices.PRIMARY,
        help_text=_("The primary's running config, or the served prefixes in NetBox IPAM (docs/ipam.md)"),
    )

    fieldsets = (
        FieldSet('name', 'mode', 'dhcp_source', 'description', 'tags', name=_('HA relationship')),
        *_parameter_fieldsets(),
        FieldSet('state_machine', 'extra_parameters', 'push_procedure', name=_('Advanced')),
    )

    def clean_dhcp_source(self):
        """Blank: the primary's running config (the default)."""
        return self.cleaned_data.get('dhcp_source') or DhcpSourceChoices.PRIMARY

    class Meta:
        model = HARelationship
        fields = _FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for parameter in HA_PARAMETERS:
            self.fields[parameter.attr] = parameter_form_field(parameter)


class HARelationshipImportForm(FieldErrorFallbackMixin, PrimaryModelImportForm):
    """Bulk import of HA relationships; parameter columns are named by `HAParameter.attr` (`heartbeat_delay`)."""

    mode = CSVChoiceField(
        label=_('Mode'), choices=HAModeChoices, help_text=_('load-balancing, hot-standby or passive-backup')
    )
    state_machine = JSONValueField(label=_('State machine'), empty=list, help_text=_STATE_MACHINE_HELP)
    extra_parameters = JSONValueField(label=_('Extra parameters'), empty=dict, help_text=_EXTRA_HELP)
    push_procedure = CSVChoiceField(
        label=_('Push procedure'),
        choices=PushProcedureChoices,
        required=False,
        help_text=_('least-loss or rolling; blank: the plugin setting'),
    )
    dhcp_source = CSVChoiceField(
        label=_('DHCP data from'),
        choices=DhcpSourceChoices,
        required=False,
        help_text=_('primary (default) or ipam'),
    )

    class Meta:
        model = HARelationship
        fields = _FIELDS

    def clean_dhcp_source(self):
        """Blank: the primary's running config (the default)."""
        return self.cleaned_data.get('dhcp_source') or DhcpSourceChoices.PRIMARY

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for parameter in HA_PARAMETERS:
            if parameter.attr in self.fields:
                self.fields[parameter.attr].help_text = parameter_help(parameter)


def _bulk_parameter_field(parameter):
    field = parameter_form_field(parameter)
    if parameter.type is bool:
        return forms.NullBooleanField(
            label=field.label, required=False, widget=BulkEditNullBooleanSelect(), help_text=field.help_text
        )
    return field


class _BulkEditMeta(type(PrimaryModelBulkEditForm)):
    """Adds one field per HA parameter to the bulk-edit form class."""

    def __new__(mcs, name, bases, attrs):
        for parameter in HA_PARAMETERS:
            attrs.setdefault(parameter.attr, _bulk_parameter_field(parameter))
        return super().__new__(mcs, name, bases, attrs)


class HARelationshipBulkEditForm(PrimaryModelBulkEditForm, metaclass=_BulkEditMeta):
    """Bulk edit of HA relationships: mode and any HA parameter ("set null" returns it to Kea's default)."""

    mode = forms.ChoiceField(label=_('Mode'), choices=add_blank_choice(HAModeChoices), required=False)
    push_procedure = forms.ChoiceField(
        label=_('Push procedure'), choices=add_blank_choice(PushProcedureChoices), required=False
    )

    model = HARelationship
    fieldsets = (
        FieldSet('mode', 'push_procedure', 'description', name=_('HA relationship')),
        *_parameter_fieldsets(),
    )
    nullable_fields = (*_PARAMETER_ATTRS, 'description', 'comments')


class HARelationshipFilterForm(PrimaryModelFilterSetForm):
    """Filters of the HA relationship list."""

    model = HARelationship
    fieldsets = (
        FieldSet('q', 'filter_id', 'tag'),
        FieldSet('mode', 'push_procedure', 'server_id', name=_('HA relationship')),
        FieldSet('owner_group_id', 'owner_id', name=_('Ownership')),
    )
    mode = forms.MultipleChoiceField(label=_('Mode'), choices=HAModeChoices, required=False)
    push_procedure = forms.MultipleChoiceField(label=_('Push procedure'), choices=PushProcedureChoices, required=False)
    server_id = DynamicModelMultipleChoiceField(label=_('Kea server'), queryset=KeaServer.objects.all(), required=False)
    tag = TagFilterField(model)
