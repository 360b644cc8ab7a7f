"""
The rules for one HA relationship (one `high-availability` entry), as Kea's `HAConfigParser::parseOne()` and
`HAConfig::validate()` apply them (Kea 2.2.0, 2.6.3, 3.0.3), plus the warnings for what Kea accepts but HA
suffers from. `validate.py` holds the public entry points and the rules that span relationships, hooks and the
server config.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .findings import FindingCollector
from .ha import HA_PARAMETERS, OLDEST_VERSION, HAMode, HAParameter, HARole, HAState, KeaVersion, Peer, Relationship
from .kea_url import KeaUrl, parse_kea_url, without_credentials

__all__ = ('collect_relationship_findings', 'effective_version', 'is_int', 'trim')

_U16 = 65535
_ODD_NAME = re.compile(r'[^A-Za-z0-9_.-]')


def effective_version(version: KeaVersion | None) -> KeaVersion:
    """The version rules apply for: None means the oldest supported release (Kea 2.2)."""
    return version if version is not None else OLDEST_VERSION


def is_int(value: Any) -> bool:
    """An integer as Kea's JSON has it (a bool is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def trim(text: str) -> str:
    """Kea's `util::str::trim`: strips spaces, tabs and newlines."""
    return text.strip(' \t\n')


def _missing(out: FindingCollector, field: str, key: str) -> None:
    out.error(field, f"missing parameter '{key}'", 'ha.missing-parameter')


def _bad_type(out: FindingCollector, field: str, key: str) -> None:
    out.error(field, f"invalid type specified for parameter '{key}'", 'ha.invalid-type')


def _check_str(out: FindingCollector, field: str, key: str, value: Any, *, required: bool = False) -> bool:
    """Kea's `getString`: True when the value is a usable string."""
    if value is None:
        if required:
            _missing(out, field, key)
        return False
    if not isinstance(value, str):
        _bad_type(out, field, key)
        return False
    return True


def _check_bool(out: FindingCollector, field: str, key: str, value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        _bad_type(out, field, key)
        return False
    return True


def _check_uint(out: FindingCollector, field: str, key: str, value: Any, maximum: int) -> bool:
    """Kea's `getAndValidateInteger<uintN_t>`."""
    if value is None:
        return False
    if not is_int(value):
        _bad_type(out, field, key)
        return False
    if value < 0:
        out.error(field, f"'{key}' must not be negative", 'ha.negative')
        return False
    if value > maximum:
        out.error(field, f"'{key}' must not be greater than {maximum}", 'ha.too-large')
        return False
    return True


#: Relationship parameters in the order Kea's parser reads them (so that the first error is Kea's first error).
_PARSE_ORDER = (
    'send-lease-updates',
    'sync-leases',
    'sync-timeout',
    'sync-page-limit',
    'delayed-updates-limit',
    'heartbeat-delay',
    'max-response-delay',
    'max-ack-delay',
    'max-unacked-clients',
    'max-rejected-lease-updates',
    'wait-backup-ack',
)
_MT_PARSE_ORDER = (
    'multi-threading.enable-multi-threading',
    'multi-threading.http-dedicated-listener',
    'multi-threading.http-listener-threads',
    'multi-threading.http-client-threads',
)
_LATE_PARSE_ORDER = ('trust-anchor', 'cert-file', 'key-file', 'require-client-certs', 'restrict-commands')
_TLS_KEYS = ('trust-anchor', 'cert-file', 'key-file')
_STATE_NAMES = frozenset(str(s) for s in HAState)
_PAUSE_VALUES = ('always', 'never', 'once')
_MODE_TEXT = {
    HAMode.LOAD_BALANCING: 'load balancing',
    HAMode.HOT_STANDBY: 'hot standby',
    HAMode.PASSIVE_BACKUP: 'passive backup',
}


def _check_parameter(out: FindingCollector, p: HAParameter, value: Any, version: KeaVersion) -> bool:
    key = p.key.split('.', 1)[-1]
    field = p.key
    if p.since is not None and version < p.since:
        if value is not None:
            out.warning(
                field,
                f"'{key}' is not known to Kea {version} (it needs Kea {p.since} or later): Kea ignores it.",
                'ha.parameter-not-supported',
            )
        return False
    if p.type is bool:
        return _check_bool(out, field, key, value)
    if p.type is int:
        return _check_uint(out, field, key, value, p.maximum if p.maximum is not None else _U16)
    return _check_str(out, field, key, value)


@dataclass
class _PeerInfo:
    index: int
    peer: Peer
    name: str  # as Kea keys it (untrimmed)
    url: KeaUrl | None = None
    url_text: str | None = None
    url_error: str | None = None
    role: HARole | None = None
    tls: dict[str, str | None] | None = None  # peer-level TLS values that are valid strings


def collect_relationship_findings(
    rel: Relationship,
    version: KeaVersion,
    out: FindingCollector,
    *,
    raw: Mapping[str, Any] | None = None,
    dhcp_multi_threading: bool | None = None,
) -> None:
    """Append every finding for one relationship to `out`, errors in the order Kea's parser meets them.

    `raw` is the Kea JSON the relationship came from, when there is one: it tells a missing `peers` from an
    empty one, and a peer entry that is not a map from one without a name.
    """
    raw_peers = raw.get('peers') if raw is not None else None
    # mode: read first, since the defaults depend on it.
    mode: HAMode | None = None
    if _check_str(out, 'mode', 'mode', rel.mode, required=True):
        if rel.mode in {str(m) for m in HAMode}:
            mode = HAMode(rel.mode)
        else:
            out.error('mode', f"unsupported value '{rel.mode}' for mode parameter", 'ha.unsupported-mode')

    # peers and state-machine structure
    if raw is not None and 'peers' not in raw:
        out.error('peers', "'peers' parameter missing in HA configuration", 'ha.peers-missing', incomplete=True)
    elif 'peers' in rel.extra or (raw is not None and not isinstance(raw_peers, list)):
        out.error('peers', "'peers' parameter must be a list", 'ha.peers-not-list')
    states: Sequence[Any] = ()
    if rel.state_machine is not None:
        if not isinstance(rel.state_machine, Mapping):
            out.error('state-machine', "'state-machine' parameter must be a map", 'ha.state-machine-not-map')
        else:
            raw_states = rel.state_machine.get('states')
            if raw_states is not None and not isinstance(raw_states, list):
                out.error('state-machine.states', "'states' parameter must be a list", 'ha.states-not-list')
            elif isinstance(raw_states, list):
                states = raw_states

    # this-server-name
    this_name: str | None = None
    if _check_str(out, 'this-server-name', 'this-server-name', rel.this_server_name, required=True):
        this_name = trim(rel.this_server_name)
        if not this_name:
            out.error('this-server-name', "'this-server-name' value must not be empty", 'ha.empty-this-server-name')
            this_name = None
        elif this_name != rel.this_server_name:
            out.warning(
                'this-server-name',
                f'this-server-name {rel.this_server_name!r} has leading or trailing blanks: Kea strips them and '
                f'uses {this_name!r}; remove them.',
                'ha.name-blanks',
            )

    # parameters
    valid: dict[str, Any] = {}
    by_key = {p.key: p for p in HA_PARAMETERS}
    for key in _PARSE_ORDER:
        value = rel.parameters.get(key)
        if _check_parameter(out, by_key[key], value, version):
            valid[key] = value
    mt_extra = rel.extra.get('multi-threading')
    if 'multi-threading' in rel.extra and not isinstance(mt_extra, Mapping):
        out.error('multi-threading', 'multi-threading configuration must be a map', 'ha.multi-threading-not-map')
    else:
        for key in _MT_PARSE_ORDER:
            value = rel.parameters.get(key)
            if _check_parameter(out, by_key[key], value, version):
                valid[key] = value
    for key in _LATE_PARSE_ORDER:
        value = rel.parameters.get(key)
        if _check_parameter(out, by_key[key], value, version):
            valid[key] = value

    # peers (parse phase)
    peers: dict[str, _PeerInfo] = {}
    infos: list[_PeerInfo] = []
    for index, peer in enumerate(rel.peers):
        pout = out.child(f'peers[{index}]')
        if isinstance(raw_peers, list) and index < len(raw_peers) and not isinstance(raw_peers[index], Mapping):
            pout.error('', 'peer configuration must be a map', 'ha.peer-not-map')
            continue
        info = _check_peer(peer, index, pout, peers)
        if info is not None:
            infos.append(info)

    # state-machine states
    seen_states: set[str] = set()
    for index, entry in enumerate(states):
        sout = out.child(f'state-machine.states[{index}]')
        if not isinstance(entry, Mapping):
            sout.error('', 'state configuration must be a map', 'ha.state-not-map')
            continue
        state = entry.get('state')
        if _check_str(sout, 'state', 'state', state, required=True):
            if state not in _STATE_NAMES:
                sout.error('state', f'unknown state {state}', 'ha.unknown-state')
            elif state in seen_states:
                sout.error('state', f"duplicated configuration for the '{state}' state", 'ha.duplicate-state')
            else:
                seen_states.add(state)
        pause = entry.get('pause')
        if _check_str(sout, 'pause', 'pause', pause) and pause not in _PAUSE_VALUES:
            sout.error('pause', f"unsupported value {pause} of 'pause' parameter", 'ha.unsupported-pause')
        for key in entry:
            if key not in ('state', 'pause'):
                sout.warning(key, f"unknown key '{key}' in a state-machine state: Kea ignores it.", 'ha.unknown-key')

    # HAConfig::validate()
    if this_name is not None and this_name not in peers:
        out.error(
            'this-server-name',
            f"no peer configuration specified for the '{this_name}'",
            'ha.no-peer-for-this-server',
            incomplete=True,
        )
    counts: dict[HARole, int] = {}
    for name in sorted(peers):
        info = peers[name]
        _check_peer_url_and_tls(info, valid, rel, this_name, out.child(f'peers[{info.index}]'))
        if info.role is not None:
            counts[info.role] = counts.get(info.role, 0) + 1
    if mode is not None:
        _check_roles(mode, counts, valid, out)

    _relationship_warnings(rel, version, mode, valid, infos, states, out, dhcp_multi_threading)


def _check_peer(peer: Peer, index: int, out: FindingCollector, peers: dict[str, _PeerInfo]) -> _PeerInfo | None:
    """The parse phase of one peer (Kea's order); registers it in `peers` by its (untrimmed) name."""
    info: _PeerInfo | None = None
    if _check_str(out, 'name', 'name', peer.name, required=True):
        if peer.name in peers:
            out.error('name', f"peer with name '{peer.name}' already specified", 'ha.duplicate-peer-name')
        elif not trim(peer.name):
            out.error('name', 'peer name must not be empty', 'ha.empty-peer-name')
        else:
            info = _PeerInfo(index, peer, peer.name)
            peers[peer.name] = info
    label = trim(peer.name) if isinstance(peer.name, str) else str(peer.name)
    if _check_str(out, 'url', 'url', peer.url, required=True) and info is not None:
        info.url_text = peer.url
        try:
            info.url = parse_kea_url(peer.url)
        except ValueError as exc:
            info.url_error = str(exc)
    tls: dict[str, str | None] = {}
    for key in _TLS_KEYS:
        value = getattr(peer, key.replace('-', '_'))
        if _check_str(out, key, key, value):
            tls[key] = value
    if info is not None:
        info.tls = tls
    if _check_str(out, 'role', 'role', peer.role, required=True):
        if peer.role in {str(r) for r in HARole}:
            if info is not None:
                info.role = HARole(peer.role)
        else:
            out.error('role', f"unsupported value '{peer.role}' for role parameter", 'ha.unsupported-role')
    _check_bool(out, 'auto-failover', 'auto-failover', peer.auto_failover)
    if peer.basic_auth_password is not None:
        if peer.basic_auth_password_file is not None:
            out.error(
                'basic-auth-password',
                'only one of basic-auth-password and basic-auth-password-file parameter can be configured in '
                f"peer '{label}'",
                'ha.password-and-password-file',
            )
        _check_str(out, 'basic-auth-password', 'basic-auth-password', peer.basic_auth_password)
    if peer.basic_auth_password_file is not None:
        _check_str(out, 'basic-auth-password-file', 'basic-auth-password-file', peer.basic_auth_password_file)
    if _check_str(out, 'basic-auth-user', 'basic-auth-user', peer.basic_auth_user) and ':' in peer.basic_auth_user:
        out.error(
            'basic-auth-user',
            f"user '{peer.basic_auth_user}' must not contain a ':' in peer '{label}'",
            'ha.user-with-colon',
        )
    return info


def _check_peer_url_and_tls(
    info: _PeerInfo, valid: Mapping[str, Any], rel: Relationship, this_name: str | None, out: FindingCollector
) -> None:
    """The URL and TLS part of `HAConfig::validate()` for one peer."""
    name = trim(info.name)
    if info.url_text is None:
        return
    if info.url is None:
        message = f'invalid URL: {info.url_error} for server {name}'
        out.error('url', without_credentials(message, info.url_text), 'ha.invalid-url')
        return
    url = info.url
    host = url.stripped_hostname
    if url.address() is None:
        message = (
            f"bad url '{url.to_text()}': Failed to convert string to address '{host}': Invalid argument "
            f'for server {name}'
        )
        out.error('url', without_credentials(message, info.url_text), 'ha.url-not-ip')
        return
    effective: dict[str, str] = {}
    for key in _TLS_KEYS:
        peer_value = (info.tls or {}).get(key)
        value = peer_value if peer_value is not None else valid.get(key)
        if isinstance(value, str) and value:
            effective[key] = value
    if effective:
        for key in _TLS_KEYS:
            if key not in effective:
                out.error(
                    key,
                    f'bad TLS config for server {name}: {key} parameter is missing or empty: all or none of TLS '
                    'parameters must be set',
                    'ha.tls-incomplete',
                )
                break
        else:
            if url.scheme == 'http':
                out.warning(
                    'url',
                    f'peer {name!r} has TLS settings but an http:// URL: Kea speaks TLS to it anyway; write '
                    f'https:// so the URL says what happens.',
                    'ha.http-with-tls',
                )
    elif url.scheme == 'https':
        out.error(
            'url',
            f"bad url '{url.to_text()}': https scheme is not supported for server {name} where TLS is disabled",
            'ha.https-without-tls',
        )


def _check_roles(mode: HAMode, counts: Mapping[HARole, int], valid: Mapping[str, Any], out: FindingCollector) -> None:
    """Roles per mode, in `HAConfig::validate()`'s order."""
    for role in (HARole.PRIMARY, HARole.SECONDARY, HARole.STANDBY):
        if counts.get(role, 0) > 1:
            out.error('peers', f'multiple {role} servers specified', f'ha.multiple-{role}')
    text = _MODE_TEXT[mode]

    def forbid(role: HARole) -> None:
        """Kea's "<role> servers not allowed in the <mode> configuration"."""
        if counts.get(role):
            out.error('peers', f'{role} servers not allowed in the {text} configuration', f'ha.{role}-not-allowed')

    def require(role: HARole) -> None:
        """Kea's "<role> server required in the <mode> configuration" (incomplete: a peer is missing)."""
        if not counts.get(role):
            out.error(
                'peers', f'{role} server required in the {text} configuration', f'ha.{role}-required', incomplete=True
            )

    if mode == HAMode.LOAD_BALANCING:
        forbid(HARole.STANDBY)
        require(HARole.SECONDARY)
        require(HARole.PRIMARY)
    elif mode == HAMode.HOT_STANDBY:
        forbid(HARole.SECONDARY)
        require(HARole.STANDBY)
        require(HARole.PRIMARY)
    else:
        forbid(HARole.SECONDARY)
        forbid(HARole.STANDBY)
        require(HARole.PRIMARY)
    if mode != HAMode.PASSIVE_BACKUP and valid.get('wait-backup-ack') is True:
        out.error(
            'wait-backup-ack',
            f"'wait-backup-ack' must be set to false in the {text} configuration",
            'ha.wait-backup-ack-not-passive-backup',
        )
    if mode != HAMode.LOAD_BALANCING and is_int(valid.get('delayed-updates-limit')):
        if valid['delayed-updates-limit'] > 0:
            out.error(
                'delayed-updates-limit',
                f"'delayed-updates-limit' must be set to 0 in the {text} configuration",
                'ha.delayed-updates-not-load-balancing',
            )


def _effective_valid(rel: Relationship, valid: Mapping[str, Any], key: str, version: KeaVersion) -> Any:
    """The value Kea uses when the set one is valid; None when the set value is invalid (an error says so)."""
    if rel.parameters.get(key) is not None:
        return valid.get(key)
    return rel.effective(key, version)


def _relationship_warnings(
    rel: Relationship,
    version: KeaVersion,
    mode: HAMode | None,
    valid: Mapping[str, Any],
    infos: Sequence[_PeerInfo],
    states: Sequence[Any],
    out: FindingCollector,
    dhcp_multi_threading: bool | None,
) -> None:
    """What Kea accepts but breaks or weakens HA in practice."""
    # Unknown keys (Kea accepts and echoes them, but they do nothing).
    for key in rel.extra:
        if key in ('multi-threading', 'peers'):
            continue
        out.warning(key, f"unknown HA parameter '{key}': Kea ignores it (check the spelling).", 'ha.unknown-key')
    mt_extra = rel.extra.get('multi-threading')
    if isinstance(mt_extra, Mapping):
        for key in mt_extra:
            out.warning(
                f'multi-threading.{key}',
                f"unknown multi-threading parameter '{key}': Kea ignores it (check the spelling).",
                'ha.unknown-key',
            )
    if isinstance(rel.state_machine, Mapping):
        for key in rel.state_machine:
            if key != 'states':
                out.warning(
                    f'state-machine.{key}', f"unknown state-machine key '{key}': Kea ignores it.", 'ha.unknown-key'
                )

    # Timers (not used in passive-backup: no heartbeats there).
    if mode in (HAMode.LOAD_BALANCING, HAMode.HOT_STANDBY):
        heartbeat = _effective_valid(rel, valid, 'heartbeat-delay', version)
        response = _effective_valid(rel, valid, 'max-response-delay', version)
        if heartbeat == 0:
            out.warning(
                'heartbeat-delay',
                'heartbeat-delay is 0: Kea then sends no heartbeats at all, so a failed partner is never '
                'detected; use e.g. 1000-10000 ms.',
                'ha.heartbeat-disabled',
            )
        elif is_int(heartbeat) and is_int(response) and response <= heartbeat:
            out.warning(
                'max-response-delay',
                f'max-response-delay ({response} ms) is not greater than heartbeat-delay ({heartbeat} ms): '
                'communication counts as interrupted between two heartbeats and the partner can be declared '
                f'down while it is healthy; make it several heartbeats long (e.g. {3 * heartbeat}).',
                'ha.response-delay-not-above-heartbeat',
            )
        elif is_int(heartbeat) and is_int(response) and response < 3 * heartbeat:
            out.warning(
                'max-response-delay',
                f'max-response-delay ({response} ms) spans fewer than 3 heartbeats ({heartbeat} ms each): one '
                'late heartbeat is enough to count the partner as unreachable; make it at least '
                f'{3 * heartbeat} ms.',
                'ha.response-delay-few-heartbeats',
            )

    # Kea's own warnings at load.
    send = valid.get('send-lease-updates', True)
    sync = valid.get('sync-leases', True)
    if send is False:
        out.warning(
            'send-lease-updates',
            'lease updates will not be generated (send-lease-updates is false): fine only when the lease '
            'databases replicate by other means (e.g. SQL replication).',
            'ha.lease-updates-disabled',
        )
    if sync is False:
        out.warning(
            'sync-leases',
            'lease database synchronization between HA servers is disabled (sync-leases is false): fine only '
            'when the lease databases replicate by other means.',
            'ha.lease-syncing-disabled',
        )
    if send is not sync:
        out.warning(
            'sync-leases',
            f'unusual configuration where "send-lease-updates": {str(send).lower()} and "sync-leases": '
            f'{str(sync).lower()}: set both true (memfile) or both false (replicated database).',
            'ha.lease-updates-and-syncing-differ',
        )

    # Peers.
    urls: dict[tuple[str, str, int], str] = {}
    for info in infos:
        peer = info.peer
        pout = out.child(f'peers[{info.index}]')
        name = trim(info.name)
        if name != info.name:
            pout.warning(
                'name',
                f'peer name {info.name!r} has leading or trailing blanks: Kea strips them; remove them.',
                'ha.name-blanks',
            )
        if _ODD_NAME.search(name):
            pout.warning(
                'name',
                f"peer name {name!r} makes the client class 'HA_{name}' that pools and subnets must name "
                'exactly; use letters, digits, dot, dash and underscore only.',
                'ha.odd-peer-name',
            )
        if info.role == HARole.BACKUP and peer.auto_failover is True:
            pout.warning(
                'auto-failover',
                f'auto-failover is true on the backup server {name!r}: a backup never takes over automatically; '
                'set it to false.',
                'ha.auto-failover-on-backup',
            )
        elif info.role is not None and info.role != HARole.BACKUP and peer.auto_failover is False:
            pout.warning(
                'auto-failover',
                f"auto-failover disabled for {name}: when its partner fails it will not serve the partner's "
                'clients until told to with ha-scopes.',
                'ha.auto-failover-disabled',
            )
        for key in peer.extra:
            pout.warning(key, f"unknown peer parameter '{key}': Kea ignores it (check the spelling).", 'ha.unknown-key')
        url = info.url
        if url is not None and url.address() is not None:
            if url.port == 0:
                pout.warning(
                    'url',
                    f'the URL of {name!r} has no port: Kea has no default port and connects to port 0; give the '
                    'port of its Control Agent or HA listener.',
                    'ha.url-without-port',
                )
            elif url.port > _U16:
                pout.warning(
                    'url',
                    f'the URL of {name!r} has port {url.port}, above 65535: Kea accepts it but cannot connect.',
                    'ha.url-port-out-of-range',
                )
            key3 = (url.scheme, str(url.address()), url.port)
            if key3 in urls:
                pout.warning(
                    'url',
                    f'peers {urls[key3]!r} and {name!r} have the same URL {url.to_text()}: each peer needs its own '
                    'address or port, or HA talks to the wrong server.',
                    'ha.duplicate-peer-url',
                )
            else:
                urls[key3] = name

    # HA multi-threading needs Kea's own multi-threading (Kea turns HA MT off silently otherwise).
    if dhcp_multi_threading is not None:
        ha_mt = rel.effective('multi-threading.enable-multi-threading', version)
        if ha_mt is True and not dhcp_multi_threading:
            field = (
                'multi-threading.enable-multi-threading'
                if 'multi-threading.enable-multi-threading' in rel.parameters
                else 'multi-threading'
            )
            listener = rel.effective('multi-threading.http-dedicated-listener', version) is True
            out.warning(
                field,
                'HA multi-threading has been disabled, it cannot be enabled when Kea global multi-threading is '
                'disabled'
                + (
                    ": so the dedicated HA listener does not run and peers that use this server's URL cannot reach it"
                    if listener
                    else ''
                )
                + '; enable multi-threading in the server config or disable it in the HA config.',
                'ha.mt-without-dhcp-mt',
            )
        elif ha_mt is False and dhcp_multi_threading:
            out.warning(
                'multi-threading.enable-multi-threading',
                'HA multi-threading is disabled while Kea global multi-threading is enabled, which most likely '
                'causes performance degradation; enable HA multi-threading too.',
                'ha.dhcp-mt-without-ha-mt',
            )
