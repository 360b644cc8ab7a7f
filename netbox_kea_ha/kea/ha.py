"""
Typed values for Kea HA relationships and peers, and the table of every HA parameter Kea 2.2-3.0 knows.

A `Relationship` is one entry of the HA hook's `high-availability` list. Values are kept as Kea wrote them
(`from_kea` never rejects anything: `validate` reports what is wrong), and parameters that are not set stay unset,
so that rendering emits only what was chosen and Kea fills in its own, version-dependent defaults.
Parameters are named by their Kea key; keys inside the `multi-threading` map are written
`multi-threading.<key>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = (
    'ACTIVE_ROLES',
    'BARE_LIBRARY_SINCE',
    'DHCP_MT_DEFAULT_SINCE',
    'HA_LIBRARY',
    'HA_PARAMETERS',
    'HUB_AND_SPOKE_SINCE',
    'LEASE_CMDS_LIBRARY',
    'OLDEST_VERSION',
    'OPERATIONAL_STATES',
    'PEER_KEYS',
    'SECRET_KEYS',
    'HAMode',
    'HAParameter',
    'HARole',
    'HAState',
    'KeaVersion',
    'Peer',
    'Relationship',
    'library_name',
    'parameter',
)


class HAMode(StrEnum):
    """The three HA modes of Kea."""

    LOAD_BALANCING = 'load-balancing'
    HOT_STANDBY = 'hot-standby'
    PASSIVE_BACKUP = 'passive-backup'


class HARole(StrEnum):
    """The role of a peer in a relationship."""

    PRIMARY = 'primary'
    SECONDARY = 'secondary'
    STANDBY = 'standby'
    BACKUP = 'backup'


#: Roles that serve clients in normal operation (a backup only receives lease updates).
ACTIVE_ROLES = frozenset({HARole.PRIMARY, HARole.SECONDARY, HARole.STANDBY})


class HAState(StrEnum):
    """HA states as `status-get` and `ha-heartbeat` report them (lower case)."""

    BACKUP = 'backup'
    COMMUNICATION_RECOVERY = 'communication-recovery'
    HOT_STANDBY = 'hot-standby'
    LOAD_BALANCING = 'load-balancing'
    IN_MAINTENANCE = 'in-maintenance'
    PARTNER_DOWN = 'partner-down'
    PARTNER_IN_MAINTENANCE = 'partner-in-maintenance'
    PASSIVE_BACKUP = 'passive-backup'
    READY = 'ready'
    SYNCING = 'syncing'
    TERMINATED = 'terminated'
    WAITING = 'waiting'
    # Kea reports it as a partner's `last-state` when the partner cannot be reached (and accepts it in
    # `state-machine`); the plugin also uses it for a server that could not be read.
    UNAVAILABLE = 'unavailable'


#: The state each mode settles in when all is well, for a peer with an active role; a backup settles in `backup`.
OPERATIONAL_STATES: Mapping[HAMode, HAState] = {
    HAMode.LOAD_BALANCING: HAState.LOAD_BALANCING,
    HAMode.HOT_STANDBY: HAState.HOT_STANDBY,
    HAMode.PASSIVE_BACKUP: HAState.PASSIVE_BACKUP,
}

#: Keys whose values are secrets: never shown, logged or stored in clear. `password` covers Control Agent /
#: control-socket clients and database credentials; `secret` covers DDNS TSIG keys; `token` and `key` what other
#: hooks and future keys may carry. Keys ending in `-password`, `-secret` or `-token` count too
#: (`redact.is_secret_key`).
SECRET_KEYS = frozenset({'basic-auth-password', 'password', 'secret', 'token', 'key'})


@dataclass(frozen=True, order=True)
class KeaVersion:
    """A Kea version, compared numerically (`KeaVersion.parse('2.2.0') < KeaVersion.parse('2.6.3')`)."""

    major: int
    minor: int
    patch: int = 0

    @classmethod
    def parse(cls, text: str) -> KeaVersion:
        """Parse `2.2.0`, `2.6.3-1+deb13u1`, or the first line of `version-get`'s text."""
        match = re.match(r'\s*(\d+)\.(\d+)(?:\.(\d+))?', text)
        if not match:
            raise ValueError(f'not a Kea version: {text!r}')
        return cls(int(match[1]), int(match[2]), int(match[3] or 0))

    def __str__(self) -> str:
        return f'{self.major}.{self.minor}.{self.patch}'


@dataclass(frozen=True)
class HAParameter:
    """One relationship-level HA parameter: its Kea key, type, bounds, and Kea's default by version."""

    key: str
    type: type
    help: str
    default: Any = None
    #: (version, default) pairs: the default changed in that version.
    default_changes: tuple[tuple[KeaVersion, Any], ...] = ()
    #: Largest value Kea's parser accepts (uint16 / uint32 fields).
    maximum: int | None = None
    #: First Kea version that knows the parameter.
    since: KeaVersion | None = None
    #: Default in load-balancing mode when it differs from `default`.
    lb_default: Any = None

    def default_for(self, version: KeaVersion | None = None, mode: str | None = None) -> Any:
        """Kea's default for this parameter, for a Kea version (None: 2.2) and mode."""
        if mode == HAMode.LOAD_BALANCING and self.lb_default is not None:
            return self.lb_default
        value = self.default
        for changed_in, new_default in self.default_changes:
            if version is not None and version >= changed_in:
                value = new_default
        return value

    @property
    def attr(self) -> str:
        """The key as a Python identifier: `multi-threading.http-client-threads` -> `mt_http_client_threads`."""
        return self.key.replace('multi-threading.', 'mt_').replace('enable-multi-threading', 'enable').replace('-', '_')


_U16 = 65535
_U32 = 4294967295
_V23 = KeaVersion(2, 3, 7)

#: The oldest Kea release the plugin supports; a version given as None means this one.
OLDEST_VERSION = KeaVersion(2, 2, 0)
#: Several relationships in one server (hub-and-spoke): Kea 2.5.5 (ChangeLog 2199), first stable 2.6.0.
HUB_AND_SPOKE_SINCE = KeaVersion(2, 5, 5)
#: Kea's own (DHCP) multi-threading is on by default since 2.3.5 (ChangeLog 2103).
DHCP_MT_DEFAULT_SINCE = KeaVersion(2, 3, 5)
#: A hook library given by its bare file name is looked up in Kea's hooks directory since 2.6.3 (ChangeLog 2264;
#: 2.7.6+ in the development series). Kea 2.2 hands the name to dlopen(), which does not look there.
BARE_LIBRARY_SINCE = KeaVersion(2, 6, 3)
#: File names of the two hook libraries HA needs (the same for DHCPv4 and DHCPv6).
HA_LIBRARY = 'libdhcp_ha.so'
LEASE_CMDS_LIBRARY = 'libdhcp_lease_cmds.so'


def library_name(library: Any) -> str:
    """The file name of a hook library path (`/usr/lib/kea/hooks/libdhcp_ha.so` -> `libdhcp_ha.so`); '' if none."""
    if not isinstance(library, str):
        return ''
    return library.replace('"', '').strip(' \t\n').rsplit('/', 1)[-1]


#: Every relationship-level parameter, in the order Kea's documentation lists them. `this-server-name`, `mode`,
#: `peers` and `state-machine` are not here: they are structure, not tunables.
HA_PARAMETERS: tuple[HAParameter, ...] = (
    HAParameter('heartbeat-delay', int, 'Milliseconds between heartbeats to the partner.', 10000, maximum=_U16),
    HAParameter(
        'max-response-delay',
        int,
        'Milliseconds without an answer from the partner before communication counts as interrupted; '
        'should span several heartbeats.',
        60000,
        maximum=_U16,
    ),
    HAParameter(
        'max-ack-delay',
        int,
        'Milliseconds a client may wait for an answer before it counts as unacked.',
        10000,
        maximum=_U16,
    ),
    HAParameter(
        'max-unacked-clients',
        int,
        'Unacked clients seen before the partner is declared down; 0 = at once.',
        10,
        maximum=_U32,
    ),
    HAParameter(
        'max-rejected-lease-updates',
        int,
        'Lease updates the partner may reject before HA terminates; 0 = never (Kea >= 2.4).',
        10,
        maximum=_U32,
        since=KeaVersion(2, 3, 1),
    ),
    HAParameter(
        'delayed-updates-limit',
        int,
        'Lease updates held while the partner is unreachable (load-balancing only).',
        0,
        maximum=_U32,
        lb_default=100,
    ),
    HAParameter('send-lease-updates', bool, 'Send lease updates to the partner.', True),
    HAParameter('sync-leases', bool, "Fetch the partner's leases when (re)starting.", True),
    HAParameter('sync-timeout', int, 'Milliseconds a lease sync may take.', 60000, maximum=_U32),
    HAParameter('sync-page-limit', int, 'Leases fetched per page during a sync.', 10000, maximum=_U32),
    HAParameter('wait-backup-ack', bool, 'Wait for backups to acknowledge lease updates (passive-backup only).', False),
    HAParameter('require-client-certs', bool, 'Require client certificates on the HA listener (TLS).', True),
    HAParameter(
        'restrict-commands',
        bool,
        'Accept only HA commands on the dedicated HA listener.',
        False,
        default_changes=((KeaVersion(3, 0, 0), True),),
    ),
    HAParameter('trust-anchor', str, "CA file or directory that verifies the peers' certificates."),
    HAParameter('cert-file', str, "This server's TLS certificate file."),
    HAParameter('key-file', str, "This server's TLS private key file."),
    HAParameter(
        'multi-threading.enable-multi-threading',
        bool,
        "Run HA multi-threaded (needs Kea's own multi-threading).",
        False,
        default_changes=((_V23, True),),
    ),
    HAParameter(
        'multi-threading.http-dedicated-listener',
        bool,
        "Listen for peers on this server's own peer URL instead of going through the Control Agent.",
        False,
        default_changes=((_V23, True),),
    ),
    HAParameter(
        'multi-threading.http-listener-threads',
        int,
        'Threads of the dedicated listener; 0 = one per core.',
        0,
        maximum=_U32,
    ),
    HAParameter(
        'multi-threading.http-client-threads', int, 'Threads sending to peers; 0 = one per core.', 0, maximum=_U32
    ),
)

_BY_KEY = {p.key: p for p in HA_PARAMETERS}


def parameter(key: str) -> HAParameter:
    """The parameter named by its Kea key (`heartbeat-delay`, `multi-threading.http-client-threads`)."""
    return _BY_KEY[key]


#: Keys a peer entry may carry, in the order they are rendered.
PEER_KEYS = (
    'name',
    'url',
    'role',
    'auto-failover',
    'basic-auth-user',
    'basic-auth-password',
    'basic-auth-password-file',
    'trust-anchor',
    'cert-file',
    'key-file',
)


@dataclass(frozen=True)
class Peer:
    """One entry of a relationship's `peers` list. Values are as Kea wrote them; None means not set."""

    name: Any
    url: Any
    role: Any
    auto_failover: Any = None
    basic_auth_user: Any = None
    basic_auth_password: Any = field(default=None, repr=False)
    basic_auth_password_file: Any = None
    trust_anchor: Any = None
    cert_file: Any = None
    key_file: Any = None
    #: Keys Kea does not know for a peer, kept so nothing is lost.
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_kea(cls, data: Mapping[str, Any]) -> Peer:
        """A peer from its Kea JSON map (missing keys stay None, unknown keys go to `extra`)."""
        known = {key.replace('-', '_'): data[key] for key in PEER_KEYS if key in data}
        extra = {key: value for key, value in data.items() if key not in PEER_KEYS}
        known.setdefault('name', None)
        known.setdefault('url', None)
        known.setdefault('role', None)
        return cls(**known, extra=extra)

    def to_kea(self) -> dict[str, Any]:
        """The peer as Kea JSON: only the keys that are set, in Kea's documented order, then `extra`."""
        out = {key: getattr(self, key.replace('-', '_')) for key in PEER_KEYS}
        return {key: value for key, value in out.items() if value is not None} | dict(self.extra)


@dataclass(frozen=True)
class Relationship:
    """One entry of the HA hook's `high-availability` list, as seen from the server named `this_server_name`."""

    this_server_name: Any
    mode: Any
    peers: tuple[Peer, ...] = ()
    #: Parameters that are set, by Kea key (`multi-threading.*` flattened); see HA_PARAMETERS.
    parameters: Mapping[str, Any] = field(default_factory=dict)
    #: The `state-machine` map as given (`{"states": [{"state": "waiting", "pause": "once"}]}`), or None.
    state_machine: Any = None
    #: Keys Kea does not document for a relationship, kept so nothing is lost.
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_kea(cls, data: Mapping[str, Any]) -> Relationship:
        """A relationship from one `high-availability` entry. Never raises for bad values: see `validate`."""
        parameters: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if key in ('this-server-name', 'mode', 'peers', 'state-machine'):
                continue
            if key == 'multi-threading' and isinstance(value, Mapping):
                for sub, sub_value in value.items():
                    if f'multi-threading.{sub}' in _BY_KEY:
                        parameters[f'multi-threading.{sub}'] = sub_value
                    else:
                        extra.setdefault('multi-threading', {})[sub] = sub_value
            elif key in _BY_KEY:
                parameters[key] = value
            else:
                extra[key] = value
        raw_peers = data.get('peers')
        peers: tuple[Peer, ...] = ()
        if isinstance(raw_peers, list):
            peers = tuple(Peer.from_kea(p) if isinstance(p, Mapping) else Peer(None, None, None) for p in raw_peers)
        elif raw_peers is not None:
            extra['peers'] = raw_peers
        return cls(
            this_server_name=data.get('this-server-name'),
            mode=data.get('mode'),
            peers=peers,
            parameters=parameters,
            state_machine=data.get('state-machine'),
            extra=extra,
        )

    def to_kea(self) -> dict[str, Any]:
        """The relationship as Kea JSON: structure first, then set parameters in table order, then `extra`."""
        out: dict[str, Any] = {'this-server-name': self.this_server_name, 'mode': self.mode}
        mt: dict[str, Any] = {}
        for p in HA_PARAMETERS:
            if p.key in self.parameters and self.parameters[p.key] is not None:
                if p.key.startswith('multi-threading.'):
                    mt[p.key.split('.', 1)[1]] = self.parameters[p.key]
                else:
                    out[p.key] = self.parameters[p.key]
        extra = dict(self.extra)
        has_extra_mt = 'multi-threading' in extra
        extra_mt = extra.pop('multi-threading', None)
        if isinstance(extra_mt, Mapping):
            out['multi-threading'] = mt | dict(extra_mt)
        elif mt:
            out['multi-threading'] = mt
        elif has_extra_mt:
            # Not a map (Kea refuses it; `validate` says so): kept as given so nothing is lost.
            out['multi-threading'] = extra_mt
        if self.state_machine is not None:
            out['state-machine'] = self.state_machine
        out['peers'] = [peer.to_kea() for peer in self.peers]
        return out | extra

    def peer(self, name: str) -> Peer | None:
        """The peer with this name, if any."""
        return next((p for p in self.peers if p.name == name), None)

    @property
    def this_peer(self) -> Peer | None:
        """The peer this server is (named by `this-server-name`), if any."""
        return self.peer(self.this_server_name) if isinstance(self.this_server_name, str) else None

    def with_server(self, name: str) -> Relationship:
        """The same relationship as seen from another peer (another `this-server-name`)."""
        return Relationship(name, self.mode, self.peers, self.parameters, self.state_machine, self.extra)

    def effective(self, key: str, version: KeaVersion | None = None) -> Any:
        """The value Kea uses for a parameter: the set value, or Kea's default for the version and mode."""
        if self.parameters.get(key) is not None:
            return self.parameters[key]
        return _BY_KEY[key].default_for(version, self.mode)

    def dedicated_listener(self, version: KeaVersion | None = None, dhcp_multi_threading: bool | None = None) -> bool:
        """Whether Kea runs the HA dedicated listener (on this server's own peer URL) for this relationship.

        It needs HA multi-threading and `http-dedicated-listener` (both default to on since Kea 2.3.7), and Kea's
        own multi-threading (`dhcp_multi_threading`; None means the version's default: on since 2.3.5).
        """
        if dhcp_multi_threading is None:
            dhcp_multi_threading = (version or OLDEST_VERSION) >= DHCP_MT_DEFAULT_SINCE
        return (
            dhcp_multi_threading
            and self.effective('multi-threading.enable-multi-threading', version) is True
            and self.effective('multi-threading.http-dedicated-listener', version) is True
        )

    def roles(self) -> Iterable[Any]:
        """The role of each peer, in order."""
        return (p.role for p in self.peers)
