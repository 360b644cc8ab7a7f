"""
Validation of Kea HA configuration, without Kea: the public entry points.

Kea's `config-test` and `kea-dhcp4 -t` do not check the HA hook's parameters at all (kea-2.2-observed.md §5):
only a real load does, and a rejected `config-set` leaves the server running with no hooks. So the plugin owns
these rules. Two kinds of `Finding`:

* **errors**: Kea refuses the configuration when it loads. The message is Kea's own text as it logs it after
  "failed to configure High Availability hooks library: " (without Kea's file position suffix such as
  `(<wire>:0:4114)`), so users recognise it. The rules follow `HAConfigParser` and `HAConfig::validate()` of
  Kea 2.2.0, 2.6.3 and 3.0.3; the tests prove the 2.2 ones against a real `kea-dhcp4`.
* **warnings**: Kea accepts the configuration, but HA breaks or degrades in practice (a heartbeat that never
  fires, leases that cannot be synchronised, a dedicated listener that is silently off, ...). The message is a
  sentence with advice.

Unlike Kea, which stops at the first error, every finding is reported. Findings that only say that something
required is still missing (no secondary yet, `this-server-name` not among the peers yet) carry
`incomplete=True`: NetBox builds a relationship one peer at a time and does not block a save on them; a push
must not go ahead with any error.

`version` is the Kea version of the server that loads the configuration; None means Kea 2.2 (the oldest
supported release, as in `HAParameter.default_for`). The rules of one relationship live in
`relationship_rules.py`; this module adds the list, hub-and-spoke, hooks and server-config rules. Every rule is
listed in docs/validation.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from .findings import Finding, FindingCollector, Severity, errors, strip_position, warnings
from .ha import (
    BARE_LIBRARY_SINCE,
    DHCP_MT_DEFAULT_SINCE,
    HA_LIBRARY,
    HUB_AND_SPOKE_SINCE,
    LEASE_CMDS_LIBRARY,
    HAMode,
    KeaVersion,
    Peer,
    Relationship,
    library_name,
)
from .kea_url import KeaUrl, ip_literal, parse_kea_url
from .relationship_rules import collect_relationship_findings, effective_version, trim

type IPAddress = IPv4Address | IPv6Address

__all__ = (
    'Finding',
    'Severity',
    'errors',
    'find_dhcp_config',
    'strip_position',
    'validate_config',
    'validate_hooks_libraries',
    'validate_relationship',
    'validate_relationships',
    'warnings',
)


def validate_relationship(rel: Relationship, *, version: KeaVersion | None = None) -> list[Finding]:
    """Every finding for one relationship (one `high-availability` entry). Fields are relative to it."""
    out = FindingCollector()
    collect_relationship_findings(rel, effective_version(version), out)
    return out.findings


def validate_relationships(rels: Sequence[Relationship], *, version: KeaVersion | None = None) -> list[Finding]:
    """Every finding for one server's whole `high-availability` list.

    Kea 2.2 allows exactly one relationship; Kea >= 2.5.5 (2.6) allows several (hub-and-spoke), all in
    hot-standby, with server names unique across them. Fields are `high-availability[i].<path>`.
    """
    out = FindingCollector()
    _check_list(list(rels), effective_version(version), out.child('high-availability'))
    return out.findings


def _check_list(rels: list[Relationship], version: KeaVersion, out: FindingCollector) -> None:
    if not _check_count(len(rels), version, out):
        return
    for index, rel in enumerate(rels):
        collect_relationship_findings(rel, version, out.child(f'[{index}]'))
    if len(rels) > 1 and version >= HUB_AND_SPOKE_SINCE:
        _check_hub(rels, version, out, None)


def _check_count(count: int, version: KeaVersion, out: FindingCollector) -> bool:
    """How many relationships a server may hold: exactly one before Kea 2.5.5, at least one since. False for an
    empty list (nothing more to check)."""
    if version >= HUB_AND_SPOKE_SINCE:
        if not count:
            out.error('', 'a list of HA configurations must not be empty', 'ha.empty-list')
    elif count != 1:
        out.error(
            '',
            'invalid number of configurations in the HA configuration list. Expected exactly one configuration',
            'ha.relationship-count',
        )
    return count > 0


def _check_hub(rels: Sequence[Relationship], version: KeaVersion, out: FindingCollector, dhcp_mt: bool | None) -> None:
    """Hub-and-spoke rules (Kea >= 2.5.5): hot-standby only, unique names, one listener URL per hub name."""
    seen: set[str] = set()
    for index, rel in enumerate(rels):
        rout = out.child(f'[{index}]')
        names: list[tuple[int, str]] = []
        local: set[str] = set()
        for pindex, peer in enumerate(rel.peers):
            if isinstance(peer.name, str) and trim(peer.name) and peer.name not in local:
                local.add(peer.name)
                names.append((pindex, peer.name))
        for pindex, name in names:
            if name in seen:
                rout.error(
                    f'peers[{pindex}].name',
                    f"server names must be unique for different relationships: a relationship '{name}' already exists",
                    'ha.server-name-not-unique',
                )
        seen.update(local)
    for index, rel in enumerate(rels):
        if rel.mode != HAMode.HOT_STANDBY:
            out.child(f'[{index}]').error(
                'mode',
                "multiple HA relationships are only supported for 'hot-standby' mode",
                'ha.hub-not-hot-standby',
            )
    # One dedicated listener per relationship: each needs its own address and port.
    listeners: dict[tuple[str, int], str] = {}
    for index, pindex, me, url, address in _dedicated_listeners(rels, version, dhcp_mt):
        key = (str(address), url.port)
        if key in listeners:
            out.child(f'[{index}]').error(
                f'peers[{pindex}].url',
                'Error initializing hooks: CmdHttpListener::run failed: unable to setup TCP acceptor for listening '
                'to the incoming HTTP requests: bind: Address already in use (the dedicated HA listeners of '
                f"'{listeners[key]}' and '{me.name}' both use {url.to_text()}: give each hub name its own port, "
                'or set http-dedicated-listener false in every relationship)',
                'ha.listener-url-clash',
            )
        else:
            listeners[key] = str(me.name)
    mt = {rel.effective('multi-threading.enable-multi-threading', version) is True for rel in rels}
    if len(mt) > 1:
        out.warning(
            '',
            'HA multi-threading is on in some relationships and off in others: Kea then logs '
            "HA_RESUME_CLIENT_LISTENER_FAILED 'no thread pool' errors; use the same setting in every relationship.",
            'ha.hub-multi-threading-mismatch',
        )


def _dedicated_listeners(
    rels: Sequence[Relationship], version: KeaVersion, dhcp_mt: bool | None
) -> Iterator[tuple[int, int, Peer, KeaUrl, IPAddress]]:
    """Where this server's dedicated HA listeners bind: (relationship index, peer index, this server's peer, its
    URL, the URL's address) for each relationship that runs one on an IP-literal URL."""
    for index, rel in enumerate(rels):
        me = rel.this_peer
        if me is None or not isinstance(me.url, str) or not rel.dedicated_listener(version, dhcp_mt):
            continue
        try:
            url = parse_kea_url(me.url)
        except ValueError:
            continue
        address = url.address()
        if address is not None:
            yield index, rel.peers.index(me), me, url, address


def validate_hooks_libraries(
    hooks: Any, *, version: KeaVersion | None = None, hooks_dir: str | None = None
) -> list[Finding]:
    """Every finding for a `hooks-libraries` list: the entries' shape, the HA hook and its relationships.

    `hooks_dir`: the server's hooks directory, when known: Kea >= 2.6.3 loads libraries from there only.
    Fields are `hooks-libraries`, `hooks-libraries[i].library`,
    `hooks-libraries[i].parameters.high-availability[j].<path>`.
    """
    out = FindingCollector()
    _check_hooks(hooks, effective_version(version), out, None, hooks_dir)
    return out.findings


def _check_hooks(
    hooks: Any, version: KeaVersion, out: FindingCollector, dhcp_mt: bool | None, hooks_dir: str | None = None
) -> tuple[int, list[Relationship]]:
    """Check a hooks-libraries list; return the index of the (first) HA hook and its relationships."""
    hout = out.child('hooks-libraries')
    if not isinstance(hooks, list):
        hout.error('', "'hooks-libraries' must be a list of maps, each with a 'library'", 'hooks.not-a-list')
        return -1, []
    ha_indexes: list[int] = []
    lease_cmds = False
    for index, entry in enumerate(hooks):
        eout = hout.child(f'[{index}]')
        if not isinstance(entry, Mapping):
            eout.error('', "a hooks-libraries entry must be a map with a 'library'", 'hooks.entry-not-map')
            continue
        for key in entry:
            if key not in ('library', 'parameters'):
                eout.error(
                    key,
                    f"unknown hooks library parameter: {key} (an entry takes only 'library' and 'parameters')",
                    'hooks.unknown-key',
                )
        library = entry.get('library')
        if library is None:
            eout.error('', "missing parameter 'library'", 'hooks.missing-library')
            continue
        if not isinstance(library, str):
            eout.error('library', "invalid type specified for parameter 'library'", 'hooks.invalid-type')
            continue
        if not _check_library_path(library, version, hooks_dir, eout):
            continue
        if 'parameters' in entry and not isinstance(entry['parameters'], Mapping):
            eout.error('parameters', "'parameters' of a hook library must be a map", 'hooks.parameters-not-map')
        name = library_name(library)
        if '/' not in library.strip() and version < BARE_LIBRARY_SINCE:
            eout.error(
                'library',
                f'hooks libraries failed to validate - library or libraries in error are: {library.strip()} '
                f'(Kea {version} needs the full path of a hook library; a bare file name needs Kea '
                f'{BARE_LIBRARY_SINCE} or later)',
                'hooks.bare-library-name',
            )
        if name == HA_LIBRARY:
            ha_indexes.append(index)
        elif name == LEASE_CMDS_LIBRARY:
            lease_cmds = True
    if not ha_indexes:
        return -1, []
    if len(ha_indexes) > 1:
        for index in ha_indexes[1:]:
            hout.warning(
                f'[{index}]',
                f'{HA_LIBRARY} is listed more than once: Kea loads it twice and then fails on every packet '
                "('callbacks for HA_MT already exist'); keep a single entry.",
                'ha.hook-listed-twice',
            )
    if not lease_cmds:
        hout.warning(
            '',
            f'{LEASE_CMDS_LIBRARY} is not loaded: Kea starts, but its partners cannot synchronise leases from it '
            '(they stay in syncing forever); load it together with libdhcp_ha.so.',
            'ha.no-lease-cmds',
        )
    index = ha_indexes[0]
    entry = hooks[index]
    pout = hout.child(f'[{index}].parameters')
    params = entry.get('parameters')
    if params is None or (isinstance(params, Mapping) and 'high-availability' not in params):
        pout.error(
            'high-availability',
            'high-availability parameter not specified for High Availability hooks library',
            'ha.missing-configuration',
        )
    if not isinstance(params, Mapping) or 'high-availability' not in params:
        return index, []
    for key in params:
        if key != 'high-availability':
            pout.warning(key, f"unknown HA hook parameter '{key}': Kea ignores it.", 'ha.unknown-key')
    return index, _check_ha_list(params['high-availability'], version, pout.child('high-availability'), dhcp_mt)


def _check_library_path(library: str, version: KeaVersion, hooks_dir: str | None, out: FindingCollector) -> bool:
    """Kea's checks of a library path; False when it names no file at all."""
    if version < BARE_LIBRARY_SINCE:
        if not library.replace('"', '').strip(' \t\n'):
            out.error(
                'library',
                "hooks library configuration error: value of 'library' element must not be blank",
                'hooks.blank-library',
            )
            return False
        return True
    # Kea >= 2.6.3 (CVE-2025-32801): PathChecker::validatePath.
    path = library.strip(' \t\n')
    parent, _slash, filename = path.rpartition('/')
    if not filename:
        out.error(
            'library', f"hooks library configuration error: path: '{path}' has no filename", 'hooks.blank-library'
        )
        return False
    allowed = hooks_dir.strip().rstrip('/') if hooks_dir else ''
    if parent and allowed and parent != allowed:
        out.error(
            'library',
            f"hooks library configuration error: invalid path specified: '{parent}', supported path is '{allowed}'",
            'hooks.library-outside-hooks-dir',
        )
    return True


def _check_ha_list(raw: Any, version: KeaVersion, out: FindingCollector, dhcp_mt: bool | None) -> list[Relationship]:
    if not isinstance(raw, list):
        out.error('', 'HA configuration must be a list', 'ha.not-a-list')
        return []
    if not _check_count(len(raw), version, out):
        return []
    hub = version >= HUB_AND_SPOKE_SINCE
    rels: list[Relationship] = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            out.error(
                f'[{index}]',
                'HA configuration for a relationship must be a map'
                if hub
                else 'get(string) called on a non-map Element',
                'ha.relationship-not-map',
            )
            continue
        rel = Relationship.from_kea(entry)
        rels.append(rel)
        collect_relationship_findings(rel, version, out.child(f'[{index}]'), raw=entry, dhcp_multi_threading=dhcp_mt)
    if hub and len(rels) > 1:
        _check_hub(rels, version, out, dhcp_mt)
    return rels


def find_dhcp_config(config: Any) -> tuple[str, Mapping[str, Any]]:
    """The family ('dhcp4'/'dhcp6') and the server map of `{'Dhcp4': {...}}` (a `hash` key may sit beside it).

    Raises ValueError naming what is wrong.
    """
    if not isinstance(config, Mapping):
        raise ValueError(f'expected a map with a Dhcp4 or Dhcp6 key, got {type(config).__name__}')
    found = [key for key in ('Dhcp4', 'Dhcp6') if key in config]
    if not found:
        keys = ', '.join(repr(str(k)) for k in list(config)[:10]) or 'none'
        raise ValueError(f'expected a Dhcp4 or Dhcp6 key, found keys: {keys}')
    if len(found) > 1:
        raise ValueError('both Dhcp4 and Dhcp6 are present: one server config holds one of them')
    server = config[found[0]]
    if not isinstance(server, Mapping):
        raise ValueError(f'{found[0]} must be a map, got {type(server).__name__}')
    return found[0].lower(), server


def validate_config(
    config: Mapping[str, Any], *, version: KeaVersion | None = None, hooks_dir: str | None = None
) -> list[Finding]:
    """Every finding for a full server config (`{'Dhcp4': {...}}` or `{'Dhcp6': {...}}`).

    The hooks and every relationship, plus what needs the rest of the config: Kea's own multi-threading against
    HA's, a 3.x HTTP control socket on the dedicated HA listener's port, and hub-and-spoke subnets without
    `ha-server-name`. `hooks_dir`: the server's hooks directory, when known (Kea >= 2.6.3 loads libraries from
    there only). Fields are relative to the Dhcp4/Dhcp6 map (`hooks-libraries[1].parameters...`).
    """
    out = FindingCollector()
    v = effective_version(version)
    try:
        _family, server = find_dhcp_config(config)
    except ValueError as exc:
        out.error('', str(exc), 'config.not-a-server-config')
        return out.findings
    dhcp_mt = _dhcp_multi_threading(server, v)
    if 'hooks-libraries' not in server:
        return out.findings
    ha_index, rels = _check_hooks(server['hooks-libraries'], v, out, dhcp_mt, hooks_dir)
    if not rels:
        return out.findings
    prefix = f'hooks-libraries[{ha_index}].parameters.high-availability'
    _check_control_socket_clash(server, rels, v, dhcp_mt, out, prefix)
    if v >= HUB_AND_SPOKE_SINCE and len(rels) > 1:
        _check_hub_subnets(server, rels, out)
    return out.findings


def _dhcp_multi_threading(server: Mapping[str, Any], version: KeaVersion) -> bool:
    """Whether Kea's own multi-threading is on (set, or the version's default)."""
    default = version >= DHCP_MT_DEFAULT_SINCE
    mt = server.get('multi-threading')
    if isinstance(mt, Mapping) and isinstance(mt.get('enable-multi-threading'), bool):
        return bool(mt['enable-multi-threading'])
    return default


def _control_sockets(server: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], str]]:
    """Every control socket map of a server config, with its path."""
    found: list[tuple[Mapping[str, Any], str]] = []
    sockets = server.get('control-sockets')
    if isinstance(sockets, list):
        found += [(s, f'control-sockets[{i}]') for i, s in enumerate(sockets) if isinstance(s, Mapping)]
    single = server.get('control-socket')
    if isinstance(single, Mapping):
        found.append((single, 'control-socket'))
    return found


def _check_control_socket_clash(
    server: Mapping[str, Any],
    rels: Sequence[Relationship],
    version: KeaVersion,
    dhcp_mt: bool,
    out: FindingCollector,
    prefix: str,
) -> None:
    """An HTTP control socket (Kea >= 2.7.2) on the same address and port as this server's HA listener."""
    sockets = _control_sockets(server)
    for index, pindex, me, url, address in _dedicated_listeners(rels, version, dhcp_mt):
        for sock, path in sockets:
            if sock.get('socket-type') not in ('http', 'https'):
                continue
            sock_port = sock.get('socket-port', 8000)
            sock_address = ip_literal(str(sock.get('socket-address', '127.0.0.1')))
            if sock_port != url.port or sock_address is None:
                continue
            if sock_address == address or sock_address.is_unspecified or address.is_unspecified:
                out.error(
                    f'{prefix}[{index}].peers[{pindex}].url',
                    'Error initializing hooks: CmdHttpListener::run failed: unable to setup TCP acceptor for '
                    'listening to the incoming HTTP requests: bind: Address already in use (the dedicated HA '
                    f'listener of {me.name!r} and '
                    f'{path} both use {address}:{url.port}: give the HA listener its own port, or set '
                    'http-dedicated-listener false and point the peers at the control socket)',
                    'ha.listener-control-socket-clash',
                )


def _subnets(server: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any], Mapping[str, Any] | None]]:
    """Every subnet map of a server config (top level and in shared networks) with its path and network."""

    def listed(holder: Mapping[str, Any], key: str) -> list[Any]:
        """holder[key] when it is a list, else an empty list."""
        value = holder.get(key)
        return value if isinstance(value, list) else []

    for key in ('subnet4', 'subnet6'):
        for i, subnet in enumerate(listed(server, key)):
            if isinstance(subnet, Mapping):
                yield f'{key}[{i}]', subnet, None
    for n, network in enumerate(listed(server, 'shared-networks')):
        if not isinstance(network, Mapping):
            continue
        for key in ('subnet4', 'subnet6'):
            for i, subnet in enumerate(listed(network, key)):
                if isinstance(subnet, Mapping):
                    yield f'shared-networks[{n}].{key}[{i}]', subnet, network


def _check_hub_subnets(server: Mapping[str, Any], rels: Sequence[Relationship], out: FindingCollector) -> None:
    """Hub-and-spoke: every subnet names its relationship in `user-context.ha-server-name`."""
    names = {p.name for rel in rels for p in rel.peers if isinstance(p.name, str)}
    for path, subnet, network in _subnets(server):
        name: Any = None
        for holder in (subnet, network):
            context = holder.get('user-context') if holder is not None else None
            if isinstance(context, Mapping) and 'ha-server-name' in context:
                name = context['ha-server-name']
                break
        label = subnet.get('subnet', path)
        if name is None:
            out.warning(
                f'{path}.user-context',
                f"subnet {label} has no user-context 'ha-server-name': with several relationships Kea cannot tell "
                'which relationship serves it; name one of its peers there.',
                'ha.subnet-without-ha-server-name',
            )
        elif not isinstance(name, str) or not name:
            out.warning(
                f'{path}.user-context.ha-server-name',
                f"subnet {label}: 'ha-server-name' must be a non-empty string.",
                'ha.bad-ha-server-name',
            )
        elif name not in names:
            out.warning(
                f'{path}.user-context.ha-server-name',
                f"subnet {label} names ha-server-name {name!r}, which is no peer of this server's relationships.",
                'ha.unknown-ha-server-name',
            )
