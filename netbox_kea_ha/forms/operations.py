"""The options form of an HA operation's confirmation page (the fields the operation takes, nothing else)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..kea.operations import DEFAULT_MAX_PERIOD, MAX_PERIOD_LIMIT, Operation, Options, ScopeChoice

__all__ = ('OperationForm',)

_FIELDS = {
    Operation.SYNC: ('source', 'max_period'),
    Operation.SCOPES: ('scopes',),
}


class OperationForm(forms.Form):
    """Options of one operation on one peer: `source` and `max_period` for a resync, `scopes` for serve scopes."""

    source = forms.ChoiceField(
        label=_('Pull the leases of'),
        help_text=_('The peer whose leases this server pulls (its partner unless you choose another)'),
    )
    max_period = forms.IntegerField(
        label=_('Max period (seconds)'),
        min_value=1,
        max_value=MAX_PERIOD_LIMIT,
        initial=DEFAULT_MAX_PERIOD,
        help_text=_("At most this long the source's DHCP service stays disabled, even if the pull takes longer"),
    )
    scopes = forms.ChoiceField(
        label=_('Serve'),
        choices=(
            (ScopeChoice.PARTNER.value, _("its own scope and its partner's")),
            (ScopeChoice.OWN.value, _('its own scope again')),
        ),
        initial=ScopeChoice.PARTNER.value,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, operation, sources=(), default_source=None, **kwargs):
        """`operation`: which fields to keep; `sources`: the peer names a resync may pull from."""
        super().__init__(*args, **kwargs)
        keep = _FIELDS.get(Operation(operation), ())
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if 'source' in self.fields:
            self.fields['source'].choices = [(name, name) for name in sources]
            self.fields['source'].initial = default_source

    def options(self):
        """The cleaned options as `kea.operations.Options`."""
        data = self.cleaned_data
        return Options(source=data.get('source') or None, max_period=data.get('max_period'), scopes=data.get('scopes'))
