"""
NetBox IPAM -> `kea.dhcpdata` values: the DHCP data of the relationships whose source is NetBox IPAM (served
prefixes, the IP ranges and reserved addresses inside them), loaded in at most six queries whatever their number.

An IP range or address belongs to a served prefix when it is in the prefix's VRF and inside the prefix (ranges and
addresses of a VRF are read once and placed by a binary search over the relationship's prefixes, which the checks
keep from overlapping). An address is a reservation when its status is one of `dhcp_reservation_statuses` (or it
carries the `dhcp_reservation_tag`) and its interface (device or VM) has a MAC address: its primary MAC address.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Q

from ..kea.dhcpdata.values import Address, DhcpData, DhcpOption, Network, PoolRange, Reservation, ServedSubnet
from ..kea.ha import HARole
from ..kea.intent import RelationshipIntent
from ..plugin_settings import get_setting

__all__ = (
    'PrefixRows',
    'load_dhcp_data',
    'served_subnet',
)

_SPLIT_ROLES = (HARole.PRIMARY, HARole.SECONDARY)


@dataclass
class PrefixRows:
    """What belongs to one served prefix, as read: its row, its ranges and its reservations."""

    row: Any
    network: Network
    ranges: list[tuple[Address, Address, int]] = field(default_factory=list)
    reservations: list[Reservation] = field(default_factory=list)


def _model(app: str, name: str) -> Any:
    return apps.get_model(app, name)


def _range_overrides(splits: Mapping[str, Any]) -> dict[tuple[int, int], Mapping[str, Any]]:
    out: dict[tuple[int, int], Mapping[str, Any]] = {}
    for key, value in splits.items():
        first, _, last = str(key).partition('-')
        try:
            out[(int(ipaddress.ip_address(first.strip())), int(ipaddress.ip_address(last.strip())))] = value
        except ValueError:
            continue  # the checks of the form refused it; a key that names no range changes nothing
    return out


def _options(row: Any, family: str) -> tuple[DhcpOption, ...]:
    v4 = family == 'dhcp4'
    named = (
        ('routers' if v4 else '', row.routers),
        ('domain-name-servers' if v4 else 'dns-servers', row.dns_servers),
        ('domain-name' if v4 else 'domain-search', row.domain_name),
    )
    return tuple(DhcpOption(name, value) for name, value in named if name and value)


def served_subnet(rows: PrefixRows, family: str) -> ServedSubnet:
    """The `ServedSubnet` of a served prefix and what was found inside it."""
    row = rows.row
    overrides = _range_overrides(row.pool_splits or {})
    ranges = []
    for first, last, key in rows.ranges:
        spec = overrides.get((int(first), int(last)), {})
        weights = spec.get('weights')
        ranges.append(
            PoolRange(
                first,
                last,
                key=key,
                peer=spec.get('peer'),
                weights=tuple(int(w) for w in weights) if isinstance(weights, list) else None,
                split=bool(spec.get('split', True)),
                client_class=spec.get('client_class') or None,
            )
        )
    extra = dict(row.extra or {})
    if row.options:
        extra['option-data'] = list(row.options) + list(extra.get('option-data') or [])
    lifetimes = {
        key: value
        for key, value in (
            ('valid-lifetime', row.valid_lifetime),
            ('renew-timer', row.renew_timer),
            ('rebind-timer', row.rebind_timer),
        )
        if value is not None
    }
    return ServedSubnet(
        prefix=rows.network,
        subnet_id=int(row.subnet_id or 0),
        key=int(row.pk or 0),
        ranges=tuple(ranges),
        reservations=tuple(rows.reservations),
        options=_options(row, family),
        lifetimes=lifetimes,
        interface=str(row.interface or ''),
        relay_addresses=tuple(ipaddress.ip_address(a) for a in row.relay_addresses or []),
        extra=extra,
    )


class _Placer:
    """Finds the served prefix (of one VRF) an address falls in, by binary search over the sorted prefixes."""

    def __init__(self, prefixes: Iterable[PrefixRows]) -> None:
        self.prefixes = sorted(prefixes, key=lambda p: (p.network.version, int(p.network.network_address)))
        self.starts = [(p.network.version, int(p.network.network_address)) for p in self.prefixes]

    def find(self, address: Address) -> PrefixRows | None:
        i = bisect.bisect_right(self.starts, (address.version, int(address))) - 1
        if i >= 0 and address in self.prefixes[i].network:
            return self.prefixes[i]
        return None


def _vrf_filter(vrfs: set[int | None]) -> Q:
    q = Q(vrf_id__in=[v for v in vrfs if v is not None])
    return q | Q(vrf__isnull=True) if None in vrfs else q


def load_dhcp_data(
    relationships: Mapping[int, RelationshipIntent],
    families: Mapping[int, str],
    *,
    any_source: bool = False,
    changed: Any = None,
) -> dict[int, DhcpData]:
    """The DHCP data of those of `relationships` (by key) whose source is NetBox IPAM (`any_source`: of each of them,
    whatever its source); `families` gives each relationship's family ('dhcp4'/'dhcp6'). `changed`: a served prefix
    as it would be saved (a form's), in place of the saved one. At most six queries."""
    served_model = _model('netbox_kea_ha', 'ServedPrefix')
    query = served_model.objects.filter(relationship__in=list(relationships))
    if not any_source:
        query = query.filter(relationship__dhcp_source='ipam')
    rows = [row for row in query.select_related('prefix').order_by('pk') if changed is None or row.pk != changed.pk]
    if changed is not None and changed.relationship_id in relationships and changed.prefix_id:
        rows.append(changed)
    if not rows:
        return {}
    by_rel: dict[int, list[PrefixRows]] = {}
    by_vrf: dict[int | None, list[PrefixRows]] = {}
    for row in rows:
        item = PrefixRows(row, ipaddress.ip_network(str(row.prefix.prefix)))
        by_rel.setdefault(row.relationship_id, []).append(item)
        by_vrf.setdefault(row.prefix.vrf_id, []).append(item)
    # One placer per (VRF, relationship): two relationships may serve the same prefix (each its own pair).
    placers: dict[int | None, list[_Placer]] = {}
    for vrf, in_vrf in by_vrf.items():
        groups: dict[int, list[PrefixRows]] = {}
        for item in in_vrf:
            groups.setdefault(item.row.relationship_id, []).append(item)
        placers[vrf] = [_Placer(group) for group in groups.values()]
    _place_ranges(placers)
    _place_reservations(placers)
    out: dict[int, DhcpData] = {}
    for key, served in by_rel.items():
        rel = relationships[key]
        family = families.get(key, 'dhcp4')
        peers = tuple(p.name for p in rel.value.peers if p.role in _SPLIT_ROLES)
        out[key] = DhcpData(family, str(rel.value.mode), peers, tuple(served_subnet(f, family) for f in served))
    return out


def _place_ranges(placers: Mapping[int | None, list[_Placer]]) -> None:
    ranges = _model('ipam', 'IPRange').objects.filter(
        _vrf_filter(set(placers)), status__in=get_setting('dhcp_range_statuses')
    )
    for pk, vrf, start, end in ranges.values_list('pk', 'vrf_id', 'start_address', 'end_address'):
        first, last = ipaddress.ip_interface(str(start)).ip, ipaddress.ip_interface(str(end)).ip
        for placer in placers.get(vrf, ()):
            target = placer.find(first)
            if target is not None:
                target.ranges.append((first, last, pk))


def _place_reservations(placers: Mapping[int | None, list[_Placer]]) -> None:
    wanted = Q(status__in=get_setting('dhcp_reservation_statuses'))
    tag = get_setting('dhcp_reservation_tag')
    if tag:
        wanted |= Q(tags__slug=tag)
    addresses = list(
        _model('ipam', 'IPAddress')
        .objects.filter(_vrf_filter(set(placers)), wanted, assigned_object_id__isnull=False)
        .values_list('pk', 'vrf_id', 'address', 'dns_name', 'assigned_object_type__model', 'assigned_object_id')
        .distinct()
    )
    macs: dict[tuple[str, int], str] = {}
    for model_name, app in (('interface', 'dcim'), ('vminterface', 'virtualization')):
        ids = {obj for _, _, _, _, kind, obj in addresses if kind == model_name}
        if ids:
            interfaces = _model(app, model_name).objects.filter(pk__in=ids, primary_mac_address__isnull=False)
            for pk, mac in interfaces.values_list('pk', 'primary_mac_address__mac_address'):
                macs[(model_name, pk)] = str(mac).lower()
    for pk, vrf, address, dns_name, kind, obj in addresses:
        mac = macs.get((kind, obj))
        if mac is None:
            continue
        ip = ipaddress.ip_interface(str(address)).ip
        for placer in placers.get(vrf, ()):
            target = placer.find(ip)
            if target is not None:
                target.reservations.append(Reservation(ip, mac, str(dns_name or ''), key=pk))
