"""
The checks of a relationship's DHCP data from NetBox IPAM, before any push: what Kea would refuse, and what Kea would
take but serve wrongly. Each finding's path starts at the subnet list (`('subnet4', 2, 'ranges', 0)`): the NetBox
layer maps the indexes back to the prefix, range or address to fix. Codes start with `dhcp.`.

Errors: a prefix of the other family, a missing, out-of-range or duplicate subnet id, overlapping served prefixes,
a range outside its prefix or overlapping another, a range that cannot be split as asked, a load-balancing peer
without any pool in a subnet that has ranges (the clients Kea's load balancing gives it would get no address), a
reservation outside its prefix, two reservations of one address or one MAC in a subnet, a MAC Kea cannot read.
Warnings: a load-balancing range that is not split, a reservation inside a load-balancing peer's part of a pool.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..findings import Finding, FindingCollector
from .split import SplitError, split_range
from .values import Address, DhcpData, PoolRange, ServedSubnet

__all__ = (
    'MAX_SUBNET_ID',
    'check_dhcp_data',
    'valid_hw_address',
)

#: Kea's largest subnet id (4294967295 is reserved).
MAX_SUBNET_ID = 4294967294

_HW_ADDRESS = re.compile(r'^(?:[0-9A-Fa-f]{2})(?:[:-]?[0-9A-Fa-f]{2}){0,19}$')


def valid_hw_address(text: str) -> bool:
    """True when Kea reads `text` as a hardware address (hex pairs, optionally separated by `:` or `-`)."""
    return bool(_HW_ADDRESS.match(text))


def check_dhcp_data(data: DhcpData) -> list[Finding]:
    """Every finding about `data`, subnet by subnet, then those between subnets."""
    key = 'subnet4' if data.family == 'dhcp4' else 'subnet6'
    out = FindingCollector((key,))
    for i, subnet in enumerate(data.subnets):
        _check_subnet(subnet, data, out.child((i,)))
    _check_ids(data.subnets, out)
    _check_overlaps(data.subnets, out)
    return out.findings


def _check_subnet(subnet: ServedSubnet, data: DhcpData, out: FindingCollector) -> None:
    if subnet.family != data.family:
        out.error(
            'subnet',
            f'{subnet.prefix} is not a {data.family} prefix: this relationship serves {data.family}',
            'dhcp.family',
        )
        return
    ranges = _check_ranges(subnet, data, out)
    _check_peers_have_pools(subnet, data, ranges, out)
    _check_reservations(subnet, data, ranges, out)


def _check_ranges(subnet: ServedSubnet, data: DhcpData, out: FindingCollector) -> list[tuple[int, PoolRange]]:
    """The ranges that are usable (inside the prefix, in order), after reporting the others."""
    usable: list[tuple[int, PoolRange]] = []
    for j, rng in enumerate(subnet.ranges):
        where = ('ranges', j)
        if rng.start.version != subnet.prefix.version or rng.end.version != rng.start.version:
            out.error(where, f'range {rng.text} is not of the family of {subnet.prefix}', 'dhcp.pool-family')
        elif int(rng.start) > int(rng.end):
            out.error(where, f'range {rng.text} ends before it starts', 'dhcp.pool-order')
        elif rng.start not in subnet.prefix or rng.end not in subnet.prefix:
            out.error(where, f'range {rng.text} is not inside {subnet.prefix}', 'dhcp.pool-outside-prefix')
        else:
            if data.splits and not rng.client_class and not rng.split:
                out.warning(
                    where,
                    f'range {rng.text} is not split: both peers hand out its addresses, and two clients can be '
                    'offered the same one while the peers cannot reach each other; split it',
                    'dhcp.pool-not-split',
                )
            elif data.splits and not rng.client_class:
                try:
                    split_range(rng, data.peers)
                except SplitError as exc:
                    out.error(where, str(exc), 'dhcp.pool-split')
            usable.append((j, rng))
    usable.sort(key=lambda item: int(item[1].start))
    for (_, before), (j, after) in zip(usable, usable[1:], strict=False):
        if int(after.start) <= int(before.end):
            out.error(('ranges', j), f'range {after.text} overlaps range {before.text}', 'dhcp.pool-overlap')
    return usable


def _check_peers_have_pools(
    subnet: ServedSubnet, data: DhcpData, ranges: Sequence[tuple[int, PoolRange]], out: FindingCollector
) -> None:
    if not data.splits:
        return
    served = [r for _, r in ranges if not r.client_class]
    if not served:
        return
    owners = {p for r in served for p in ([r.peer] if r.peer and r.split else data.peers)}
    for peer in data.peers:
        if peer not in owners:
            out.error(
                'ranges',
                f'{peer} has no pool in {subnet.prefix}: the clients Kea load-balancing gives {peer} (about '
                f'1/{len(data.peers)} of them) would get no address; split a range or give one to {peer}',
                'dhcp.peer-without-pool',
            )


def _check_reservations(
    subnet: ServedSubnet, data: DhcpData, ranges: Sequence[tuple[int, PoolRange]], out: FindingCollector
) -> None:
    seen_ip: dict[Address, str] = {}
    seen_hw: dict[str, str] = {}
    for k, res in enumerate(subnet.reservations):
        where = ('reservations', k)
        if res.ip_address not in subnet.prefix:
            out.error(
                where,
                f'reserved address {res.ip_address} is not inside {subnet.prefix}',
                'dhcp.reservation-outside-prefix',
            )
            continue
        if not valid_hw_address(res.hw_address):
            out.error(
                where, f'{res.hw_address!r} is not a MAC address Kea reads (hex pairs)', 'dhcp.reservation-hw-address'
            )
            continue
        hw = re.sub('[:-]', '', res.hw_address).lower()
        if res.ip_address in seen_ip:
            out.error(
                where,
                f'{res.ip_address} is reserved twice in {subnet.prefix} (also for {seen_ip[res.ip_address]})',
                'dhcp.reservation-duplicate-address',
            )
        elif hw in seen_hw:
            out.error(
                where,
                f'MAC {res.hw_address} has two reservations in {subnet.prefix} (also {seen_hw[hw]})',
                'dhcp.reservation-duplicate-mac',
            )
        seen_ip.setdefault(res.ip_address, res.hw_address)
        seen_hw.setdefault(hw, str(res.ip_address))
        if data.splits:
            split = [r for _, r in ranges if not r.client_class and r.split]
            _check_reservation_pool(res.ip_address, split, data, where, out)


def _check_reservation_pool(
    address: Address, ranges: Iterable[PoolRange], data: DhcpData, where: tuple[str, int], out: FindingCollector
) -> None:
    for rng in ranges:
        if address not in rng:
            continue
        try:
            parts = split_range(rng, data.peers)
        except SplitError:
            return
        for first, last, peer in parts:
            if int(first) <= int(address) <= int(last):
                out.warning(
                    where,
                    f'reserved address {address} lies in the part of range {rng.text} that load balancing gives to '
                    f'{peer}: reserve addresses outside the ranges, so that either peer can hand it out',
                    'dhcp.reservation-in-peer-pool',
                )
                return


def _check_ids(subnets: Sequence[ServedSubnet], out: FindingCollector) -> None:
    seen: dict[int, str] = {}
    for i, subnet in enumerate(subnets):
        if subnet.subnet_id == 0:
            out.error((i, 'id'), f'{subnet.prefix} has no subnet id yet', 'dhcp.subnet-id-missing', incomplete=True)
        elif not 1 <= subnet.subnet_id <= MAX_SUBNET_ID:
            out.error(
                (i, 'id'),
                f'subnet id {subnet.subnet_id} of {subnet.prefix} is outside 1-{MAX_SUBNET_ID}',
                'dhcp.subnet-id-range',
            )
        elif subnet.subnet_id in seen:
            out.error(
                (i, 'id'),
                f'subnet id {subnet.subnet_id} of {subnet.prefix} is also the id of {seen[subnet.subnet_id]}',
                'dhcp.subnet-id-duplicate',
            )
        else:
            seen[subnet.subnet_id] = str(subnet.prefix)


def _check_overlaps(subnets: Sequence[ServedSubnet], out: FindingCollector) -> None:
    """Overlapping prefixes of one family, in one sorted pass (a prefix either contains or follows another)."""
    for version in (4, 6):
        ordered = sorted(
            ((i, s) for i, s in enumerate(subnets) if s.prefix.version == version),
            key=lambda item: (item[1].prefix.network_address, item[1].prefix.prefixlen),  # the wider one first
        )
        widest: tuple[int, ServedSubnet] | None = None
        for i, subnet in ordered:
            if widest is not None and subnet.prefix.subnet_of(widest[1].prefix):  # type: ignore[arg-type]
                out.error(
                    (i, 'subnet'), f'{subnet.prefix} overlaps {widest[1].prefix}, also served', 'dhcp.prefix-overlap'
                )
                continue
            widest = (i, subnet)
