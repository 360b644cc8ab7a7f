"""Choice sets of the plugin's models; values match Kea's own spelling where Kea has one."""

from django.utils.translation import gettext_lazy as _

from utilities.choices import ChoiceSet

from .kea.ha import HAMode, HARole, HAState

__all__ = (
    'ConfigDriftChoices',
    'ControlKindChoices',
    'ControlSchemeChoices',
    'DHCPFamilyChoices',
    'DhcpSourceChoices',
    'HAModeChoices',
    'HARoleChoices',
    'HAStateChoices',
    'PushProcedureChoices',
    'ReplicateConfigChoices',
    'SnapshotActionChoices',
    'SnapshotResultChoices',
    'StatePauseChoices',
)


class DHCPFamilyChoices(ChoiceSet):
    """The DHCP server a KeaServer stands for: kea-dhcp4 or kea-dhcp6 (also the Control Agent's `service`)."""

    DHCP4 = 'dhcp4'
    DHCP6 = 'dhcp6'

    CHOICES = [
        (DHCP4, _('DHCPv4'), 'blue'),
        (DHCP6, _('DHCPv6'), 'purple'),
    ]


class DhcpSourceChoices(ChoiceSet):
    """Where a relationship's DHCP data (subnets, pools, options, reservations) comes from."""

    PRIMARY = 'primary'
    IPAM = 'ipam'

    CHOICES = [
        (PRIMARY, _("The primary's running config"), 'gray'),
        (IPAM, _('NetBox IPAM'), 'blue'),
    ]


class ControlKindChoices(ChoiceSet):
    """How NetBox reaches a server's command API."""

    AGENT = 'agent'
    SERVER = 'server'

    CHOICES = [
        (AGENT, _('Control Agent')),
        (SERVER, _("Server's own HTTP control socket")),
    ]


class ControlSchemeChoices(ChoiceSet):
    """Scheme of a control endpoint."""

    HTTP = 'http'
    HTTPS = 'https'

    CHOICES = [
        (HTTP, 'http'),
        (HTTPS, 'https'),
    ]


class ReplicateConfigChoices(ChoiceSet):
    """Whether a server's shared config is replicated to its partners; `inherit` follows the plugin setting."""

    INHERIT = 'inherit'
    ON = 'on'
    OFF = 'off'

    CHOICES = [
        (INHERIT, _('Plugin setting')),
        (ON, _('On')),
        (OFF, _('Off')),
    ]


class ConfigDriftChoices(ChoiceSet):
    """Whether the config running on a server matches what NetBox would render for it."""

    key = 'KeaServer.config_drift'

    UNKNOWN = 'unknown'
    IN_SYNC = 'in-sync'
    DRIFTED = 'drifted'

    CHOICES = [
        (UNKNOWN, _('Unknown'), 'gray'),
        (IN_SYNC, _('In sync'), 'green'),
        (DRIFTED, _('Drifted'), 'red'),
    ]


class HAModeChoices(ChoiceSet):
    """The three HA modes of Kea."""

    LOAD_BALANCING = HAMode.LOAD_BALANCING.value
    HOT_STANDBY = HAMode.HOT_STANDBY.value
    PASSIVE_BACKUP = HAMode.PASSIVE_BACKUP.value

    CHOICES = [
        (LOAD_BALANCING, _('Load balancing'), 'blue'),
        (HOT_STANDBY, _('Hot standby'), 'purple'),
        (PASSIVE_BACKUP, _('Passive backup'), 'gray'),
    ]


class HARoleChoices(ChoiceSet):
    """The role of a peer in a relationship."""

    PRIMARY = HARole.PRIMARY.value
    SECONDARY = HARole.SECONDARY.value
    STANDBY = HARole.STANDBY.value
    BACKUP = HARole.BACKUP.value

    CHOICES = [
        (PRIMARY, _('Primary'), 'blue'),
        (SECONDARY, _('Secondary'), 'cyan'),
        (STANDBY, _('Standby'), 'purple'),
        (BACKUP, _('Backup'), 'gray'),
    ]


_STATE_COLORS = {
    HAState.LOAD_BALANCING: 'green',
    HAState.HOT_STANDBY: 'green',
    HAState.PASSIVE_BACKUP: 'green',
    HAState.BACKUP: 'teal',
    HAState.READY: 'cyan',
    HAState.SYNCING: 'cyan',
    HAState.WAITING: 'yellow',
    HAState.COMMUNICATION_RECOVERY: 'orange',
    HAState.PARTNER_DOWN: 'orange',
    HAState.IN_MAINTENANCE: 'purple',
    HAState.PARTNER_IN_MAINTENANCE: 'purple',
    HAState.TERMINATED: 'red',
    HAState.UNAVAILABLE: 'red',
}


class HAStateChoices(ChoiceSet):
    """HA states as `status-get` and `ha-heartbeat` report them, plus `unavailable` (the server could not be read)."""

    CHOICES = [(state.value, state.value, _STATE_COLORS.get(state, 'gray')) for state in HAState]


class PushProcedureChoices(ChoiceSet):
    """How a sync pushes a change (docs/push.md): blank follows the plugin's `push_procedure` setting."""

    INHERIT = ''
    LEAST_LOSS = 'least-loss'
    ROLLING = 'rolling'

    CHOICES = [
        (INHERIT, _('Plugin setting (push_procedure)'), 'gray'),
        (LEAST_LOSS, _('Least loss: at runtime where Kea can, else a reload with the scope handed over'), 'green'),
        (ROLLING, _('Rolling: a reload of each peer in turn'), 'orange'),
    ]


class StatePauseChoices(ChoiceSet):
    """When Kea's HA state machine pauses in a state (`state-machine.states[].pause`)."""

    NEVER = 'never'
    ONCE = 'once'
    ALWAYS = 'always'

    CHOICES = [
        (NEVER, 'never'),
        (ONCE, 'once'),
        (ALWAYS, 'always'),
    ]


class SnapshotActionChoices(ChoiceSet):
    """What made a snapshot: a sync, or a restore of an earlier snapshot."""

    SYNC = 'sync'
    RESTORE = 'restore'

    CHOICES = [
        (SYNC, _('Sync'), 'blue'),
        (RESTORE, _('Restore'), 'purple'),
    ]


class SnapshotResultChoices(ChoiceSet):
    """How the push a snapshot was taken for ended."""

    PENDING = 'pending'
    APPLIED = 'applied'
    ROLLED_BACK = 'rolled-back'
    FAILED = 'failed'
    NOT_SENT = 'not-sent'

    CHOICES = [
        (PENDING, _('Pending'), 'gray'),
        (APPLIED, _('Applied'), 'green'),
        (ROLLED_BACK, _('Rolled back'), 'orange'),
        (FAILED, _('Failed'), 'red'),
        (NOT_SENT, _('Not sent'), 'yellow'),
    ]
