"""Table of HAPeer."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from netbox.tables import PrimaryModelTable, columns

from ..models import HAPeer

__all__ = (
    'STATUS_COLUMNS',
    'HAPeerTable',
)


class HAPeerTable(PrimaryModelTable):
    """Peers with their role and HA state badges (no password column exists)."""

    peer = tables.Column(verbose_name=_('Peer'), accessor='pk', linkify=True, order_by=('name',))
    relationship = tables.Column(verbose_name=_('Relationship'), linkify=True)
    server = tables.Column(verbose_name=_('Server'), linkify=True)
    name = tables.Column(verbose_name=_('Peer name'), accessor='effective_name', order_by=('name',))
    role = columns.ChoiceFieldColumn(verbose_name=_('Role'))
    mode = columns.ChoiceFieldColumn(verbose_name=_('Mode'), accessor='relationship__mode', orderable=False)
    url = tables.Column(verbose_name=_('URL'), accessor='effective_url', order_by=('url',))
    auto_failover = columns.BooleanColumn(verbose_name=_('Auto-failover'))
    basic_auth_user = tables.Column(verbose_name=_('Basic-auth user'))
    has_basic_auth_password = columns.BooleanColumn(verbose_name=_('Basic-auth password'), orderable=False)
    ha_state = columns.ChoiceFieldColumn(verbose_name=_('HA state'))
    partner_state = columns.ChoiceFieldColumn(verbose_name=_('Partner state'))
    reachable = columns.BooleanColumn(verbose_name=_('Reachable'))
    scopes = columns.ArrayColumn(verbose_name=_('Scopes'), orderable=False)
    partner_scopes = columns.ArrayColumn(verbose_name=_('Partner scopes'), orderable=False)
    communication_interrupted = columns.BooleanColumn(verbose_name=_('Communication interrupted'))
    in_touch = columns.BooleanColumn(verbose_name=_('In touch'))
    heartbeat_age = tables.Column(verbose_name=_('Heartbeat age (s)'))
    connecting_clients = tables.Column(verbose_name=_('Connecting clients'))
    unacked_clients = tables.Column(verbose_name=_('Unacked clients'))
    unacked_clients_left = tables.Column(verbose_name=_('Unacked clients left'))
    analyzed_packets = tables.Column(verbose_name=_('Analyzed packets'))
    clock_skew = tables.Column(verbose_name=_('Clock skew (s)'))
    last_contact = columns.DateTimeColumn(verbose_name=_('Last contact'))
    status_updated = columns.DateTimeColumn(verbose_name=_('Status updated'))
    device = tables.Column(verbose_name=_('Device'), accessor='server__device', linkify=True)
    virtual_machine = tables.Column(verbose_name=_('Virtual machine'), accessor='server__virtual_machine', linkify=True)
    tags = columns.TagColumn(url_name='plugins:netbox_kea_ha:hapeer_list')

    class Meta(PrimaryModelTable.Meta):
        model = HAPeer
        fields = (
            'pk', 'id', 'peer', 'relationship', 'server', 'name', 'role', 'mode', 'url', 'auto_failover',
            'basic_auth_user', 'has_basic_auth_password', 'basic_auth_password_ref', 'ha_state', 'partner_state',
            'reachable', 'scopes', 'partner_scopes', 'communication_interrupted', 'in_touch', 'heartbeat_age',
            'connecting_clients', 'unacked_clients', 'unacked_clients_left', 'analyzed_packets', 'clock_skew',
            'last_contact', 'status_updated', 'device', 'virtual_machine', 'description', 'owner', 'comments', 'tags',
            'created', 'last_updated',
        )  # fmt: skip
        default_columns = (
            'pk', 'relationship', 'server', 'name', 'role', 'url', 'ha_state', 'partner_state', 'reachable',
        )  # fmt: skip

    def render_peer(self, record):
        """The peer as its string (relationship: name)."""
        return str(record)


#: The columns of a peer's HA status as Kea reports it (the relationship page's "HA status" table).
STATUS_COLUMNS = (
    'ha_state', 'partner_state', 'scopes', 'partner_scopes', 'communication_interrupted', 'in_touch',
    'heartbeat_age', 'connecting_clients', 'unacked_clients', 'unacked_clients_left', 'analyzed_packets',
    'clock_skew', 'reachable', 'last_contact',
)  # fmt: skip
