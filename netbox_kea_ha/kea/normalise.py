"""
Normalise a Dhcp4/Dhcp6 config so that configs Kea treats the same compare equal.

`config-get` does not return what `config-set` was given: Kea fills in every default, copies inherited values
(lifetimes, timers, `relay`, ...) from the global level and shared networks into each subnet, rewrites pools
(`"192.0.2.10 - 192.0.2.99"` -> `"192.0.2.10-192.0.2.99"`, ranges that are whole prefixes -> `"192.0.2.0/26"`),
adds the code to options given by name and the name to options given by code, rewrites host identifiers and hex
data, writes loggers' `output-options` (2.6+), reorders pools and reservations and adds `hash` (2.6+). `normalise`
maps both forms to one compact canonical form:

* values equal to Kea's default for that element kind and Kea version are dropped (tables measured from real
  Kea: `netbox_kea_ha.kea.defaults`);
* a subnet or shared-network value equal to what it would inherit is dropped (Kea's own derivation rules,
  `INHERITED`); min/max lifetimes equal to what Kea would set are dropped;
* pools, prefixes, addresses, host identifiers and hex option data are written one way; options are named by
  (space, code); loggers' `output-options` becomes `output_options` (the spelling every Kea reads); `hash` goes;
* lists whose order means nothing to Kea (subnets, shared networks, options, option definitions, reservations,
  peers, loggers) are sorted by identity; the others keep their order.

The result is Kea-shaped (`{'Dhcp4': {...}}`), never mutates its input, and compares with `==`. It is also a valid,
equivalent Kea config: the compact form of a `config-get` answer can be edited (a global timer then reaches every
subnet that inherits it, which it would not in the expanded answer) and pushed. `diff` builds on it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any

from .defaults import Defaults, load_defaults
from .ha import HA_LIBRARY, KeaVersion
from .replicate import ConfigError, config_root, hook_name

__all__ = (
    'INHERITED',
    'ITEM_KINDS',
    'ORDERED_KINDS',
    'RESPELL_KINDS',
    'TRIPLETS',
    'Normaliser',
    'canonical_hex',
    'canonical_identifier',
    'canonical_pool',
    'canonical_prefix',
    'child_kind',
    'family_of',
    'identity',
    'inherited_keys',
    'item_kind',
    'normalise',
    'normaliser',
    'respell',
)

#: Kinds of the items of lists, by the list's key. A list not named here is plain data.
ITEM_KINDS: Mapping[str, str] = {
    'subnet4': 'subnet',
    'subnet6': 'subnet',
    'shared-networks': 'shared-network',
    'pools': 'pool',
    'pd-pools': 'pd-pool',
    'option-data': 'option-data',
    'option-def': 'option-def',
    'reservations': 'reservation',
    'client-classes': 'client-class',
    'hooks-libraries': 'hook',
    'loggers': 'logger',
    'output-options': 'output-option',
    'output_options': 'output-option',
    'high-availability': 'ha',
    'peers': 'ha.peer',
}

#: Kinds whose list order Kea keeps and acts on (classes are evaluated in order, hooks called in order). Every
#: other kind of list item is sorted by identity (Kea itself sorts pools by address, reservations by host).
ORDERED_KINDS = frozenset({'client-class', 'hook', 'ha', 'output-option'})

_NETWORK_KINDS = frozenset({'subnet', 'shared-network', 'shared-network.subnet'})

_INHERITED_BY_BOTH = frozenset(
    {
        'rebind-timer',
        'relay',
        'renew-timer',
        'valid-lifetime',
        'min-valid-lifetime',
        'max-valid-lifetime',
        'calculate-tee-times',
        't1-percent',
        't2-percent',
        'store-extended-info',
        'cache-threshold',
        'cache-max-age',
    }
)

#: Keys Kea copies from the global level into shared networks and subnets, and from a shared network into its
#: subnets, when they do not set them (SimpleParser4/6 INHERIT_TO_SUBNET4/6), by the first version that does.
INHERITED: Mapping[str, tuple[tuple[KeaVersion, frozenset[str]], ...]] = {
    'dhcp4': (
        (KeaVersion(2, 0), _INHERITED_BY_BOTH),
        (KeaVersion(2, 4), frozenset({'allocator', 'offer-lifetime'})),
    ),
    'dhcp6': (
        (
            KeaVersion(2, 0),
            _INHERITED_BY_BOTH | {'preferred-lifetime', 'min-preferred-lifetime', 'max-preferred-lifetime'},
        ),
        (KeaVersion(2, 4), frozenset({'allocator', 'pd-allocator'})),
    ),
}

#: Min/max bounds that default to their lifetime (Kea's Triplet): min/max key -> the lifetime key.
TRIPLETS: Mapping[str, str] = {
    'min-valid-lifetime': 'valid-lifetime',
    'max-valid-lifetime': 'valid-lifetime',
    'min-preferred-lifetime': 'preferred-lifetime',
    'max-preferred-lifetime': 'preferred-lifetime',
}

_IDENTIFIERS = ('hw-address', 'duid', 'client-id', 'circuit-id', 'flex-id')
#: How Kea writes each host identifier back: (colon-separated, lower case).
_IDENTIFIER_STYLE = {
    'hw-address': (True, True),
    'duid': (True, True),
    'client-id': (False, False),
    'circuit-id': (False, False),
    'flex-id': (False, False),
}
_MISSING = object()
#: Keys Kea requires whenever their map is given (`server-id.type`): never dropped, even with the default value.
_REQUIRED = frozenset({'type'})
_HEX_PAIRS = re.compile(r'^[0-9A-Fa-f]*$')
#: Identifiers already written the way Kea writes them back (the fast path: config-get answers are).
_CANONICAL_COLONS = re.compile(r'[0-9a-f]{2}(?::[0-9a-f]{2})*\Z')
_CANONICAL_PLAIN = re.compile(r'(?:[0-9A-F]{2})+\Z')


def family_of(root: str) -> str:
    """`Dhcp4` -> `dhcp4`."""
    return root.lower()


def inherited_keys(family: str, version: KeaVersion | None = None) -> frozenset[str]:
    """The keys Kea derives into shared networks and subnets for a family and version (None: 2.2)."""
    out: frozenset[str] = frozenset()
    for since, keys in INHERITED[family]:
        if version is None and since > KeaVersion(2, 2):
            continue
        if version is None or version >= since:
            out |= keys
    return out


def item_kind(kind: str, key: str) -> str:
    """The kind of the items of the list `key` inside an element of kind `kind`."""
    if kind == 'shared-network' and key in ('subnet4', 'subnet6'):
        return 'shared-network.subnet'
    return ITEM_KINDS.get(key) or f'{kind}.{key}[]'


def child_kind(kind: str, key: str) -> str:
    """The kind of the map `key` inside an element of kind `kind` (`global.dhcp-ddns`, `ha.multi-threading`)."""
    return f'{kind}.{key}'


# ---------------------------------------------------------------------------------------------------------------
# Canonical forms of single values. Each returns its input unchanged when it cannot parse it: a value Kea would
# reject is not the normaliser's business (validation reports it), and the diff will show it as it is.


def _address_text(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    return str(address)


def canonical_pool(text: Any) -> Any:
    """A pool as Kea writes it back: `first-last` with no spaces, or `prefix/len` when the range is a prefix."""
    if not isinstance(text, str):
        return text
    try:
        if '-' in text:
            first_text, last_text = text.split('-', 1)
            first = ipaddress.ip_address(first_text.strip())
            last = ipaddress.ip_address(last_text.strip())
        elif '/' in text:
            net = ipaddress.ip_network(text.strip(), strict=False)
            return f'{_address_text(net.network_address)}/{net.prefixlen}'
        else:
            return text.strip()
    except ValueError:
        return text
    if first.version != last.version:
        return text
    size = int(last) - int(first) + 1
    if size > 0 and size & (size - 1) == 0 and int(first) % size == 0:
        return f'{_address_text(first)}/{first.max_prefixlen - size.bit_length() + 1}'
    return f'{_address_text(first)}-{_address_text(last)}'


def canonical_prefix(text: Any) -> Any:
    """An address or prefix in its shortest form (IPv6 lower case, compressed); other values unchanged."""
    if not isinstance(text, str) or ':' not in text:
        return text
    try:
        if '/' in text:
            net = ipaddress.ip_network(text.strip(), strict=False)
            return f'{_address_text(net.network_address)}/{net.prefixlen}'
        return _address_text(ipaddress.ip_address(text.strip()))
    except ValueError:
        return text


def _identifier_bytes(text: str) -> bytes | None:
    value = text.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].encode()
    if value[:2] in ('0x', '0X'):
        value = value[2:]
    if ':' in value or ' ' in value:
        parts = re.split(r'[: ]', value)
        if not all(1 <= len(p) <= 2 for p in parts):
            return None
        value = ''.join(p.rjust(2, '0') for p in parts)
    if len(value) % 2 or not _HEX_PAIRS.match(value):
        return None
    return bytes.fromhex(value)


def canonical_identifier(kind: str, text: Any) -> Any:
    """A host identifier (`hw-address`, `duid`, `client-id`, `circuit-id`, `flex-id`) as Kea writes it back."""
    if not isinstance(text, str) or kind not in _IDENTIFIER_STYLE:
        return text
    colons, lower = _IDENTIFIER_STYLE[kind]
    if (_CANONICAL_COLONS if colons else _CANONICAL_PLAIN).match(text):
        return text
    raw = _identifier_bytes(text)
    if raw is None:
        return text
    hexed = raw.hex() if lower else raw.hex().upper()
    return ':'.join(hexed[i : i + 2] for i in range(0, len(hexed), 2)) if colons else hexed


def canonical_hex(text: Any) -> Any:
    """Option data given as hex (`csv-format` false) as Kea writes it back: upper case, no separators or 0x."""
    if not isinstance(text, str):
        return text
    value = text.strip()
    if value[:2] in ('0x', '0X'):
        value = value[2:]
    value = value.replace(':', '')
    return value.upper() if _HEX_PAIRS.match(value) else text


_KEA_2_7 = KeaVersion(2, 7, 0)
_CLASS_LIST_KINDS = frozenset({'pool', 'pd-pool', 'subnet', 'shared-network', 'shared-network.subnet'})
#: The kinds `respell` may change.
RESPELL_KINDS = _CLASS_LIST_KINDS | {'global', 'logger', 'client-class'}


def respell(kind: str, element: Mapping[str, Any], version: KeaVersion | None = None) -> Mapping[str, Any]:
    """An element with the keys that mean the same written the way Kea `version` writes them back.

    Every version: a logger's `output-options` (2.6+ writes it; 2.2 refuses it) -> `output_options`. Kea >= 2.7
    (3.0): a `control-socket` map -> a `control-sockets` list, `client-class` -> a `client-classes` list,
    `require-client-classes` -> `evaluate-additional-classes`, and a class's `only-if-required` ->
    `only-in-additional-list`. Returns the element itself when nothing changes.
    """
    out: dict[str, Any] | None = None

    def rename(old: str, new: str, value: Any) -> None:
        nonlocal out
        if out is None:
            out = dict(element)
        del out[old]
        out.setdefault(new, value)

    if kind == 'logger' and 'output-options' in element:
        rename('output-options', 'output_options', element['output-options'])
    if version is None or version < _KEA_2_7:
        return element if out is None else out
    if kind == 'global' and isinstance(element.get('control-socket'), Mapping):
        rename('control-socket', 'control-sockets', [element['control-socket']])
    if kind in _CLASS_LIST_KINDS:
        if isinstance(element.get('client-class'), str):
            name = element['client-class']
            rename('client-class', 'client-classes', [name] if name else [])
        if 'require-client-classes' in element:
            rename('require-client-classes', 'evaluate-additional-classes', element['require-client-classes'])
    if kind == 'client-class' and 'only-if-required' in element:
        rename('only-if-required', 'only-in-additional-list', element['only-if-required'])
    return element if out is None else out


def _same(a: Any, b: Any) -> bool:
    """Equal, telling booleans from numbers (Kea does: `true` is not `1`)."""
    return type(a) is type(b) and a == b


def identity(kind: str, item: Mapping[str, Any], family_space: str = 'dhcp4') -> str:
    """What names a list item of this kind among its siblings (a subnet's prefix, a peer's name, ...)."""
    if kind in _NETWORK_KINDS:
        value = item.get('subnet', item.get('name', item.get('id')))
    elif kind in ('option-data', 'option-def'):
        space = item.get('space', family_space)
        value = f'{space}:{item["code"] if "code" in item else item.get("name")}'
    elif kind == 'reservation':
        for key in (*_IDENTIFIERS, 'ip-address', 'hostname'):
            if key in item:
                return f'{key}={item[key]}'
        value = None
    elif kind in ('pool', 'pd-pool'):
        value = item.get('pool', item.get('prefix'))
        if kind == 'pd-pool' and 'prefix-len' in item:
            value = f'{value}/{item["prefix-len"]}'
    elif kind == 'hook':
        value = hook_name(item)
    elif kind == 'output-option':
        value = item.get('output')
    elif kind == 'ha':
        value = item.get('this-server-name')
    else:
        value = item.get('name')
    return '' if value is None else str(value)


class Normaliser:
    """Normalises configs of one family with one defaults table (build once, use for many configs)."""

    def __init__(self, defaults: Defaults, version: KeaVersion | None = None) -> None:
        """Prepare the tables: each default value is itself normalised once, here."""
        self.defaults = defaults
        self.version = version or defaults.version
        self.family = defaults.family
        self.space = defaults.family
        self.inherited = inherited_keys(self.family, version or defaults.version)
        # Inherited keys, lifetimes first so that min/max can fall back to them.
        self._inherit_order = sorted(self.inherited, key=lambda k: (k in TRIPLETS, k))
        self._option_codes: dict[str, dict[str, int]] = {s: dict(t) for s, t in defaults.options.items()}
        self._item_kind_cache: dict[tuple[str, str], str] = {}
        self._child_kind_cache: dict[tuple[str, str], str] = {}
        self._pre: dict[str, Callable[[dict[str, Any], dict[tuple[str, str], int]], dict[str, Any]]] = {
            'pool': self._pre_pool,
            'pd-pool': self._pre_pd_pool,
            'option-data': self._pre_option,
            'reservation': self._pre_reservation,
            'subnet': self._pre_network,
            'shared-network': self._pre_network,
            'shared-network.subnet': self._pre_network,
        }
        raw = {kind: dict(table) for kind, table in defaults.kinds.items()}
        # A map Kea fills in whole when it is missing is filled in key by key when it is given in part: its
        # default values are also the defaults of its own kind (`global.dhcp-ddns`, `ha.multi-threading`).
        for kind, table in list(raw.items()):
            base = kind.split('/', 1)[0]
            for key, value in table.items():
                if isinstance(value, dict) and key not in ('user-context', 'relay'):
                    nested = raw.setdefault(child_kind(base, key), {})
                    for sub, sub_value in value.items():
                        nested.setdefault(sub, sub_value)
        self.tables: dict[str, dict[str, Any]] = raw
        # Normalise the default values themselves (a default `dhcp-ddns` map becomes `{}` once its own defaults
        # are dropped), leaves first so that nested tables are ready when their parents use them. `ha/<mode>`
        # tables hold the defaults of an `ha` element in that mode.
        for kind in sorted(raw, key=lambda k: -k.count('.')):
            base = kind.split('/', 1)[0]
            self.tables[kind] = {key: self._value(base, key, value, {}) for key, value in raw[kind].items()}

    # -- entry point ------------------------------------------------------------------------------------------

    def normalise(self, config: Any) -> dict[str, Any]:
        """The canonical compact form of a config (`{'Dhcp4': {...}}`, or the `arguments` of `config-get`)."""
        root, inner = config_root(config)
        if family_of(root) != self.family:
            raise ConfigError(f'this normaliser is for {self.family} configs, got {root}')
        return {root: self._global(dict(inner))}

    # -- structure --------------------------------------------------------------------------------------------

    def _option_names(self, inner: Mapping[str, Any]) -> dict[tuple[str, str], int]:
        """(space, name) -> code for the config's own option definitions (global and per class)."""
        out: dict[tuple[str, str], int] = {}
        defs: list[Any] = list(inner.get('option-def') or [])
        for cls in inner.get('client-classes') or []:
            if isinstance(cls, Mapping):
                defs.extend(cls.get('option-def') or [])
        for entry in defs:
            if isinstance(entry, Mapping) and isinstance(entry.get('name'), str) and isinstance(entry.get('code'), int):
                out[(str(entry.get('space', self.space)), entry['name'])] = entry['code']
        return out

    def _global(self, inner: dict[str, Any]) -> dict[str, Any]:
        inner = dict(respell('global', inner, self.version))
        options = self._option_names(inner)
        table = self.tables.get('global', {})
        # What a subnet or shared network inherits from the global level: the value set there, else Kea's
        # default for the global level. The compact form keeps exactly the non-default global values, so the
        # same mapping serves as what a reader of the compact form would infer.
        derived = {key: inner.get(key, table.get(key)) for key in self.inherited}
        out: dict[str, Any] = {}
        for key, value in inner.items():
            if key in ('subnet4', 'subnet6') and isinstance(value, list):
                value = self._sorted(
                    'subnet', [self._network('subnet', s, derived, derived, options)[0] for s in value]
                )
            elif key == 'shared-networks' and isinstance(value, list):
                value = self._sorted('shared-network', [self._shared_network(n, derived, options) for n in value])
            else:
                value = self._value('global', key, value, options)
            if key in table and _same(value, table[key]):
                continue
            out[key] = value
        return out

    def _shared_network(self, net: Any, derived: dict[str, Any], options: dict[tuple[str, str], int]) -> Any:
        compact, net_derived, net_inferred = self._network('shared-network', net, derived, derived, options)
        if isinstance(compact, dict):
            for key in ('subnet4', 'subnet6'):
                subnets = net.get(key) if isinstance(net, Mapping) else None
                if isinstance(subnets, list):
                    compact[key] = self._sorted(
                        'shared-network.subnet',
                        [
                            self._network('shared-network.subnet', s, net_derived, net_inferred, options)[0]
                            for s in subnets
                        ],
                    )
                    if _same(compact[key], self.tables.get('shared-network', {}).get(key, _MISSING)):
                        del compact[key]
        return compact

    def _network(
        self,
        kind: str,
        element: Any,
        parent_derived: Mapping[str, Any],
        parent_inferred: Mapping[str, Any],
        options: dict[tuple[str, str], int],
    ) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        """A subnet or shared network, compacted against what it inherits.

        `parent_derived` holds what Kea derives into this element (the parent's own values after derivation);
        `parent_inferred` what a reader of the parent's compact form would derive. A value is kept when it
        differs from what the compact form would otherwise imply, so the compact form still says exactly what
        Kea does. Returns the compact element and the two mappings for its children.
        """
        if not isinstance(element, Mapping):
            return element, dict(parent_derived), dict(parent_inferred)
        element = self._pre_network(respell(kind, element, self.version), options)
        table = self.tables.get(kind, {})
        out: dict[str, Any] = {}
        for key, value in element.items():
            if key in self.inherited or (kind == 'shared-network' and key in ('subnet4', 'subnet6')):
                continue
            value = self._value(kind, key, value, options)
            if key in table and _same(value, table[key]):
                continue
            out[key] = value
        derived: dict[str, Any] = {}
        inferred: dict[str, Any] = {}
        effective: dict[str, Any] = {}
        for key in self._inherit_order:
            own = element.get(key, _MISSING)
            value = parent_derived.get(key) if own is _MISSING else own
            derived[key] = value
            base = TRIPLETS.get(key)
            if value is None and base is not None:
                value = effective.get(base)
            effective[key] = value
            implied = parent_inferred.get(key)
            if implied is None:
                implied = effective.get(base) if base is not None else table.get(key)
            if value is not None and not _same(value, implied):
                out[key] = value
                inferred[key] = value
            else:
                inferred[key] = parent_inferred.get(key)
        return out, derived, inferred

    def _value(self, kind: str, key: str, value: Any, options: dict[tuple[str, str], int]) -> Any:
        if isinstance(value, dict):
            if key in ('user-context', 'comment'):
                return value
            if kind == 'hook' and key == 'parameters':
                return value
            ck = self._child_kind_cache.get((kind, key))
            if ck is None:
                ck = self._child_kind_cache[(kind, key)] = child_kind(kind, key)
            return self._map(ck, value, options)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            ik = self._item_kind_cache.get((kind, key))
            if ik is None:
                ik = self._item_kind_cache[(kind, key)] = item_kind(kind, key)
            return self._sorted(ik, [self._map(ik, item, options) for item in value])
        return value

    def _map(self, kind: str, element: Any, options: dict[tuple[str, str], int]) -> Any:
        if not isinstance(element, dict):
            return element
        if kind in RESPELL_KINDS:
            element = respell(kind, element, self.version)
        pre = self._pre.get(kind)
        if pre is not None:
            element = pre(element, options)
        if kind == 'hook':
            return self._hook(element, options)
        table = self.tables.get(kind)
        if kind == 'ha':
            table = self.tables.get(f'ha/{element.get("mode")}', table)
        out: dict[str, Any] = {}
        if table:
            for key, value in element.items():
                if type(value) is dict or type(value) is list:
                    value = self._value(kind, key, value, options)
                if key in table and key not in _REQUIRED and _same(value, table[key]):
                    continue
                out[key] = value
        else:
            for key, value in element.items():
                if type(value) is dict or type(value) is list:
                    value = self._value(kind, key, value, options)
                out[key] = value
        return out

    def _hook(self, element: dict[str, Any], options: dict[tuple[str, str], int]) -> dict[str, Any]:
        out = dict(element)
        params = element.get('parameters')
        if hook_name(element) == HA_LIBRARY and isinstance(params, dict):
            out['parameters'] = {
                key: self._value('hook.parameters', key, value, options) for key, value in params.items()
            }
        table = self.tables.get('hook', {})
        return {k: v for k, v in out.items() if not (k in table and _same(v, table[k]))}

    def _sorted(self, kind: str, items: list[Any]) -> list[Any]:
        if kind in ORDERED_KINDS or len(items) < 2 or not all(isinstance(i, dict) for i in items):
            return items
        space = self.space
        if kind in ('option-data', 'option-def'):
            # Options in numeric order of their codes (named-only ones after), space by space.
            return sorted(
                items,
                key=lambda item: (
                    str(item.get('space', space)),
                    0 if isinstance(item.get('code'), int) else 1,
                    item.get('code') if isinstance(item.get('code'), int) else 0,
                    str(item.get('name', '')),
                ),
            )
        return sorted(items, key=lambda item: identity(kind, item, space))

    # -- per-kind canonical forms (each gets a fresh dict it may change) -------------------------------------

    def _pre_pool(self, element: dict[str, Any], options: dict[tuple[str, str], int]) -> dict[str, Any]:
        if 'pool' in element:
            element = dict(element, pool=canonical_pool(element['pool']))
        return element

    def _pre_pd_pool(self, element: dict[str, Any], options: dict[tuple[str, str], int]) -> dict[str, Any]:
        element = dict(element)
        for key in ('prefix', 'excluded-prefix'):
            if key in element:
                element[key] = canonical_prefix(element[key])
        return element

    def _pre_option(self, element: dict[str, Any], options: dict[tuple[str, str], int]) -> dict[str, Any]:
        element = dict(element)
        space = element.get('space', self.space)
        name = element.get('name')
        if 'code' not in element and isinstance(name, str) and isinstance(space, str):
            code = options.get((space, name))
            if code is None:
                code = self._option_codes.get(space, {}).get(name)
            if code is not None:
                element['code'] = code
        if 'code' in element:
            # Kea names an option by its code when both are given (and rejects a mismatch).
            element.pop('name', None)
        if element.get('csv-format') is False and 'data' in element:
            element['data'] = canonical_hex(element['data'])
        return element

    def _pre_reservation(self, element: dict[str, Any], options: dict[tuple[str, str], int]) -> dict[str, Any]:
        element = dict(element)
        for key in _IDENTIFIERS:
            if key in element:
                element[key] = canonical_identifier(key, element[key])
        if self.family == 'dhcp6':
            for key in ('ip-addresses', 'prefixes', 'excluded-prefixes'):
                if isinstance(element.get(key), list):
                    element[key] = [canonical_prefix(v) for v in element[key]]
        return element

    def _pre_network(self, element: Mapping[str, Any], options: dict[tuple[str, str], int]) -> dict[str, Any]:
        element = dict(element)
        if 'subnet' in element:
            element['subnet'] = canonical_prefix(element['subnet'])
        relay = element.get('relay')
        if isinstance(relay, Mapping) and 'ip-address' in relay:
            # Kea 2.x still reads the old single `ip-address` and writes it back as a list.
            relay = dict(relay)
            address = relay.pop('ip-address')
            relay['ip-addresses'] = [*relay.get('ip-addresses', []), address]
            element['relay'] = relay
        if isinstance(relay, Mapping) and isinstance(relay.get('ip-addresses'), list):
            element['relay'] = dict(relay, **{'ip-addresses': [canonical_prefix(a) for a in relay['ip-addresses']]})
        return element


_NORMALISERS: dict[tuple[str, str, KeaVersion | None], Normaliser] = {}


def normaliser(family: str, version: KeaVersion | None = None) -> Normaliser:
    """The (cached) normaliser for a family (`dhcp4`/`dhcp6`) and Kea version."""
    defaults = load_defaults(family, version)
    key = (family, defaults.source, version)
    found = _NORMALISERS.get(key)
    if found is None:
        found = _NORMALISERS[key] = Normaliser(defaults, version)
    return found


def normalise(config: Any, *, version: KeaVersion | None = None, defaults: Defaults | None = None) -> dict[str, Any]:
    """The canonical compact form of a config, for a Kea version (None: Kea 2.2's defaults).

    Accepts `{'Dhcp4': {...}}` or the `arguments` of `config-get` (its `hash` is dropped).
    """
    root, _ = config_root(config)
    if defaults is not None:
        return Normaliser(defaults, version).normalise(config)
    return normaliser(family_of(root), version).normalise(config)
