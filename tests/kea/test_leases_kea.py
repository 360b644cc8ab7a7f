"""The client's lease commands (lease_cmds, stat_cmds) against real Kea 2.2: leases made with `lease4-add` /
`lease6-add` on a pair of this module (stat_cmds loaded), typed answers, paging, delete, what HA does not copy."""

import asyncio
import ipaddress
import os
import signal
from collections.abc import Iterator

import pytest

from kealab import KeaLab, LabServer
from kealab.configs import FAST_HA_PARAMETERS
from netbox_kea_ha.kea.client import AsyncKeaClient, Endpoint, KeaClient, Lease, LeaseKey
from netbox_kea_ha.kea.exceptions import KeaTimeout, KeaUnsupported
from netbox_kea_ha.kea.leases import PAGE_LIMIT_MAX, by_key_command, page_arguments, subnet_page_start

pytestmark = pytest.mark.kea


def add_lease(server: LabServer, address: str, index: int, **extra: object) -> None:
    """`lease4-add` of `address` with a MAC, client-id and hostname derived from `index`."""
    arguments = {
        'ip-address': address,
        'hw-address': f'0a:00:00:00:{index // 256:02x}:{index % 256:02x}',
        'client-id': f'01:0a:00:00:00:{index // 256:02x}:{index % 256:02x}',
        'hostname': f'host-{index}.example.org',
    } | extra
    answer = server.command('lease4-add', arguments)
    assert answer['result'] == 0, answer


@pytest.fixture(scope='module')
def stat_pair() -> Iterator[tuple[LabServer, LabServer]]:
    """A load-balancing pair with stat_cmds, its leases: 192.0.2.10-34 (25, on server1 only), 192.0.2.150 on both."""
    with KeaLab() as lab:
        s1, s2 = lab.load_balancing(hooks=('libdhcp_stat_cmds.so',), parameters=FAST_HA_PARAMETERS, wait=True)
        for index in range(25):
            add_lease(s1, f'192.0.2.{10 + index}', index)
        for server in (s1, s2):
            add_lease(server, '192.0.2.150', 200)
        yield s1, s2


def test_lease_get_found_and_not_held(stat_pair):
    s1, s2 = stat_pair
    with KeaClient(s1.endpoint()) as kea:
        lease = kea.lease_get('192.0.2.12')
        assert kea.lease_get('192.0.2.99') is None
        assert kea.lease_get('10.9.9.9') is None  # outside every subnet: Kea says "not found" too
    assert isinstance(lease, Lease)
    assert (lease.family, lease.ip_address, lease.subnet_id) == (4, '192.0.2.12', 1)
    assert (lease.hw_address, lease.client_id, lease.hostname) == (
        '0a:00:00:00:00:02',
        '01:0a:00:00:00:00:02',
        'host-2.example.org',
    )
    assert (lease.state, lease.state_label, lease.valid_lft) == (0, 'default', 3600)
    assert lease.expires is not None and lease.expires.timestamp() == lease.cltt + 3600
    assert lease.as_dict()['expires'] == lease.expires.isoformat()
    with KeaClient(s2.endpoint()) as kea:
        assert kea.lease_get('192.0.2.12') is None  # lease4-add is not sent to the partner


@pytest.mark.parametrize(
    ('key', 'value', 'nobody'),
    [
        (LeaseKey.HW_ADDRESS, '0a:00:00:00:00:05', '0a:00:00:00:0f:ff'),
        (LeaseKey.CLIENT_ID, '01:0a:00:00:00:00:05', '01:0a:00:00:00:0f:ff'),
        (LeaseKey.HOSTNAME, 'host-5.example.org', 'nobody.example.org'),
    ],
)
def test_leases_by_each_key(stat_pair, key, value, nobody):
    with KeaClient(stat_pair[0].endpoint()) as kea:
        (lease,) = kea.leases_by(key, value)
        assert kea.leases_by(key.value, value) == (lease,)
        assert kea.leases_by(key, nobody) == ()  # nobody: an empty tuple, not an error
    assert lease.ip_address == '192.0.2.15'


def test_lease_get_page_walks_every_lease_in_address_order(stat_pair):
    seen: list[str] = []
    start = None
    pages = 0
    with KeaClient(stat_pair[0].endpoint()) as kea:
        while True:
            page = kea.lease_get_page(start, 10)
            pages += 1
            seen.extend(lease.ip_address for lease in page.leases)
            assert len(page.leases) <= 10
            if page.next_from is None:
                break
            start = page.next_from
    expected = [f'192.0.2.{n}' for n in range(10, 35)] + ['192.0.2.150']
    assert seen == expected
    assert pages == 3


def test_subnet_page_start():
    assert subnet_page_start('192.0.2.0/24') == '192.0.1.255'
    assert subnet_page_start('0.0.0.0/0') is None
    assert subnet_page_start('2001:db8:1::/64') == str(
        ipaddress.IPv6Address(int(ipaddress.IPv6Address('2001:db8:1::')) - 1)
    )
    with pytest.raises(ValueError, match='1 to 10000'):
        page_arguments(None, PAGE_LIMIT_MAX + 1)
    with pytest.raises(ValueError, match='cannot be searched by duid'):
        by_key_command(4, LeaseKey.DUID)


def test_stat_lease_get_counts_per_subnet(stat_pair):
    s1, s2 = stat_pair
    with KeaClient(s1.endpoint()) as kea:
        (subnet,) = kea.stat_lease_get()
        assert kea.stat_lease_get(1) == (subnet,)
    assert (subnet.subnet_id, subnet.total, subnet.assigned, subnet.declined) == (1, 180, 26, 0)
    assert subnet.free == 154 and round(subnet.utilisation, 3) == round(26 / 180, 3)
    with KeaClient(s2.endpoint()) as kea:
        assert kea.stat_lease_get()[0].assigned == 1  # each server counts the leases it holds


def test_stat_lease_get_without_stat_cmds_is_unsupported(lb_pair):
    with KeaClient(lb_pair[0].endpoint()) as kea, pytest.raises(KeaUnsupported, match='stat-lease4-get'):
        kea.stat_lease_get()


def test_async_client_reads_the_same(stat_pair):
    async def read():
        async with AsyncKeaClient(stat_pair[0].endpoint()) as kea:
            return await asyncio.gather(
                kea.lease_get('192.0.2.20'),
                kea.leases_by('hostname', 'host-10.example.org'),
                kea.lease_get_page('192.0.2.30', 100),
                kea.stat_lease_get(),
            )

    lease, by_name, page, stats = asyncio.run(read())
    assert by_name == (lease,)
    assert [x.ip_address for x in page.leases] == [
        '192.0.2.31',
        '192.0.2.32',
        '192.0.2.33',
        '192.0.2.34',
        '192.0.2.150',
    ]
    assert page.next_from is None
    assert stats[0].assigned == 26


def test_lease_del_on_one_server_only(kea_lab):
    s1, s2 = kea_lab.load_balancing(parameters=FAST_HA_PARAMETERS, wait=True)
    for server in (s1, s2):
        add_lease(server, '192.0.2.40', 1)
    with KeaClient(s1.endpoint()) as kea:
        assert kea.lease_del('192.0.2.40') is True
        assert kea.lease_del('192.0.2.40') is False  # gone: not held any more
        assert kea.lease_get('192.0.2.40') is None

    async def partner():
        async with AsyncKeaClient(s2.endpoint()) as kea:
            return await kea.lease_get('192.0.2.40')

    # HA does not send a lease4-del made through the API to the partner: it still holds the lease.
    assert asyncio.run(partner()).ip_address == '192.0.2.40'


def test_dhcpv6_leases(kea_lab):
    s1, _s2 = kea_lab.load_balancing(family=6, parameters=FAST_HA_PARAMETERS, wait=True)
    for index in range(3):
        answer = s1.command(
            'lease6-add',
            {
                'ip-address': f'2001:db8:1::{0x100 + index:x}',
                'duid': f'00:01:00:01:00:00:00:0{index}',
                'iaid': 1000 + index,
                'subnet-id': 1,
                'hostname': f'six-{index}.example.org',
            },
        )
        assert answer['result'] == 0, answer
    with KeaClient(s1.endpoint()) as kea:
        lease = kea.lease_get('2001:db8:1::101')
        assert (lease.family, lease.duid, lease.iaid, lease.type) == (6, '00:01:00:01:00:00:00:01', 1001, 'IA_NA')
        assert kea.leases_by(LeaseKey.DUID, '00:01:00:01:00:00:00:02')[0].ip_address == '2001:db8:1::102'
        assert kea.leases_by(LeaseKey.HOSTNAME, 'six-0.example.org')[0].ip_address == '2001:db8:1::100'
        page = kea.lease_get_page(subnet_page_start('2001:db8:1::/64'), 2)
        assert [x.ip_address for x in page.leases] == ['2001:db8:1::100', '2001:db8:1::101']
        assert page.next_from == '2001:db8:1::101'
        assert kea.lease_del('2001:db8:1::100') is True
        assert kea.lease_get('2001:db8:1::100') is None


def test_a_server_that_does_not_answer_times_out(kea_lab):
    """A stopped (SIGSTOP) Control Agent accepts the connection and never answers: a KeaTimeout naming the bound."""
    server = kea_lab.standalone()
    pid = server.pids['ca']
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        with KeaClient(Endpoint(server.ca_url, timeout=0.5)) as kea, pytest.raises(KeaTimeout, match='0.5 s'):
            kea.lease_get('192.0.2.10')
    finally:
        os.kill(pid, signal.SIGCONT)
