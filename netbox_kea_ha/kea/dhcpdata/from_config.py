"""
The way back, for the import into IPAM: a running config's subnets as `ServedSubnet` values, so that a relationship
can switch its source from the primary's config to NetBox IPAM without retyping, and render what runs.

The config is read in its compact form (`normalise`: Kea's defaults dropped, pools and MACs spelled one way). A pool
becomes a range; adjacent pools of the load-balancing peers' `HA_<peer>` classes, in peer order, become one range
split with weights equal to their sizes (so the split renders back exactly); a pool of one peer's class alone is
given to that peer; a pool without a class stays unsplit (`split=False`: the checks warn). A reservation of one
address by MAC (with a hostname or not) becomes a reserved address. Anything else of a subnet (other keys, pools or
reservations with more than NetBox holds, option-data with Kea's extra flags) is kept in its `extra`, as Kea has it,
and listed in `kept`; what cannot be represented at all (subnets inside shared networks, global reservations) is
listed in `left_out`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..ha import KeaVersion
from ..normalise import normalise, normaliser
from ..replicate import config_root
from .render import subnets_key
from .split import ha_class, split_range
from .values import Address, DhcpOption, PoolRange, Reservation, ServedSubnet

__all__ = ('LIFETIME_KEYS', 'ImportedSubnets', 'subnets_from_config')

#: Subnet keys held as lifetimes and timers.
LIFETIME_KEYS = (
    'valid-lifetime',
    'min-valid-lifetime',
    'max-valid-lifetime',
    'preferred-lifetime',
    'min-preferred-lifetime',
    'max-preferred-lifetime',
    'renew-timer',
    'rebind-timer',
)
_OPTION_KEYS = frozenset({'name', 'data', 'code', 'space', 'always-send'})


@dataclass(frozen=True)
class ImportedSubnets:
    """A running config's subnets as values, what was kept as Kea has it and what was left out."""

    family: str
    subnets: tuple[ServedSubnet, ...]
    #: Sentences: what each subnet keeps as Kea JSON (`extra`) because NetBox IPAM has no place for it.
    kept: tuple[str, ...] = ()
    #: Sentences: what the import cannot represent and leaves out.
    left_out: tuple[str, ...] = ()


def subnets_from_config(
    config: Any, *, peers: Sequence[str] = (), version: KeaVersion | None = None
) -> ImportedSubnets:
    """The subnets of `config` (`{'Dhcp4': ...}` or config-get's arguments); `peers` are the load-balancing peers'
    names in order (empty: no split is looked for)."""
    compact = normalise(config, version=version)
    root, inner = config_root(compact)
    family = root.lower()
    kept: list[str] = []
    left_out: list[str] = []
    names = {
        (space, code): name
        for space, table in normaliser(family, version).defaults.options.items()
        for name, code in dict(table).items()
    }
    subnets = tuple(_subnet(raw, family, peers, kept, names) for raw in inner.get(subnets_key(family)) or [])
    for network in inner.get('shared-networks') or []:
        count = len(network.get(subnets_key(family)) or [])
        left_out.append(f'shared network {network.get("name")!r} and its {count} subnet(s): not imported')
    if inner.get('reservations'):
        left_out.append(f'{len(inner["reservations"])} global reservation(s): not imported')
    return ImportedSubnets(family, subnets, tuple(kept), tuple(left_out))


def _named_option(option: Any, family: str, names: Mapping[tuple[str, int], str]) -> Any:
    """The normal form names a standard option by its code only: name it again (a custom one stays as it is)."""
    if isinstance(option, Mapping) and 'name' not in option and isinstance(option.get('code'), int):
        name = names.get((str(option.get('space', family)), option['code']))
        if name is not None:
            return {'name': name, **{k: v for k, v in option.items() if k not in ('code', 'space')}}
    return option


def _subnet(
    raw: Mapping[str, Any], family: str, peers: Sequence[str], kept: list[str], names: Mapping[tuple[str, int], str]
) -> ServedSubnet:
    prefix = ipaddress.ip_network(str(raw['subnet']), strict=False)
    extra: dict[str, Any] = {}
    ranges, extra_pools = _ranges(raw.get('pools') or [], peers)
    reservations, extra_res = _reservations(raw.get('reservations') or [], family)
    all_options = [_named_option(o, family, names) for o in raw.get('option-data') or []]
    options = [
        DhcpOption(o['name'], str(o['data']), o.get('code'), o.get('space'), bool(o.get('always-send')))
        for o in all_options
        if _plain_option(o)
    ]
    extra_options = [o for o in all_options if not _plain_option(o)]
    relay = raw.get('relay') or {}
    relay_addresses: tuple[Address, ...] = ()
    if set(relay) <= {'ip-addresses'}:
        relay_addresses = tuple(ipaddress.ip_address(a) for a in relay.get('ip-addresses') or [])
    else:
        extra['relay'] = relay
    for key, items in (('pools', extra_pools), ('reservations', extra_res), ('option-data', extra_options)):
        if items:
            extra[key] = items
            kept.append(
                f'{prefix}: {len(items)} {key} entr{"y" if len(items) == 1 else "ies"} with more than '
                'NetBox IPAM holds, kept as Kea JSON'
            )
    modelled = {'id', 'subnet', 'pools', 'reservations', 'option-data', 'relay', 'interface', *LIFETIME_KEYS}
    others = {key: value for key, value in raw.items() if key not in modelled}
    if others:
        extra.update(others)
        kept.append(f'{prefix}: {", ".join(sorted(others))} kept as Kea JSON')
    return ServedSubnet(
        prefix=prefix,
        subnet_id=int(raw.get('id') or 0),
        ranges=tuple(ranges),
        reservations=tuple(reservations),
        options=tuple(options),
        lifetimes={key: raw[key] for key in LIFETIME_KEYS if key in raw},
        interface=str(raw.get('interface') or ''),
        relay_addresses=relay_addresses,
        extra=extra,
    )


def _plain_option(option: Any) -> bool:
    return isinstance(option, Mapping) and 'name' in option and 'data' in option and set(option) <= _OPTION_KEYS


def _pool_bounds(text: str) -> tuple[Address, Address]:
    if '-' in text:
        first, last = (part.strip() for part in text.split('-', 1))
        return ipaddress.ip_address(first), ipaddress.ip_address(last)
    network = ipaddress.ip_network(text.strip(), strict=False)
    return network.network_address, network.broadcast_address


def _pool_class(pool: Mapping[str, Any]) -> str | None:
    if 'client-classes' in pool:
        classes = pool['client-classes']
        return classes[0] if isinstance(classes, list) and len(classes) == 1 else None
    value = pool.get('client-class')
    return value if isinstance(value, str) and value else None


def _ranges(pools: Sequence[Any], peers: Sequence[str]) -> tuple[list[PoolRange], list[Any]]:
    """Plain pools as ranges (split pools merged back), and the pools kept as Kea JSON."""
    by_class = {ha_class(p): p for p in peers}
    plain: list[tuple[Address, Address, str | None]] = []
    kept: list[Any] = []
    for pool in pools:
        keys = set(pool) - {'pool', 'client-class', 'client-classes'}
        if keys or ('client-classes' in pool and _pool_class(pool) is None):
            kept.append(pool)
            continue
        first, last = _pool_bounds(str(pool['pool']))
        plain.append((first, last, _pool_class(pool)))
    plain.sort(key=lambda p: int(p[0]))
    out: list[PoolRange] = []
    i = 0
    while i < len(plain):
        first, last, cls = plain[i]
        group = plain[i : i + len(peers)] if peers else []
        if (
            len(peers) > 1
            and len(group) == len(peers)
            and [c for _, _, c in group] == [ha_class(p) for p in peers]
            and all(int(a[1]) + 1 == int(b[0]) for a, b in zip(group, group[1:], strict=False))
        ):
            sizes = tuple(int(b) - int(a) + 1 for a, b, _ in group)
            merged = PoolRange(group[0][0], group[-1][1], weights=sizes)
            halves = PoolRange(merged.start, merged.end)
            out.append(halves if split_range(halves, peers) == split_range(merged, peers) else merged)
            i += len(peers)
            continue
        if cls in by_class:
            out.append(PoolRange(first, last, peer=by_class[cls]))
        else:  # another class, or none: as Kea has it (a classless pool of a load-balancing pair stays unsplit)
            out.append(PoolRange(first, last, client_class=cls, split=cls is not None or len(peers) < 2))
        i += 1
    return out, kept


def _reservations(items: Sequence[Any], family: str) -> tuple[list[Reservation], list[Any]]:
    out: list[Reservation] = []
    kept: list[Any] = []
    address_key = 'ip-address' if family == 'dhcp4' else 'ip-addresses'
    for item in items:
        address: Any = item.get(address_key)
        if family == 'dhcp6':
            address = address[0] if isinstance(address, list) and len(address) == 1 else None
        if set(item) <= {'hw-address', address_key, 'hostname'} and 'hw-address' in item and address:
            out.append(
                Reservation(ipaddress.ip_address(address), str(item['hw-address']), str(item.get('hostname', '')))
            )
        else:
            kept.append(item)
    return out, kept
