"""Status and drift, end to end: the status job reads real Kea 2.2 servers and records what changed, only that."""

import copy

import pytest

from core.choices import JobStatusChoices
from core.models import ObjectChange
from tests.e2e.helpers import imported, job_text

from netbox_kea_ha.jobs import StatusJob
from netbox_kea_ha.models import HAPeer, KeaServer

pytestmark = [pytest.mark.kea, pytest.mark.django_db]


def status_job(run_jobs, instance=None):
    job, ran = run_jobs(lambda: StatusJob.enqueue(instance=instance))
    assert [j.pk for j in ran] == [job.pk]
    return job


def test_status_of_a_trio_records_every_peer_and_server(lb_trio, netbox, run_jobs):
    servers = imported(netbox, run_jobs, lb_trio)

    job = status_job(run_jobs)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    peers = {p.effective_name: p for p in HAPeer.objects.all()}
    assert peers['server1'].ha_state == 'load-balancing'
    assert peers['server1'].partner_state == 'load-balancing'
    assert peers['server1'].scopes == ['server1']
    assert peers['server1'].unacked_clients == 0
    assert peers['server2'].ha_state == 'load-balancing'
    assert peers['server2'].scopes == ['server2']
    assert peers['server3'].ha_state == 'backup'
    assert peers['server3'].partner_state == ''  # a backup has no partner section in status-get
    assert peers['server3'].scopes == []
    assert all(p.reachable and p.last_contact and p.status_updated for p in peers.values())
    for name, server in servers.items():
        server.refresh_from_db()
        assert server.ha_state == ('backup' if name == 'server3' else 'load-balancing')
        assert server.kea_version == '2.2.0'
        # What NetBox renders from the import is what runs: no drift anywhere.
        assert server.config_drift == 'in-sync', (name, server.last_error)
        assert server.last_seen and server.drift_checked and server.last_error == ''
    assert job.data['unreachable'] == [] and job.data['drifted'] == []
    assert len(job.data['servers']) == 3


def test_a_second_status_run_writes_no_change_log_only_bumps_times(lb_pair, netbox, run_jobs):
    imported(netbox, run_jobs, lb_pair)
    status_job(run_jobs)
    changes = ObjectChange.objects.count()
    contacts = dict(HAPeer.objects.values_list('pk', 'last_contact'))
    seen = dict(KeaServer.objects.values_list('pk', 'last_seen'))

    job = status_job(run_jobs)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert job.data['changed'] == []
    assert ObjectChange.objects.count() == changes
    assert all(p.last_contact > contacts[p.pk] for p in HAPeer.objects.all())
    assert all(s.last_seen > seen[s.pk] for s in KeaServer.objects.all())


def test_status_changes_are_change_logged_once(lb_pair, netbox, run_jobs):
    imported(netbox, run_jobs, lb_pair)
    before = ObjectChange.objects.count()

    status_job(run_jobs)

    logged = ObjectChange.objects.order_by('pk')[before:]
    models = sorted(c.changed_object_type.model for c in logged)
    # First reading: each peer's state and each server's state, version and drift change from blank.
    assert models == ['hapeer', 'hapeer', 'keaserver', 'keaserver']
    peer_change = next(c for c in logged if c.changed_object_type.model == 'hapeer')
    assert peer_change.prechange_data['ha_state'] == ''
    assert peer_change.postchange_data['ha_state'] == 'load-balancing'


def test_a_server_that_is_down_is_recorded_without_touching_the_others(kea_lab, netbox, run_jobs):
    lab = kea_lab.load_balancing(wait=True)
    servers = imported(netbox, run_jobs, lab)
    status_job(run_jobs)
    lab[1].kill_dhcp()  # the Control Agent still answers: it says the server is offline

    job = status_job(run_jobs)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    down = HAPeer.objects.get(server=servers['server2'])
    assert (down.ha_state, down.reachable) == ('unavailable', False)
    servers['server2'].refresh_from_db()
    assert servers['server2'].ha_state == 'unavailable'
    assert 'offline' in servers['server2'].last_error
    assert job.data['unreachable'] == [str(servers['server2'])]
    up = HAPeer.objects.get(server=servers['server1'])
    assert up.reachable is True and up.ha_state != 'unavailable'
    before = ObjectChange.objects.filter(changed_object_id=down.pk, changed_object_type__model='hapeer').count()

    status_job(run_jobs)

    after = ObjectChange.objects.filter(changed_object_id=down.pk, changed_object_type__model='hapeer').count()
    assert after == before  # still down: nothing new to log


def test_drift_follows_replication(kea_lab, netbox, run_jobs):
    """A partner whose shared config differs from the primary's drifted; with replication off for it, it did not."""
    lab = kea_lab.load_balancing(wait=True)
    servers = imported(netbox, run_jobs, lab)
    changed = copy.deepcopy(lab[1].config)
    changed['Dhcp4']['valid-lifetime'] = 7200
    assert lab[1].command('config-set', changed)['result'] == 0

    job = status_job(run_jobs)

    assert job.data['drifted'] == [str(servers['server2'])], job_text(job)
    for server in servers.values():
        server.refresh_from_db()
    assert servers['server1'].config_drift == 'in-sync'
    assert servers['server2'].config_drift == 'drifted'

    partner = servers['server2']
    partner.snapshot()
    partner.replicate_config = 'off'
    partner.save()
    job = status_job(run_jobs, instance=partner)

    partner.refresh_from_db()
    assert partner.config_drift == 'in-sync', job_text(job)


def test_servers_are_read_in_bounded_chunks_with_their_replication_sources(netbox):
    """A fleet is read chunk by chunk (bounded memory); each chunk also reads the primaries its partners copy."""
    from ipam.models import IPAddress

    from netbox_kea_ha.models import HARelationship
    from netbox_kea_ha.services.intent import load_intent
    from netbox_kea_ha.services.status import server_chunks

    servers = []
    for n in range(7):
        relationship = HARelationship.objects.create(name=f'chunked-{n}', mode='load-balancing')
        for index, role in enumerate(('primary', 'secondary'), start=1):
            address = IPAddress.objects.create(address=f'127.0.{n + 1}.{index}/32')
            server = KeaServer.objects.create(name=f'chunked-{n}-{index}', address=address, server_tag=f's{n}-{index}')
            HAPeer.objects.create(relationship=relationship, server=server, role=role)
            servers.append(server)
    intent = load_intent(servers=servers).intent

    chunks = server_chunks(list(reversed(servers)), intent, size=3)

    recorded = [s.pk for chunk, _ in chunks for s in chunk]
    assert sorted(recorded) == sorted(s.pk for s in servers)  # every server recorded once
    for chunk, to_read in chunks:
        read = {s.pk for s in to_read}
        assert len(read) <= 3 + 1  # the size, plus at most the source of the chunk's last server
        for server in chunk:
            assert server.pk in read
            if server.name.endswith('-2'):  # a secondary: its primary's config is read in the same chunk
                assert KeaServer.objects.get(name=server.name.removesuffix('-2') + '-1').pk in read
    assert all(len(chunk) >= 2 for chunk, _ in chunks[:-1])  # a full chunk reads at most one server it does not record
