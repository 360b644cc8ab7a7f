"""Write-only password fields for REST serializers."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

__all__ = (
    'PasswordField',
    'SecretSerializerMixin',
    'password_field',
)


class PasswordField(serializers.CharField):
    """A CharField that takes text only: DRF's turns a number into text, and a password must be what was typed."""

    def to_internal_value(self, data):
        """The text given; anything else (a number, a list, an object) is refused."""
        if not isinstance(data, str):
            self.fail('invalid')
        return super().to_internal_value(data)


def password_field(label):
    """A write-only password: never in a response. Omitted: unchanged; "" or null: cleared; text: replaced."""
    return PasswordField(
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
    """
    Refuses a password together with a reference to it (`secret_pairs`: password field -> reference field), and
    tells the model when a request gives a reference again as it stands (so that it stays bound when the request
    also changes where the password goes; see `SecretsMixin`).
    """

    secret_pairs: dict[str, str] = {}

    def _mark_given(self, instance, data):
        for password, reference in self.secret_pairs.items():
            if data.get(reference):
                instance.mark_secret_given(password)

    def validate(self, data):
        """A request may set a password or its reference, not both."""
        if self.nested:
            return super().validate(data)
        for password, reference in self.secret_pairs.items():
            if data.get(password) and data.get(reference):
                raise serializers.ValidationError({reference: _('Give a password or a reference, not both.')})
        if self.instance is not None:
            self._mark_given(self.instance, data)
        return super().validate(data)

    def update(self, instance, validated_data):
        """Save the changes (a reference given again stays bound)."""
        self._mark_given(instance, validated_data)
        return super().update(instance, validated_data)
