"""Leases end to end: NetBox's relationship and servers over real Kea 2.2 pairs (leases made with `lease4-add`);
search by every key, compare peers, per-subnet pages, utilisation, delete, permissions, stopped servers."""

import contextlib
import csv
import io
import os
import signal
import time

import pytest
from django.urls import reverse

from extras.models import JournalEntry
from ipam.models import IPAddress, Prefix
from tests.e2e.helpers import commands_received, grant

from kealab import KeaLab
from kealab.configs import FAST_HA_PARAMETERS
from kealab.netns import NetnsDhcpLab, available
from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer
from netbox_kea_ha.services.endpoints import server_endpoint
from netbox_kea_ha.services.leases import (
    LeaseLookupError,
    delete_lease,
    lease_sources,
    prepare_search,
    search_leases,
    subnet_page,
    utilisation,
)

pytestmark = [pytest.mark.kea, pytest.mark.django_db]

API = '/api/plugins/kea-ha'
NETNS = available('2.2')


#: One expiry time for every lease the tests add: the same lease added to both peers is then the same binding.
EXPIRE = int(time.time()) + 3600


def add_lease(server, address, index, hostname=None):
    """`lease4-add` of `address`, with a MAC, client-id and hostname derived from `index`, expiring at EXPIRE."""
    answer = server.command(
        'lease4-add',
        {
            'ip-address': address,
            'hw-address': f'0a:00:00:00:{index // 256:02x}:{index % 256:02x}',
            'client-id': f'01:0a:00:00:00:{index // 256:02x}:{index % 256:02x}',
            'hostname': hostname or f'host-{index}.example.org',
            'expire': EXPIRE,
        },
    )
    assert answer['result'] == 0, answer


@pytest.fixture(scope='module')
def leased_pair():
    """A load-balancing pair with stat_cmds. Leases: 192.0.2.10-34 on both servers (25, the same), 192.0.2.150 only
    on server1, 192.0.2.160 on both with a different hostname on server2. Read-only for the tests that use it."""
    with KeaLab() as lab:
        s1, s2 = lab.load_balancing(hooks=('libdhcp_stat_cmds.so',), parameters=FAST_HA_PARAMETERS, wait=True)
        for index in range(25):
            for server in (s1, s2):
                add_lease(server, f'192.0.2.{10 + index}', index)
        add_lease(s1, '192.0.2.150', 150)
        add_lease(s1, '192.0.2.160', 160)
        add_lease(s2, '192.0.2.160', 160, hostname='other-name.example.org')
        yield s1, s2


def relationship_for(netbox, servers, name='leases'):
    """A NetBox relationship whose peers are the kealab servers (primary first); their KeaServers kea-1, kea-2."""
    relationship = HARelationship.objects.create(name=name, mode='load-balancing')
    for lab_server, role in zip(servers, ('primary', 'secondary'), strict=False):
        server = netbox.server(lab_server)
        HAPeer.objects.create(relationship=relationship, server=server, role=role, name=lab_server.name)
    return relationship


def lease_commands(servers):
    """How many lease commands (any lease4-*, stat-lease4-get) the servers have logged receiving so far."""
    names = ('lease4-get', 'lease4-get-by-hw-address', 'lease4-get-page', 'lease4-del', 'stat-lease4-get')
    return sum(commands_received(server, name) for server in servers for name in names)


# --- search ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('key', 'value'),
    [
        ('ip-address', '192.0.2.15'),
        ('hw-address', '0A-00-00-00-00-05'),  # written another way: normalised to 0a:00:00:00:00:05
        ('client-id', '01:0a:00:00:00:00:05'),
        ('hostname', 'host-5.example.org'),
    ],
)
def test_search_by_each_key_reads_one_peer_and_says_which(leased_pair, netbox, key, value):
    relationship = relationship_for(netbox, leased_pair)

    found = search_leases(relationship, key, value)

    assert [lease.ip_address for lease in found.leases] == ['192.0.2.15']
    assert found.source == 'kea-1'  # the primary, first of the peers that answer
    assert found.unanswered == [] and found.differences == []
    assert found.leases[0].hw_address == '0a:00:00:00:00:05'


def test_search_by_subnet_and_nothing_found(leased_pair, netbox):
    relationship = relationship_for(netbox, leased_pair)

    first = search_leases(relationship, 'subnet', '192.0.2.0/24', limit=5)
    nobody = search_leases(relationship, 'hostname', 'nobody.example.org')

    assert [lease.ip_address for lease in first.leases] == [f'192.0.2.{n}' for n in range(10, 15)]
    assert nobody.leases == () and nobody.source == 'kea-1'
    with pytest.raises(ValueError, match='not a hw-address'):
        search_leases(relationship, 'hw-address', 'zz:zz')
    with pytest.raises(ValueError, match='searched by'):
        search_leases(relationship, 'duid', '00:01')


def test_compare_lists_the_leases_the_peers_disagree_on(leased_pair, netbox):
    relationship = relationship_for(netbox, leased_pair)

    agreeing = search_leases(relationship, 'ip-address', '192.0.2.20', compare=True)
    page = search_leases(relationship, 'subnet', '192.0.2.0/24', compare=True, limit=1000)

    assert agreeing.compared_with == ['kea-2'] and agreeing.differences == []
    assert len(page.leases) == 27
    differences = {d.ip_address: d.kind for d in page.differences}
    assert differences == {'192.0.2.150': 'only-source', '192.0.2.160': 'differs'}
    (differs,) = [d for d in page.differences if d.kind == 'differs']
    assert (differs.source_lease.hostname, differs.partner_lease.hostname) == (
        'host-160.example.org',
        'other-name.example.org',
    )


# --- per-subnet pages, utilisation -----------------------------------------------------------------------------


def test_subnet_pages_walk_the_subnet_one_kea_page_at_a_time(leased_pair, netbox):
    relationship = relationship_for(netbox, leased_pair)
    seen, start, pages = [], None, 0
    before = sum(commands_received(s, 'lease4-get-page') for s in leased_pair)
    while True:
        page = subnet_page(relationship, '192.0.2.0/24', start=start, limit=10)
        pages += 1
        seen.extend(lease.ip_address for lease in page.leases)
        if page.next_from is None:
            break
        start = page.next_from
    after = sum(commands_received(s, 'lease4-get-page') for s in leased_pair)

    assert seen == [f'192.0.2.{n}' for n in range(10, 35)] + ['192.0.2.150', '192.0.2.160']
    assert pages == 3 and after - before == 3  # one Kea page per request, never the whole database
    assert subnet_page(relationship, '192.0.2.128/25', limit=10).leases[0].ip_address == '192.0.2.150'
    assert subnet_page(relationship, '198.51.100.0/24').leases == ()


def test_subnet_page_compared_within_the_addresses_both_pages_cover(leased_pair, netbox):
    relationship = relationship_for(netbox, leased_pair)

    first = subnet_page(relationship, '192.0.2.0/24', limit=10, compare=True)
    last = subnet_page(relationship, '192.0.2.0/24', start='192.0.2.34', limit=10, compare=True)

    assert first.compared_with == ['kea-2'] and first.differences == []
    assert [lease.ip_address for lease in last.leases] == ['192.0.2.150', '192.0.2.160'] and last.next_from is None
    assert {d.ip_address: d.kind for d in last.differences} == {'192.0.2.150': 'only-source', '192.0.2.160': 'differs'}


def test_utilisation_is_counted_once_per_relationship(leased_pair, netbox):
    relationship = relationship_for(netbox, leased_pair)

    counts = utilisation(relationship)

    assert counts.method == 'stat_cmds' and counts.source == 'kea-1'
    (subnet,) = counts.subnets
    # server1 holds 27 leases, server2 26: one server's count, not their sum (53).
    assert (subnet.subnet_id, subnet.total, subnet.assigned) == (1, 180, 27)
    # Per pool, from kea-1's running config: its own half holds .10-.34, the partner's half .150 and .160.
    assert [(p.pool, p.client_class, p.total, p.assigned, p.complete) for p in counts.pools] == [
        ('192.0.2.10-192.0.2.99', 'HA_server1', 90, 25, True),  # as Kea's config-get writes them
        ('192.0.2.100-192.0.2.189', 'HA_server2', 90, 2, True),
    ]


def test_utilisation_without_stat_cmds_counts_leases(kea_lab, netbox):
    pair = kea_lab.load_balancing(parameters=FAST_HA_PARAMETERS, wait=True)
    for index in range(3):
        add_lease(pair[0], f'192.0.2.{50 + index}', index)
    relationship = relationship_for(netbox, pair)

    counts = utilisation(relationship)

    assert (counts.method, counts.complete) == ('counted', True)
    assert [(s.subnet_id, s.total, s.assigned) for s in counts.subnets] == [(1, None, 3)]
    assert [(p.total, p.assigned) for p in counts.pools] == [(90, 3), (90, 0)]


#: A /16 for the page-budget test: two pools with leases between them (outside any pool) and after them.
WIDE_POOLS = ('10.0.0.10 - 10.0.9.255', '10.0.128.0 - 10.0.137.255')


def _write_leases(path, addresses):
    """Kea 2.2's memfile v4 lease file holding `addresses` (subnet 1, valid for an hour), written before start."""
    header = 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n'
    with open(path, 'w') as out:
        out.write(header)
        for index, address in enumerate(addresses):
            mac = ':'.join(f'{b:02x}' for b in (0x0A, 0, *index.to_bytes(4, 'big')))
            out.write(f'{address},{mac},,3600,{EXPIRE},1,0,0,,0,\n')


def test_pool_utilisation_reads_its_page_budget_and_says_what_it_did_not_reach(kea_lab, netbox):
    import ipaddress

    s1, s2 = kea_lab.load_balancing(hooks=('libdhcp_stat_cmds.so',), parameters=FAST_HA_PARAMETERS, start=False)
    for server in (s1, s2):
        subnet = server.config['Dhcp4']['subnet4'][0]
        subnet['subnet'] = '10.0.0.0/16'
        subnet['option-data'] = []
        subnet['pools'] = [
            {'pool': pool, 'client-class': f'HA_{name}'} for pool, name in zip(WIDE_POOLS, ('server1', 'server2'))
        ]
    first = int(ipaddress.ip_address('10.0.0.10'))
    between = int(ipaddress.ip_address('10.0.64.0'))
    second = int(ipaddress.ip_address('10.0.128.0'))
    after = int(ipaddress.ip_address('10.0.200.0'))
    addresses = [
        *(first + n for n in range(1500)),  # 1,500 in the first pool
        *(between + n for n in range(3000)),  # 3,000 between the pools (reservations, say): never in a pool
        *(second + n for n in range(1200)),  # 1,200 in the second
        *(after + n for n in range(500)),  # 500 after the last pool
    ]
    s1.paths.dir.mkdir(parents=True, exist_ok=True)
    _write_leases(s1.paths.leases, [str(ipaddress.IPv4Address(a)) for a in addresses])
    kea_lab.start([s1])  # kea-1 alone: its partner's lease sync is not what this test reads
    relationship = relationship_for(netbox, [s1])
    pages = commands_received(s1, 'lease4-get-page')

    one_page = utilisation(relationship)  # what a web request reads: one page of 1,000 leases
    read_once = commands_received(s1, 'lease4-get-page') - pages
    enough = utilisation(relationship, count_pages=10)
    read_enough = commands_received(s1, 'lease4-get-page') - pages - read_once

    assert (one_page.method, one_page.subnets[0].assigned) == ('stat_cmds', 6200)  # Kea's exact subnet count
    assert [(p.assigned, p.complete) for p in one_page.pools] == [(1000, False), (0, False)]
    assert not one_page.pools_complete and read_once == 1
    assert [(p.total, p.assigned, p.complete) for p in enough.pools] == [(2550, 1500, True), (2560, 1200, True)]
    # The walk jumped over the 3,000 leases between the pools: 1,000 + 1,000 (500 of them between the pools), then
    # from the second pool 1,000 + 700 (the last page): 4 pages, not the 7 it takes from the first lease.
    assert enough.pools_complete and read_enough == 4


# --- REST and the web pages ------------------------------------------------------------------------------------


def test_rest_search_page_utilisation(leased_pair, netbox, user, api):
    relationship = relationship_for(netbox, leased_pair)
    grant(user, HARelationship, 'view', 'leases')
    grant(user, KeaServer, 'view', 'leases')
    server2 = KeaServer.objects.get(name='kea-2')

    found = api.get(
        f'{API}/relationships/{relationship.pk}/leases/', {'key': 'hw-address', 'value': '0a:00:00:00:00:07'}
    )
    page = api.get(f'{API}/relationships/{relationship.pk}/leases/subnet/', {'prefix': '192.0.2.0/24', 'limit': 20})
    rest = api.get(
        f'{API}/relationships/{relationship.pk}/leases/subnet/',
        {'prefix': '192.0.2.0/24', 'limit': 20, 'from': page.json()['next_from']},
    )
    on_server2 = api.get(f'{API}/servers/{server2.pk}/leases/', {'key': 'ip-address', 'value': '192.0.2.150'})
    used = api.get(f'{API}/relationships/{relationship.pk}/utilisation/')
    bad = api.get(f'{API}/relationships/{relationship.pk}/leases/', {'key': 'ip-address', 'value': 'nope'})

    assert found.status_code == 200, found.content
    body = found.json()
    assert (body['source'], body['count'], body['leases'][0]['ip-address']) == ('kea-1', 1, '192.0.2.17')
    assert body['leases'][0]['expires'] and body['leases'][0]['state-label'] == 'default'
    assert page.json()['count'] == 20 and page.json()['next_from'] == '192.0.2.29'
    assert rest.json()['count'] == 7 and rest.json()['next_from'] is None
    assert on_server2.json()['count'] == 0 and on_server2.json()['source'] == 'kea-2'
    assert used.json()['subnets'][0]['assigned'] == 27 and used.json()['method'] == 'stat_cmds'
    assert [(p['pool'], p['assigned'], p['complete']) for p in used.json()['pools']] == [
        ('192.0.2.10-192.0.2.99', 25, True),
        ('192.0.2.100-192.0.2.189', 2, True),
    ]
    assert used.json()['pools_complete'] is True
    assert bad.status_code == 400


def test_leases_tab_table_sorting_and_csv(leased_pair, netbox, user, web):
    relationship = relationship_for(netbox, leased_pair)
    grant(user, HARelationship, 'view', 'leases', 'delete_lease')
    url = reverse('plugins:netbox_kea_ha:harelationship_leases', kwargs={'pk': relationship.pk})

    landing = web.get(url)
    listing = web.get(url, {'key': 'subnet', 'q': '192.0.2.0/24', 'per_page': 10, 'sort': '-ip_address'})
    by_name = web.get(url, {'key': 'subnet', 'q': '192.0.2.0/24', 'per_page': 10, 'sort': '-hostname'})
    exported = web.get(url, {'key': 'subnet', 'q': '192.0.2.0/24', 'per_page': 10, 'export': 'csv'})
    compared = web.get(url, {'key': 'subnet', 'q': '192.0.2.128/25', 'compare': 'on'})

    assert landing.status_code == 200
    assert 'Utilisation per subnet' in landing.content.decode() and '15.0 %' in landing.content.decode()
    # Per pool: kea-1's half 25 of 90 (27.8 %), the partner's half 2 of 90 (2.2 %), each with its class.
    pools = landing.content.decode().split('Utilisation per pool')[1]
    assert '192.0.2.10-192.0.2.99' in pools and 'HA_server2' in pools
    assert '27.8 %' in pools and '2.2 %' in pools
    text = listing.content.decode()
    assert listing.status_code == 200 and 'Answered by kea-1' in text
    assert text.index('192.0.2.19') < text.index('192.0.2.10')  # sorted by address, descending, within the page
    assert 'from=192.0.2.19' in text  # the next page's link
    assert 'leases/delete/?address=192.0.2.10' in text  # a delete button for a user with delete_lease
    named = by_name.content.decode()
    assert named.index('host-9.example.org') < named.index('host-8.example.org') < named.index('host-0.example.org')
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert exported['Content-Type'] == 'text/csv' and len(rows) == 10 and rows[0]['ip-address'] == '192.0.2.10'
    assert rows[0]['hw-address'] == '0a:00:00:00:00:00' and rows[0]['expires']
    compared_text = compared.content.decode()
    assert 'Leases that differ between the peers' in compared_text and 'other-name.example.org' in compared_text


def test_the_next_page_through_htmx_answers_only_the_results(leased_pair, netbox, user, web):
    relationship = relationship_for(netbox, leased_pair)
    grant(user, HARelationship, 'view', 'leases')
    url = reverse('plugins:netbox_kea_ha:harelationship_leases', kwargs={'pk': relationship.pk})
    query = {'key': 'subnet', 'q': '192.0.2.0/24', 'per_page': 10}

    whole = web.get(url, query).content.decode()
    following = web.get(url, query | {'from': '192.0.2.19'}, HTTP_HX_REQUEST='true')

    # The tab holds the results in the element its links (next page, sort) replace, and say so.
    assert 'id="kea-ha-leases-results"' in whole and 'hx-target="#kea-ha-leases-results"' in whole
    text = following.content.decode()
    assert following.status_code == 200 and 'Answered by kea-1' in text
    assert '192.0.2.20' in text and '192.0.2.19<' not in text  # the page after 192.0.2.19
    assert 'Search leases' not in text and '<html' not in text  # the tab around it is not sent again


def test_ip_address_and_prefix_panels(leased_pair, netbox, user, web):
    relationship = relationship_for(netbox, leased_pair)
    grant(user, HARelationship, 'view', 'leases')
    grant(user, IPAddress, 'view')
    grant(user, Prefix, 'view')
    ip = IPAddress.objects.create(address='192.0.2.12/24')
    prefix = Prefix.objects.create(prefix='192.0.2.0/24')

    page = web.get(ip.get_absolute_url())
    panel = web.get(reverse('plugins:netbox_kea_ha:ip_lease'), {'address': '192.0.2.12'})
    free = web.get(reverse('plugins:netbox_kea_ha:ip_lease'), {'address': '192.0.2.99'})
    prefix_page = web.get(prefix.get_absolute_url())

    assert (
        'DHCP lease (Kea HA)' in page.content.decode()
        and 'leases/who-holds/?address=192.0.2.12' in page.content.decode()
    )
    text = panel.content.decode()
    assert panel.status_code == 200
    assert (
        '0a:00:00:00:00:02' in text and 'host-2.example.org' in text and 'kea-1' in text and str(relationship) in text
    )
    assert 'No lease on this address' in free.content.decode()
    assert '?key=subnet&q=192.0.2.0/24' in prefix_page.content.decode()


def test_ip_panel_skips_relationships_whose_served_prefixes_do_not_hold_the_address(leased_pair, netbox, user, web):
    from netbox_kea_ha.models import ServedPrefix

    relationship = relationship_for(netbox, leased_pair)
    grant(user, HARelationship, 'view', 'leases')
    ServedPrefix.objects.create(relationship=relationship, prefix=Prefix.objects.create(prefix='198.51.100.0/24'))
    panel = reverse('plugins:netbox_kea_ha:ip_lease')
    before = lease_commands(leased_pair)

    elsewhere = web.get(panel, {'address': '192.0.2.12'})
    assert 'No HA relationship' in elsewhere.content.decode()
    assert lease_commands(leased_pair) == before  # not asked: NetBox knows it serves other prefixes
    ServedPrefix.objects.create(relationship=relationship, prefix=Prefix.objects.create(prefix='192.0.2.0/24'))
    assert 'host-2.example.org' in web.get(panel, {'address': '192.0.2.12'}).content.decode()


def test_server_leases_tab(leased_pair, netbox, user, web):
    relationship_for(netbox, leased_pair)
    server2 = KeaServer.objects.get(name='kea-2')
    url = reverse('plugins:netbox_kea_ha:keaserver_leases', kwargs={'pk': server2.pk})
    assert web.get(url).status_code == 403
    grant(user, KeaServer, 'view', 'leases')

    page = web.get(url, {'key': 'ip-address', 'q': '192.0.2.160'})

    text = page.content.decode()
    assert page.status_code == 200 and 'Answered by kea-2' in text and 'other-name.example.org' in text
    assert 'leases/delete/' not in text  # no delete from a server's tab
    assert 'Leases' in web.get(server2.get_absolute_url()).content.decode()  # the tab is shown


# --- delete ----------------------------------------------------------------------------------------------------


def test_delete_reaches_every_peer_and_is_journaled(kea_lab, netbox, user, api):
    pair = kea_lab.load_balancing(parameters=FAST_HA_PARAMETERS, wait=True)
    for server in pair:
        add_lease(server, '192.0.2.44', 44)
    relationship = relationship_for(netbox, pair)
    grant(user, HARelationship, 'view', 'leases', 'delete_lease')

    response = api.post(
        f'{API}/relationships/{relationship.pk}/leases/delete/', {'ip_address': '192.0.2.44'}, format='json'
    )
    again = delete_lease(relationship, '192.0.2.44', user=user)

    assert response.status_code == 200, response.content
    assert response.json()['servers'] == {'kea-1': 'deleted', 'kea-2': 'deleted'}
    assert all(server.command('lease4-get', {'ip-address': '192.0.2.44'})['result'] == 3 for server in pair)
    assert again.outcomes == {'kea-1': 'not held', 'kea-2': 'not held'} and not again.deleted
    entries = list(JournalEntry.objects.filter(assigned_object_id=relationship.pk).order_by('pk'))
    assert len(entries) == 2
    assert 'Lease 192.0.2.44 delete requested by operator' in entries[0].comments
    assert 'kea-1: deleted' in entries[0].comments and entries[0].created_by == user
    assert entries[1].kind == 'warning'


def test_web_delete_confirms_then_deletes(kea_lab, netbox, user, web):
    pair = kea_lab.load_balancing(parameters=FAST_HA_PARAMETERS, wait=True)
    add_lease(pair[0], '192.0.2.45', 45)
    relationship = relationship_for(netbox, pair)
    grant(user, HARelationship, 'view', 'leases', 'delete_lease')
    url = reverse('plugins:netbox_kea_ha:harelationship_lease_delete', kwargs={'pk': relationship.pk})
    sent = commands_received(pair[0], 'lease4-del')

    confirm = web.get(url, {'address': '192.0.2.45'})
    assert confirm.status_code == 200 and 'Delete the lease of' in confirm.content.decode()
    assert commands_received(pair[0], 'lease4-del') == sent  # the confirmation page sends nothing
    done = web.post(url, {'address': '192.0.2.45'}, follow=True)

    assert done.status_code == 200
    assert 'Lease 192.0.2.45 deleted' in done.content.decode()
    assert pair[0].command('lease4-get', {'ip-address': '192.0.2.45'})['result'] == 3


# --- permissions: the attack -----------------------------------------------------------------------------------


def test_without_permission_nothing_reaches_kea(leased_pair, netbox, user, api, web):
    relationship = relationship_for(netbox, leased_pair)
    server = KeaServer.objects.get(name='kea-1')
    search = f'{API}/relationships/{relationship.pk}/leases/'
    query = {'key': 'ip-address', 'value': '192.0.2.10'}
    delete = f'{API}/relationships/{relationship.pk}/leases/delete/'
    tab = reverse('plugins:netbox_kea_ha:harelationship_leases', kwargs={'pk': relationship.pk})
    delete_view = reverse('plugins:netbox_kea_ha:harelationship_lease_delete', kwargs={'pk': relationship.pk})
    before = lease_commands(leased_pair)

    # No permission at all: the relationship does not exist for this user.
    assert api.get(search, query).status_code == 404
    assert api.get(f'{API}/servers/{server.pk}/leases/', query).status_code == 404
    assert api.get(f'{API}/relationships/{relationship.pk}/utilisation/').status_code == 404
    assert api.post(delete, {'ip_address': '192.0.2.10'}, format='json').status_code == 404
    assert web.get(tab, {'key': 'ip-address', 'q': '192.0.2.10'}).status_code == 403
    assert web.post(delete_view, {'address': '192.0.2.10'}).status_code == 403
    assert (
        'No HA relationship'
        in web.get(reverse('plugins:netbox_kea_ha:ip_lease'), {'address': '192.0.2.10'}).content.decode()
    )
    # May see it, may not read its leases.
    grant(user, HARelationship, 'view')
    grant(user, KeaServer, 'view')
    assert api.get(search, query).status_code == 403
    assert api.get(f'{API}/servers/{server.pk}/utilisation/').status_code == 403
    # May read its leases, may not delete them (from the API or the web).
    grant(user, HARelationship, 'leases')
    assert api.post(delete, {'ip_address': '192.0.2.10'}, format='json').status_code == 403
    assert web.post(delete_view, {'address': '192.0.2.10'}).status_code == 403
    # A constraint that excludes this relationship: 404/403 again.
    other = relationship_for(netbox, [], name='other')
    grant(user, HARelationship, 'delete_lease', constraints={'pk': other.pk})
    assert api.post(delete, {'ip_address': '192.0.2.10'}, format='json').status_code == 403

    assert lease_commands(leased_pair) == before  # not one lease command reached Kea
    assert all(s.command('lease4-get', {'ip-address': '192.0.2.10'})['result'] == 0 for s in leased_pair)


def test_read_only_token_cannot_delete(leased_pair, netbox, user):
    from rest_framework.test import APIClient

    from users.constants import TOKEN_PREFIX
    from users.models import Token

    relationship = relationship_for(netbox, leased_pair)
    grant(user, HARelationship, 'view', 'leases', 'delete_lease')
    token = Token.objects.create(user=user, write_enabled=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f'Bearer {TOKEN_PREFIX}{token.key}.{token.token}')
    before = lease_commands(leased_pair)

    read = client.get(f'{API}/relationships/{relationship.pk}/leases/', {'key': 'ip-address', 'value': '192.0.2.10'})
    refused = client.post(
        f'{API}/relationships/{relationship.pk}/leases/delete/', {'ip_address': '192.0.2.10'}, format='json'
    )

    assert read.status_code == 200 and read.json()['count'] == 1
    assert refused.status_code == 403
    assert lease_commands(leased_pair) == before + 1  # the search only


# --- stopped servers -------------------------------------------------------------------------------------------


def test_a_stopped_server_the_other_answers_both_down_a_clear_message(kea_lab, netbox, user, api):
    pair = kea_lab.load_balancing(auth=True, parameters=FAST_HA_PARAMETERS, wait=True)
    for server in pair:
        add_lease(server, '192.0.2.60', 60)
    relationship = relationship_for(netbox, pair)
    grant(user, HARelationship, 'view', 'leases')
    pair[0].kill_dhcp()

    found = search_leases(relationship, 'ip-address', '192.0.2.60')

    assert found.source == 'kea-2' and found.leases[0].ip_address == '192.0.2.60'
    assert found.unanswered and found.unanswered[0].startswith('kea-1')
    pair[1].kill_dhcp()
    with pytest.raises(
        LeaseLookupError, match=r'No Kea server of leases answered: kea-1 is not running .*; kea-2 is not running '
    ):
        search_leases(relationship, 'ip-address', '192.0.2.60')
    response = api.get(f'{API}/relationships/{relationship.pk}/leases/', {'key': 'ip-address', 'value': '192.0.2.60'})
    assert response.status_code == 503 and 'No Kea server of leases answered' in response.json()['detail']
    password = pair[0].credentials[1]
    assert password not in response.content.decode()


def test_the_servers_to_ask_come_in_one_query_with_what_their_endpoints_need(kea_lab, netbox):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pair = kea_lab.load_balancing(auth=True, parameters=FAST_HA_PARAMETERS, wait=True)
    for server in pair:
        add_lease(server, '192.0.2.62', 62)
    relationship = relationship_for(netbox, pair)
    relationship.peers.filter(role='primary').update(reachable=False)  # last seen unreachable: asked last

    with CaptureQueriesContext(connection) as queries:
        servers = lease_sources(relationship)
        endpoints = [server_endpoint(server) for server in servers]
        fetch = prepare_search(relationship, 'ip-address', '192.0.2.62', servers=servers)

    # One query: the endpoints (control host from the address, user, password) read nothing more, nor does the
    # search given the servers; what they built is what whole rows give.
    assert len(queries) == 1, [query['sql'] for query in queries]
    assert [server.name for server in servers] == ['kea-2', 'kea-1']
    assert endpoints == [server_endpoint(KeaServer.objects.get(pk=server.pk)) for server in servers]
    assert endpoints[0].password == pair[1].credentials[1]
    sent = []
    with CaptureQueriesContext(connection) as queries:
        found = fetch(on_sent=lambda: sent.append(True))
    assert not queries and sent == [True]  # the Kea half: no database; told once its request was on its way
    assert found.source == 'kea-2' and found.leases[0].hw_address == '0a:00:00:00:00:3e' and not found.unanswered


def test_a_server_that_hangs_is_named_with_the_bound(kea_lab, netbox):
    pair = kea_lab.load_balancing(parameters=FAST_HA_PARAMETERS, wait=True)
    add_lease(pair[1], '192.0.2.61', 61)
    relationship = relationship_for(netbox, pair)
    pid = pair[0].pids['ca']
    os.kill(pid, signal.SIGSTOP)  # accepts connections, never answers
    try:
        found = search_leases(relationship, 'ip-address', '192.0.2.61', timeout=0.5)
    finally:
        os.kill(pid, signal.SIGCONT)

    assert found.unanswered == ['kea-1 did not answer in 0.5 s']
    assert found.source == 'kea-2' and found.leases[0].ip_address == '192.0.2.61'


# --- leases of real DHCP clients -------------------------------------------------------------------------------


@pytest.mark.skipif(not NETNS, reason=f'NetnsDhcpLab cannot run here: {NETNS.reason}')
def test_leases_of_real_dhcp_clients_agree_and_delete_reaches_both(netbox):
    """perfdhcp clients in a network namespace of the test get leases from the pair; HA copies each to the partner,
    so the relationship's pages agree; a delete removes one from both."""
    with NetnsDhcpLab(kea='2.2', leases=0) as lab:
        measured = lab.measure(duration=4, rate=20, settle=30)
        assert measured.completed > 0 and measured.leases_equal, measured.summary()
        held = lab.lease_table(lab.servers[0])
        relationship = relationship_for(netbox, lab.servers)

        page = subnet_page(relationship, '198.18.0.0/15', limit=1000, compare=True)
        address = page.leases[0].ip_address
        by_mac = search_leases(relationship, 'hw-address', page.leases[0].hw_address, compare=True)
        deletion = delete_lease(relationship, address)

        assert sorted(lease.ip_address for lease in page.leases) == sorted(held)
        assert page.compared_with == ['kea-2'] and page.differences == []
        assert [lease.ip_address for lease in by_mac.leases] == [address] and by_mac.differences == []
        assert deletion.outcomes == {'kea-1': 'deleted', 'kea-2': 'deleted'}
        assert address not in lab.lease_table(lab.servers[0]) and address not in lab.lease_table(lab.servers[1])


def test_dhcpv6_relationship(kea_lab, netbox):
    pair = kea_lab.load_balancing(family=6, hooks=('libdhcp_stat_cmds.so',), parameters=FAST_HA_PARAMETERS, wait=True)
    for server in pair:
        for index in range(3):
            answer = server.command(
                'lease6-add',
                {
                    'ip-address': f'2001:db8:1::{0x100 + index:x}',
                    'duid': f'00:01:00:01:00:00:00:0{index}',
                    'iaid': 1000 + index,
                    'subnet-id': 1,
                    'hostname': f'six-{index}.example.org',
                    'expire': EXPIRE,
                },
            )
            assert answer['result'] == 0, answer
    relationship = relationship_for(netbox, pair)

    by_duid = search_leases(relationship, 'duid', '00-01-00-01-00-00-00-01', compare=True)
    page = subnet_page(relationship, '2001:db8:1::/64', limit=2)
    counts = utilisation(relationship)
    deletion = delete_lease(relationship, '2001:db8:1::102')

    assert [lease.ip_address for lease in by_duid.leases] == ['2001:db8:1::101'] and by_duid.differences == []
    assert [lease.ip_address for lease in page.leases] == ['2001:db8:1::100', '2001:db8:1::101']
    assert page.next_from == '2001:db8:1::101'
    (subnet,) = counts.subnets
    assert (counts.method, subnet.subnet_id, subnet.assigned, subnet.total) == ('stat_cmds', 1, 3, 512)
    assert deletion.outcomes == {'kea-1': 'deleted', 'kea-2': 'deleted'}
    with pytest.raises(ValueError, match='searched by'):
        search_leases(relationship, 'hw-address', '0a:00:00:00:00:01')


# --- export (a job) --------------------------------------------------------------------------------------------


def test_export_every_lease_is_a_job_and_its_csv_is_downloaded(leased_pair, netbox, user, api, web, run_jobs):
    from django.core.files.storage import default_storage

    from core.choices import JobStatusChoices

    relationship = relationship_for(netbox, leased_pair)
    url = f'{API}/relationships/{relationship.pk}/leases/export/'
    assert api.post(url, {}, format='json').status_code == 404  # may not even see it
    grant(user, HARelationship, 'view')
    assert api.post(url, {}, format='json').status_code == 403
    assert (
        web.post(
            reverse('plugins:netbox_kea_ha:harelationship_lease_export', kwargs={'pk': relationship.pk})
        ).status_code
        == 403
    )
    grant(user, HARelationship, 'leases')

    response, _ran = run_jobs(lambda: api.post(url, {'prefix': '192.0.2.0/25'}, format='json'))
    assert response.status_code == 202, response.content
    job_id = response.json()['id']
    from core.models import Job

    job = Job.objects.get(pk=job_id)
    try:
        assert job.status == JobStatusChoices.STATUS_COMPLETED, job.error
        assert (job.data['count'], job.data['source'], job.data['prefix']) == (25, 'kea-1', '192.0.2.0/25')
        downloaded = api.get(url, {'job': job_id})
        text = b''.join(downloaded.streaming_content).decode()
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [row['ip-address'] for row in rows] == [f'192.0.2.{n}' for n in range(10, 35)]
        page = web.get(
            reverse('plugins:netbox_kea_ha:harelationship_lease_export', kwargs={'pk': relationship.pk}),
            {'job': job_id},
        )
        assert page.status_code == 200 and b''.join(page.streaming_content).decode() == text
        assert api.get(url, {'job': job_id + 1000}).status_code == 404
        tab = web.get(reverse('plugins:netbox_kea_ha:harelationship_leases', kwargs={'pk': relationship.pk}))
        assert (
            f'leases/export/?job={job_id}' in tab.content.decode()
            and '25 leases (192.0.2.0/25)' in tab.content.decode()
        )
    finally:
        default_storage.delete(job.data['file'])
        for folder in ('kea-ha/lease-exports', 'kea-ha'):  # the folders the export made, when now empty
            with contextlib.suppress(OSError, NotImplementedError):
                os.rmdir(default_storage.path(folder))


def test_export_stops_at_its_limit(leased_pair, netbox):
    from netbox_kea_ha.services.leases import export_leases

    relationship = relationship_for(netbox, leased_pair)
    out = io.StringIO()

    result = export_leases(relationship, out, page_size=10, limit=15)

    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert (result.count, result.pages, result.truncated, len(rows)) == (15, 2, True, 15)
