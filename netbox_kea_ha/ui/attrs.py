"""Object attributes for detail panels: effective values, HA parameters with Kea's defaults, password states."""

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from netbox.ui import attrs
from utilities.data import resolve_attr_path

from ..forms.fields import default_text

__all__ = (
    'EffectiveAttr',
    'ParameterAttr',
    'SecretAttr',
)


def _display(value):
    if isinstance(value, bool):
        return _('Yes') if value else _('No')
    return value


class EffectiveAttr(attrs.ObjectAttribute):
    """The value in use (`accessor`), marked as inherited from `source` when the object's own field is blank."""

    template_name = 'netbox_kea_ha/attrs/effective.html'

    def __init__(self, accessor, *, own, source, **kwargs):
        super().__init__(accessor, **kwargs)
        self.own = own
        self.source = source

    def get_value(self, obj):
        """The effective value, booleans as Yes/No."""
        return _display(resolve_attr_path(obj, self.accessor))

    def get_context(self, obj, attr, value, context):
        """Whether the value is inherited (own field blank or `inherit`), and from where."""
        return {'inherited': getattr(obj, self.own) in (None, '', 'inherit'), 'source': self.source}


class ParameterAttr(attrs.ObjectAttribute):
    """An HA parameter: its value, or Kea's default (for the relationship's mode) when it is not set."""

    template_name = 'netbox_kea_ha/attrs/parameter.html'

    def __init__(self, parameter, **kwargs):
        super().__init__(parameter.attr, label=parameter.key, **kwargs)
        self.parameter = parameter

    def render(self, obj, context):
        """Render the value, or Kea's default for the mode (and its version history)."""
        value = getattr(obj, self.parameter.attr)
        return render_to_string(
            self.template_name,
            {
                'value': _display(value),
                'is_set': value is not None,
                'default': default_text(self.parameter),
                'help': self.parameter.help,
            },
        )


class SecretAttr(attrs.ObjectAttribute):
    """Whether a write-only password is set, stored (encrypted) or as a reference. Never the password."""

    template_name = 'netbox_kea_ha/attrs/secret.html'

    def __init__(self, name, **kwargs):
        super().__init__(name, **kwargs)
        self.name = name

    def render(self, obj, context):
        """Render "stored (encrypted)", the reference, or a placeholder; and why it cannot be used, if so."""
        _storage, ref, _dest = obj.secret_fields[self.name]
        return render_to_string(
            self.template_name,
            {
                'has_secret': obj.has_secret(self.name),
                'reference': getattr(obj, ref),
                'withdrawn': obj.secret_withdrawn(self.name),
                'problem': obj.secret_problem(self.name),
            },
        )
