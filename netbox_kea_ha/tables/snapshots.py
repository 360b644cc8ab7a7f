"""Table of ConfigSnapshot."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from netbox.tables import NetBoxTable, columns

from ..models import ConfigSnapshot

__all__ = ('ConfigSnapshotTable',)


class ConfigSnapshotTable(NetBoxTable):
    """Config snapshots: when, which server, who and which job, what made it, how the push ended. No configs."""

    id = tables.Column(verbose_name=_('ID'), linkify=True)
    created = columns.DateTimeColumn(verbose_name=_('Created'), linkify=True)
    server = tables.Column(verbose_name=_('Server'), linkify=True)
    relationship = tables.Column(verbose_name=_('Relationship'), linkify=True)
    user = tables.Column(verbose_name=_('User'))
    job = tables.Column(verbose_name=_('Job'), linkify=True)
    action = columns.ChoiceFieldColumn(verbose_name=_('Action'))
    result = columns.ChoiceFieldColumn(verbose_name=_('Result'))
    restored_from = tables.Column(verbose_name=_('Restored from'), linkify=True)
    message = tables.Column(verbose_name=_('Message'))
    actions = columns.ActionsColumn(actions=('delete',))

    class Meta(NetBoxTable.Meta):
        model = ConfigSnapshot
        fields = (
            'pk', 'id', 'created', 'server', 'relationship', 'user', 'job', 'action', 'result', 'restored_from',
            'message',
        )  # fmt: skip
        default_columns = ('pk', 'id', 'created', 'server', 'relationship', 'user', 'action', 'result', 'message')
