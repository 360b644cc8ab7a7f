"""Panels of the detail pages of Kea servers, HA relationships and peers."""

from django.utils.translation import gettext_lazy as _

from netbox.ui import attrs, panels

from ..forms.fields import parameter_groups
from ..services.history import relationship_history, server_history
from .attrs import EffectiveAttr, ParameterAttr, SecretAttr

__all__ = (
    'ConfigSnapshotDiffPanel',
    'ConfigSnapshotPanel',
    'FindingsPanel',
    'HAHistoryPanel',
    'HAPeerPanel',
    'HAPeerStatusPanel',
    'HARelationshipPanel',
    'KeaServerConfigPanel',
    'KeaServerControlPanel',
    'KeaServerPanel',
    'KeaServerStatusPanel',
    'RenderedBlocksPanel',
    'parameter_panels',
)


class KeaServerPanel(panels.ObjectAttributesPanel):
    """What the server is and where it runs."""

    name = attrs.TextAttr('name')
    family = attrs.ChoiceAttr('family', label=_('DHCP family'))
    server_tag = EffectiveAttr('effective_server_tag', own='server_tag', source=_('the name'), label=_('Server tag'))
    device = attrs.RelatedObjectAttr('device', linkify=True)
    virtual_machine = attrs.RelatedObjectAttr('virtual_machine', linkify=True, label=_('Virtual machine'))
    address = attrs.RelatedObjectAttr('address', linkify=True)
    description = attrs.TextAttr('description')


class KeaServerControlPanel(panels.ObjectAttributesPanel):
    """How NetBox reaches the server's command API."""

    title = _('Control endpoint')
    control_kind = attrs.ChoiceAttr('control_kind', label=_('Kind'))
    control_url = attrs.TextAttr('control_url', label=_('URL'), copy_button=True)
    control_host = EffectiveAttr(
        'effective_control_host', own='control_host', source=_('setting or address'), label=_('Host')
    )
    control_port = EffectiveAttr(
        'effective_control_port', own='control_port', source=_('setting control_agent_port'), label=_('Port')
    )
    service = attrs.ArrayAttr('service', label=_('Service'))
    username = attrs.TextAttr('username')
    password = SecretAttr('password', label=_('Password'))
    tls_verify = EffectiveAttr(
        'effective_tls_verify', own='tls_verify', source=_('setting verify_tls'), label=_('Verify TLS')
    )
    ca_file = attrs.TextAttr('ca_file', label=_('CA file'))
    cert_file = attrs.TextAttr('cert_file', label=_('Client certificate'))
    key_file = attrs.TextAttr('key_file', label=_('Client key'))


class KeaServerConfigPanel(panels.ObjectAttributesPanel):
    """Per-server configuration choices."""

    title = _('Configuration')
    hooks_dir = EffectiveAttr(
        'effective_hooks_dir', own='hooks_dir', source=_('setting hooks_dir'), label=_('Hooks directory')
    )
    replicate_config = EffectiveAttr(
        'effective_replicate_config',
        own='replicate_config',
        source=_('setting replicate_config'),
        label=_('Replicate config'),
    )


class KeaServerStatusPanel(panels.ObjectAttributesPanel):
    """What the last import, sync and status jobs saw."""

    title = _('State')
    kea_version = attrs.TextAttr('kea_version', label=_('Kea version'))
    ha_state = attrs.ChoiceAttr('ha_state', label=_('HA state'))
    config_drift = attrs.ChoiceAttr('config_drift', label=_('Config drift'))
    drift_checked = attrs.DateTimeAttr('drift_checked', label=_('Drift checked'))
    last_seen = attrs.DateTimeAttr('last_seen', label=_('Last seen'))
    last_error = attrs.TextAttr('last_error', label=_('Last error'), style='text-danger')


class HARelationshipPanel(panels.ObjectAttributesPanel):
    """The relationship's identity, mode and push procedure."""

    name = attrs.TextAttr('name')
    mode = attrs.ChoiceAttr('mode')
    push_procedure = EffectiveAttr(
        'effective_push_procedure', own='push_procedure', source=_('setting push_procedure'), label=_('Push procedure')
    )
    dhcp_source = attrs.ChoiceAttr('dhcp_source', label=_('DHCP data from'))
    description = attrs.TextAttr('description')


def parameter_panels():
    """One panel per group of HA parameters: each value, or Kea's default when not set."""
    result = []
    for label, params in parameter_groups():
        namespace = {p.attr: ParameterAttr(p) for p in params}
        namespace['title'] = label
        panel_class = type(f'Parameters{len(result)}Panel', (panels.ObjectAttributesPanel,), namespace)
        result.append(panel_class())
    return result


class HAPeerPanel(panels.ObjectAttributesPanel):
    """The peer: its server, name, role and URL, and how partners authenticate to it."""

    relationship = attrs.RelatedObjectAttr('relationship', linkify=True)
    server = attrs.RelatedObjectAttr('server', linkify=True)
    name = EffectiveAttr('effective_name', own='name', source=_("the server's tag"), label=_('Peer name'))
    role = attrs.ChoiceAttr('role')
    url = EffectiveAttr('effective_url', own='url', source=_("the server's address and port"), label=_('URL'))
    auto_failover = EffectiveAttr(
        'effective_auto_failover', own='auto_failover', source=_("Kea's default (true)"), label=_('Auto-failover')
    )
    basic_auth_user = attrs.TextAttr('basic_auth_user', label=_('Basic-auth user'))
    basic_auth_password = SecretAttr('basic_auth_password', label=_('Basic-auth password'))
    description = attrs.TextAttr('description')


class HAPeerStatusPanel(panels.ObjectAttributesPanel):
    """The HA state the last status job saw: Kea's `status-get` of the peer's relationship (docs/status.md)."""

    title = _('HA state')
    ha_state = attrs.ChoiceAttr('ha_state', label=_('State'))
    partner_state = attrs.ChoiceAttr('partner_state', label=_('Partner state'))
    scopes = attrs.ArrayAttr('scopes')
    partner_scopes = attrs.ArrayAttr('partner_scopes', label=_('Partner scopes'))
    communication_interrupted = attrs.BooleanAttr('communication_interrupted', label=_('Communication interrupted'))
    in_touch = attrs.BooleanAttr('in_touch', label=_('In touch'))
    heartbeat_age = attrs.NumericAttr('heartbeat_age', label=_('Heartbeat age (s)'))
    connecting_clients = attrs.NumericAttr('connecting_clients', label=_('Connecting clients'))
    unacked_clients = attrs.NumericAttr('unacked_clients', label=_('Unacked clients'))
    unacked_clients_left = attrs.NumericAttr('unacked_clients_left', label=_('Unacked clients left'))
    analyzed_packets = attrs.NumericAttr('analyzed_packets', label=_('Analyzed packets'))
    clock_skew = attrs.NumericAttr('clock_skew', label=_('Clock skew (s)'))
    reachable = attrs.BooleanAttr('reachable')
    last_contact = attrs.DateTimeAttr('last_contact', label=_('Last contact'))
    status_updated = attrs.DateTimeAttr('status_updated', label=_('Status updated'))


class HAHistoryPanel(panels.ObjectPanel):
    """
    The HA history of the page's relationship or server (its peers): every state change from the change log, how
    long each state held, and each peer's last partner-down (`services.history`). Shown to users who may view the
    change log, for the peers they may view.
    """

    template_name = 'netbox_kea_ha/panels/ha_history.html'
    title = _('HA history')

    def get_context(self, context):
        """The panel's context, with `history` (None: the user may not view the change log)."""
        ctx = super().get_context(context)
        obj, request = ctx['object'], ctx.get('request')
        user = getattr(request, 'user', None)
        on_server = obj._meta.model_name == 'keaserver'
        ctx['history'] = server_history(obj, user) if on_server else relationship_history(obj, user)
        ctx['on_server'] = on_server
        return ctx

    def should_render(self, context):
        """Only for users who may view the change log."""
        return context.get('history') is not None


class FindingsPanel(panels.TemplatePanel):
    """Validation errors and warnings of a relationship (computed now), and those the last sync recorded."""

    def __init__(self, **kwargs):
        super().__init__('netbox_kea_ha/panels/findings.html', title=_('Validation'), **kwargs)


class RenderedBlocksPanel(panels.TemplatePanel):
    """Each peer server's rendered `hooks-libraries` block, secrets redacted."""

    def __init__(self, **kwargs):
        super().__init__('netbox_kea_ha/panels/rendered.html', title=_('Rendered hooks-libraries'), **kwargs)


class ConfigSnapshotPanel(panels.ObjectAttributesPanel):
    """A config snapshot's record: where, when, who, which job, what made it and how the push ended."""

    title = _('Config snapshot')
    server = attrs.RelatedObjectAttr('server', linkify=True)
    relationship = attrs.RelatedObjectAttr('relationship', linkify=True)
    created = attrs.DateTimeAttr('created')
    user = attrs.TextAttr('user')
    job = attrs.RelatedObjectAttr('job', linkify=True)
    action = attrs.ChoiceAttr('action')
    restored_from = attrs.RelatedObjectAttr('restored_from', linkify=True, label=_('Restored from'))
    result = attrs.ChoiceAttr('result')
    message = attrs.TextAttr('message')


class ConfigSnapshotDiffPanel(panels.TemplatePanel):
    """What the push changed: the normalised diff from the running config to the one pushed (both redacted)."""

    def __init__(self, **kwargs):
        super().__init__('netbox_kea_ha/panels/snapshot_diff.html', title=_('What the push changed'), **kwargs)
