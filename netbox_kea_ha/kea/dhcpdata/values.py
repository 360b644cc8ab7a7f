"""
The DHCP data NetBox IPAM gives a relationship, as plain frozen values: what the NetBox layer loads (served prefixes,
their IP ranges and reserved addresses) and what the checks, the split and the rendering are functions of.

Addresses are `ipaddress` objects; `key` is the NetBox id of what a value came from (0: none), so that a finding
can name the object to fix.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = (
    'Address',
    'DhcpData',
    'DhcpOption',
    'Network',
    'PoolRange',
    'Reservation',
    'ServedSubnet',
    'family_of_network',
)

type Address = ipaddress.IPv4Address | ipaddress.IPv6Address
type Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def family_of_network(network: Network) -> str:
    """'dhcp4' for an IPv4 network, 'dhcp6' for an IPv6 one."""
    return 'dhcp4' if network.version == 4 else 'dhcp6'


@dataclass(frozen=True)
class DhcpOption:
    """One `option-data` entry: an option by name (or code) and its data as Kea's text."""

    name: str
    data: str
    code: int | None = None
    #: The option space; None: Kea's default for the family (`dhcp4` / `dhcp6`).
    space: str | None = None
    always_send: bool = False

    def to_kea(self) -> dict[str, Any]:
        """The `option-data` map, only with what is set."""
        out: dict[str, Any] = {'name': self.name}
        if self.code is not None:
            out['code'] = self.code
        if self.space:
            out['space'] = self.space
        out['data'] = self.data
        if self.always_send:
            out['always-send'] = True
        return out


@dataclass(frozen=True)
class PoolRange:
    """An IP range served as a pool. In load-balancing it is split between the peers, unless `peer` gives it whole
    to one of them; `weights` (one per load-balancing peer, in their order) sets the split, halves by default."""

    start: Address
    end: Address
    key: int = 0
    #: The load-balancing peer the whole range belongs to (its `HA_<peer>` class), or None: split.
    peer: str | None = None
    #: Relative sizes of the peers' parts (e.g. (3, 1): three quarters to the first peer), or None: equal parts.
    weights: tuple[int, ...] | None = None
    #: Another client class the pool is restricted to (not split: a class pool belongs to whoever serves it).
    client_class: str | None = None
    #: False: both load-balancing peers hand out from the whole range (what an import finds unsplit; a warning).
    split: bool = True

    @property
    def size(self) -> int:
        """The number of addresses in the range."""
        return int(self.end) - int(self.start) + 1

    def __contains__(self, address: object) -> bool:
        return (
            isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address)
            and address.version == self.start.version
            and int(self.start) <= int(address) <= int(self.end)
        )

    @property
    def text(self) -> str:
        """Kea's pool text, `start - end`."""
        return f'{self.start} - {self.end}'


@dataclass(frozen=True)
class Reservation:
    """A host reservation: an IP address that has a MAC address (and a hostname from its DNS name)."""

    ip_address: Address
    hw_address: str
    hostname: str = ''
    key: int = 0


@dataclass(frozen=True)
class ServedSubnet:
    """A prefix served by the relationship: one `subnet4`/`subnet6` entry."""

    prefix: Network
    #: Kea's subnet id: given once, kept, never reused (`subnet_ids`); 0: not given yet.
    subnet_id: int = 0
    key: int = 0
    ranges: tuple[PoolRange, ...] = ()
    reservations: tuple[Reservation, ...] = ()
    options: tuple[DhcpOption, ...] = ()
    #: `valid-lifetime`, `renew-timer`, ... as Kea spells them (only those set).
    lifetimes: Mapping[str, int] = field(default_factory=dict)
    #: The interface Kea serves it on (directly connected clients), or ''.
    interface: str = ''
    #: The relay agents' addresses (`relay.ip-addresses`), for relayed clients.
    relay_addresses: tuple[Address, ...] = ()
    #: Any other keys of the subnet entry, kept as Kea has them (e.g. what an import could not map to IPAM).
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def family(self) -> str:
        """'dhcp4' or 'dhcp6'."""
        return family_of_network(self.prefix)


@dataclass(frozen=True)
class DhcpData:
    """What a relationship serves from NetBox IPAM."""

    family: str
    #: The relationship's HA mode ('load-balancing', 'hot-standby', 'passive-backup').
    mode: str
    #: The load-balancing peers' names (`this-server-name`s), primary first; pools are split between them.
    peers: tuple[str, ...] = ()
    subnets: tuple[ServedSubnet, ...] = ()

    @property
    def splits(self) -> bool:
        """True when pools are split between the peers (load-balancing)."""
        return self.mode == 'load-balancing' and len(self.peers) > 1
