"""KeaServer: one Kea DHCP server (kea-dhcp4 or kea-dhcp6) and how NetBox and its HA peers reach it."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from netaddr import IPNetwork

from netbox.models import PrimaryModel
from netbox.models.features import JobsMixin

from ..choices import (
    ConfigDriftChoices,
    ControlKindChoices,
    ControlSchemeChoices,
    DHCPFamilyChoices,
    HAStateChoices,
    ReplicateConfigChoices,
)
from ..kea.ha import KeaVersion
from ..plugin_settings import get_setting
from ..validators import absolute_path, host_error, path_error, username_error
from .change_checks import check_server_change
from .secrets import SecretsMixin, request_user, write_only_secret

__all__ = (
    'KeaServer',
    'control_destination_text',
    'endpoint_url',
)


def endpoint_url(scheme, host, port):
    """The URL of a control endpoint or HA listener: `http://192.0.2.10:8000/`, `https://[2001:db8::1]:8001/` (an
    IPv6 literal goes in brackets)."""
    host = str(host)
    if ':' in host and not host.startswith('['):
        host = f'[{host}]'
    return f'{scheme}://{host}:{port}/'


def control_destination_text(kind, url, verify):
    """
    Where a server's commands go, as one text: the kind of endpoint, its URL and, for https, how the certificate is
    verified (`verify`: False, True, or a CA file). '' without a URL.
    """
    if not url:
        return ''
    text = f'{kind} {url}'
    if url.startswith('https:'):
        if verify is False:
            text += ' (certificate not verified)'
        elif verify is not True:
            text += f' (CA {verify})'
    return text


#: Fields that hold a file path (on the NetBox host: TLS files; on the Kea host: the hooks directory).
PATH_FIELDS = ('ca_file', 'cert_file', 'key_file', 'hooks_dir')


class KeaServer(SecretsMixin, JobsMixin, PrimaryModel):
    """
    A Kea DHCP server: the DHCP family it serves, the address its peers and NetBox reach it on, its control endpoint
    (a Control Agent, or the server's own HTTP control socket as in Kea >= 2.7), credentials and TLS for that
    endpoint, and the state that sync and status jobs record. Blank settings fall back to the plugin's settings.
    """

    name = models.CharField(
        verbose_name=_('name'),
        max_length=100,
        unique=True,
        db_collation='natural_sort',
    )
    device = models.ForeignKey(
        to='dcim.Device',
        on_delete=models.SET_NULL,
        related_name='kea_ha_servers',
        blank=True,
        null=True,
        verbose_name=_('device'),
    )
    virtual_machine = models.ForeignKey(
        to='virtualization.VirtualMachine',
        on_delete=models.SET_NULL,
        related_name='kea_ha_servers',
        blank=True,
        null=True,
        verbose_name=_('virtual machine'),
    )
    address = models.ForeignKey(
        to='ipam.IPAddress',
        on_delete=models.PROTECT,
        related_name='kea_ha_servers',
        verbose_name=_('address'),
        help_text=_('The IP address the HA peers and NetBox reach this server on'),
    )
    family = models.CharField(
        verbose_name=_('DHCP family'),
        max_length=10,
        choices=DHCPFamilyChoices,
        default=DHCPFamilyChoices.DHCP4,
    )
    control_kind = models.CharField(
        verbose_name=_('control endpoint'),
        max_length=10,
        choices=ControlKindChoices,
        default=ControlKindChoices.AGENT,
        help_text=_('A Control Agent (commands carry "service"), or the server\'s own HTTP control socket'),
    )
    control_host = models.CharField(
        verbose_name=_('control host'),
        max_length=255,
        blank=True,
        help_text=_("Blank: the plugin's control_agent_host setting, or else the address's IP"),
    )
    control_port = models.PositiveIntegerField(
        verbose_name=_('control port'),
        blank=True,
        null=True,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text=_("Blank: the plugin's control_agent_port setting"),
    )
    control_scheme = models.CharField(
        verbose_name=_('control scheme'),
        max_length=5,
        choices=ControlSchemeChoices,
        default=ControlSchemeChoices.HTTP,
    )
    tls_verify = models.BooleanField(
        verbose_name=_('verify TLS'),
        blank=True,
        null=True,
        help_text=_("Verify the endpoint's certificate; blank: the plugin's verify_tls setting"),
    )
    ca_file = models.CharField(
        verbose_name=_('CA file'),
        max_length=255,
        blank=True,
        help_text=_('CA bundle on the NetBox host that verifies the endpoint'),
    )
    cert_file = models.CharField(
        verbose_name=_('client certificate'),
        max_length=255,
        blank=True,
        help_text=_('Client certificate file on the NetBox host'),
    )
    key_file = models.CharField(
        verbose_name=_('client key'),
        max_length=255,
        blank=True,
        help_text=_('Client private key file on the NetBox host'),
    )
    username = models.CharField(
        verbose_name=_('username'),
        max_length=100,
        blank=True,
        help_text=_('Basic-auth user of the control endpoint'),
    )
    _password = models.TextField(
        blank=True,
        default='',
        editable=False,
    )
    password_ref = models.CharField(
        verbose_name=_('password reference'),
        max_length=255,
        blank=True,
        help_text=_(
            'Instead of a stored password: env:VARIABLE or file:/path, read on the NetBox host where the '
            'administrator allows it (needs the "reference" permission)'
        ),
    )
    _password_destination = models.TextField(
        blank=True,
        default='',
        editable=False,
    )
    server_tag = models.CharField(
        verbose_name=_('server tag'),
        max_length=100,
        blank=True,
        help_text=_("Kea's this-server-name; blank: the server's name"),
    )
    hooks_dir = models.CharField(
        verbose_name=_('hooks directory'),
        max_length=255,
        blank=True,
        help_text=_("Directory of Kea's hook libraries on this server; blank: the plugin's hooks_dir setting"),
    )
    replicate_config = models.CharField(
        verbose_name=_('replicate config'),
        max_length=10,
        choices=ReplicateConfigChoices,
        default=ReplicateConfigChoices.INHERIT,
        help_text=_("Replicate the primary's shared config to this server's partners"),
    )
    # Read-only: filled in by import, sync and status jobs.
    kea_version = models.CharField(
        verbose_name=_('Kea version'),
        max_length=50,
        blank=True,
        editable=False,
    )
    last_seen = models.DateTimeField(
        verbose_name=_('last seen'),
        blank=True,
        null=True,
        editable=False,
    )
    ha_state = models.CharField(
        verbose_name=_('HA state'),
        max_length=30,
        choices=HAStateChoices,
        blank=True,
        editable=False,
    )
    config_drift = models.CharField(
        verbose_name=_('config drift'),
        max_length=10,
        choices=ConfigDriftChoices,
        default=ConfigDriftChoices.UNKNOWN,
        editable=False,
    )
    drift_checked = models.DateTimeField(
        verbose_name=_('drift checked'),
        blank=True,
        null=True,
        editable=False,
    )
    last_error = models.TextField(
        verbose_name=_('last error'),
        blank=True,
        editable=False,
    )

    password = write_only_secret('password')

    secret_fields = {'password': ('_password', 'password_ref', '_password_destination')}

    clone_fields = (
        'family',
        'control_kind',
        'control_port',
        'control_scheme',
        'tls_verify',
        'ca_file',
        'cert_file',
        'key_file',
        'username',
        'hooks_dir',
        'replicate_config',
    )

    class Meta:
        ordering = ('name',)
        verbose_name = _('Kea server')
        verbose_name_plural = _('Kea servers')
        permissions = [
            ('import', 'Import the HA relationships a Kea server runs'),
            ('status', "Read a Kea server's HA state and config drift"),
            ('reference', 'Set where the control password is read from (env: or file: reference)'),
            ('leases', 'Search and list the leases a Kea server holds (asks Kea)'),
        ]
        constraints = (
            models.CheckConstraint(
                condition=Q(device__isnull=True) | Q(virtual_machine__isnull=True),
                name='%(app_label)s_%(class)s_one_host',
                violation_error_message=_('A Kea server runs on a device or on a virtual machine, not on both.'),
            ),
        )

    def __str__(self):
        return self.name

    def clean(self):
        """Check host, TLS files, password reference and family; then that no relationship of the server breaks."""
        super().clean()
        errors = {}
        if self.control_host and (message := host_error(self.control_host)):
            errors['control_host'] = _('The control host {message}.').format(message=message)
        if self.username and (message := username_error(self.username)):
            errors['username'] = _('The username {message}.').format(message=message)
        for name in PATH_FIELDS:
            if (value := getattr(self, name)) and (message := path_error(value)):
                errors[name] = _('The path {message}.').format(message=message)
        if self.device_id and self.virtual_machine_id:
            message = _('A Kea server runs on a device or on a virtual machine, not on both.')
            errors['device'] = message
            errors['virtual_machine'] = message
        if bool(self.cert_file) != bool(self.key_file):
            missing = 'key_file' if self.cert_file else 'cert_file'
            errors[missing] = _('A client certificate needs both a certificate file and a key file.')
        errors.update(self.clean_secrets())
        if self.pk and self.family:
            others = (
                KeaServer.objects.filter(ha_peers__relationship__peers__server=self)
                .exclude(pk=self.pk)
                .exclude(family=self.family)
                .values_list('name', flat=True)
                .distinct()
            )
            if names := sorted(others):
                errors['family'] = _(
                    'This server shares HA relationships with {names}, which serve another DHCP family.'
                ).format(names=', '.join(names))
        if errors:
            raise ValidationError(errors)
        check_server_change(self)
        self._confirm = True

    clean.alters_data = True

    def save(self, *args, **kwargs):
        """
        Save, with the file paths in normal form (`//`, `/./` and a trailing slash removed). After a change checked by
        `full_clean()` (a form, the API, a bulk import or edit), confirm the control endpoint for the relationships
        whose peers the user may change (`confirm_endpoint`).
        """
        for name in PATH_FIELDS:
            if (value := getattr(self, name)) and not path_error(value):
                setattr(self, name, absolute_path(value))
        super().save(*args, **kwargs)
        if getattr(self, '_confirm', False):
            self._confirm = False
            self.confirm_endpoint(request_user())

    save.alters_data = True

    def confirm_endpoint(self, user=None):
        """
        Record the server's control endpoint as confirmed on its peers (`HAPeer.endpoint_confirmed`): on all of them
        without `user` (a shell, the administrator), else on those `user` may change. A relationship pushes its
        configs, which carry its passwords, only to confirmed endpoints. The number of peers confirmed.
        """
        destination = self.control_destination
        peers = self.ha_peers.exclude(_confirmed_destination=destination)
        if user is not None:
            peers = peers.filter(pk__in=self.ha_peers.model.objects.restrict(user, 'change').values('pk'))
        return peers.update(_confirmed_destination=destination)

    confirm_endpoint.alters_data = True

    # Colours of choice badges.

    def get_family_color(self):
        """Badge colour of the DHCP family."""
        return DHCPFamilyChoices.colors.get(self.family)

    def get_ha_state_color(self):
        """Badge colour of the HA state."""
        return HAStateChoices.colors.get(self.ha_state)

    def get_config_drift_color(self):
        """Badge colour of the drift state."""
        return ConfigDriftChoices.colors.get(self.config_drift)

    # Effective values: the server's own, or the plugin setting.

    @property
    def host(self):
        """The device or virtual machine this server runs on, if any."""
        return self.device or self.virtual_machine

    @property
    def ip(self):
        """The IP of `address`, without prefix length (a string), or None."""
        if not self.address_id or not self.address.address:
            return None
        return str(IPNetwork(str(self.address.address)).ip)

    @property
    def effective_control_host(self):
        """Host NetBox sends commands to: `control_host`, else the `control_agent_host` setting, else the IP."""
        return self.control_host or get_setting('control_agent_host') or self.ip

    @property
    def effective_control_port(self):
        """Port of the control endpoint: `control_port`, else the `control_agent_port` setting."""
        return self.control_port or get_setting('control_agent_port')

    @property
    def control_url(self):
        """URL of the control endpoint, e.g. `http://192.0.2.10:8000/`."""
        host = self.effective_control_host
        if not host:
            return None
        return endpoint_url(self.control_scheme, host, self.effective_control_port)

    @property
    def service(self):
        """The Control Agent `service` list for this server's commands; None for a server's own socket."""
        return [self.family] if self.control_kind == ControlKindChoices.AGENT else None

    @property
    def effective_tls_verify(self):
        """Whether to verify the endpoint's certificate: `tls_verify`, else the `verify_tls` setting."""
        return self.tls_verify if self.tls_verify is not None else bool(get_setting('verify_tls'))

    @property
    def tls_verify_value(self):
        """The TLS verification choice as one value: False, True (system CAs), or the path of `ca_file`."""
        if not self.effective_tls_verify:
            return False
        return self.ca_file or True

    @property
    def client_cert(self):
        """(certificate file, key file) of the client certificate, or None."""
        return (self.cert_file, self.key_file) if self.cert_file and self.key_file else None

    @property
    def effective_replicate_config(self):
        """Whether config replication is on for this server: `replicate_config`, else the setting."""
        if self.replicate_config == ReplicateConfigChoices.INHERIT:
            return bool(get_setting('replicate_config'))
        return self.replicate_config == ReplicateConfigChoices.ON

    @property
    def effective_server_tag(self):
        """Kea's this-server-name for this server: `server_tag`, else the name."""
        return self.server_tag or self.name

    @property
    def effective_hooks_dir(self):
        """Directory of the hook libraries: `hooks_dir`, else the `hooks_dir` setting."""
        return self.hooks_dir or get_setting('hooks_dir')

    @property
    def version(self):
        """`kea_version` parsed, or None when unknown or unreadable."""
        try:
            return KeaVersion.parse(self.kea_version) if self.kea_version else None
        except ValueError:
            return None

    @property
    def control_destination(self):
        """
        Where NetBox sends this server's commands, as one text: the kind of endpoint, its URL and, for https, how the
        certificate is verified. A change of any of these withdraws the control password (`SecretsMixin`), and the
        relationships of the server push to it only once it is confirmed (`HAPeer.endpoint_confirmed`).
        """
        return control_destination_text(self.control_kind, self.control_url, self.tls_verify_value)

    def secret_destination(self, name):
        """The control password goes to the control endpoint."""
        return self.control_destination

    @property
    def has_password(self):
        """True when the control endpoint has a password, stored or referenced."""
        return self.has_secret('password')

    def set_password(self, value):
        """Store a new control-endpoint password (encrypted); empty clears it."""
        self.set_secret('password', value)

    set_password.alters_data = True

    def get_password(self) -> str | None:
        """The control-endpoint password in clear, or None. Raises SecretError when it cannot be read."""
        return self.get_secret('password')

    get_password.alters_data = True
