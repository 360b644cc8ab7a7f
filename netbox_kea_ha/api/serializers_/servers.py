"""REST serializer of KeaServer."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from dcim.api.serializers import DeviceSerializer
from ipam.api.serializers import IPAddressSerializer
from netbox.api.fields import ChoiceField, RelatedObjectCountField
from netbox.api.serializers import PrimaryModelSerializer
from virtualization.api.serializers import VirtualMachineSerializer

from ...choices import (
    ConfigDriftChoices,
    ControlKindChoices,
    ControlSchemeChoices,
    DHCPFamilyChoices,
    HAStateChoices,
    ReplicateConfigChoices,
)
from ...models import KeaServer
from .secrets import SecretSerializerMixin, password_field

__all__ = ('KeaServerSerializer',)


class KeaServerSerializer(SecretSerializerMixin, PrimaryModelSerializer):
    """A Kea server. `password` is write-only; `has_password` says whether one is set (stored or referenced)."""

    device = DeviceSerializer(nested=True, required=False, allow_null=True, default=None)
    virtual_machine = VirtualMachineSerializer(nested=True, required=False, allow_null=True, default=None)
    address = IPAddressSerializer(nested=True)
    family = ChoiceField(choices=DHCPFamilyChoices, required=False)
    control_kind = ChoiceField(choices=ControlKindChoices, required=False)
    control_scheme = ChoiceField(choices=ControlSchemeChoices, required=False)
    replicate_config = ChoiceField(choices=ReplicateConfigChoices, required=False)
    password = password_field(_('Password'))
    has_password = serializers.BooleanField(read_only=True)
    control_url = serializers.CharField(read_only=True, allow_null=True)
    effective_server_tag = serializers.CharField(read_only=True)
    ha_state = ChoiceField(choices=HAStateChoices, read_only=True)
    config_drift = ChoiceField(choices=ConfigDriftChoices, read_only=True)
    peer_count = RelatedObjectCountField('ha_peers')

    secret_pairs = {'password': 'password_ref'}

    class Meta:
        model = KeaServer
        fields = (
            'id', 'url', 'display_url', 'display', 'name', 'family', 'device', 'virtual_machine', 'address',
            'control_kind', 'control_scheme', 'control_host', 'control_port', 'control_url', 'tls_verify', 'ca_file',
            'cert_file', 'key_file', 'username', 'password', 'has_password', 'password_ref', 'server_tag',
            'effective_server_tag', 'hooks_dir', 'replicate_config', 'kea_version', 'last_seen', 'ha_state',
            'config_drift', 'drift_checked', 'last_error', 'description', 'owner', 'comments', 'tags', 'custom_fields',
            'created', 'last_updated', 'peer_count',
        )  # fmt: skip
        brief_fields = ('description', 'display', 'family', 'id', 'name', 'url')
