"""
Replication: split a Dhcp4/Dhcp6 config into what every HA peer shares and what each server keeps, and build
each peer's desired config.

The *shared* parts are the DHCP service itself (subnets, shared networks, pools, options, option definitions,
client classes, global reservations, lifetimes and timers, DDNS behaviour, ...): with replication on, the
primary's shared parts go to every peer. The *per-server* parts are the server's own plumbing (interfaces,
control sockets, lease and host databases, loggers, server tag, `dhcp-ddns` connection, multi-threading, ...) and
stay as each server has them. `hooks-libraries` is per-server too, except its HA and lease_cmds entries, which are
rendered for each server and passed in. A key in neither list (a key this module does not know, or a key of a
newer Kea) is per-server: replication never overwrites what it does not understand.

The values of a built config are shared with the inputs, not copied: treat inputs and outputs as read-only.
See docs/replication.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .ha import HA_LIBRARY, LEASE_CMDS_LIBRARY, library_name
from .redact import redact_secrets

__all__ = (
    'CONFIG_ROOTS',
    'RENDERED_HOOKS',
    'SERVER_KEYS',
    'SHARED_KEYS',
    'ConfigError',
    'KeyClass',
    'KeySets',
    'ReplicationError',
    'SplitConfig',
    'build_peer_config',
    'config_root',
    'hook_name',
    'is_rendered_hook',
    'split_config',
)

#: The top-level keys a DHCP server config lives under.
CONFIG_ROOTS = ('Dhcp4', 'Dhcp6')

#: Hook libraries rendered for each server (templates/): never copied from one server to another.
RENDERED_HOOKS = frozenset({HA_LIBRARY, LEASE_CMDS_LIBRARY})

#: Top-level keys every peer of a relationship must share (Kea 2.2-3.x, Dhcp4 and Dhcp6).
SHARED_KEYS = frozenset(
    {
        # Lifetimes and timers.
        'valid-lifetime',
        'min-valid-lifetime',
        'max-valid-lifetime',
        'preferred-lifetime',
        'min-preferred-lifetime',
        'max-preferred-lifetime',
        'renew-timer',
        'rebind-timer',
        'calculate-tee-times',
        't1-percent',
        't2-percent',
        'cache-threshold',
        'cache-max-age',
        'offer-lifetime',
        'decline-probation-period',
        # Address space.
        'subnet4',
        'subnet6',
        'shared-networks',
        'allocator',
        'pd-allocator',
        # Options, classes and reservations.
        'option-def',
        'option-data',
        'client-classes',
        'reservations',
        'host-reservation-identifiers',
        'reservation-mode',
        'reservations-global',
        'reservations-in-subnet',
        'reservations-out-of-pool',
        'reservations-lookup-first',
        'early-global-reservations-lookup',
        'ip-reservations-unique',
        # DHCPv4 message fields and client identification.
        'echo-client-id',
        'match-client-id',
        'authoritative',
        'next-server',
        'server-hostname',
        'boot-file-name',
        'stash-agent-options',
        # DHCPv6 behaviour.
        'mac-sources',
        'relay-supplied-options',
        # DDNS behaviour (the connection to kea-dhcp-ddns, `dhcp-ddns`, is per server).
        'ddns-send-updates',
        'ddns-override-no-update',
        'ddns-override-client-update',
        'ddns-replace-client-name',
        'ddns-generated-prefix',
        'ddns-qualifying-suffix',
        'ddns-update-on-renew',
        'ddns-use-conflict-resolution',
        'ddns-conflict-resolution-mode',
        'ddns-ttl-percent',
        'ddns-ttl',
        'ddns-ttl-min',
        'ddns-ttl-max',
        'hostname-char-set',
        'hostname-char-replacement',
        # Lease handling.
        'expired-leases-processing',
        'store-extended-info',
        'sanity-checks',
        'compatibility',
    }
)

#: Top-level keys each server keeps as its own. `hooks-libraries` is here; its HA and lease_cmds entries are
#: replaced by the rendered ones.
SERVER_KEYS = frozenset(
    {
        'interfaces-config',
        'control-socket',
        'control-sockets',
        'lease-database',
        'hosts-database',
        'hosts-databases',
        'loggers',
        'server-tag',
        'dhcp-ddns',
        'multi-threading',
        'dhcp-queue-control',
        'parked-packet-limit',
        'data-directory',
        'server-id',
        'config-control',
        'hooks-libraries',
        'dhcp4o6-port',
        'statistic-default-sample-count',
        'statistic-default-sample-age',
        'user-context',
        'comment',
    }
)


class ConfigError(ValueError):
    """A value that is not a Kea server config (`{'Dhcp4': {...}}` or `{'Dhcp6': {...}}`); the message says why."""


class ReplicationError(ConfigError):
    """A config or key list that replication cannot work with; the message names what is wrong."""


class KeyClass(StrEnum):
    """Where a top-level key belongs."""

    SHARED = 'shared'
    SERVER = 'server'


@dataclass(frozen=True)
class KeySets:
    """The shared and per-server key lists in force: the constants plus the caller's additions.

    A key added to one list leaves the other (so `server_keys=['option-data']` keeps each server's own global
    options). A key added to both is an error.
    """

    shared: frozenset[str] = SHARED_KEYS
    server: frozenset[str] = SERVER_KEYS

    @classmethod
    def with_extra(cls, shared_keys: Iterable[str] = (), server_keys: Iterable[str] = ()) -> KeySets:
        """The constants extended by the plugin settings `shared_keys` and `server_keys`."""
        extra_shared = _key_list(shared_keys, 'shared_keys')
        extra_server = _key_list(server_keys, 'server_keys')
        both = extra_shared & extra_server
        if both:
            raise ReplicationError(f'keys listed as both shared and per-server: {", ".join(sorted(both))}')
        if 'hooks-libraries' in extra_shared:
            raise ReplicationError("'hooks-libraries' cannot be shared: its HA and lease_cmds entries are per server")
        return cls(
            shared=(SHARED_KEYS - extra_server) | extra_shared,
            server=(SERVER_KEYS - extra_shared) | extra_server,
        )

    def classify(self, key: str) -> KeyClass:
        """Shared or per-server. Unknown keys are per-server: never overwritten by another server's value."""
        return KeyClass.SHARED if key in self.shared else KeyClass.SERVER


def _key_list(keys: Iterable[str], name: str) -> frozenset[str]:
    if isinstance(keys, str) or not isinstance(keys, Iterable):
        raise ReplicationError(f'{name} must be a list of config key names, got {keys!r}')
    out = set()
    for key in keys:
        if not isinstance(key, str) or not key.strip():
            raise ReplicationError(f'{name} must hold config key names (non-empty strings), got {key!r}')
        out.add(key.strip())
    return frozenset(out)


def config_root(config: Any) -> tuple[str, Mapping[str, Any]]:
    """The root key (`Dhcp4`/`Dhcp6`) and the server map of a config.

    Accepts `{'Dhcp4': {...}}` and the `arguments` of `config-get` (which may also carry `hash`).
    """
    if not isinstance(config, Mapping):
        raise ConfigError(f'a Kea config must be a JSON object, got {type(config).__name__}')
    roots = [key for key in CONFIG_ROOTS if key in config]
    if len(roots) != 1:
        found = ', '.join(repr(k) for k in config) or 'nothing'
        raise ConfigError(f'a Kea config must hold exactly one of Dhcp4 or Dhcp6, found {found}')
    inner = config[roots[0]]
    if not isinstance(inner, Mapping):
        raise ConfigError(f'{roots[0]} must be a JSON object, got {type(inner).__name__}')
    return roots[0], inner


def hook_name(entry: Any) -> str | None:
    """The file name of a `hooks-libraries` entry's library (`libdhcp_ha.so`), or None when it has none."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get('library'), str):
        return None
    return library_name(entry['library'])


def is_rendered_hook(entry: Any) -> bool:
    """Whether a `hooks-libraries` entry is one that is rendered per server (HA or lease_cmds)."""
    return hook_name(entry) in RENDERED_HOOKS


@dataclass(frozen=True)
class SplitConfig:
    """A config split into its shared and per-server parts (top-level keys of the server map)."""

    root: str
    shared: Mapping[str, Any] = field(default_factory=dict)
    #: Per-server keys; `hooks-libraries` here holds only the entries that are not rendered per server.
    server: Mapping[str, Any] = field(default_factory=dict)
    #: The HA and lease_cmds entries that were taken out of `hooks-libraries`, in order.
    rendered_hooks: tuple[Mapping[str, Any], ...] = ()

    def __repr__(self) -> str:
        parts = ', '.join(
            f'{name}={redact_secrets(getattr(self, name))!r}' for name in ('shared', 'server', 'rendered_hooks')
        )
        return f'SplitConfig(root={self.root!r}, {parts})'


def _hooks_list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ReplicationError(f'{where} hooks-libraries must be a list, got {type(value).__name__}')
    return value


def split_config(config: Any, *, key_sets: KeySets | None = None) -> SplitConfig:
    """Split a config into shared and per-server parts, taking the rendered hooks out of `hooks-libraries`."""
    key_sets = key_sets or KeySets()
    root, inner = config_root(config)
    shared: dict[str, Any] = {}
    server: dict[str, Any] = {}
    rendered: tuple[Mapping[str, Any], ...] = ()
    for key, value in inner.items():
        if key == 'hooks-libraries':
            hooks = _hooks_list(value, root)
            server[key] = [h for h in hooks if not is_rendered_hook(h)]
            rendered = tuple(h for h in hooks if is_rendered_hook(h))
        elif key_sets.classify(key) is KeyClass.SHARED:
            shared[key] = value
        else:
            server[key] = value
    return SplitConfig(root=root, shared=shared, server=server, rendered_hooks=rendered)


def _merge_hooks(own: list[Any], rendered: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Own hooks with the rendered entries put where the old HA/lease_cmds entries were (else at the end)."""
    out: list[Any] = []
    placed = False
    for entry in own:
        if is_rendered_hook(entry):
            if not placed:
                out.extend(rendered)
                placed = True
        else:
            out.append(entry)
    if not placed:
        out.extend(rendered)
    return out


def _check_rendered(hooks_libraries: Any) -> list[Mapping[str, Any]]:
    if not isinstance(hooks_libraries, Sequence) or isinstance(hooks_libraries, str | bytes):
        raise ReplicationError(
            f'the rendered hooks-libraries must be a list of entries, got {type(hooks_libraries).__name__}'
        )
    for i, entry in enumerate(hooks_libraries):
        if not isinstance(entry, Mapping) or hook_name(entry) is None:
            raise ReplicationError(f'rendered hooks-libraries[{i}] must be an object with a "library" path')
        if not is_rendered_hook(entry):
            raise ReplicationError(
                f'rendered hooks-libraries[{i}] is {hook_name(entry)!r}: only the HA and lease_cmds entries '
                f'({", ".join(sorted(RENDERED_HOOKS))}) are rendered; other hooks stay as each server has them'
            )
    return list(hooks_libraries)


def build_peer_config(
    own: Any,
    hooks_libraries: Sequence[Mapping[str, Any]],
    *,
    primary: Any = None,
    replicate: bool = True,
    key_sets: KeySets | None = None,
) -> dict[str, Any]:
    """One peer's desired config, as `{'Dhcp4': {...}}` (or Dhcp6).

    `own` is the peer's current config (its `config-get`); `hooks_libraries` its rendered lease_cmds and HA
    entries. With `replicate` (and a `primary` config given), the shared parts are the primary's: a shared key
    the primary lacks is dropped, one only the primary has is added. Without replication only the HA and
    lease_cmds entries change. Per-server keys, unknown keys and other hook libraries are always the peer's own.
    """
    key_sets = key_sets or KeySets()
    rendered = _check_rendered(hooks_libraries)
    root, inner = config_root(own)
    source: Mapping[str, Any] | None = None
    if replicate and primary is not None:
        primary_root, source = config_root(primary)
        if primary_root != root:
            raise ReplicationError(f'cannot replicate a {primary_root} config onto a {root} server')
    out: dict[str, Any] = {}
    for key, value in inner.items():
        if key == 'hooks-libraries':
            out[key] = _merge_hooks(_hooks_list(value, root), rendered)
        elif source is not None and key_sets.classify(key) is KeyClass.SHARED:
            if key in source:
                out[key] = source[key]
        else:
            out[key] = value
    if source is not None:
        for key, value in source.items():
            if key not in out and key != 'hooks-libraries' and key_sets.classify(key) is KeyClass.SHARED:
                out[key] = value
    if 'hooks-libraries' not in out:
        out['hooks-libraries'] = list(rendered)
    return {root: out}
