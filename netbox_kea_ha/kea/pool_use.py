"""How full each address pool is: the pools of a running config, and leases counted into them.

Kea's own counters do not give this on every version: Kea 2.2's `statistic-get-all` and stat_cmds'
`stat-lease4-get` count per subnet only; Kea 2.6 and 3.0 add `subnet[N].pool[P].*` statistics, but keyed by each
pool's `pool-id`, which is 0 unless configured, so every pool of a subnet is summed into `pool[0]` (observed on
3.0: a load-balancing pair's two pools show as one `pool[0]` of 180 addresses). So pools are counted here: the
pools come from one server's `config-get` (`pool_ranges`), its leases from `leaseN-get-page` in address order
(`PoolCounter`), which can skip the addresses between pools (`PoolCounter.next_from`).

A lease counts as assigned in state 0 (default) or 1 (declined, also counted as declined), as Kea's
`assigned-addresses` does; expired-reclaimed and released leases do not. DHCPv6 counts address (IA_NA) leases
into address pools; delegated prefixes (`pd-pools`) are not counted here.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .leases import Lease

__all__ = ('PoolCounter', 'PoolRange', 'PoolStats', 'pool_ranges')


@dataclass(frozen=True)
class PoolRange:
    """One address pool of a running config: its subnet id, the pool as Kea writes it, its first and last address
    (as integers), and its client class (load-balancing: `HA_<server>`)."""

    subnet_id: int
    pool: str
    first: int
    last: int
    client_class: str | None = None

    @property
    def total(self) -> int:
        """Addresses in the pool."""
        return self.last - self.first + 1


@dataclass(frozen=True)
class PoolStats:
    """Lease counts of one pool. `complete` False: the count stopped before the pool's end (a lower bound)."""

    subnet_id: int
    pool: str
    client_class: str | None
    total: int
    assigned: int
    declined: int
    complete: bool

    @property
    def free(self) -> int:
        """Addresses not assigned."""
        return max(self.total - self.assigned, 0)

    @property
    def utilisation(self) -> float:
        """Assigned / total, 0..1."""
        return self.assigned / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts (Kea's spelling of keys)."""
        return {
            'subnet-id': self.subnet_id,
            'pool': self.pool,
            'client-class': self.client_class,
            'total': self.total,
            'assigned': self.assigned,
            'declined': self.declined,
            'free': self.free,
            'utilisation': round(self.utilisation, 4),
            'complete': self.complete,
        }


def _bounds(text: str) -> tuple[int, int]:
    """First and last address of a pool written `a - b` or as a prefix; ValueError for anything else."""
    if '-' in text:
        low, high = (ipaddress.ip_address(part.strip()) for part in text.split('-', 1))
        if low.version != high.version or int(low) > int(high):
            raise ValueError(f'pool {text!r} does not run from a lower to a higher address')
        return int(low), int(high)
    network = ipaddress.ip_network(text.strip(), strict=False)
    return int(network.network_address), int(network.broadcast_address)


def _subnets(body: Mapping[str, Any], key: str) -> Iterable[Mapping[str, Any]]:
    yield from (s for s in body.get(key) or () if isinstance(s, Mapping))
    for network in body.get('shared-networks') or ():
        if isinstance(network, Mapping):
            yield from (s for s in network.get(key) or () if isinstance(s, Mapping))


def _class(pool: Mapping[str, Any]) -> str | None:
    # Kea <= 2.6: "client-class"; Kea 3.0: "client-classes" (a list; the lab's load-balancing pools have one).
    if isinstance(pool.get('client-class'), str) and pool['client-class']:
        return str(pool['client-class'])
    classes = pool.get('client-classes')
    if isinstance(classes, list) and classes:
        return ', '.join(str(c) for c in classes)
    return None


def pool_ranges(config: Mapping[str, Any]) -> tuple[PoolRange, ...]:
    """The address pools of a running config (`{"Dhcp4": ...}` or `{"Dhcp6": ...}`), subnets in shared networks
    included, ordered by first address. A pool Kea would not have accepted (unparsable) is skipped."""
    body, key = (config.get('Dhcp4'), 'subnet4') if 'Dhcp4' in config else (config.get('Dhcp6'), 'subnet6')
    if not isinstance(body, Mapping):
        return ()
    out = []
    for subnet in _subnets(body, key):
        subnet_id = subnet.get('id')
        if not isinstance(subnet_id, int) or isinstance(subnet_id, bool):
            continue
        for pool in subnet.get('pools') or ():
            if not isinstance(pool, Mapping) or not isinstance(pool.get('pool'), str):
                continue
            try:
                first, last = _bounds(pool['pool'])
            except ValueError:
                continue
            out.append(PoolRange(subnet_id, pool['pool'].strip(), first, last, _class(pool)))
    return tuple(sorted(out, key=lambda p: (p.first, p.last)))


class PoolCounter:
    """Counts leases, read in address order, into `ranges` (from `pool_ranges`; Kea's pools do not overlap)."""

    def __init__(self, ranges: Iterable[PoolRange]) -> None:
        self.ranges = tuple(sorted(ranges, key=lambda p: p.first))
        self._firsts = [p.first for p in self.ranges]
        self._assigned = [0] * len(self.ranges)
        self._declined = [0] * len(self.ranges)
        self._covered = -1

    def _index(self, address: int) -> int | None:
        at = bisect.bisect_right(self._firsts, address) - 1
        if at >= 0 and address <= self.ranges[at].last:
            return at
        return None

    def add(self, leases: Iterable[Lease]) -> None:
        """Count one page of leases (in address order)."""
        for lease in leases:
            if lease.family == 6 and lease.type not in (None, 'IA_NA'):
                continue
            address = int(ipaddress.ip_address(lease.ip_address))
            self._covered = max(self._covered, address)
            at = self._index(address)
            if at is None or lease.state not in (0, 1):
                continue
            self._assigned[at] += 1
            if lease.state == 1:
                self._declined[at] += 1

    def start(self) -> int | None:
        """The `from` of the first page: the address before the first pool (None: from the very first lease)."""
        if not self.ranges or self.ranges[0].first == 0:
            return None
        return self.ranges[0].first - 1

    def next_from(self, last: int) -> int | None:
        """The `from` of the next page after a page whose last lease is at `last`: `last` itself inside a pool,
        else the address before the next pool (skipping the addresses between pools); None: every pool is past."""
        self._covered = max(self._covered, last)
        if self._index(last) is not None:
            return last
        following = bisect.bisect_right(self._firsts, last)
        if following >= len(self.ranges):
            return None
        return max(last, self.ranges[following].first - 1)

    def finish(self) -> None:
        """Say that every lease up to the last address has been read (the last page was not full)."""
        self._covered = 2**128

    def stats(self) -> tuple[PoolStats, ...]:
        """The counts so far; a pool whose end the reading has not reached is `complete=False`."""
        return tuple(
            PoolStats(
                p.subnet_id,
                p.pool,
                p.client_class,
                p.total,
                self._assigned[i],
                self._declined[i],
                self._covered >= p.last,
            )
            for i, p in enumerate(self.ranges)
        )
