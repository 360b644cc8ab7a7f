"""Forms of KeaServer: edit, bulk import, bulk edit, filter."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dcim.models import Device
from ipam.models import IPAddress
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
from virtualization.models import VirtualMachine

from ..choices import (
    ConfigDriftChoices,
    ControlKindChoices,
    ControlSchemeChoices,
    DHCPFamilyChoices,
    HAStateChoices,
    ReplicateConfigChoices,
)
from ..models import HARelationship, KeaServer
from .fields import InheritBooleanField, PasswordField, TextOnlyField
from .mixins import FieldErrorFallbackMixin, SecretFormMixin

__all__ = (
    'KeaServerBulkEditForm',
    'KeaServerFilterForm',
    'KeaServerForm',
    'KeaServerImportForm',
)

_SECRETS = {'password': ('password', 'clear_password', 'password_ref')}


class KeaServerForm(FieldErrorFallbackMixin, SecretFormMixin, PrimaryModelForm):
    """Add or edit a Kea server. The password is write-only: blank keeps it, "clear" removes it."""

    device = DynamicModelChoiceField(
        label=_('Device'),
        queryset=Device.objects.all(),
        required=False,
        selector=True,
    )
    virtual_machine = DynamicModelChoiceField(
        label=_('Virtual machine'),
        queryset=VirtualMachine.objects.all(),
        required=False,
        selector=True,
    )
    address = DynamicModelChoiceField(
        label=_('Address'),
        queryset=IPAddress.objects.all(),
        query_params={'device_id': '$device', 'virtual_machine_id': '$virtual_machine'},
        help_text=_('The IP address the HA peers and NetBox reach this server on'),
    )
    tls_verify = InheritBooleanField(
        label=_('Verify TLS'),
        default_label=_('Plugin setting (verify_tls)'),
    )
    password = PasswordField(label=_('Password'))
    clear_password = forms.BooleanField(label=_('Clear password'), required=False)

    secret_form_fields = _SECRETS

    fieldsets = (
        FieldSet('name', 'family', 'server_tag', 'description', 'tags', name=_('Kea server')),
        FieldSet('device', 'virtual_machine', 'address', name=_('Host')),
        FieldSet('control_kind', 'control_scheme', 'control_host', 'control_port', name=_('Control endpoint')),
        FieldSet('tls_verify', 'ca_file', 'cert_file', 'key_file', name=_('TLS')),
        FieldSet('username', 'password', 'clear_password', 'password_ref', name=_('Authentication')),
        FieldSet('hooks_dir', 'replicate_config', name=_('Configuration')),
    )

    class Meta:
        model = KeaServer
        fields = (
            'name', 'family', 'server_tag', 'device', 'virtual_machine', 'address', 'control_kind', 'control_scheme',
            'control_host', 'control_port', 'tls_verify', 'ca_file', 'cert_file', 'key_file', 'username',
            'password_ref', 'hooks_dir', 'replicate_config', 'description', 'owner', 'comments', 'tags',
        )  # fmt: skip


class KeaServerImportForm(FieldErrorFallbackMixin, SecretFormMixin, PrimaryModelImportForm):
    """Bulk import of Kea servers (CSV, YAML, JSON). `password` is write-only; blank keeps the stored one."""

    device = CSVModelChoiceField(
        label=_('Device'),
        queryset=Device.objects.all(),
        required=False,
        to_field_name='name',
        help_text=_('Name of the device the server runs on'),
    )
    virtual_machine = CSVModelChoiceField(
        label=_('Virtual machine'),
        queryset=VirtualMachine.objects.all(),
        required=False,
        to_field_name='name',
        help_text=_('Name of the virtual machine the server runs on'),
    )
    address = CSVModelChoiceField(
        label=_('Address'),
        queryset=IPAddress.objects.all(),
        to_field_name='address',
        help_text=_('IP address with prefix length, e.g. 192.0.2.10/24'),
    )
    family = CSVChoiceField(label=_('DHCP family'), choices=DHCPFamilyChoices, required=False)
    control_kind = CSVChoiceField(label=_('Control endpoint'), choices=ControlKindChoices, required=False)
    control_scheme = CSVChoiceField(label=_('Control scheme'), choices=ControlSchemeChoices, required=False)
    replicate_config = CSVChoiceField(label=_('Replicate config'), choices=ReplicateConfigChoices, required=False)
    password = TextOnlyField(
        label=_('Password'),
        required=False,
        strip=False,
        help_text=_('Basic-auth password of the control endpoint (write-only; stored encrypted)'),
    )

    secret_form_fields = {'password': ('password', None, 'password_ref')}

    class Meta:
        model = KeaServer
        fields = (
            'name', 'family', 'server_tag', 'device', 'virtual_machine', 'address', 'control_kind', 'control_scheme',
            'control_host', 'control_port', 'tls_verify', 'ca_file', 'cert_file', 'key_file', 'username',
            'password', 'password_ref', 'hooks_dir', 'replicate_config', 'description', 'owner', 'comments', 'tags',
        )  # fmt: skip

    def clean(self):
        """Choice columns left blank take the model's defaults."""
        super().clean()
        cleaned = self.cleaned_data
        for name in ('family', 'control_kind', 'control_scheme', 'replicate_config'):
            if name in self.fields and not cleaned.get(name) and not self.instance.pk:
                cleaned[name] = KeaServer._meta.get_field(name).default
        return cleaned


class KeaServerBulkEditForm(PrimaryModelBulkEditForm):
    """Bulk edit of Kea servers (no passwords: set those one server at a time or by import)."""

    family = forms.ChoiceField(label=_('DHCP family'), choices=add_blank_choice(DHCPFamilyChoices), required=False)
    device = DynamicModelChoiceField(label=_('Device'), queryset=Device.objects.all(), required=False)
    virtual_machine = DynamicModelChoiceField(
        label=_('Virtual machine'), queryset=VirtualMachine.objects.all(), required=False
    )
    control_kind = forms.ChoiceField(
        label=_('Control endpoint'), choices=add_blank_choice(ControlKindChoices), required=False
    )
    control_scheme = forms.ChoiceField(
        label=_('Control scheme'), choices=add_blank_choice(ControlSchemeChoices), required=False
    )
    control_host = forms.CharField(label=_('Control host'), max_length=255, required=False)
    control_port = forms.IntegerField(label=_('Control port'), min_value=1, max_value=65535, required=False)
    tls_verify = forms.NullBooleanField(label=_('Verify TLS'), required=False, widget=BulkEditNullBooleanSelect())
    ca_file = forms.CharField(label=_('CA file'), max_length=255, required=False)
    cert_file = forms.CharField(label=_('Client certificate'), max_length=255, required=False)
    key_file = forms.CharField(label=_('Client key'), max_length=255, required=False)
    username = forms.CharField(label=_('Username'), max_length=100, required=False)
    password_ref = forms.CharField(label=_('Password reference'), max_length=255, required=False)
    hooks_dir = forms.CharField(label=_('Hooks directory'), max_length=255, required=False)
    replicate_config = forms.ChoiceField(
        label=_('Replicate config'), choices=add_blank_choice(ReplicateConfigChoices), required=False
    )

    model = KeaServer
    fieldsets = (
        FieldSet('family', 'description', name=_('Kea server')),
        FieldSet('device', 'virtual_machine', name=_('Host')),
        FieldSet('control_kind', 'control_scheme', 'control_host', 'control_port', name=_('Control endpoint')),
        FieldSet('tls_verify', 'ca_file', 'cert_file', 'key_file', name=_('TLS')),
        FieldSet('username', 'password_ref', name=_('Authentication')),
        FieldSet('hooks_dir', 'replicate_config', name=_('Configuration')),
    )
    nullable_fields = (
        'device', 'virtual_machine', 'control_host', 'control_port', 'tls_verify', 'ca_file', 'cert_file', 'key_file',
        'username', 'password_ref', 'hooks_dir', 'description', 'comments',
    )  # fmt: skip


class KeaServerFilterForm(PrimaryModelFilterSetForm):
    """Filters of the Kea server list."""

    model = KeaServer
    fieldsets = (
        FieldSet('q', 'filter_id', 'tag'),
        FieldSet('family', 'device_id', 'virtual_machine_id', 'relationship_id', name=_('Kea server')),
        FieldSet('control_kind', 'control_scheme', 'replicate_config', 'has_password', name=_('Control endpoint')),
        FieldSet('ha_state', 'config_drift', 'kea_version', name=_('State')),
        FieldSet('owner_group_id', 'owner_id', name=_('Ownership')),
    )
    family = forms.MultipleChoiceField(label=_('DHCP family'), choices=DHCPFamilyChoices, required=False)
    device_id = DynamicModelMultipleChoiceField(label=_('Device'), queryset=Device.objects.all(), required=False)
    virtual_machine_id = DynamicModelMultipleChoiceField(
        label=_('Virtual machine'), queryset=VirtualMachine.objects.all(), required=False
    )
    relationship_id = DynamicModelMultipleChoiceField(
        label=_('HA relationship'), queryset=HARelationship.objects.all(), required=False
    )
    control_kind = forms.MultipleChoiceField(label=_('Control endpoint'), choices=ControlKindChoices, required=False)
    control_scheme = forms.MultipleChoiceField(label=_('Scheme'), choices=ControlSchemeChoices, required=False)
    replicate_config = forms.MultipleChoiceField(
        label=_('Replicate config'), choices=ReplicateConfigChoices, required=False
    )
    has_password = forms.NullBooleanField(
        label=_('Has a password'), required=False, widget=forms.Select(choices=BOOLEAN_WITH_BLANK_CHOICES)
    )
    ha_state = forms.MultipleChoiceField(label=_('HA state'), choices=HAStateChoices, required=False)
    config_drift = forms.MultipleChoiceField(label=_('Config drift'), choices=ConfigDriftChoices, required=False)
    kea_version = forms.CharField(label=_('Kea version'), required=False)
    tag = TagFilterField(model)
