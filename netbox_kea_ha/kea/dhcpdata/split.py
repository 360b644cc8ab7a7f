"""
The load-balancing split: Kea's HA hook puts each client in the class `HA_<server name>` of the peer that answers it
(Kea ARM, "Load-Balancing Configuration"), so each pool of a load-balancing pair is cut into one part per peer, each
restricted to that peer's class. Halves by default; `PoolRange.weights` sets other proportions (the parts are exact
when the weights are the parts' sizes, which is how an import keeps a split it found), `PoolRange.peer` gives a
whole range to one peer. In hot-standby and passive-backup a pool is not split.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from .values import Address, DhcpData, PoolRange, ServedSubnet

__all__ = (
    'SplitError',
    'ha_class',
    'pools_of',
    'split_range',
)


class SplitError(ValueError):
    """A range cannot be split as asked (too small, weights that do not fit the peers)."""


def ha_class(peer: str) -> str:
    """The client class Kea's HA hook gives the clients `peer` answers: `HA_<peer>`."""
    return f'HA_{peer}'


def _address(version: int, value: int) -> Address:
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)


def split_range(rng: PoolRange, peers: Sequence[str]) -> list[tuple[Address, Address, str]]:
    """The parts of `rng` as (first, last, peer), in address order: one per peer, sized by the weights."""
    if rng.peer is not None:
        if rng.peer not in peers:
            raise SplitError(f'range {rng.text} is given to {rng.peer!r}, which is not a load-balancing peer')
        return [(rng.start, rng.end, rng.peer)]
    if not peers:
        raise SplitError('no load-balancing peers to split between')
    weights = rng.weights or (1,) * len(peers)
    if len(weights) != len(peers):
        raise SplitError(f'range {rng.text} has {len(weights)} weights for {len(peers)} peers')
    if any(w < 1 for w in weights):
        raise SplitError(f'range {rng.text}: every weight must be at least 1 (give the range to one peer instead)')
    total = rng.size
    if total < len(peers):
        raise SplitError(f'range {rng.text} has {total} address(es), too few to split between {len(peers)} peers')
    whole = sum(weights)
    sizes = [total * w // whole for w in weights]
    for i in range(total - sum(sizes)):
        sizes[i % len(sizes)] += 1
    for i, size in enumerate(sizes):  # rounding can leave a small weight with nothing: take one from the largest
        if size == 0:
            largest = max(range(len(sizes)), key=sizes.__getitem__)
            sizes[largest] -= 1
            sizes[i] = 1
    parts = []
    first = int(rng.start)
    for peer, size in zip(peers, sizes, strict=True):
        parts.append((_address(rng.start.version, first), _address(rng.start.version, first + size - 1), peer))
        first += size
    return parts


def pools_of(subnet: ServedSubnet, data: DhcpData) -> list[dict[str, Any]]:
    """The subnet's `pools` list: its ranges in address order, split between the peers in load-balancing."""
    out: list[dict[str, Any]] = []
    for rng in sorted(subnet.ranges, key=lambda r: int(r.start)):
        if rng.client_class:
            out.append({'pool': rng.text, 'client-class': rng.client_class})
        elif data.splits and rng.split:
            for first, last, peer in split_range(rng, data.peers):
                out.append({'pool': f'{first} - {last}', 'client-class': ha_class(peer)})
        else:
            out.append({'pool': rng.text})
    return out
