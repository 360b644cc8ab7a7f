"""ServedPrefix: a NetBox IPAM prefix a relationship serves, when its DHCP data comes from NetBox IPAM."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from netbox.models import PrimaryModel

from ..kea.dhcpdata.checks import MAX_SUBNET_ID
from ..kea.dhcpdata.subnet_ids import SubnetIdError, next_subnet_ids
from ..validators import json_bounds_error

__all__ = ('ServedPrefix',)


class ServedPrefix(PrimaryModel):
    """
    A Prefix served by an HA relationship: one `subnet4`/`subnet6` entry of every peer when the relationship's DHCP
    data comes from NetBox IPAM (docs/ipam.md). The IP ranges inside the prefix become its pools (split between
    load-balancing peers; `pool_splits` sets other splits), its IP addresses with a MAC address and the reserved
    status become host reservations. `subnet_id` is given once, on the first save, above every id the relationship
    ever gave, and kept.
    """

    relationship = models.ForeignKey(
        to='netbox_kea_ha.HARelationship',
        on_delete=models.CASCADE,
        related_name='served_prefixes',
        verbose_name=_('relationship'),
    )
    prefix = models.ForeignKey(
        to='ipam.Prefix',
        on_delete=models.PROTECT,
        related_name='+',
        verbose_name=_('prefix'),
    )
    subnet_id = models.PositiveBigIntegerField(
        verbose_name=_('subnet id'),
        blank=True,
        null=True,
        help_text=_("Kea's subnet id; blank: the next free one (kept once given, never given again)"),
    )
    interface = models.CharField(
        verbose_name=_('interface'),
        max_length=64,
        blank=True,
        help_text=_('The interface Kea serves directly connected clients of this prefix on'),
    )
    relay_addresses = models.JSONField(
        verbose_name=_('relay addresses'),
        default=list,
        blank=True,
        help_text=_("The relay agents' addresses (Kea's relay.ip-addresses), for relayed clients"),
    )
    routers = models.CharField(
        verbose_name=_('routers'),
        max_length=255,
        blank=True,
        help_text=_('Option routers (DHCPv4), comma separated'),
    )
    dns_servers = models.CharField(
        verbose_name=_('DNS servers'),
        max_length=255,
        blank=True,
        help_text=_('Option domain-name-servers (DHCPv4) or dns-servers (DHCPv6), comma separated'),
    )
    domain_name = models.CharField(
        verbose_name=_('domain name'),
        max_length=255,
        blank=True,
        help_text=_('Option domain-name (DHCPv4) or domain-search (DHCPv6)'),
    )
    valid_lifetime = models.PositiveIntegerField(verbose_name='valid-lifetime', blank=True, null=True)
    renew_timer = models.PositiveIntegerField(verbose_name='renew-timer', blank=True, null=True)
    rebind_timer = models.PositiveIntegerField(verbose_name='rebind-timer', blank=True, null=True)
    options = models.JSONField(
        verbose_name=_('other options'),
        default=list,
        blank=True,
        help_text=_('Other option-data entries, as Kea writes them: [{"name": ..., "data": ...}]'),
    )
    pool_splits = models.JSONField(
        verbose_name=_('pool splits'),
        default=dict,
        blank=True,
        help_text=_(
            'Load-balancing splits other than halves, by range ("first - last"): {"weights": [3, 1]}, '
            '{"peer": "<peer name>"}, {"split": false} or {"client_class": "<class>"} (a class pool, not split)'
        ),
    )
    extra = models.JSONField(
        verbose_name=_('other subnet keys'),
        default=dict,
        blank=True,
        help_text=_('Other keys of the subnet entry, as Kea has them (what an import could not map to IPAM)'),
    )

    clone_fields = ('relationship', 'interface', 'routers', 'dns_servers', 'domain_name', 'valid_lifetime')

    class Meta:
        ordering = ('relationship', 'prefix')
        verbose_name = _('served prefix')
        verbose_name_plural = _('served prefixes')
        constraints = (
            models.UniqueConstraint(
                fields=('relationship', 'prefix'),
                name='%(app_label)s_%(class)s_unique_relationship_prefix',
                violation_error_message=_('This relationship already serves this prefix.'),
            ),
            models.UniqueConstraint(
                fields=('relationship', 'subnet_id'),
                name='%(app_label)s_%(class)s_unique_relationship_subnet_id',
                violation_error_message=_('This relationship already has a subnet with this id.'),
            ),
        )

    def __str__(self):
        return f'{self.prefix} ({self.relationship})' if self.prefix_id and self.relationship_id else super().__str__()

    def get_absolute_url(self):
        """The served prefix's page."""
        return reverse('plugins:netbox_kea_ha:servedprefix', args=[self.pk])

    def clean(self):
        """Field checks: JSON shapes, a subnet id Kea takes; the relationship-wide checks run on the plan."""
        super().clean()
        errors = {}
        if self.subnet_id is not None and not 1 <= self.subnet_id <= MAX_SUBNET_ID:
            errors['subnet_id'] = _('A Kea subnet id is between 1 and {max}.').format(max=MAX_SUBNET_ID)
        for name, kind in (('relay_addresses', list), ('options', list), ('pool_splits', dict), ('extra', dict)):
            value = getattr(self, name)
            problem = json_bounds_error(value)
            if problem:
                errors[name] = problem
            elif not isinstance(value, kind):
                errors[name] = _('Must be a JSON {kind}.').format(kind='list' if kind is list else 'object')
        if not errors.get('options') and not all(
            isinstance(o, dict) and isinstance(o.get('name'), str) and 'data' in o for o in self.options
        ):
            errors['options'] = _('Each option needs a "name" and "data", e.g. {"name": "ntp-servers", "data": "..."}')
        if not errors.get('pool_splits'):
            for key, value in self.pool_splits.items():
                if (
                    not isinstance(value, dict)
                    or not set(value) <= {'weights', 'peer', 'split', 'client_class'}
                    or not value
                ):
                    errors['pool_splits'] = _('{key}: give "weights", "peer", "split" or "client_class".').format(
                        key=key
                    )
                    break
        family = (
            self.relationship.peers.values_list('server__family', flat=True).first() if self.relationship_id else None
        )
        if self.prefix_id and family and (self.prefix.family == 4) != (family == 'dhcp4'):
            errors['prefix'] = _('{prefix} is not of the family the relationship serves.').format(prefix=self.prefix)
        if not errors and self.prefix_id and self.relationship_id:
            errors = self._dhcp_errors()
        if errors:
            raise ValidationError(errors)

    def _dhcp_errors(self) -> dict[str, list[str]]:
        """The checks of the relationship's DHCP data with this prefix as it would be saved (no network I/O): its
        errors, by the field to fix."""
        from ..services.dhcp_preview import served_prefix_preview

        out: dict[str, list[str]] = {}
        for finding in served_prefix_preview(self).findings:
            if not finding.blocking:
                continue
            if finding.code.startswith('dhcp.subnet-id'):
                field = 'subnet_id'
            elif finding.code in ('dhcp.pool-split', 'dhcp.peer-without-pool', 'dhcp.pool-not-split'):
                field = 'pool_splits'
            else:
                field = 'prefix'
            out.setdefault(field, []).append(finding.message)
        return out

    def save(self, *args, **kwargs):
        """Save, giving a new subnet id above every id the relationship ever gave when none is set."""
        with transaction.atomic():
            relationship = type(self.relationship).objects.select_for_update().get(pk=self.relationship_id)
            if not self.subnet_id:
                taken = set(relationship.served_prefixes.exclude(pk=self.pk).values_list('subnet_id', flat=True))
                try:
                    (self.subnet_id,) = next_subnet_ids(1, relationship.highest_subnet_id, taken)
                except SubnetIdError as exc:
                    raise ValidationError({'subnet_id': str(exc)}) from None
            super().save(*args, **kwargs)
            if self.subnet_id > relationship.highest_subnet_id:
                type(relationship).objects.filter(pk=relationship.pk).update(highest_subnet_id=self.subnet_id)
                self.relationship.highest_subnet_id = self.subnet_id
