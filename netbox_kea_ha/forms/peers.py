"""Forms of HAPeer: edit, bulk import, bulk edit, filter."""

from django import forms
from django.utils.translation import gettext_lazy as _

from netbox.forms import (
    PrimaryModelBulkEditForm,
    PrimaryModelFilterSetForm,
    PrimaryModelForm,
    PrimaryModelImportForm,
)
from utilities.forms import BOOLEAN_WITH_BLANK_CHOICES, add_blank_choice
from utilities.forms.fields import (
    CSVChoiceField,
    CSVModelChoiceField,
    DynamicModelChoiceField,
    DynamicModelMultipleChoiceField,
    TagFilterField,
)
from utilities.forms.rendering import FieldSet
from utilities.forms.widgets import BulkEditNullBooleanSelect

from ..choices import HARoleChoices, HAStateChoices
from ..models import HAPeer, HARelationship, KeaServer
from .fields import InheritBooleanField, JSONValueField, PasswordField, TextOnlyField
from .mixins import FieldErrorFallbackMixin, SecretFormMixin

__all__ = (
    'HAPeerBulkEditForm',
    'HAPeerFilterForm',
    'HAPeerForm',
    'HAPeerImportForm',
)

_EXTRA_HELP = _(
    'Other keys of the peer entry (JSON object), e.g. {"trust-anchor": ..., "cert-file": ..., "key-file": ...}'
)


class HAPeerForm(FieldErrorFallbackMixin, SecretFormMixin, PrimaryModelForm):
    """Add or edit a peer. The basic-auth password is write-only: blank keeps it, "clear" removes it."""

    relationship = DynamicModelChoiceField(
        label=_('HA relationship'),
        queryset=HARelationship.objects.all(),
        quick_add=True,
    )
    server = DynamicModelChoiceField(
        label=_('Kea server'),
        queryset=KeaServer.objects.all(),
        quick_add=True,
    )
    auto_failover = InheritBooleanField(label=_('Auto-failover'), default_label=_("Kea's default (true)"))
    basic_auth_password = PasswordField(label=_('Basic-auth password'))
    clear_basic_auth_password = forms.BooleanField(label=_('Clear basic-auth password'), required=False)
    extra_parameters = JSONValueField(label=_('Extra parameters'), empty=dict, help_text=_EXTRA_HELP)

    secret_form_fields = {
        'basic_auth_password': ('basic_auth_password', 'clear_basic_auth_password', 'basic_auth_password_ref')
    }

    fieldsets = (
        FieldSet('relationship', 'server', 'role', 'name', 'description', 'tags', name=_('HA peer')),
        FieldSet('url', 'auto_failover', name=_('HA')),
        FieldSet(
            'basic_auth_user',
            'basic_auth_password',
            'clear_basic_auth_password',
            'basic_auth_password_ref',
            name=_('Basic authentication'),
        ),
        FieldSet('extra_parameters', name=_('Advanced')),
    )

    class Meta:
        model = HAPeer
        fields = (
            'relationship', 'server', 'role', 'name', 'url', 'auto_failover', 'basic_auth_user',
            'basic_auth_password_ref', 'extra_parameters', 'description', 'owner', 'comments', 'tags',
        )  # fmt: skip


class HAPeerImportForm(FieldErrorFallbackMixin, SecretFormMixin, PrimaryModelImportForm):
    """Bulk import of peers: relationship and server by name; `basic_auth_password` is write-only."""

    relationship = CSVModelChoiceField(
        label=_('HA relationship'),
        queryset=HARelationship.objects.all(),
        to_field_name='name',
        help_text=_('Name of the HA relationship'),
    )
    server = CSVModelChoiceField(
        label=_('Kea server'),
        queryset=KeaServer.objects.all(),
        to_field_name='name',
        help_text=_('Name of the Kea server'),
    )
    role = CSVChoiceField(label=_('Role'), choices=HARoleChoices, help_text=_('primary, secondary, standby or backup'))
    basic_auth_password = TextOnlyField(
        label=_('Basic-auth password'),
        required=False,
        strip=False,
        help_text=_('Password the partners send to this peer (write-only; stored encrypted)'),
    )
    extra_parameters = JSONValueField(label=_('Extra parameters'), empty=dict, help_text=_EXTRA_HELP)

    secret_form_fields = {'basic_auth_password': ('basic_auth_password', None, 'basic_auth_password_ref')}

    class Meta:
        model = HAPeer
        fields = (
            'relationship', 'server', 'role', 'name', 'url', 'auto_failover', 'basic_auth_user',
            'basic_auth_password', 'basic_auth_password_ref', 'extra_parameters', 'description', 'owner', 'comments',
            'tags',
        )  # fmt: skip


class HAPeerBulkEditForm(PrimaryModelBulkEditForm):
    """Bulk edit of peers (no passwords)."""

    role = forms.ChoiceField(label=_('Role'), choices=add_blank_choice(HARoleChoices), required=False)
    auto_failover = forms.NullBooleanField(label=_('Auto-failover'), required=False, widget=BulkEditNullBooleanSelect())
    basic_auth_user = forms.CharField(label=_('Basic-auth user'), max_length=100, required=False)
    basic_auth_password_ref = forms.CharField(label=_('Basic-auth password reference'), max_length=255, required=False)

    model = HAPeer
    fieldsets = (
        FieldSet('role', 'auto_failover', 'description', name=_('HA peer')),
        FieldSet('basic_auth_user', 'basic_auth_password_ref', name=_('Basic authentication')),
    )
    nullable_fields = ('auto_failover', 'basic_auth_user', 'basic_auth_password_ref', 'description', 'comments')


class HAPeerFilterForm(PrimaryModelFilterSetForm):
    """Filters of the peer list."""

    model = HAPeer
    fieldsets = (
        FieldSet('q', 'filter_id', 'tag'),
        FieldSet('relationship_id', 'server_id', 'role', name=_('HA peer')),
        FieldSet('ha_state', 'partner_state', 'reachable', name=_('State')),
        FieldSet('owner_group_id', 'owner_id', name=_('Ownership')),
    )
    relationship_id = DynamicModelMultipleChoiceField(
        label=_('HA relationship'), queryset=HARelationship.objects.all(), required=False
    )
    server_id = DynamicModelMultipleChoiceField(label=_('Kea server'), queryset=KeaServer.objects.all(), required=False)
    role = forms.MultipleChoiceField(label=_('Role'), choices=HARoleChoices, required=False)
    ha_state = forms.MultipleChoiceField(label=_('HA state'), choices=HAStateChoices, required=False)
    partner_state = forms.MultipleChoiceField(label=_('Partner state'), choices=HAStateChoices, required=False)
    reachable = forms.NullBooleanField(
        label=_('Reachable'), required=False, widget=forms.Select(choices=BOOLEAN_WITH_BLANK_CHOICES)
    )
    tag = TagFilterField(model)
