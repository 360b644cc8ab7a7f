"""HARelationship: one entry of Kea's `high-availability` list, shared by all its peers."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from netbox.models import PrimaryModel
from netbox.models.features import JobsMixin

from ..choices import DhcpSourceChoices, HAModeChoices, PushProcedureChoices, StatePauseChoices
from ..kea.ha import HA_PARAMETERS, HAParameter, HAState
from ..plugin_settings import get_setting
from ..validators import json_bounds_error
from .change_checks import check_relationship_change
from .secrets import ExtraSecretsMixin

__all__ = (
    'RELATIONSHIP_KEYS',
    'HARelationship',
    'parameter_field',
)

#: Kea keys of a relationship entry that have their own model field (besides the HA_PARAMETERS).
RELATIONSHIP_KEYS = frozenset({'this-server-name', 'mode', 'peers', 'state-machine'})

_INT32_MAX = 2**31 - 1


def parameter_field(parameter: HAParameter) -> models.Field:
    """The model field of an HA parameter: nullable (null means Kea's default), bounded by its maximum."""
    validators = [MaxValueValidator(parameter.maximum)] if parameter.maximum is not None else []
    if parameter.type is bool:
        return models.BooleanField(verbose_name=parameter.key, null=True, blank=True)
    if parameter.type is int:
        small = parameter.maximum is not None and parameter.maximum <= _INT32_MAX
        field_class = models.PositiveIntegerField if small else models.PositiveBigIntegerField
        return field_class(verbose_name=parameter.key, null=True, blank=True, validators=validators)
    if parameter.type is str:
        return models.CharField(verbose_name=parameter.key, max_length=255, null=True, blank=True)
    raise TypeError(f'HA parameter {parameter.key} has an unsupported type {parameter.type!r}')


class HARelationship(ExtraSecretsMixin, JobsMixin, PrimaryModel):
    """
    A Kea HA relationship: its mode, and one nullable field per HA parameter (named by `HAParameter.attr`; null
    means Kea's default for the server's version and the mode). `state_machine` holds `{state, pause}` entries,
    `extra_parameters` HA keys Kea accepted that are not modelled, and `findings` the validation findings last
    recorded by a sync or import. The peers are HAPeer objects.
    """

    name = models.CharField(
        verbose_name=_('name'),
        max_length=100,
        unique=True,
        db_collation='natural_sort',
    )
    mode = models.CharField(
        verbose_name=_('mode'),
        max_length=20,
        choices=HAModeChoices,
        default=HAModeChoices.HOT_STANDBY,
    )
    state_machine = models.JSONField(
        verbose_name=_('state machine'),
        default=list,
        blank=True,
        help_text=_('List of {"state": ..., "pause": "never|once|always"} entries'),
    )
    extra_parameters = models.JSONField(
        verbose_name=_('extra parameters'),
        default=dict,
        blank=True,
        help_text=_('Other keys of the relationship entry, kept as Kea accepted them'),
    )
    _extra_secrets = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
    )
    push_procedure = models.CharField(
        verbose_name=_('push procedure'),
        max_length=20,
        choices=PushProcedureChoices,
        blank=True,
        default=PushProcedureChoices.INHERIT,
        help_text=_("How a sync pushes a change; blank: the plugin's push_procedure setting (docs/push.md)"),
    )
    dhcp_source = models.CharField(
        verbose_name=_('DHCP data from'),
        max_length=20,
        choices=DhcpSourceChoices,
        default=DhcpSourceChoices.PRIMARY,
        help_text=_(
            "Where the subnets, pools, options and reservations come from: the primary's running config, or the "
            "relationship's served prefixes in NetBox IPAM (docs/ipam.md)"
        ),
    )
    highest_subnet_id = models.PositiveBigIntegerField(
        verbose_name=_('highest subnet id given'),
        default=0,
        editable=False,
    )
    findings = models.JSONField(
        verbose_name=_('findings'),
        default=list,
        blank=True,
        editable=False,
    )

    clone_fields = ('mode', 'state_machine', 'extra_parameters', *(p.attr for p in HA_PARAMETERS))

    class Meta:
        ordering = ('name',)
        verbose_name = _('HA relationship')
        verbose_name_plural = _('HA relationships')
        permissions = [
            ('sync', 'Push the rendered configuration to the Kea servers of a relationship'),
            ('status', 'Read the HA state of the peers of a relationship'),
            ('leases', "Search and list the leases held by a relationship's Kea servers (asks Kea)"),
            ('delete_lease', "Delete a lease on a relationship's Kea servers"),
        ]

    def __str__(self):
        return self.name

    def get_mode_color(self):
        """Badge colour of the mode."""
        return HAModeChoices.colors.get(self.mode)

    def extra_secrets_destination(self):
        """The secrets kept from `extra_parameters` go to this relationship's servers."""
        return f'relationship #{self.pk}'

    @property
    def effective_push_procedure(self):
        """How a sync pushes a change: `push_procedure`, else the plugin's setting."""
        return self.push_procedure or get_setting('push_procedure')

    @property
    def parameters(self):
        """The HA parameters that are set, by Kea key (`multi-threading.*` flattened)."""
        return {p.key: getattr(self, p.attr) for p in HA_PARAMETERS if getattr(self, p.attr) is not None}

    def clean(self):
        """Check the shape of `state_machine` and `extra_parameters`, then run Kea's relationship rules."""
        super().clean()
        errors = {}
        if message := _state_machine_error(self.state_machine):
            errors['state_machine'] = message
        if message := _extra_parameters_error(self.extra_parameters) or self.extra_secrets_error():
            errors['extra_parameters'] = message
        if errors:
            raise ValidationError(errors)
        check_relationship_change(self)
        if self.pk and self.dhcp_source == DhcpSourceChoices.IPAM:
            self._check_dhcp_data()

    clean.alters_data = True

    def _check_dhcp_data(self):
        """Switching (or staying) on NetBox IPAM: the served prefixes' data must render (no network I/O)."""
        from ..kea.dhcpdata.checks import check_dhcp_data
        from ..services.dhcp_preview import relationship_dhcp

        blocking = [f for f in check_dhcp_data(relationship_dhcp(self)) if f.blocking]
        if blocking:
            raise ValidationError(
                {'dhcp_source': [_('The served prefixes cannot be rendered yet:')] + [f.message for f in blocking[:10]]}
            )


for _parameter in HA_PARAMETERS:
    HARelationship.add_to_class(_parameter.attr, parameter_field(_parameter))


_STATES = frozenset(state.value for state in HAState)


def _state_machine_error(value):
    if value in (None, ''):
        return None
    if message := json_bounds_error(value):
        return _('The state machine {message}.').format(message=message)
    if not isinstance(value, list):
        return _('Must be a list of {{"state": ..., "pause": ...}} entries, not {kind}.').format(
            kind=type(value).__name__
        )
    seen = set()
    for i, entry in enumerate(value, 1):
        if not isinstance(entry, dict) or set(entry) - {'state', 'pause'} or 'state' not in entry:
            return _('Entry {i} must be {{"state": ..., "pause": ...}} and nothing else.').format(i=i)
        if entry['state'] not in _STATES:
            return _('Entry {i}: unknown HA state {state!r} (known: {known}).').format(
                i=i, state=entry['state'], known=', '.join(sorted(_STATES))
            )
        if entry['state'] in seen:
            return _('Entry {i}: state {state!r} is listed twice.').format(i=i, state=entry['state'])
        seen.add(entry['state'])
        if entry.get('pause', StatePauseChoices.NEVER) not in StatePauseChoices.values():
            return _('Entry {i}: pause must be never, once or always, not {pause!r}.').format(i=i, pause=entry['pause'])
    return None


def _extra_parameters_error(value):
    if value in (None, ''):
        return None
    if not isinstance(value, dict):
        return _('Must be a JSON object of Kea keys, not {kind}.').format(kind=type(value).__name__)
    if message := json_bounds_error(value):
        return _('The extra parameters {message}.').format(message=message)
    modelled = {p.key for p in HA_PARAMETERS} | RELATIONSHIP_KEYS
    for key, item in value.items():
        if key in modelled:
            return _('{key!r} has its own field; set it there.').format(key=key)
        if key == 'multi-threading':
            if not isinstance(item, dict):
                return _("'multi-threading' must be a JSON object.")
            for sub in item:
                if f'multi-threading.{sub}' in modelled:
                    return _("'multi-threading.{sub}' has its own field; set it there.").format(sub=sub)
    return None
