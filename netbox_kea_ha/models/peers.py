"""HAPeer: one entry of a relationship's `peers` list, bound to the KeaServer it stands for."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from netbox.models import PrimaryModel

from ..choices import HARoleChoices, HAStateChoices
from ..validators import json_bounds_error, url_text_error, username_error
from .change_checks import check_peer_change
from .secrets import ExtraSecretsMixin, SecretsMixin, write_only_secret
from .servers import endpoint_url

__all__ = (
    'MODELLED_PEER_KEYS',
    'ROLE_ORDER',
    'HAPeer',
    'peer_destination_text',
)

#: Peer keys that have their own model field; other keys (TLS, password file, unknown) go to `extra_parameters`.
MODELLED_PEER_KEYS = frozenset({'name', 'url', 'role', 'auto-failover', 'basic-auth-user', 'basic-auth-password'})


def peer_destination_text(url, relationship_id):
    """Where a peer's basic-auth password goes, as one text: its URL, from the servers of its relationship."""
    return f'{url} (relationship #{relationship_id})' if url else ''


#: Order of the roles in a rendered `peers` list.
ROLE_ORDER = {role: i for i, role in enumerate(HARoleChoices.values())}


class HAPeer(ExtraSecretsMixin, SecretsMixin, PrimaryModel):
    """
    A peer of an HA relationship: the KeaServer it is, its peer name (blank: the server's tag), role, URL (blank:
    derived from the server's address and control port), auto-failover (blank: Kea's default, true), the basic-auth
    credentials its partners use to reach it, and the HA status that status jobs record.
    """

    relationship = models.ForeignKey(
        to='netbox_kea_ha.HARelationship',
        on_delete=models.CASCADE,
        related_name='peers',
        verbose_name=_('relationship'),
    )
    server = models.ForeignKey(
        to='netbox_kea_ha.KeaServer',
        on_delete=models.PROTECT,
        related_name='ha_peers',
        verbose_name=_('server'),
    )
    name = models.CharField(
        verbose_name=_('peer name'),
        max_length=100,
        blank=True,
        help_text=_("Kea's peer name; blank: the server's tag (or name)"),
    )
    role = models.CharField(
        verbose_name=_('role'),
        max_length=20,
        choices=HARoleChoices,
    )
    url = models.CharField(
        verbose_name=_('URL'),
        max_length=200,
        blank=True,
        help_text=_(
            "The URL partners reach this peer on (an IP literal); blank: the server's address and control port. "
            "With Kea's dedicated HA listener, give the listener's URL."
        ),
    )
    auto_failover = models.BooleanField(
        verbose_name=_('auto-failover'),
        blank=True,
        null=True,
        help_text=_("Blank: Kea's default (true)"),
    )
    basic_auth_user = models.CharField(
        verbose_name=_('basic-auth user'),
        max_length=100,
        blank=True,
        help_text=_('User the partners send when they reach this peer'),
    )
    _basic_auth_password = models.TextField(
        blank=True,
        default='',
        editable=False,
    )
    basic_auth_password_ref = models.CharField(
        verbose_name=_('basic-auth password reference'),
        max_length=255,
        blank=True,
        help_text=_(
            'Instead of a stored password: env:VARIABLE or file:/path, read on the NetBox host where the '
            'administrator allows it (needs the "reference" permission)'
        ),
    )
    _basic_auth_password_destination = models.TextField(
        blank=True,
        default='',
        editable=False,
    )
    extra_parameters = models.JSONField(
        verbose_name=_('extra parameters'),
        default=dict,
        blank=True,
        help_text=_('Other keys of the peer entry, e.g. trust-anchor, cert-file, key-file'),
    )
    _extra_secrets = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
    )
    _confirmed_destination = models.TextField(
        blank=True,
        default='',
        editable=False,
    )
    # Read-only: filled in by status jobs.
    ha_state = models.CharField(
        verbose_name=_('HA state'),
        max_length=30,
        choices=HAStateChoices,
        blank=True,
        editable=False,
    )
    partner_state = models.CharField(
        verbose_name=_('partner state'),
        max_length=30,
        choices=HAStateChoices,
        blank=True,
        editable=False,
    )
    scopes = models.JSONField(
        verbose_name=_('scopes'),
        default=list,
        blank=True,
        editable=False,
    )
    unacked_clients = models.PositiveIntegerField(
        verbose_name=_('unacked clients'),
        blank=True,
        null=True,
        editable=False,
    )
    communication_interrupted = models.BooleanField(
        verbose_name=_('communication interrupted'),
        blank=True,
        null=True,
        editable=False,
        help_text=_("Kea's communication-interrupted: the partner has missed heartbeats"),
    )
    in_touch = models.BooleanField(
        verbose_name=_('in touch'),
        blank=True,
        null=True,
        editable=False,
        help_text=_('Whether the server has heard from its partner since it started'),
    )
    partner_scopes = models.JSONField(
        verbose_name=_('partner scopes'),
        default=list,
        blank=True,
        editable=False,
        help_text=_('The scopes the partner last said it serves'),
    )
    heartbeat_age = models.PositiveIntegerField(
        verbose_name=_('heartbeat age'),
        blank=True,
        null=True,
        editable=False,
        help_text=_("Seconds since the partner's state was last read (Kea's age)"),
    )
    connecting_clients = models.PositiveIntegerField(
        verbose_name=_('connecting clients'),
        blank=True,
        null=True,
        editable=False,
    )
    unacked_clients_left = models.PositiveIntegerField(
        verbose_name=_('unacked clients left'),
        blank=True,
        null=True,
        editable=False,
        help_text=_('How many more unacked clients before the partner is declared down'),
    )
    analyzed_packets = models.PositiveBigIntegerField(
        verbose_name=_('analyzed packets'),
        blank=True,
        null=True,
        editable=False,
    )
    clock_skew = models.IntegerField(
        verbose_name=_('clock skew'),
        blank=True,
        null=True,
        editable=False,
        help_text=_("Seconds between the two servers' clocks (Kea >= 3.0)"),
    )
    last_contact = models.DateTimeField(
        verbose_name=_('last contact'),
        blank=True,
        null=True,
        editable=False,
    )
    reachable = models.BooleanField(
        verbose_name=_('reachable'),
        blank=True,
        null=True,
        editable=False,
    )
    status_updated = models.DateTimeField(
        verbose_name=_('status updated'),
        blank=True,
        null=True,
        editable=False,
    )

    basic_auth_password = write_only_secret('basic_auth_password')

    secret_fields = {
        'basic_auth_password': ('_basic_auth_password', 'basic_auth_password_ref', '_basic_auth_password_destination')
    }

    clone_fields = ('relationship', 'role', 'auto_failover', 'basic_auth_user')

    class Meta:
        ordering = ('relationship', 'pk')
        verbose_name = _('HA peer')
        verbose_name_plural = _('HA peers')
        permissions = [
            ('reference', 'Set where the basic-auth password is read from (env: or file: reference)'),
            ('operate', "Operate the peer's HA: maintenance, lease resync, scopes, continue, reset"),
        ]
        constraints = (
            models.UniqueConstraint(
                fields=('relationship', 'server'),
                name='%(app_label)s_%(class)s_unique_relationship_server',
                violation_error_message=_('This server is already a peer of this relationship.'),
            ),
            models.UniqueConstraint(
                fields=('relationship', 'name'),
                condition=~Q(name=''),
                name='%(app_label)s_%(class)s_unique_relationship_name',
                violation_error_message=_('This relationship already has a peer with this name.'),
            ),
        )

    def __str__(self):
        if self.relationship_id is None or self.server_id is None:
            return self.name or super().__str__()
        return f'{self.relationship}: {self.effective_name}'

    def get_role_color(self):
        """Badge colour of the role."""
        return HARoleChoices.colors.get(self.role)

    def get_ha_state_color(self):
        """Badge colour of the HA state."""
        return HAStateChoices.colors.get(self.ha_state)

    def get_partner_state_color(self):
        """Badge colour of the partner's state."""
        return HAStateChoices.colors.get(self.partner_state)

    @property
    def effective_name(self):
        """The peer name Kea sees: `name`, else the server's tag."""
        if self.name:
            return self.name
        return self.server.effective_server_tag if self.server_id else ''

    @property
    def derived_url(self):
        """The URL made from the server's address, control scheme and port (used when `url` is blank)."""
        if not self.server_id or not self.server.ip:
            return None
        server = self.server
        return endpoint_url(server.control_scheme, server.ip, server.effective_control_port)

    @property
    def effective_url(self):
        """The URL partners reach this peer on: `url`, else `derived_url`."""
        return self.url or self.derived_url

    def secret_destination(self, name):
        """The basic-auth password (and the secrets kept from `extra_parameters`) go to the peer's URL, from the
        servers of its relationship."""
        return peer_destination_text(self.effective_url, self.relationship_id)

    def extra_secrets_destination(self):
        """The secrets kept from `extra_parameters` go where the basic-auth password goes."""
        return self.secret_destination('basic_auth_password')

    @property
    def endpoint_confirmed(self):
        """
        Whether the relationship may push to this peer's server: its control endpoint is the one confirmed when the
        peer was last saved through a form, the API or an import, or when the server's endpoint was last changed by
        someone who may change this peer (`KeaServer.save`). A push carries the relationship's passwords.
        """
        return bool(self.server_id) and self._confirmed_destination == self.server.control_destination

    def save(self, *args, **kwargs):
        """
        Save; a new peer, a peer moved to another server, or a peer checked by `full_clean()` (a form, the API, a bulk
        import or edit; not a status job) confirms its server's control endpoint (`endpoint_confirmed`).
        """
        loaded_server = getattr(self, '_loaded_server_id', None)
        if getattr(self, '_confirm', False) or self._state.adding or loaded_server != self.server_id:
            self._confirmed_destination = self.server.control_destination if self.server_id else ''
        self._confirm = False
        super().save(*args, **kwargs)
        self._loaded_server_id = self.server_id

    save.alters_data = True

    @classmethod
    def from_db(cls, db, field_names, values):
        """Django's from_db(), remembering the server the peer was loaded with."""
        instance = super().from_db(db, field_names, values)
        instance._loaded_server_id = instance.__dict__.get('server_id')
        return instance

    @property
    def effective_auto_failover(self):
        """Whether Kea fails over automatically for this peer: `auto_failover`, else Kea's default (true)."""
        return True if self.auto_failover is None else self.auto_failover

    @property
    def render_rank(self):
        """Position of the role in a rendered peers list (primary first, backups last)."""
        return ROLE_ORDER.get(self.role, len(ROLE_ORDER))

    @property
    def has_basic_auth_password(self):
        """True when a basic-auth password is set, stored or referenced."""
        return self.has_secret('basic_auth_password')

    def set_basic_auth_password(self, value):
        """Store a new basic-auth password (encrypted); empty clears it."""
        self.set_secret('basic_auth_password', value)

    set_basic_auth_password.alters_data = True

    def get_basic_auth_password(self) -> str | None:
        """The basic-auth password in clear, or None. Raises SecretError when it cannot be read."""
        return self.get_secret('basic_auth_password')

    get_basic_auth_password.alters_data = True

    def clean(self):
        """Check the peer's own fields, the family and unique effective name, then run the relationship rules."""
        super().clean()
        errors = self.clean_secrets()
        if self.url and (message := url_text_error(self.url)):
            errors['url'] = _('The URL {message}.').format(message=message)
        if self.basic_auth_user and (message := username_error(self.basic_auth_user)):
            errors['basic_auth_user'] = _('The basic-auth user {message}.').format(message=message)
        if message := _extra_parameters_error(self.extra_parameters) or self.extra_secrets_error():
            errors['extra_parameters'] = message
        if errors:
            raise ValidationError(errors)
        self._confirm = True
        if self.relationship_id is None or self.server_id is None:
            return
        check_peer_change(self)

    clean.alters_data = True


def _extra_parameters_error(value):
    if value in (None, ''):
        return None
    if not isinstance(value, dict):
        return _('Must be a JSON object of Kea peer keys, not {kind}.').format(kind=type(value).__name__)
    if message := json_bounds_error(value):
        return _('The extra parameters {message}.').format(message=message)
    for key in value:
        if key == 'basic-auth-password':
            return _('Set the basic-auth password in its own (write-only) field, not here.')
        if key in MODELLED_PEER_KEYS:
            return _('{key!r} has its own field; set it there.').format(key=key)
    return None
