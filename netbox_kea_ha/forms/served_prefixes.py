"""Forms of ServedPrefix: edit, import, bulk edit and filter."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ipam.models import Prefix
from netbox.forms import (
    PrimaryModelBulkEditForm,
    PrimaryModelFilterSetForm,
    PrimaryModelForm,
    PrimaryModelImportForm,
)
from utilities.forms.fields import (
    CSVModelChoiceField,
    DynamicModelChoiceField,
    DynamicModelMultipleChoiceField,
    TagFilterField,
)
from utilities.forms.rendering import FieldSet

from ..models import HARelationship, ServedPrefix
from .fields import JSONValueField

__all__ = (
    'ServedPrefixBulkEditForm',
    'ServedPrefixFilterForm',
    'ServedPrefixForm',
    'ServedPrefixImportForm',
)

_FIELDS = (
    'relationship', 'prefix', 'subnet_id', 'interface', 'relay_addresses', 'routers', 'dns_servers', 'domain_name',
    'valid_lifetime', 'renew_timer', 'rebind_timer', 'options', 'pool_splits', 'extra', 'description', 'owner',
    'comments', 'tags',
)  # fmt: skip


class ServedPrefixForm(PrimaryModelForm):
    """Serve a prefix from a relationship: its subnet id (blank: the next one), options, lifetimes and splits."""

    relationship = DynamicModelChoiceField(label=_('HA relationship'), queryset=HARelationship.objects.all())
    prefix = DynamicModelChoiceField(label=_('Prefix'), queryset=Prefix.objects.all())
    relay_addresses = JSONValueField(label=_('Relay addresses'), empty=list, help_text=_('["192.0.2.1"]'))
    options = JSONValueField(
        label=_('Other options'), empty=list, help_text=_('[{"name": "ntp-servers", "data": ...}]')
    )
    pool_splits = JSONValueField(
        label=_('Pool splits'), empty=dict, help_text=_('{"192.0.2.10 - 192.0.2.189": {"weights": [3, 1]}}')
    )
    extra = JSONValueField(label=_('Other subnet keys'), empty=dict)

    fieldsets = (
        FieldSet('relationship', 'prefix', 'subnet_id', 'description', 'tags', name=_('Served prefix')),
        FieldSet('routers', 'dns_servers', 'domain_name', 'options', name=_('Options')),
        FieldSet('valid_lifetime', 'renew_timer', 'rebind_timer', name=_('Lifetimes')),
        FieldSet('interface', 'relay_addresses', name=_('Where clients are')),
        FieldSet('pool_splits', 'extra', name=_('Advanced')),
    )

    class Meta:
        model = ServedPrefix
        fields = _FIELDS


class ServedPrefixImportForm(PrimaryModelImportForm):
    """Import served prefixes (relationship by name, prefix by its text)."""

    relationship = CSVModelChoiceField(
        label=_('HA relationship'), queryset=HARelationship.objects.all(), to_field_name='name'
    )
    prefix = CSVModelChoiceField(label=_('Prefix'), queryset=Prefix.objects.all(), to_field_name='prefix')

    class Meta:
        model = ServedPrefix
        fields = _FIELDS


class ServedPrefixBulkEditForm(PrimaryModelBulkEditForm):
    """Set options and lifetimes of several served prefixes at once."""

    routers = forms.CharField(label=_('Routers'), max_length=255, required=False)
    dns_servers = forms.CharField(label=_('DNS servers'), max_length=255, required=False)
    domain_name = forms.CharField(label=_('Domain name'), max_length=255, required=False)
    valid_lifetime = forms.IntegerField(label='valid-lifetime', min_value=0, required=False)
    renew_timer = forms.IntegerField(label='renew-timer', min_value=0, required=False)
    rebind_timer = forms.IntegerField(label='rebind-timer', min_value=0, required=False)

    model = ServedPrefix
    fieldsets = (
        FieldSet('routers', 'dns_servers', 'domain_name', 'description', name=_('Options')),
        FieldSet('valid_lifetime', 'renew_timer', 'rebind_timer', name=_('Lifetimes')),
    )
    nullable_fields = ('valid_lifetime', 'renew_timer', 'rebind_timer', 'description', 'comments')


class ServedPrefixFilterForm(PrimaryModelFilterSetForm):
    """Filters of the served prefix list."""

    model = ServedPrefix
    fieldsets = (
        FieldSet('q', 'filter_id', 'tag'),
        FieldSet('relationship_id', 'prefix_id', name=_('Served prefix')),
    )
    relationship_id = DynamicModelMultipleChoiceField(
        label=_('HA relationship'), queryset=HARelationship.objects.all(), required=False
    )
    prefix_id = DynamicModelMultipleChoiceField(label=_('Prefix'), queryset=Prefix.objects.all(), required=False)
    tag = TagFilterField(model)
