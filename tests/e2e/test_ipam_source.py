"""
NetBox IPAM as the source of a relationship's DHCP data, end to end on real Kea with a real RQ worker (docs/ipam.md):
what a load-balancing pair runs is imported into IPAM (as the user may: without IPAM permissions nothing is created),
a second import changes nothing, switching the source needs no push (the rendered subnets are what runs), and a new
IP range and a reserved address reach both peers, the range split between them; on Kea 3.0 with subnet_cmds the
change goes at runtime (no config-set).
"""

from ipaddress import ip_address as ip

import pytest
from netaddr import IPNetwork

from core.choices import JobStatusChoices
from dcim.models import Interface, MACAddress
from ipam.models import IPAddress, IPRange, Prefix
from tests.e2e.helpers import commands_received, grant, job_text, lab_name, running_config
from tests.kea_fixtures import requires_kea

from kealab import COMMANDS_HOOKS
from kealab.netns import NetnsDhcpLab, available
from netbox_kea_ha.jobs import ImportServerJob, StatusJob, SyncRelationshipJob
from netbox_kea_ha.models import HARelationship, ServedPrefix

pytestmark = [pytest.mark.kea, pytest.mark.django_db]

API = '/api/plugins/kea-ha'


def import_pair(netbox, run_jobs, lab, **server_fields):
    primary = netbox.server(lab[0], **server_fields)
    netbox.device(lab_name(lab[1]), lab[1].address)
    job, _ = run_jobs(lambda: ImportServerJob.enqueue(instance=primary))
    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    return HARelationship.objects.get()


def import_ipam(api, run_jobs, relationship):
    response, ran = run_jobs(lambda: api.post(f'{API}/relationships/{relationship.pk}/import-ipam/', {}))
    assert response.status_code == 202, response.content
    (job,) = ran
    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    return job.data


def sync(run_jobs, relationship, **kwargs):
    job, _ = run_jobs(lambda: SyncRelationshipJob.enqueue(instance=relationship, **kwargs))
    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    return job


def pools(lab_server):
    """(pool as 'first - last', class) of the one subnet a server runs (Kea 3.0 writes 'first-last')."""
    (subnet,) = running_config(lab_server)['Dhcp4']['subnet4']
    return [
        (
            p['pool'].replace(' ', '').replace('-', ' - '),
            p.get('client-class') or (p.get('client-classes') or [None])[0],
        )
        for p in subnet['pools']
    ]


def host_with_mac(netbox, mac):
    device, _ = netbox.device('printer-1')
    interface = Interface.objects.create(device=device, name='eth0', type='1000base-t')
    mac_object = MACAddress.objects.create(mac_address=mac, assigned_object=interface)
    interface.primary_mac_address = mac_object
    interface.save()
    return interface


def add_range_and_reservation(netbox):
    IPRange.objects.create(
        start_address=IPNetwork('192.0.2.200/24'), end_address=IPNetwork('192.0.2.239/24'), status='active'
    )
    interface = host_with_mac(netbox, '00:11:22:33:44:55')
    IPAddress.objects.create(address='192.0.2.5/24', status='reserved', dns_name='printer', assigned_object=interface)


def test_import_into_ipam_then_switch_then_a_new_range_and_reservation_reach_both_peers(
    kea_lab, netbox, api, user, run_jobs
):
    lab = kea_lab.load_balancing(wait=True)
    relationship = import_pair(netbox, run_jobs, lab)
    grant(user, HARelationship, 'view', 'sync', 'change')

    # Without IPAM permissions, the import creates nothing and says why.
    data = import_ipam(api, run_jobs, relationship)
    assert data['created'] == [] and Prefix.objects.count() == 0
    assert any('you may not add prefixes' in line for line in data['left_alone']), data

    grant(user, Prefix, 'add', 'view')
    grant(user, IPRange, 'add', 'view')
    grant(user, IPAddress, 'add', 'view')
    grant(user, ServedPrefix, 'add', 'view', 'change')
    data = import_ipam(api, run_jobs, relationship)
    assert data['created'] == [
        'prefix 192.0.2.0/24',
        'IP range 192.0.2.10 - 192.0.2.189',
        'served prefix 192.0.2.0/24 (subnet id 1)',
    ], data
    served = ServedPrefix.objects.get()
    assert (served.subnet_id, served.routers, served.pool_splits) == (1, '192.0.2.1', {})
    again = import_ipam(api, run_jobs, relationship)
    assert again['created'] == [] and again['updated'] == [], again

    # Switching the source: what IPAM renders is what runs, so nothing is pushed.
    response = api.patch(f'{API}/relationships/{relationship.pk}/', {'dhcp_source': 'ipam'}, format='json')
    assert response.status_code == 200, response.content
    plan = sync(run_jobs, relationship, dry_run=True)
    assert [p['outcome'] for p in plan.data['peers']] == ['unchanged', 'unchanged'], job_text(plan)

    # A new range and a reserved address in IPAM: the status job sees both peers drift, the sync brings them the
    # change, the range split between them.
    add_range_and_reservation(netbox)
    status, _ = run_jobs(lambda: StatusJob.enqueue(instance=relationship))
    assert status.status == JobStatusChoices.STATUS_COMPLETED, job_text(status)
    assert sorted(status.data['drifted']) == ['kea-1', 'kea-2'], job_text(status)
    pushed = sync(run_jobs, relationship)
    assert [p['outcome'] for p in pushed.data['peers']] == ['pushed', 'pushed'], job_text(pushed)
    for server in lab:
        assert pools(server) == [
            ('192.0.2.10 - 192.0.2.99', 'HA_server1'),
            ('192.0.2.100 - 192.0.2.189', 'HA_server2'),
            ('192.0.2.200 - 192.0.2.219', 'HA_server1'),
            ('192.0.2.220 - 192.0.2.239', 'HA_server2'),
        ], server.name
        (subnet,) = running_config(server)['Dhcp4']['subnet4']
        assert [(r['hw-address'], r['ip-address'], r['hostname']) for r in subnet['reservations']] == [
            ('00:11:22:33:44:55', '192.0.2.5', 'printer')
        ]
    assert [p['outcome'] for p in sync(run_jobs, relationship, dry_run=True).data['peers']] == [
        'unchanged',
        'unchanged',
    ]


@requires_kea('3.0')
def test_on_kea_3_a_new_range_goes_at_runtime(kea_lab, netbox, api, user, run_jobs):
    lab = kea_lab.load_balancing(kea='3.0', hooks=COMMANDS_HOOKS, wait=True)
    relationship = import_pair(netbox, run_jobs, lab, control_kind='server')
    grant(user, HARelationship, 'view', 'sync')
    for model in (Prefix, IPRange, IPAddress, ServedPrefix):
        grant(user, model, 'add', 'view')
    assert 'served prefix 192.0.2.0/24 (subnet id 1)' in import_ipam(api, run_jobs, relationship)['created']
    relationship.refresh_from_db()
    relationship.dhcp_source = 'ipam'
    relationship.full_clean()
    relationship.save()
    assert [p['outcome'] for p in sync(run_jobs, relationship, dry_run=True).data['peers']] == ['unchanged'] * 2
    IPRange.objects.create(
        start_address=IPNetwork('192.0.2.200/24'), end_address=IPNetwork('192.0.2.239/24'), status='active'
    )
    config_sets = {s.name: commands_received(s, 'config-set') for s in lab}
    pushed = sync(run_jobs, relationship)
    assert [(p['outcome'], p['method']) for p in pushed.data['peers']] == [('pushed', 'runtime')] * 2, job_text(pushed)
    assert {s.name: commands_received(s, 'config-set') for s in lab} == config_sets
    for server in lab:
        assert ('192.0.2.220 - 192.0.2.239', 'HA_server2') in pools(server)


def test_real_clients_get_addresses_from_both_halves_and_follow_a_new_split(netbox, api, user, run_jobs):
    """perfdhcp clients in network namespaces of the test's own (kealab.netns): after the switch both peers hand out
    from their own half of the range NetBox split; after NetBox moves the split to 3:1 and reserves an address for one
    client's MAC, the secondary hands out from its new, smaller part only and that client gets its address."""
    why = available('2.2')
    if not why:
        pytest.skip(why.reason)
    with NetnsDhcpLab(kea='2.2', leases=0) as lab:
        relationship = import_pair(netbox, run_jobs, lab.servers)
        grant(user, HARelationship, 'view', 'sync', 'change')
        for model in (Prefix, IPRange, IPAddress, ServedPrefix):
            grant(user, model, 'add', 'view')
        data = import_ipam(api, run_jobs, relationship)
        assert 'IP range 198.18.1.0 - 198.19.254.255' in data['created'], data
        relationship.refresh_from_db()
        relationship.dhcp_source = 'ipam'
        relationship.full_clean()
        relationship.save()
        assert [p['outcome'] for p in sync(run_jobs, relationship, dry_run=True).data['peers']] == ['unchanged'] * 2

        first = lab.measure(duration=4, rate=50)
        assert first.completed > 0, first.summary()
        before = set(lab.lease_table(lab.servers[0]))
        halves = {
            'server1': [a for a in before if ip(a) <= ip('198.18.255.255')],
            'server2': [a for a in before if ip(a) >= ip('198.19.0.0')],
        }
        assert halves['server1'] and halves['server2'], before

        # The second window's clients have MACs counted up from 02:6b:02:00:00:00 (kealab.dhcpload): reserve an
        # address outside the pools for the sixth of them.
        interface = host_with_mac(netbox, '02:6b:02:00:00:05')
        IPAddress.objects.create(
            address='198.18.0.200/15', status='reserved', dns_name='reserved', assigned_object=interface
        )
        served = ServedPrefix.objects.get()
        served.pool_splits = {'198.18.1.0 - 198.19.254.255': {'weights': [3, 1]}}
        served.full_clean()
        served.save()
        pushed = sync(run_jobs, relationship)
        assert [p['outcome'] for p in pushed.data['peers']] == ['pushed', 'pushed'], job_text(pushed)
        second = lab.measure(duration=4, rate=50)
        assert second.completed > 0, second.summary()
        table = lab.lease_table(lab.servers[0])
        assert table.get('198.18.0.200', (None,))[0] == '02:6b:02:00:00:05', sorted(table)[:5]
        new = {ip(a) for a in table} - {ip(a) for a in before} - {ip('198.18.0.200')}
        boundary = ip('198.19.127.128')  # 198.18.1.0 + 3/4 of the range's 130,560 addresses (97,920)
        assert any(a >= boundary for a in new), sorted(map(str, new))[-5:]
        assert not any(ip('198.19.0.0') <= a < boundary for a in new), sorted(map(str, new))
