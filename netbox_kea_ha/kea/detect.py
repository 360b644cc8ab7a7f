"""
Detection: the HA relationships in a server's running configuration.

`detect` takes what `config-get` returns (its `arguments`: `{'Dhcp4': {...}, 'hash': ...}`), a bare
`{'Dhcp4': {...}}` / `{'Dhcp6': {...}}`, the whole answer (`[{'result': 0, 'arguments': {...}}]`), or any of these
as JSON text, and finds the `libdhcp_ha.so` entry of `hooks-libraries`: every relationship in it (Kea 2.2: one;
Kea >= 2.6 hub-and-spoke: several), this server's name and role in each, the hooks directory, whether
`libdhcp_lease_cmds.so` is loaded, and the validation findings for the whole config.

Input that does not let relationships be read at all (not JSON, not a server config, `hooks-libraries` or the HA
list of the wrong type, a relationship that is not a map, no string `this-server-name`) raises `DetectionError`,
a ValueError whose message names what is wrong and where. Everything else Kea would refuse or frown upon becomes
a finding. Nothing else escapes (a property-based test feeds thousands of mutated configs).

The Kea version matters to the rules (2.2 allows one relationship, bare library names need 2.6.3, ...). Pass it
when known; otherwise it is inferred from what the config shows: `hash` (config-get of 2.4+), a
`max-rejected-lease-updates` in a relationship (config-get of 2.3.1+ always lists it), several relationships
(2.5.5+: a running 2.2 cannot hold them) -> 2.6; `control-sockets` or `client-classes` in pools (2.7+) -> 3.0.
The inference maps to the releases the plugin supports (2.2, 2.6, 3.0).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .findings import Finding
from .ha import HA_LIBRARY, LEASE_CMDS_LIBRARY, KeaVersion, Relationship, library_name
from .validate import find_dhcp_config, validate_config

__all__ = ('Detection', 'DetectionError', 'detect', 'infer_version')

_KEA_2_6 = KeaVersion(2, 6, 0)
_KEA_3_0 = KeaVersion(3, 0, 0)


class DetectionError(ValueError):
    """The input cannot be read as a Kea server configuration; the message names what is wrong."""


@dataclass(frozen=True)
class Detection:
    """What `detect` found in one server's configuration."""

    #: 'dhcp4' or 'dhcp6'.
    family: str
    #: Every relationship of the HA hook, in order (empty when the server has no HA hook).
    relationships: tuple[Relationship, ...]
    #: This server's name in each relationship (`this-server-name`, blanks stripped as Kea does).
    this_server_names: tuple[str, ...]
    #: This server's role in each relationship (None when no peer has that name or its role is not a string).
    roles: tuple[str | None, ...]
    #: Directory of the HA library (None when it is given as a bare file name, or there is no HA hook).
    hooks_dir: str | None
    #: The HA library as configured (`/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so`), or None.
    ha_library: str | None
    #: Whether `libdhcp_lease_cmds.so` is in `hooks-libraries`.
    lease_cmds_loaded: bool
    #: Validation findings for the whole config (see validate.py).
    findings: tuple[Finding, ...]
    #: The Kea version the findings were computed for (given, or inferred; None: no clue, rules of 2.2).
    kea_version: KeaVersion | None = None
    #: `hash` of config-get (Kea >= 2.4), if present.
    config_hash: str | None = None

    @property
    def has_ha(self) -> bool:
        """Whether the server has an HA hook with at least one relationship."""
        return bool(self.relationships)


def _parse(config: Any) -> Any:
    if isinstance(config, bytes | bytearray):
        try:
            config = config.decode()
        except UnicodeDecodeError as exc:
            raise DetectionError(f'the config is not UTF-8 text: {exc}') from None
    if isinstance(config, str):
        try:
            return json.loads(config)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise DetectionError(f'the config is not JSON: {exc}') from None
    return config


def _unwrap(config: Any) -> Any:
    """Accept the whole config-get answer (a list of one answer, or the answer map) as well as its arguments."""
    if isinstance(config, list):
        if len(config) != 1:
            raise DetectionError(f'expected a config-get answer with one entry, got a list of {len(config)}')
        config = config[0]
    is_answer = isinstance(config, Mapping) and ('arguments' in config or 'result' in config)
    if is_answer and 'Dhcp4' not in config and 'Dhcp6' not in config:
        result = config.get('result', 0)
        if result != 0:
            raise DetectionError(f'the config-get answer is an error (result {result!r}): {config.get("text")!r}')
        config = config.get('arguments')
    return config


def infer_version(config: Mapping[str, Any]) -> KeaVersion | None:
    """The oldest supported Kea release that can have produced this config (None when nothing tells)."""
    try:
        _family, server = find_dhcp_config(config)
    except ValueError:
        return None
    version: KeaVersion | None = None
    if 'control-sockets' in server or _has_client_classes_in_pools(server):
        return _KEA_3_0
    if 'hash' in config:
        version = _KEA_2_6
    for rels in _ha_lists(server):
        if len(rels) > 1 or any(isinstance(r, Mapping) and 'max-rejected-lease-updates' in r for r in rels):
            version = _KEA_2_6
    return version


def _has_client_classes_in_pools(server: Mapping[str, Any]) -> bool:
    for key in ('subnet4', 'subnet6'):
        subnets = server.get(key)
        if not isinstance(subnets, list):
            continue
        for subnet in subnets:
            pools = subnet.get('pools') if isinstance(subnet, Mapping) else None
            if isinstance(pools, list) and any(isinstance(p, Mapping) and 'client-classes' in p for p in pools):
                return True
    return False


def _ha_lists(server: Mapping[str, Any]) -> list[Sequence[Any]]:
    hooks = server.get('hooks-libraries')
    found: list[Sequence[Any]] = []
    if isinstance(hooks, list):
        for entry in hooks:
            if isinstance(entry, Mapping) and library_name(entry.get('library')) == HA_LIBRARY:
                params = entry.get('parameters')
                rels = params.get('high-availability') if isinstance(params, Mapping) else None
                if isinstance(rels, list):
                    found.append(rels)
    return found


def detect(config: Any, *, version: KeaVersion | None = None) -> Detection:
    """The HA relationships of one server's config (see the module docstring for what is accepted)."""
    config = _unwrap(_parse(config))
    try:
        family, server = find_dhcp_config(config)
    except ValueError as exc:
        raise DetectionError(str(exc)) from None
    if version is None:
        version = infer_version(config)
    config_hash = config.get('hash') if isinstance(config.get('hash'), str) else None

    hooks = server.get('hooks-libraries', [])
    if not isinstance(hooks, list):
        raise DetectionError(f"{family.capitalize()} 'hooks-libraries' must be a list, got {type(hooks).__name__}")
    ha_entry: Mapping[str, Any] | None = None
    ha_index = -1
    lease_cmds = False
    for index, entry in enumerate(hooks):
        if not isinstance(entry, Mapping):
            continue
        name = library_name(entry.get('library'))
        if name == HA_LIBRARY and ha_entry is None:
            ha_entry, ha_index = entry, index
        elif name == LEASE_CMDS_LIBRARY:
            lease_cmds = True

    relationships: list[Relationship] = []
    names: list[str] = []
    roles: list[str | None] = []
    ha_library: str | None = None
    hooks_dir: str | None = None
    if ha_entry is not None:
        ha_library = str(ha_entry['library'])
        directory = posixpath.dirname(ha_library.replace('"', '').strip(' \t\n'))
        hooks_dir = directory or None
        where = f'hooks-libraries[{ha_index}].parameters'
        params = ha_entry.get('parameters')
        if params is not None and not isinstance(params, Mapping):
            raise DetectionError(f'{where} of {HA_LIBRARY} must be a map, got {type(params).__name__}')
        rels = params.get('high-availability') if params is not None else None
        if rels is not None and not isinstance(rels, list):
            raise DetectionError(f'{where}.high-availability must be a list, got {type(rels).__name__}')
        for rindex, raw in enumerate(rels or []):
            at = f'{where}.high-availability[{rindex}]'
            if not isinstance(raw, Mapping):
                raise DetectionError(f'{at} must be a map, got {type(raw).__name__}')
            this = raw.get('this-server-name')
            if not isinstance(this, str) or not this.strip(' \t\n'):
                raise DetectionError(f'{at}.this-server-name must be a non-empty string, got {this!r}')
            rel = Relationship.from_kea(raw)
            name = this.strip(' \t\n')
            me = rel.peer(name)
            relationships.append(rel)
            names.append(name)
            roles.append(me.role if me is not None and isinstance(me.role, str) else None)

    findings = validate_config(config, version=version)
    return Detection(
        family=family,
        relationships=tuple(relationships),
        this_server_names=tuple(names),
        roles=tuple(roles),
        hooks_dir=hooks_dir,
        ha_library=ha_library,
        lease_cmds_loaded=lease_cmds,
        findings=tuple(findings),
        kea_version=version,
        config_hash=config_hash,
    )
