"""Form mixins: write-only passwords, and model errors on fields a form does not show."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = (
    'FieldErrorFallbackMixin',
    'SecretFormMixin',
)


class FieldErrorFallbackMixin:
    """
    Model validation may name fields a form does not show (a bulk import that updates a few columns): such errors
    become form-wide errors that still name the field, instead of Django's ValueError. (A bulk edit reports model
    errors itself, as messages: its forms do not need this.)
    """

    def add_error(self, field, error):
        """Add an error; errors for fields this form lacks go to the form as a whole, prefixed by the field name."""
        if field is None and isinstance(error, ValidationError) and hasattr(error, 'error_dict'):
            kept = {}
            moved = []
            for name, errors in error.error_dict.items():
                if name == NON_FIELD_ERRORS or name in self.fields:
                    kept[name] = errors
                else:
                    moved.extend(f'{name}: {message}' for e in errors for message in e.messages)
            if moved:
                kept.setdefault(NON_FIELD_ERRORS, []).extend(ValidationError(m) for m in moved)
            error = ValidationError(kept)
        super().add_error(field, error)


class SecretFormMixin(forms.Form):
    """
    Write-only passwords on a model form. `secret_form_fields` maps a model's secret name (see SecretsMixin) to
    (password field, clear field or None, reference field). A typed password replaces a stored one; a reference
    replaces a stored password; the clear box removes both; blank keeps what is there. The instance is updated
    during `clean()`, so that model validation sees the result.
    """

    secret_form_fields: dict[str, tuple[str, str | None, str]] = {}

    def clean(self):
        """Refuse a password together with a reference (or with "clear"), then apply the change to the instance."""
        super().clean()
        cleaned = self.cleaned_data
        for name, (password_field, clear_field, ref_field) in self.secret_form_fields.items():
            password = cleaned.get(password_field) if password_field in self.fields else None
            clear = bool(clear_field and clear_field in self.fields and cleaned.get(clear_field))
            reference = cleaned.get(ref_field) if ref_field in self.fields else None
            if password and reference:
                self.add_error(ref_field, _('Give a password or a reference, not both.'))
                continue
            if password and clear:
                self.add_error(clear_field, _('Give a new password or clear it, not both.'))
                continue
            if clear:
                self.instance.clear_secret(name)
                if ref_field in self.fields:
                    cleaned[ref_field] = ''
            elif password:
                self.instance.set_secret(name, password)
            # A reference alone replaces a stored password: the model's clean() drops it (SecretsMixin.clean_secrets).
        return cleaned
