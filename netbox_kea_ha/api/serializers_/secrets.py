"""Write-only password fields for REST serializers."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

__all__ = (
    'SecretSerializerMixin',
    'password_field',
)


def password_field(label):
    """A write-only password: never in a response. Omitted: unchanged; "" or null: cleared; text: replaced."""
    return serializers.CharField(
        label=label,
        write_only=True,
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=False,
        style={'input_type': 'password'},
        help_text=_('Write-only. Omitted: unchanged; empty or null: cleared; text: replaced (stored encrypted).'),
    )


class SecretSerializerMixin:
    """Refuses a password together with a reference to it (`secret_pairs`: password field -> reference field)."""

    secret_pairs: dict[str, str] = {}

    def validate(self, data):
        """A request may set a password or its reference, not both."""
        if self.nested:
            return super().validate(data)
        for password, reference in self.secret_pairs.items():
            if data.get(password) and data.get(reference):
                raise serializers.ValidationError({reference: _('Give a password or a reference, not both.')})
        return super().validate(data)
