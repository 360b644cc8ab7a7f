"""Kea's leases as typed values, and the arguments and answers of the lease_cmds and stat_cmds commands.

The clients (client.py) send the commands; this module builds their arguments and reads their answers:

    lease4-get / lease6-get                       {"ip-address"} (optionally "subnet-id")     -> one `Lease`
    lease4-get-by-hw-address / -client-id / -hostname, lease6-get-by-duid / -hostname       -> `Lease`s
    lease4-get-page / lease6-get-page             {"from": address | "start", "limit"}      -> `LeasePage`
    lease4-del / lease6-del                       {"ip-address"}                            -> deleted or not
    stat-lease4-get / stat-lease6-get (stat_cmds) {} or {"subnet-id"}                       -> `SubnetStats`

Leases come back ordered by address from the page commands (Kea's memfile, MySQL and PostgreSQL back ends all
page by address), which is what lets a subnet be read page by page from its first address (`subnet_page_start`).
What Kea 2.2 does (observed): "nothing found" is result 3; lease changes made with these commands are NOT sent to
the HA partner (only leases given to DHCP clients are).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .exceptions import KeaProtocolError

__all__ = (
    'LEASE_STATES',
    'PAGE_LIMIT_MAX',
    'Lease',
    'LeaseKey',
    'LeasePage',
    'SubnetStats',
    'by_key_command',
    'family_of_address',
    'get_arguments',
    'lease_of',
    'leases_of',
    'page_arguments',
    'page_of',
    'stats_of',
    'subnet_page_start',
)

#: Kea's lease states (0-2 both families; 3 "released" and 4 "registered" on newer Kea).
LEASE_STATES = {0: 'default', 1: 'declined', 2: 'expired-reclaimed', 3: 'released', 4: 'registered'}

#: The most leases one page asks Kea for (Kea itself accepts up to 2^32-1; pages of a web request stay small).
PAGE_LIMIT_MAX = 10_000


class LeaseKey(StrEnum):
    """What a lease is searched by."""

    IP_ADDRESS = 'ip-address'
    HW_ADDRESS = 'hw-address'
    CLIENT_ID = 'client-id'
    HOSTNAME = 'hostname'
    DUID = 'duid'


#: The by-key commands, per family: {key: command suffix}.
_BY_KEY = {
    4: {
        LeaseKey.HW_ADDRESS: 'get-by-hw-address',
        LeaseKey.CLIENT_ID: 'get-by-client-id',
        LeaseKey.HOSTNAME: 'get-by-hostname',
    },
    6: {LeaseKey.DUID: 'get-by-duid', LeaseKey.HOSTNAME: 'get-by-hostname'},
}


def by_key_command(family: int, key: LeaseKey) -> str:
    """The command that finds leases of `family` by `key` (`lease4-get-by-hw-address`); ValueError if none."""
    key = LeaseKey(key)
    try:
        return f'lease{family}-{_BY_KEY[family][key]}'
    except KeyError:
        known = ', '.join(k.value for k in _BY_KEY.get(family, {})) or 'none'
        raise ValueError(f'DHCPv{family} leases cannot be searched by {key.value} (by: ip-address, {known})') from None


def family_of_address(address: str) -> int:
    """4 or 6 for an IP address (ValueError if it is not one)."""
    return ipaddress.ip_address(address).version


def get_arguments(address: str, subnet_id: int | None = None) -> dict[str, Any]:
    """Arguments of lease4-get / lease6-get / lease4-del / lease6-del for one address (checked)."""
    arguments: dict[str, Any] = {'ip-address': str(ipaddress.ip_address(address))}
    if ipaddress.ip_address(address).version == 6:
        arguments['type'] = 'IA_NA'
    if subnet_id is not None:
        arguments['subnet-id'] = int(subnet_id)
    return arguments


def page_arguments(start: str | None, limit: int) -> dict[str, Any]:
    """Arguments of lease4-get-page / lease6-get-page: leases after address `start` (None: from the first)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= PAGE_LIMIT_MAX:
        raise ValueError(f'a page holds 1 to {PAGE_LIMIT_MAX} leases, not {limit!r}')
    return {'from': 'start' if start is None else str(ipaddress.ip_address(start)), 'limit': limit}


def subnet_page_start(prefix: str) -> str | None:
    """Where paging through a subnet starts: the address before its first one (Kea's `from` is exclusive), or
    None (from the very first lease) for a subnet that starts at 0.0.0.0 / ::."""
    network = ipaddress.ip_network(prefix, strict=False)
    first = int(network.network_address)
    if first == 0:
        return None
    return str(ipaddress.IPv4Address(first - 1) if network.version == 4 else ipaddress.IPv6Address(first - 1))


@dataclass(slots=True)
class Lease:
    """One lease as Kea holds it. `expires` is `cltt + valid-lft` (None when Kea did not say).

    Not frozen: a page holds up to 1,000 leases, and a frozen dataclass's `__init__` (one `object.__setattr__` per
    field) made reading a page 3.5 times as costly (bench/leases.py). Treat a lease as a value all the same (it is
    not hashable: key leases by their address)."""

    family: int
    ip_address: str
    subnet_id: int | None = None
    hw_address: str | None = None
    client_id: str | None = None
    duid: str | None = None
    iaid: int | None = None
    hostname: str | None = None
    state: int = 0
    cltt: int | None = None
    valid_lft: int | None = None
    preferred_lft: int | None = None
    type: str | None = None
    prefix_len: int | None = None
    fqdn_fwd: bool | None = None
    fqdn_rev: bool | None = None
    user_context: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def state_label(self) -> str:
        """The state's name (`default`, `declined`, `expired-reclaimed`, ...)."""
        return LEASE_STATES.get(self.state, str(self.state))

    @property
    def expires(self) -> datetime | None:
        """When the lease expires (UTC), from Kea's cltt and valid lifetime."""
        if self.cltt is None or self.valid_lft is None:
            return None
        return datetime.fromtimestamp(self.cltt + self.valid_lft, tz=UTC)

    @property
    def client(self) -> str | None:
        """Who holds it: the MAC (v4) or DUID (v6)."""
        return self.hw_address if self.family == 4 else self.duid

    def same_as(self, other: Lease) -> bool:
        """True when both describe the same binding (address, client, subnet, state, expiry)."""
        return _identity(self) == _identity(other)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: Kea's own keys, plus `state-label` and `expires` (ISO 8601)."""
        out: dict[str, Any] = {'ip-address': self.ip_address, 'subnet-id': self.subnet_id}
        for key, value in (
            ('hw-address', self.hw_address),
            ('client-id', self.client_id),
            ('duid', self.duid),
            ('iaid', self.iaid),
            ('type', self.type),
            ('prefix-len', self.prefix_len),
            ('preferred-lft', self.preferred_lft),
        ):
            if value is not None:
                out[key] = value
        out |= {
            'hostname': self.hostname,
            'state': self.state,
            'state-label': self.state_label,
            'cltt': self.cltt,
            'valid-lft': self.valid_lft,
            'expires': self.expires.isoformat() if self.expires else None,
            'fqdn-fwd': self.fqdn_fwd,
            'fqdn-rev': self.fqdn_rev,
        }
        return out

    @classmethod
    def from_kea(cls, family: int, data: Any) -> Lease:
        """A lease from one entry of Kea's answer; KeaProtocolError for a wrong shape."""
        if not (type(data) is dict or isinstance(data, Mapping)) or type(data.get('ip-address')) is not str:
            raise KeaProtocolError(f'a lease is not a map with an ip-address: {type(data).__name__}')

        get = data.get
        context = get('user-context')
        return cls(  # positional, in field order: a page builds up to 1,000 of these
            family,
            data['ip-address'],
            _number(get('subnet-id')),
            _text(get('hw-address')),
            _text(get('client-id')),
            _text(get('duid')),
            _number(get('iaid')),
            _text(get('hostname')),
            _number(get('state')) or 0,
            _number(get('cltt')),
            _number(get('valid-lft')),
            _number(get('preferred-lft')),
            _text(get('type')),
            _number(get('prefix-len')),
            _flag(get('fqdn-fwd')),
            _flag(get('fqdn-rev')),
            context if context is not None and isinstance(context, Mapping) else None,
        )


# Exact type checks: JSON gives exactly str, int and bool (and bool is an int, which a count must not be).
def _text(value: Any) -> str | None:
    return value if type(value) is str and value else None


def _number(value: Any) -> int | None:
    return value if type(value) is int else None


def _flag(value: Any) -> bool | None:
    return value if type(value) is bool else None


def _identity(lease: Lease) -> tuple[Any, ...]:
    return (
        lease.ip_address,
        lease.subnet_id,
        lease.hw_address,
        lease.client_id,
        lease.duid,
        lease.hostname,
        lease.state,
        lease.cltt,
        lease.valid_lft,
    )


@dataclass(frozen=True)
class LeasePage:
    """One page of leases (ordered by address) and where the next page starts (`next_from`; None: last page)."""

    leases: tuple[Lease, ...]
    limit: int
    next_from: str | None


@dataclass(frozen=True)
class SubnetStats:
    """Lease counts of one subnet (stat_cmds `stat-lease4-get` / `stat-lease6-get`, or counted).

    v4: `total` addresses, `assigned`, `declined`. v6: `total` NA addresses, `assigned` NAs, `declined`, and the
    delegated prefixes (`total_pds`, `assigned_pds`). Counts are Kea's integers (v6 totals can exceed 2^64).
    """

    subnet_id: int
    total: int | None
    assigned: int
    declined: int = 0
    total_pds: int | None = None
    assigned_pds: int | None = None

    @property
    def free(self) -> int | None:
        """Addresses not assigned (None when the total is unknown)."""
        return None if self.total is None else max(self.total - self.assigned, 0)

    @property
    def utilisation(self) -> float | None:
        """Assigned / total, 0..1 (None when the total is unknown or zero)."""
        return self.assigned / self.total if self.total else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        out: dict[str, Any] = {
            'subnet-id': self.subnet_id,
            'total': self.total,
            'assigned': self.assigned,
            'declined': self.declined,
            'free': self.free,
            'utilisation': round(self.utilisation, 4) if self.utilisation is not None else None,
        }
        if self.total_pds is not None or self.assigned_pds is not None:
            out |= {'total-pds': self.total_pds, 'assigned-pds': self.assigned_pds}
        return out


# --- answers ---------------------------------------------------------------------------------------------------


def lease_of(family: int, arguments: Any) -> Lease:
    """The lease of a lease4-get / lease6-get answer."""
    return Lease.from_kea(family, arguments)


def leases_of(family: int, arguments: Any) -> tuple[Lease, ...]:
    """The leases of a by-key or page answer (`{"leases": [...]}`; result 3 has an empty list or no arguments)."""
    if arguments is None:
        return ()
    if not isinstance(arguments, Mapping) or not isinstance(arguments.get('leases', []), list):
        raise KeaProtocolError('a lease answer has no "leases" list')
    return tuple(Lease.from_kea(family, entry) for entry in arguments.get('leases', []))


def page_of(family: int, arguments: Any, limit: int) -> LeasePage:
    """A page answer as a `LeasePage`: a full page says where the next one starts (its last address)."""
    leases = leases_of(family, arguments)
    next_from = leases[-1].ip_address if len(leases) >= limit else None
    return LeasePage(leases, limit, next_from)


_V4_COLUMNS = {'total-addresses': 'total', 'assigned-addresses': 'assigned', 'declined-addresses': 'declined'}
_V6_COLUMNS = {
    'total-nas': 'total',
    'assigned-nas': 'assigned',
    'declined-addresses': 'declined',
    'declined-nas': 'declined',
    'total-pds': 'total_pds',
    'assigned-pds': 'assigned_pds',
}


def stats_of(family: int, arguments: Any) -> tuple[SubnetStats, ...]:
    """The rows of a stat-lease4-get / stat-lease6-get answer (`result-set` of columns and rows), one per subnet."""
    result_set = arguments.get('result-set') if isinstance(arguments, Mapping) else None
    if result_set is None:
        return ()
    columns, rows = (result_set.get('columns'), result_set.get('rows')) if isinstance(result_set, Mapping) else (0, 0)
    if not isinstance(columns, Sequence) or not isinstance(rows, Sequence):
        raise KeaProtocolError('a stat-lease answer has no columns and rows')
    names = _V4_COLUMNS if family == 4 else _V6_COLUMNS
    out = []
    for row in rows:
        if not isinstance(row, Sequence) or len(row) != len(columns):
            raise KeaProtocolError('a stat-lease row does not match its columns')
        values: dict[str, Any] = {}
        for column, value in zip(columns, row, strict=True):
            if column == 'subnet-id':
                values['subnet_id'] = int(value)
            elif column in names and isinstance(value, int):
                values[names[column]] = value
        if 'subnet_id' not in values:
            raise KeaProtocolError('a stat-lease row has no subnet-id')
        values.setdefault('total', None)
        values.setdefault('assigned', 0)
        out.append(SubnetStats(**values))
    return tuple(out)
