"""Form fields shared by the plugin's forms: HA parameters, "inherit" booleans, JSON values, write-only passwords."""

from django import forms
from django.utils.translation import gettext_lazy as _

from utilities.forms.fields import JSONField

from ..kea.ha import HA_PARAMETERS, HAParameter

__all__ = (
    'PARAMETER_GROUPS',
    'InheritBooleanField',
    'JSONValueField',
    'PasswordField',
    'TextOnlyField',
    'default_text',
    'parameter_form_field',
    'parameter_groups',
    'parameter_help',
)

#: Fieldset of each HA parameter (by Kea key); a parameter not listed here lands in "Other parameters".
PARAMETER_GROUPS = (
    (
        _('Timers and failure detection'),
        ('heartbeat-delay', 'max-response-delay', 'max-ack-delay', 'max-unacked-clients', 'max-rejected-lease-updates'),
    ),
    (
        _('Lease updates and sync'),
        ('send-lease-updates', 'delayed-updates-limit', 'wait-backup-ack', 'sync-leases', 'sync-timeout',
         'sync-page-limit'),
    ),
    (
        _('TLS and commands'),
        ('trust-anchor', 'cert-file', 'key-file', 'require-client-certs', 'restrict-commands'),
    ),
    (
        _('Multi-threading'),
        ('multi-threading.enable-multi-threading', 'multi-threading.http-dedicated-listener',
         'multi-threading.http-listener-threads', 'multi-threading.http-client-threads'),
    ),
)  # fmt: skip


def parameter_groups() -> list[tuple[str, list[HAParameter]]]:
    """The HA parameters grouped for forms and panels, every parameter exactly once (new ones under "Other")."""
    by_key = {p.key: p for p in HA_PARAMETERS}
    groups = []
    placed = set()
    for label, keys in PARAMETER_GROUPS:
        params = [by_key[k] for k in keys if k in by_key]
        placed.update(p.key for p in params)
        if params:
            groups.append((label, params))
    rest = [p for p in HA_PARAMETERS if p.key not in placed]
    if rest:
        groups.append((_('Other parameters'), rest))
    return groups


def _fmt(value) -> str:
    if value is None:
        return 'not set'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def default_text(parameter: HAParameter) -> str:
    """Kea's default of a parameter in words: `10000`, `0; load-balancing: 100`, `false; Kea >= 2.3.7: true`."""
    parts = [_fmt(parameter.default)]
    if parameter.lb_default is not None:
        parts.append(f'load-balancing: {_fmt(parameter.lb_default)}')
    for version, value in parameter.default_changes:
        parts.append(f'Kea >= {version}: {_fmt(value)}')
    return '; '.join(parts)


def parameter_help(parameter: HAParameter) -> str:
    """Help text of a parameter field: Kea's key, what it does, its default and its bounds."""
    text = f"{parameter.key}: {parameter.help} Blank: Kea's default ({default_text(parameter)})."
    if parameter.maximum is not None:
        text += f' At most {parameter.maximum}.'
    if parameter.since is not None:
        text += f' Kea >= {parameter.since}.'
    return text


class _InheritSelect(forms.NullBooleanSelect):
    """A yes/no select whose empty choice says what blank means."""

    def __init__(self, default_label, attrs=None):
        super().__init__(attrs)
        self.choices = [('unknown', default_label), ('true', _('Yes')), ('false', _('No'))]


class InheritBooleanField(forms.NullBooleanField):
    """A nullable boolean whose blank choice is labelled with what it falls back to ("Kea's default: true")."""

    def __init__(self, *, default_label, **kwargs):
        kwargs.setdefault('required', False)
        kwargs.setdefault('widget', _InheritSelect(default_label))
        super().__init__(**kwargs)


def parameter_form_field(parameter: HAParameter, label: str | None = None) -> forms.Field:
    """The form field of an HA parameter: blank means Kea's default, which the help text and placeholder show."""
    common = {'required': False, 'label': label or parameter.key, 'help_text': parameter_help(parameter)}
    if parameter.type is bool:
        return InheritBooleanField(default_label=f"Kea's default ({default_text(parameter)})", **common)
    if parameter.type is int:
        return forms.IntegerField(
            min_value=0,
            max_value=parameter.maximum,
            widget=forms.NumberInput(attrs={'placeholder': default_text(parameter)}),
            **common,
        )
    return forms.CharField(
        max_length=255,
        empty_value=None,
        widget=forms.TextInput(attrs={'placeholder': default_text(parameter)}),
        **common,
    )


class TextOnlyField(forms.CharField):
    """A CharField that takes text only: a YAML or JSON bulk import may give a number, list or map, which Django's
    CharField would turn into its Python text (a password must be what was typed, or refused)."""

    def to_python(self, value):
        """The text given; refuses anything else."""
        if value not in self.empty_values and not isinstance(value, str):
            raise forms.ValidationError(
                _('Must be text, not {kind}.').format(kind=type(value).__name__), code='invalid'
            )
        return super().to_python(value)


class PasswordField(TextOnlyField):
    """A write-only password input: never rendered back; blank keeps the stored password."""

    def __init__(self, **kwargs):
        kwargs.setdefault('required', False)
        kwargs.setdefault('strip', False)
        kwargs.setdefault('widget', forms.PasswordInput(render_value=False, attrs={'autocomplete': 'new-password'}))
        kwargs.setdefault(
            'help_text', _('Write-only: never shown again. Blank keeps the current one. Or give a reference.')
        )
        super().__init__(**kwargs)


class JSONValueField(JSONField):
    """An optional JSON field whose blank input is the model's empty value (`empty()`: `{}` or `[]`), not null."""

    def __init__(self, *, empty, **kwargs):
        kwargs.setdefault('required', False)
        super().__init__(**kwargs)
        self.empty = empty

    def clean(self, value):
        """The JSON value, or a new empty value when the input is blank."""
        value = super().clean(value)
        return self.empty() if value in self.empty_values else value
