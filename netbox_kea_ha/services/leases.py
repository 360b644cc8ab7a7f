"""
Leases: search, list, delete and count the leases of an HA relationship (or of one Kea server), from NetBox.

The one place where a web request may talk to Kea: a person is waiting for the answer. So every call is bounded
by the `lease_timeout` setting (seconds per server), a request reads at most one page of leases, and nothing is
cached (every answer says which server gave it, and when).

- **Which server answers.** The peers of a relationship both hold every lease (HA sends each lease a DHCP client
  gets to the partners), so a read asks one peer: the first that answers, in the order `lease_sources` gives
  (peers last seen reachable first, then by role: primary, secondary, standby, backup). A server that does not
  answer is named with the reason ("server1 did not answer in 3 s"); when none answers, `LeaseLookupError`.
- **Comparison.** `compare=True` also asks every other peer and lists the leases that differ.
- **Per-subnet pages.** Kea pages leases in address order (`lease4-get-page`), so a subnet's leases are read
  from the address before its first one, one page per request; the page ends at the subnet's last address.
- **Delete.** Kea's HA hook does NOT send lease changes made with lease_cmds to the partners (observed on 2.2:
  only leases given to DHCP clients are replicated), so a delete is sent to every peer of the relationship. It is
  recorded as a journal entry on the relationship (who, which address, what each server answered).
- **Utilisation** is read from one peer, never summed over peers (each holds every lease: summing counts twice):
  per subnet `stat-leaseN-get` when the stat_cmds hook is loaded, else leases counted; per pool (the pools of that
  peer's running config) always counted; counting reads at most `count_pages` pages.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.utils import timezone

from ..kea.client import AsyncKeaClient, Endpoint, KeaClient, gather_sync
from ..kea.exceptions import KeaError, KeaServerOffline, KeaTimeout, KeaUnreachable, KeaUnsupported
from ..kea.leases import Lease, LeaseKey, LeasePage, SubnetStats, subnet_page_start
from ..kea.pool_use import PoolCounter, PoolStats, pool_ranges
from ..plugin_settings import get_setting
from .endpoints import ENDPOINT_FIELDS, EndpointError, server_endpoint

if TYPE_CHECKING:
    from ..models import HARelationship, KeaServer

__all__ = (
    'COUNT_PAGE',
    'DEFAULT_PAGE_SIZE',
    'EXPORT_JOB_NAME',
    'EXPORT_MAX',
    'MAX_PAGE_SIZE',
    'SEARCH_KEYS',
    'LeaseDeletion',
    'LeaseDifference',
    'LeaseExport',
    'LeaseFetch',
    'LeaseLookupError',
    'LeaseSearch',
    'SubnetPage',
    'Utilisation',
    'delete_lease',
    'export_file',
    'export_leases',
    'lease_family',
    'lease_sources',
    'normalise_value',
    'prepare_search',
    'prepare_subnet_page',
    'prepare_utilisation',
    'search_leases',
    'subnet_page',
    'utilisation',
    'who_holds',
)

#: Leases per page of a per-subnet list (default and most one request may ask for).
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
#: Leases per page when counting without stat_cmds.
COUNT_PAGE = 1000

#: The keys a search takes, per family (`subnet`: the first page of that subnet's leases).
SEARCH_KEYS = {
    4: ('ip-address', 'hw-address', 'client-id', 'hostname', 'subnet'),
    6: ('ip-address', 'duid', 'hostname', 'subnet'),
}

_ROLE_ORDER = {'primary': 0, 'secondary': 1, 'standby': 2, 'backup': 3}
_HEX = re.compile(r'^[0-9a-f]+$')

type Target = HARelationship | KeaServer
#: Called once the (first) request of a look-up is on its way to Kea.
type OnSent = Callable[[], None] | None


class LeaseFetch[T](Protocol):
    """The Kea half of a look-up (what `prepare_search` and the like return): touches no database, so it may run in
    another thread. `on_sent` is called once its (first) request is on its way (a comparison, which asks several
    servers at once, calls it at its start): a view rendering the page meanwhile waits for that, so that the two
    threads do not take turns at the interpreter lock before Kea is even asked."""

    def __call__(self, on_sent: OnSent = None) -> T:
        """Ask Kea; LeaseLookupError when no server answers."""
        ...


def _asking(on_sent: OnSent) -> None:
    """For look-ups that ask several servers at once (an event loop, no per-request signal): say so at once."""
    if on_sent is not None:
        on_sent()


class LeaseLookupError(Exception):
    """No server could answer (each one's reason in the message), or the request itself is wrong."""


@dataclass(frozen=True)
class LeaseDifference:
    """One address whose lease differs between the server that answered and a partner (None: not held there)."""

    ip_address: str
    partner: str
    source_lease: Lease | None
    partner_lease: Lease | None

    @property
    def kind(self) -> str:
        """`only-source`, `only-partner` or `differs`."""
        if self.partner_lease is None:
            return 'only-source'
        if self.source_lease is None:
            return 'only-partner'
        return 'differs'


@dataclass
class _Answered:
    """Which server answered, when, and the reasons of those that did not."""

    source: str | None = None
    at: datetime = field(default_factory=timezone.now)
    unanswered: list[str] = field(default_factory=list)


@dataclass
class _Compared(_Answered):
    """Also: the partners compared with, and the leases that differ."""

    compared_with: list[str] = field(default_factory=list)
    differences: list[LeaseDifference] = field(default_factory=list)


@dataclass
class LeaseSearch(_Compared):
    """A search: the leases found on `source`, and (compared) the partners asked and the differences."""

    key: str = ''
    value: str = ''
    leases: tuple[Lease, ...] = ()


@dataclass
class SubnetPage(_Compared):
    """One page of a subnet's leases; `next_from` is where the next page starts (None: last page). Compared: the
    differences within the addresses both pages cover."""

    prefix: str = ''
    leases: tuple[Lease, ...] = ()
    limit: int = DEFAULT_PAGE_SIZE
    next_from: str | None = None


@dataclass
class Utilisation(_Answered):
    """Lease counts per subnet and per pool, counted once for the relationship (one server's view). `method`
    (subnets): `stat_cmds` or `counted`; `complete` False when counting the subnets stopped at its page budget (the
    counts are then lower bounds); each pool says whether it was counted to its end."""

    subnets: tuple[SubnetStats, ...] = ()
    method: str = 'stat_cmds'
    complete: bool = True
    pools: tuple[PoolStats, ...] = ()

    @property
    def pools_complete(self) -> bool:
        """True when every pool was counted to its end."""
        return all(p.complete for p in self.pools)


@dataclass
class LeaseDeletion(_Answered):
    """A delete: per server, `deleted`, `not held` or why it failed."""

    ip_address: str = ''
    outcomes: dict[str, str] = field(default_factory=dict)

    @property
    def deleted(self) -> bool:
        """True when at least one server deleted the lease."""
        return any(v == 'deleted' for v in self.outcomes.values())


# --- targets and servers ---------------------------------------------------------------------------------------


def lease_family(servers: Sequence[KeaServer]) -> int:
    """4 or 6: the DHCP family of the servers `lease_sources` gave (4 when there are none: nothing is asked then)."""
    return 6 if servers and servers[0].family == 'dhcp6' else 4


def _read(target: Target, servers: Sequence[KeaServer] | None) -> tuple[Sequence[KeaServer], int]:
    """The servers to ask (`servers`, when the caller read them already) and their family."""
    found = lease_sources(target) if servers is None else servers
    return found, lease_family(found)


def lease_sources(target: Target) -> list[KeaServer]:
    """The servers to ask, in order: a server itself; a relationship's peers last seen reachable first, then by
    role (primary, secondary, standby, backup), then by id. One query, of the fields an endpoint needs only (a
    look-up is waited for: the whole rows of peers, servers and addresses cost a millisecond more)."""
    from django.db.models import F

    from ..models import KeaServer

    if isinstance(target, KeaServer):
        return [target]
    servers = (
        KeaServer.objects.filter(ha_peers__relationship=target)
        .select_related('address')
        .only(*ENDPOINT_FIELDS)
        .annotate(peer_id=F('ha_peers__pk'), peer_role=F('ha_peers__role'), peer_reachable=F('ha_peers__reachable'))
        .order_by()
    )
    return sorted(servers, key=lambda s: (s.peer_reachable is False, _ROLE_ORDER.get(s.peer_role, 9), s.peer_id))


def _timeout(timeout: float | None) -> float:
    return float(timeout if timeout is not None else get_setting('lease_timeout'))


def _reason(server: KeaServer, exc: Exception, timeout: float) -> str:
    """Why a server gave no usable answer, for a person (never a password: errors carry none)."""
    if isinstance(exc, KeaServerOffline):
        return f'{server.name} is not running (its Control Agent answered: {exc.text})'
    if isinstance(exc, KeaTimeout):
        return f'{server.name} did not answer in {timeout:g} s'
    if isinstance(exc, KeaUnreachable):
        return f'{server.name} cannot be reached: {exc.message}'
    if isinstance(exc, KeaUnsupported):
        return f'{server.name} does not support {exc.command} (is the lease_cmds hook loaded?)'
    if isinstance(exc, KeaError):
        return f'{server.name}: {exc.message}'
    return str(exc)


type _Source = tuple[KeaServer, Endpoint | EndpointError]


def _sources(servers: Iterable[KeaServer], timeout: float) -> list[_Source]:
    """Each server with its endpoint (or why it has none), built before the event loop: reading a server's
    address and password touches the database, which Django does not allow inside it."""
    out: list[_Source] = []
    for server in servers:
        try:
            out.append((server, server_endpoint(server, timeout=timeout)))
        except EndpointError as exc:
            out.append((server, exc))
    return out


def _ask_now[T](
    sources: Sequence[_Source],
    call: Callable[[KeaClient], T],
    timeout: float,
    answered: _Answered,
    on_sent: OnSent = None,
) -> tuple[KeaServer, T] | None:
    """`_ask` without an event loop (one server at a time anyway): the usual look-up, one round trip. Touches no
    database (the endpoints are built before), so it may run in another thread."""
    for server, endpoint in sources:
        if isinstance(endpoint, EndpointError):
            answered.unanswered.append(str(endpoint))
            continue
        try:
            with KeaClient(endpoint, on_sent=on_sent) as kea:
                value = call(kea)
        except KeaError as exc:
            answered.unanswered.append(_reason(server, exc, timeout))
            continue
        answered.source = server.name
        answered.at = timezone.now()
        return server, value
    return None


async def _ask[T](
    sources: Sequence[_Source], call: Callable[[AsyncKeaClient], Awaitable[T]], timeout: float, answered: _Answered
) -> tuple[KeaServer, T] | None:
    """Ask the servers in turn until one answers; notes the source and every reason on `answered`."""
    for server, endpoint in sources:
        if isinstance(endpoint, EndpointError):
            answered.unanswered.append(str(endpoint))
            continue
        try:
            async with AsyncKeaClient(endpoint) as kea:
                value = await call(kea)
        except KeaError as exc:
            answered.unanswered.append(_reason(server, exc, timeout))
            continue
        answered.source = server.name
        answered.at = timezone.now()
        return server, value
    return None


def _none_answered(target: Target | str, answered: _Answered) -> LeaseLookupError:
    reasons = '; '.join(answered.unanswered) or 'it has no servers'
    return LeaseLookupError(f'No Kea server of {target} answered: {reasons}.')


# --- search ----------------------------------------------------------------------------------------------------


def normalise_value(key: str, value: str, family: int) -> str:
    """A search value as Kea expects it: addresses checked, MACs / client-ids / DUIDs as lower-case `aa:bb:...`
    (accepting `-`, `.` or no separators), hostnames stripped. ValueError names what is wrong."""
    value = (value or '').strip()
    if not value:
        raise ValueError(f'give a {key} to search for')
    if key == 'ip-address':
        address = ipaddress.ip_address(value)
        if address.version != family:
            raise ValueError(f'{value} is not an IPv{family} address')
        return str(address)
    if key == 'subnet':
        network = ipaddress.ip_network(value, strict=False)
        if network.version != family:
            raise ValueError(f'{value} is not an IPv{family} subnet')
        return str(network)
    if key in ('hw-address', 'client-id', 'duid'):
        digits = re.sub(r'[:\-.\s]', '', value.lower())
        if not digits or len(digits) % 2 or not _HEX.match(digits):
            raise ValueError(f'{value!r} is not a {key} (hex bytes such as 0a:1b:2c:3d:4e:5f)')
        return ':'.join(digits[i : i + 2] for i in range(0, len(digits), 2))
    if key == 'hostname':
        return value
    raise ValueError(f'unknown search key {key!r}')


def _find_now(kea: KeaClient, key: str, value: str, family: int, limit: int) -> tuple[Lease, ...]:
    if key == 'ip-address':
        lease = kea.lease_get(value, family=family)
        return (lease,) if lease is not None else ()
    if key == 'subnet':
        network = ipaddress.ip_network(value)
        return _cut(kea.lease_get_page(subnet_page_start(value), limit, family=family), network).leases
    return kea.leases_by(LeaseKey(key), value, family=family)


async def _find(kea: AsyncKeaClient, key: str, value: str, family: int, limit: int) -> tuple[Lease, ...]:
    if key == 'ip-address':
        lease = await kea.lease_get(value, family=family)
        return (lease,) if lease is not None else ()
    if key == 'subnet':
        return (await _subnet_page(kea, value, None, limit, family)).leases
    return await kea.leases_by(LeaseKey(key), value, family=family)


def search_leases(target: Target, key: str, value: str, **options: Any) -> LeaseSearch:
    """Search the leases of a relationship (or server) by `key` (SEARCH_KEYS), from the first server that answers;
    `compare=True`: ask the other peers too and list the differences; `limit`, `timeout` (`prepare_search`).
    ValueError for a bad key or value, LeaseLookupError when no server answers."""
    return prepare_search(target, key, value, **options)()


def prepare_search(
    target: Target,
    key: str,
    value: str,
    *,
    compare: bool = False,
    limit: int = DEFAULT_PAGE_SIZE,
    timeout: float | None = None,
    servers: Sequence[KeaServer] | None = None,
) -> LeaseFetch[LeaseSearch]:
    """`search_leases` in two halves: the checks and the database reads now (ValueError here), the Kea requests in
    the function returned (LeaseLookupError there). That function touches no database: a view may run it in
    another thread while it renders the page. `servers`: what `lease_sources(target)` returned, if already read."""
    found_servers, family = _read(target, servers)
    if key not in SEARCH_KEYS[family]:
        raise ValueError(f'DHCPv{family} leases are searched by {", ".join(SEARCH_KEYS[family])}, not {key!r}')
    value = normalise_value(key, value, family)
    limit = _limit(limit)
    seconds = _timeout(timeout)
    sources = _sources(found_servers, seconds)

    def now(on_sent: OnSent = None) -> LeaseSearch:
        search = LeaseSearch(key=key, value=value)
        found_now = _ask_now(sources, lambda kea: _find_now(kea, key, value, family, limit), seconds, search, on_sent)
        if found_now is None:
            raise _none_answered(target, search)
        search.leases = found_now[1]
        return search

    def compared(on_sent: OnSent = None) -> LeaseSearch:
        _asking(on_sent)
        search = LeaseSearch(key=key, value=value)
        fetch = lambda kea: _find(kea, key, value, family, limit)  # noqa: E731
        cut = limit if key == 'subnet' else None
        search.leases = _ask_and_compare(target, sources, fetch, lambda leases: leases, search, cut, seconds)
        return search

    return compared if compare else now


def _ask_and_compare[T](
    target: Target,
    sources: Sequence[_Source],
    fetch: Callable[[AsyncKeaClient], Awaitable[T]],
    leases_of: Callable[[T], tuple[Lease, ...]],
    result: _Compared,
    limit: int | None,
    seconds: float,
) -> T:
    """Ask the servers in turn until one answers `fetch`, then every other peer the same, concurrently; the first
    answer (the differences and who was compared are noted on `result`)."""

    async def run() -> T:
        found = await _ask(sources, fetch, seconds, result)
        if found is None:
            raise _none_answered(target, result)
        source, value = found
        partners = [s for s in sources if s[0].pk != source.pk]

        async def partner_leases(kea: AsyncKeaClient) -> tuple[Lease, ...]:
            return leases_of(await fetch(kea))

        await _compare(partners, partner_leases, result, leases_of(value), limit, seconds)
        return value

    return gather_sync(run())


async def _compare(
    partners: Sequence[_Source],
    fetch: Callable[[AsyncKeaClient], Awaitable[tuple[Lease, ...]]],
    result: _Compared,
    leases: tuple[Lease, ...],
    limit: int | None,
    seconds: float,
) -> None:
    """Ask the partners the same (concurrently) and note the differences. `limit`: the answers are pages, compared
    only up to the last address both cover (a full page says nothing about the addresses after it)."""
    notes = [_Answered() for _ in partners]
    results = await asyncio.gather(*(_ask([p], fetch, seconds, n) for p, n in zip(partners, notes, strict=True)))
    for (partner, _endpoint), note, answer in zip(partners, notes, results, strict=True):
        if answer is None:
            result.unanswered.extend(f'not compared: {reason}' for reason in note.unanswered)
            continue
        result.compared_with.append(partner.name)
        mine, theirs = leases, answer[1]
        ends = [_number(x[-1]) for x in (mine, theirs) if limit and len(x) >= limit]
        if ends:
            bound = min(ends)
            mine = tuple(lease for lease in mine if _number(lease) <= bound)
            theirs = tuple(lease for lease in theirs if _number(lease) <= bound)
        result.differences.extend(_differences(mine, theirs, partner.name))


def _number(lease: Lease) -> int:
    return int(ipaddress.ip_address(lease.ip_address))


def _differences(source: Iterable[Lease], partner: Iterable[Lease], name: str) -> list[LeaseDifference]:
    mine = {lease.ip_address: lease for lease in source}
    theirs = {lease.ip_address: lease for lease in partner}
    out = []
    for address in sorted(mine.keys() | theirs.keys(), key=ipaddress.ip_address):
        a, b = mine.get(address), theirs.get(address)
        if a is None or b is None or not a.same_as(b):
            out.append(LeaseDifference(address, name, a, b))
    return out


# --- per-subnet pages ------------------------------------------------------------------------------------------


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f'a page holds 1 to {MAX_PAGE_SIZE} leases, not {limit!r}')
    return limit


async def _subnet_page(kea: AsyncKeaClient, prefix: str, start: str | None, limit: int, family: int) -> LeasePage:
    """One Kea page from `start` (None: the subnet's first address), cut at the subnet's last address."""
    network = ipaddress.ip_network(prefix, strict=False)
    page = await kea.lease_get_page(start if start is not None else subnet_page_start(prefix), limit, family=family)
    return _cut(page, network)


def _cut(page: LeasePage, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> LeasePage:
    """The leases of a page inside `network`; a page that went past its end is the last. Kea pages in address
    order, so a page whose first and last leases are inside holds nothing else (no lease parsed one by one)."""
    if not page.leases or (
        ipaddress.ip_address(page.leases[0].ip_address) in network
        and ipaddress.ip_address(page.leases[-1].ip_address) in network
    ):
        return page
    inside = tuple(lease for lease in page.leases if ipaddress.ip_address(lease.ip_address) in network)
    beyond = len(inside) < len(page.leases)
    return LeasePage(inside, page.limit, None if beyond else page.next_from)


def subnet_page(target: Target, prefix: str, **options: Any) -> SubnetPage:
    """One page (at most `limit` leases, one Kea request) of the leases in subnet `prefix`, after address `start`
    (None: from the subnet's start), from the first server that answers; `compare=True`: the same page of every
    other peer too, and the differences where both pages cover the addresses (`prepare_subnet_page`)."""
    return prepare_subnet_page(target, prefix, **options)()


def prepare_subnet_page(
    target: Target,
    prefix: str,
    *,
    start: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    compare: bool = False,
    timeout: float | None = None,
    servers: Sequence[KeaServer] | None = None,
) -> LeaseFetch[SubnetPage]:
    """`subnet_page` in two halves, as `prepare_search`."""
    found_servers, family = _read(target, servers)
    prefix = normalise_value('subnet', prefix, family)
    if start is not None:
        start = normalise_value('ip-address', start, family)
        if ipaddress.ip_address(start) not in ipaddress.ip_network(prefix):
            raise ValueError(f'{start} is not in {prefix}')
    limit = _limit(limit)
    seconds = _timeout(timeout)
    sources = _sources(found_servers, seconds)
    network = ipaddress.ip_network(prefix)

    def now(on_sent: OnSent = None) -> SubnetPage:
        result = SubnetPage(prefix=prefix, limit=limit)
        first = start if start is not None else subnet_page_start(prefix)
        page = lambda kea: _cut(kea.lease_get_page(first, limit, family=family), network)  # noqa: E731
        found_now = _ask_now(sources, page, seconds, result, on_sent)
        if found_now is None:
            raise _none_answered(target, result)
        result.leases, result.next_from = found_now[1].leases, found_now[1].next_from
        return result

    def compared(on_sent: OnSent = None) -> SubnetPage:
        _asking(on_sent)
        result = SubnetPage(prefix=prefix, limit=limit)
        fetch = lambda kea: _subnet_page(kea, prefix, start, limit, family)  # noqa: E731
        page = _ask_and_compare(target, sources, fetch, lambda page: page.leases, result, limit, seconds)
        result.leases, result.next_from = page.leases, page.next_from
        return result

    return compared if compare else now


# --- who holds an address --------------------------------------------------------------------------------------


def who_holds(
    address: str, relationships: Sequence[HARelationship], *, timeout: float | None = None
) -> list[tuple[HARelationship, LeaseSearch | LeaseLookupError]]:
    """The lease of `address` in each of `relationships` (their family must match), asked concurrently: per
    relationship its search (leases empty: none held there) or why no server answered."""
    seconds = _timeout(timeout)
    family = ipaddress.ip_address(address).version
    address = str(ipaddress.ip_address(address))
    sources = [_sources(lease_sources(r), seconds) for r in relationships]
    names = [str(r) for r in relationships]

    async def one(name: str, servers: list[_Source]) -> LeaseSearch | LeaseLookupError:
        search = LeaseSearch(key='ip-address', value=address)
        found = await _ask(servers, lambda kea: kea.lease_get(address, family=family), seconds, search)
        if found is None:
            return _none_answered(name, search)
        search.leases = (found[1],) if found[1] is not None else ()
        return search

    async def run() -> list[LeaseSearch | LeaseLookupError]:
        return list(await asyncio.gather(*(one(n, s) for n, s in zip(names, sources, strict=True))))

    return list(zip(relationships, gather_sync(run()), strict=True))


# --- delete ----------------------------------------------------------------------------------------------------


def delete_lease(
    relationship: HARelationship, address: str, *, user: Any = None, timeout: float | None = None
) -> LeaseDeletion:
    """Delete the lease of `address` on every peer of the relationship (HA does not replicate lease_cmds
    changes), concurrently; journal what each server answered on the relationship. LeaseLookupError when no
    server answered (nothing recorded then)."""
    found_servers, family = _read(relationship, None)
    address = normalise_value('ip-address', address, family)
    seconds = _timeout(timeout)
    servers = _sources(found_servers, seconds)
    deletion = LeaseDeletion(ip_address=address)

    async def one(server: _Source) -> str:
        answered = _Answered()
        found = await _ask([server], lambda kea: kea.lease_del(address, family=family), seconds, answered)
        if found is None:
            return f'failed: {answered.unanswered[0]}'
        return 'deleted' if found[1] else 'not held'

    async def run() -> list[str]:
        return list(await asyncio.gather(*(one(s) for s in servers)))

    outcomes = gather_sync(run())
    deletion.outcomes = {s.name: o for (s, _e), o in zip(servers, outcomes, strict=True)}
    answered = [name for name, outcome in deletion.outcomes.items() if not outcome.startswith('failed')]
    deletion.unanswered = [o.removeprefix('failed: ') for o in outcomes if o.startswith('failed')]
    if not answered:
        raise _none_answered(relationship, deletion)
    deletion.source = answered[0]
    _journal(relationship, deletion, user)
    return deletion


def _journal(relationship: HARelationship, deletion: LeaseDeletion, user: Any) -> None:
    from extras.choices import JournalEntryKindChoices
    from extras.models import JournalEntry

    lines = ', '.join(f'{name}: {outcome}' for name, outcome in deletion.outcomes.items())
    who = getattr(user, 'username', None) or 'unknown user'
    JournalEntry.objects.create(
        assigned_object=relationship,
        created_by=user if getattr(user, 'pk', None) else None,
        kind=JournalEntryKindChoices.KIND_WARNING if not deletion.deleted else JournalEntryKindChoices.KIND_INFO,
        comments=f'Lease {deletion.ip_address} delete requested by {who}. {lines}.',
    )


# --- export (a job) --------------------------------------------------------------------------------------------

#: The most leases one export writes (about 120 bytes of CSV each).
EXPORT_MAX = 500_000


@dataclass
class LeaseExport(_Answered):
    """An export: how many leases (`count`), over how many Kea pages, whether it stopped at EXPORT_MAX."""

    prefix: str | None = None
    count: int = 0
    pages: int = 0
    truncated: bool = False


def export_leases(
    target: Target,
    out: Any,
    *,
    prefix: str | None = None,
    page_size: int = COUNT_PAGE,
    limit: int = EXPORT_MAX,
    logger: Any = None,
) -> LeaseExport:
    """Write every lease of a relationship (or server) as CSV (tables.leases columns) to the text stream `out`,
    page by page (one page in memory at a time) from the first server that answers (the `request_timeout`
    setting: this runs in a job), within `prefix` when given. LeaseLookupError when no server answers, or the
    one that did stops answering."""
    from ..tables.leases import leases_csv_writer

    servers, family = _read(target, None)
    network = ipaddress.ip_network(normalise_value('subnet', prefix, family)) if prefix else None
    result = LeaseExport(prefix=str(network) if network else None)
    seconds = float(get_setting('request_timeout'))
    start = subnet_page_start(str(network)) if network else None
    first = _ask_now(
        _sources(servers, seconds), lambda kea: kea.lease_get_page(start, page_size, family=family), seconds, result
    )
    if first is None:
        raise _none_answered(target, result)
    source, page = first
    write = leases_csv_writer(out)
    endpoint = server_endpoint(source, timeout=seconds)
    with KeaClient(endpoint) as kea:
        while True:
            result.pages += 1
            if network is not None:
                page = _cut(page, network)
            room = limit - result.count
            write(page.leases[:room])
            result.count += min(len(page.leases), room)
            if logger is not None and result.pages % 10 == 0:
                logger.info(f'{result.count} leases written ({result.pages} pages from {source.name})')
            if result.count >= limit and page.next_from is not None:
                result.truncated = True
                break
            if page.next_from is None:
                break
            try:
                page = kea.lease_get_page(page.next_from, page_size, family=family)
            except KeaError as exc:
                raise LeaseLookupError(
                    f'{_reason(source, exc, seconds)} after {result.count} leases; the export stopped'
                ) from None
    return result


#: The name of the lease export job (jobs.LeaseExportJob.Meta.name).
EXPORT_JOB_NAME = 'Export leases'


def export_file(relationship: HARelationship, job_id: Any) -> tuple[str, Any] | None:
    """(file name, storage) of a completed lease export job of `relationship`, or None."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.files.storage import default_storage

    from core.choices import JobStatusChoices
    from core.models import Job

    try:
        job_id = int(job_id)
    except (TypeError, ValueError):
        return None
    job = Job.objects.filter(
        pk=job_id,
        object_type=ContentType.objects.get_for_model(type(relationship)),
        object_id=relationship.pk,
        name=EXPORT_JOB_NAME,
    ).first()
    if job is None or job.status != JobStatusChoices.STATUS_COMPLETED or not isinstance(job.data, dict):
        return None
    name = job.data.get('file')
    if not isinstance(name, str) or not name.startswith('kea-ha/lease-exports/') or not default_storage.exists(name):
        return None
    return name, default_storage


# --- utilisation -----------------------------------------------------------------------------------------------


def _count(kea: KeaClient, family: int, pages: int, pools: PoolCounter) -> tuple[tuple[SubnetStats, ...], bool]:
    """Assigned and declined leases per subnet, counted over at most `pages` pages from the first lease (the pools
    counted from the same pages); (stats, complete)."""
    assigned: dict[int, int] = {}
    declined: dict[int, int] = {}
    start: str | None = None
    for _ in range(pages):
        page = kea.lease_get_page(start, COUNT_PAGE, family=family)
        pools.add(page.leases)
        for lease in page.leases:
            subnet = lease.subnet_id or 0
            if lease.state == 1:
                declined[subnet] = declined.get(subnet, 0) + 1
            elif lease.state == 0:
                assigned[subnet] = assigned.get(subnet, 0) + 1
        if page.next_from is None:
            pools.finish()
            break
        start = page.next_from
    else:
        return _count_stats(assigned, declined), False
    return _count_stats(assigned, declined), True


def _count_pools(kea: KeaClient, family: int, pages: int, pools: PoolCounter) -> None:
    """Count leases into `pools` over at most `pages` pages, reading only from the pools' addresses (the pages
    skip the addresses between pools)."""
    if not pools.ranges:
        return
    first = pools.start()
    start = None if first is None else str(ipaddress.ip_address(first))
    for _ in range(pages):
        page = kea.lease_get_page(start, COUNT_PAGE, family=family)
        pools.add(page.leases)
        if page.next_from is None:
            pools.finish()
            return
        following = pools.next_from(int(ipaddress.ip_address(page.next_from)))
        if following is None:
            return
        start = str(ipaddress.ip_address(following))


def _count_stats(assigned: dict[int, int], declined: dict[int, int]) -> tuple[SubnetStats, ...]:
    subnets = sorted(assigned.keys() | declined.keys())
    return tuple(SubnetStats(s, None, assigned.get(s, 0) + declined.get(s, 0), declined.get(s, 0)) for s in subnets)


def utilisation(target: Target, *, count_pages: int = 1, timeout: float | None = None) -> Utilisation:
    """Lease counts per subnet and per pool, read from one server (counted once per relationship).

    Subnets: stat_cmds' `stat-leaseN-get` where the hook is loaded; otherwise leases counted. Pools (from the same
    server's running config): always counted (no Kea version counts per pool reliably, kea/pool_use.py). Counting
    reads at most `count_pages` pages of COUNT_PAGE leases in all (a web request: 1; a job: more); what the pages
    did not reach is marked incomplete (lower bounds)."""
    return prepare_utilisation(target, count_pages=count_pages, timeout=timeout)()


def prepare_utilisation(
    target: Target,
    *,
    count_pages: int = 1,
    timeout: float | None = None,
    servers: Sequence[KeaServer] | None = None,
) -> LeaseFetch[Utilisation]:
    """`utilisation` in two halves, as `prepare_search`."""
    found_servers, family = _read(target, servers)
    seconds = _timeout(timeout)
    sources = _sources(found_servers, seconds)

    def read(kea: KeaClient) -> tuple[tuple[SubnetStats, ...], str, bool, tuple[PoolStats, ...]]:
        pools = PoolCounter(pool_ranges(kea.config_get().config))
        try:
            stats = kea.stat_lease_get(family=family)
        except KeaUnsupported:
            stats, complete = _count(kea, family, count_pages, pools)
            return stats, 'counted', complete, pools.stats()
        _count_pools(kea, family, count_pages, pools)
        return stats, 'stat_cmds', True, pools.stats()

    def now(on_sent: OnSent = None) -> Utilisation:
        result = Utilisation()
        found = _ask_now(sources, read, seconds, result, on_sent)
        if found is None:
            raise _none_answered(target, result)
        result.subnets, result.method, result.complete, result.pools = found[1]
        return result

    return now
