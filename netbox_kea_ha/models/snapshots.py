"""ConfigSnapshot: the running config of a Kea server saved before a push, and what was pushed."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from netbox.models import BaseModel
from netbox.models.features import ExportTemplatesMixin

from ..choices import SnapshotActionChoices, SnapshotResultChoices

__all__ = ('ConfigSnapshot',)


class ConfigSnapshot(ExportTemplatesMixin, BaseModel):
    """
    A Kea server's running config saved just before NetBox pushed a config to it (`before`), the config pushed
    (`after`), and how the push ended. Both configs are stored with their secrets (passwords) replaced by a
    placeholder; the secret values are kept encrypted in `_secrets`, so that a Restore can push the real config
    back, and are never shown. Snapshots are written by sync and restore jobs only; they are records, not change
    logged (a config can be megabytes).
    """

    server = models.ForeignKey(
        to='netbox_kea_ha.KeaServer',
        on_delete=models.CASCADE,
        related_name='config_snapshots',
        verbose_name=_('server'),
        editable=False,
    )
    relationship = models.ForeignKey(
        to='netbox_kea_ha.HARelationship',
        on_delete=models.SET_NULL,
        related_name='config_snapshots',
        blank=True,
        null=True,
        verbose_name=_('relationship'),
        editable=False,
    )
    created = models.DateTimeField(
        verbose_name=_('created'),
        default=timezone.now,
        editable=False,
        db_index=True,
    )
    user = models.ForeignKey(
        to=settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name='+',
        blank=True,
        null=True,
        verbose_name=_('user'),
        editable=False,
    )
    job = models.ForeignKey(
        to='core.Job',
        on_delete=models.SET_NULL,
        related_name='+',
        blank=True,
        null=True,
        verbose_name=_('job'),
        editable=False,
    )
    action = models.CharField(
        verbose_name=_('action'),
        max_length=10,
        choices=SnapshotActionChoices,
        default=SnapshotActionChoices.SYNC,
        editable=False,
    )
    restored_from = models.ForeignKey(
        to='self',
        on_delete=models.SET_NULL,
        related_name='restores',
        blank=True,
        null=True,
        verbose_name=_('restored from'),
        editable=False,
    )
    before = models.JSONField(
        verbose_name=_('before'),
        help_text=_('The running config before the push, secrets redacted'),
        editable=False,
    )
    after = models.JSONField(
        verbose_name=_('after'),
        help_text=_('The config pushed, secrets redacted'),
        blank=True,
        null=True,
        editable=False,
    )
    _secrets = models.TextField(
        blank=True,
        default='',
        editable=False,
    )
    #: The server's control endpoint (`KeaServer.control_destination`) the configs were read from and pushed to: a
    #: Restore sends the secrets back only there.
    _destination = models.TextField(
        blank=True,
        default='',
        editable=False,
    )
    result = models.CharField(
        verbose_name=_('result'),
        max_length=20,
        choices=SnapshotResultChoices,
        default=SnapshotResultChoices.PENDING,
        editable=False,
    )
    message = models.TextField(
        verbose_name=_('message'),
        blank=True,
        editable=False,
    )

    class Meta:
        ordering = ('-created', '-pk')
        verbose_name = _('config snapshot')
        verbose_name_plural = _('config snapshots')
        permissions = (('restore', 'Restore a config snapshot: push its config back to the server'),)

    def __str__(self):
        when = timezone.localtime(self.created).strftime('%Y-%m-%d %H:%M:%S') if self.created else '?'
        name = self.server.name if self.server_id else '?'
        return f'{name} @ {when}'

    def get_absolute_url(self):
        """The snapshot's page."""
        return reverse('plugins:netbox_kea_ha:configsnapshot', args=[self.pk])

    def get_action_color(self):
        """Badge colour of the action."""
        return SnapshotActionChoices.colors.get(self.action)

    def get_result_color(self):
        """Badge colour of the result."""
        return SnapshotResultChoices.colors.get(self.result)

    def serializable_value(self, field_name):
        """Django's serializable_value(), refusing the encrypted secrets."""
        if field_name == '_secrets':
            raise AttributeError('_secrets is write-only')
        return super().serializable_value(field_name)
