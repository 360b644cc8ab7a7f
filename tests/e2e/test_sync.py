"""Sync, plan and restore, end to end: NetBox jobs push to real Kea 2.2 HA pairs through the safe rolling push."""

import copy
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection

from core.choices import JobStatusChoices
from core.models import ObjectChange
from tests.e2e.helpers import commands_received, ha_block, imported, job_text, running_config

from netbox_kea_ha.choices import ConfigDriftChoices
from netbox_kea_ha.jobs import ImportServerJob, RestoreSnapshotJob, ScheduledSyncJob, SyncRelationshipJob
from netbox_kea_ha.models import ConfigSnapshot, HAPeer, HARelationship, KeaServer
from netbox_kea_ha.services.context import acting_user
from netbox_kea_ha.services.locks import lock_key

pytestmark = [pytest.mark.kea, pytest.mark.django_db]


def sync_job(run_jobs, relationship, **kwargs):
    job, ran = run_jobs(lambda: SyncRelationshipJob.enqueue(instance=relationship, **kwargs))
    assert [j.pk for j in ran] == [job.pk]
    return job


@contextmanager
def lock_held_elsewhere(relationship):
    """The relationship's advisory lock held by another database session (another worker's job)."""
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings['HOST'],
        port=settings['PORT'],
        dbname=settings['NAME'],
        user=settings['USER'],
        password=settings['PASSWORD'],
        autocommit=True,
    )
    try:
        other.execute('SELECT pg_advisory_lock(%s, %s)', lock_key(relationship))
        yield
    finally:
        other.close()


def edit(obj, **values):
    """Change a NetBox object the way a form does: snapshot, validate, save."""
    obj.snapshot()
    for name, value in values.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()


def subnet(config):
    return [s['subnet'] for s in config['Dhcp4']['subnet4']]


def test_a_timer_changed_in_netbox_reaches_every_peer_and_a_restore_puts_it_back(kea_lab, netbox, run_jobs):
    lab = kea_lab.load_balancing(wait=True)
    servers = imported(netbox, run_jobs, lab)
    relationship = HARelationship.objects.get()
    edit(relationship, max_response_delay=4000)

    job = sync_job(run_jobs, relationship)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert job.data['config_sets'] == 2
    for server in lab:
        assert ha_block(running_config(server))['max-response-delay'] == 4000
        assert commands_received(server, 'config-set') == 1
    assert kea_lab.wait_ha(lab, timeout=30) == {'server1': 'load-balancing', 'server2': 'load-balancing'}
    snapshots = {s.server.name: s for s in ConfigSnapshot.objects.select_related('server')}
    assert sorted(snapshots) == ['kea-1', 'kea-2']
    first = snapshots['kea-1']
    assert (first.result, first.action, first.relationship, first.job) == ('applied', 'sync', relationship, job)
    assert ha_block(first.before)['max-response-delay'] == 3000
    assert ha_block(first.after)['max-response-delay'] == 4000
    for server in servers.values():
        server.refresh_from_db()
        assert server.config_drift == 'in-sync'

    restore, ran = run_jobs(
        lambda: RestoreSnapshotJob.enqueue(instance=first.server, snapshot_id=first.pk, name='Restore')
    )

    assert restore.status == JobStatusChoices.STATUS_COMPLETED, job_text(restore)
    assert ha_block(running_config(lab[0]))['max-response-delay'] == 3000
    assert ha_block(running_config(lab[1]))['max-response-delay'] == 4000
    again = ConfigSnapshot.objects.get(restored_from=first)
    assert (again.action, again.result, again.server) == ('restore', 'applied', first.server)
    assert ha_block(again.before)['max-response-delay'] == 4000


def test_replication_carries_the_primarys_subnets_only_when_on(kea_lab, netbox, run_jobs):
    lab = kea_lab.load_balancing(wait=True)
    servers = imported(netbox, run_jobs, lab)
    relationship = HARelationship.objects.get()
    partner = servers['server2']
    edit(partner, replicate_config='off')
    added = copy.deepcopy(lab[0].config)
    added['Dhcp4']['subnet4'].append(
        {'id': 2, 'subnet': '198.51.100.0/24', 'pools': [{'pool': '198.51.100.10-198.51.100.20'}]}
    )
    assert lab[0].command('config-set', added)['result'] == 0
    kea_lab.wait_ha(lab, timeout=30)
    sets = commands_received(lab[1], 'config-set')

    off = sync_job(run_jobs, relationship)

    assert off.status == JobStatusChoices.STATUS_COMPLETED, job_text(off)
    assert off.data['config_sets'] == 0
    assert commands_received(lab[1], 'config-set') == sets
    assert subnet(running_config(lab[1])) == ['192.0.2.0/24']

    edit(partner, replicate_config='inherit')  # the setting: on
    on = sync_job(run_jobs, relationship)

    assert on.status == JobStatusChoices.STATUS_COMPLETED, job_text(on)
    assert on.data['config_sets'] == 1  # only the partner differed
    assert on.data['peers'][1]['replicated'] is True
    assert subnet(running_config(lab[1])) == ['192.0.2.0/24', '198.51.100.0/24']
    assert commands_received(lab[0], 'config-set') == 1  # the one the test sent itself
    # The partner keeps its own plumbing: its own lease file, control socket and log.
    partner_config = running_config(lab[1])['Dhcp4']
    assert partner_config['lease-database']['name'] == str(lab[1].paths.leases)
    assert partner_config['control-socket']['socket-name'] == str(lab[1].paths.socket)
    kea_lab.wait_ha(lab, timeout=30)


def test_a_sync_with_nothing_to_change_sends_no_config_set(lb_pair, hs_pair, netbox, run_jobs):
    imported(netbox, run_jobs, lb_pair)
    imported_hs = netbox.server(hs_pair[0], name='hs-1')
    run_jobs(lambda: ImportServerJob.enqueue(instance=imported_hs))
    assert HARelationship.objects.count() == 2
    servers = (*lb_pair, *hs_pair)
    sets = [commands_received(s, 'config-set') for s in servers]
    gets = [commands_received(s, 'config-get') for s in servers]

    # The scheduled sync: every peer read once, both relationships found in sync, no sync job needed.
    scheduled, ran = run_jobs(lambda: ScheduledSyncJob.enqueue())

    assert scheduled.status == JobStatusChoices.STATUS_COMPLETED, job_text(scheduled)
    assert sorted(scheduled.data['in_sync']) == sorted(str(r) for r in HARelationship.objects.all())
    assert scheduled.data['enqueued'] == [] and scheduled.data['to_sync'] == {}
    assert [j for j in ran if j.name == SyncRelationshipJob.name] == []
    assert [commands_received(s, 'config-set') for s in servers] == sets
    assert [commands_received(s, 'config-get') for s in servers] == [n + 1 for n in gets]  # each read once
    assert set(KeaServer.objects.values_list('config_drift', flat=True)) == {ConfigDriftChoices.IN_SYNC}
    assert not ConfigSnapshot.objects.exists()

    # A manual sync job of an in-sync relationship also sends nothing.
    job = sync_job(run_jobs, HARelationship.objects.get(name=str(scheduled.data['in_sync'][0])))
    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert job.data['config_sets'] == 0 and 'nothing to send' in job.data['message']
    assert [commands_received(s, 'config-set') for s in servers] == sets


def test_the_scheduled_sync_pushes_only_the_relationship_that_changed(kea_lab, netbox, run_jobs):
    first = kea_lab.load_balancing()
    second = kea_lab.load_balancing()
    kea_lab.wait_ha([*first, *second], timeout=60)
    imported(netbox, run_jobs, first)
    primary = netbox.server(second[0], name='second-1')
    netbox.device('second-2', second[1].address)
    job, _ = run_jobs(lambda: ImportServerJob.enqueue(instance=primary))
    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert HARelationship.objects.count() == 2
    changed = HARelationship.objects.get(peers__server=primary)
    edit(changed, max_ack_delay=2500)
    sets = [commands_received(s, 'config-set') for s in (*first, *second)]

    scheduled, ran = run_jobs(lambda: ScheduledSyncJob.enqueue())

    assert scheduled.status == JobStatusChoices.STATUS_COMPLETED, job_text(scheduled)
    assert scheduled.data['enqueued'] == [changed.name]
    assert list(scheduled.data['to_sync']) == [changed.name]
    assert 'drifted' in scheduled.data['to_sync'][changed.name]
    syncs = [j for j in ran if j.name == SyncRelationshipJob.name]
    assert [j.object_id for j in syncs] == [changed.pk]
    assert syncs[0].status == JobStatusChoices.STATUS_COMPLETED, job_text(syncs[0])
    assert syncs[0].data['config_sets'] == 2
    after = [commands_received(s, 'config-set') for s in (*first, *second)]
    assert after == [sets[0], sets[1], sets[2] + 1, sets[3] + 1]
    for server in second:
        assert ha_block(running_config(server))['max-ack-delay'] == 2500
    kea_lab.wait_ha([*first, *second], timeout=60)


def test_a_plan_shows_the_diff_and_sends_nothing(lb_pair, netbox, run_jobs):
    imported(netbox, run_jobs, lb_pair)
    relationship = HARelationship.objects.get()
    edit(relationship, max_ack_delay=2500)
    sets = [commands_received(s, 'config-set') for s in lb_pair]

    job = sync_job(run_jobs, relationship, dry_run=True)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert job.data['dry_run'] is True and job.data['config_sets'] == 0
    for peer in job.data['peers']:
        assert peer['outcome'] == 'planned'
        lines = peer['diff'].splitlines()
        changed = [line for line in lines if line[:1] in '+-' and not line.startswith(('---', '+++'))]
        assert [(line[0], line[1:].strip()) for line in changed] == [
            ('-', '"max-ack-delay": 2000,'),
            ('+', '"max-ack-delay": 2500,'),
        ]
    assert [commands_received(s, 'config-set') for s in lb_pair] == sets
    assert [ha_block(running_config(s))['max-ack-delay'] for s in lb_pair] == [2000, 2000]
    assert not ConfigSnapshot.objects.exists()


def test_a_sync_records_the_findings_of_the_config_that_now_runs(kea_lab, netbox, run_jobs):
    # A pair of its own: the push changes the servers, and `lb_pair` is shared by the whole session.
    imported(netbox, run_jobs, kea_lab.load_balancing(wait=True))
    relationship = HARelationship.objects.get()
    assert relationship.findings == []
    edit(relationship, heartbeat_delay=1500)  # max-response-delay stays 3000: two heartbeats

    sync_job(run_jobs, relationship, dry_run=True)
    relationship.refresh_from_db()
    assert relationship.findings == []  # a plan changes nothing

    job = sync_job(run_jobs, relationship)
    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    relationship.refresh_from_db()
    assert [(f['severity'], f['code']) for f in relationship.findings] == [
        ('warning', 'ha.response-delay-few-heartbeats')
    ]
    assert 'spans fewer than 3 heartbeats' in relationship.findings[0]['message']
    logged = ObjectChange.objects.filter(changed_object_id=relationship.pk, changed_object_type__model='harelationship')
    latest = logged.latest('time')
    assert latest.postchange_data['findings'] == relationship.findings
    assert latest.user == acting_user(job.user)  # the system account for a job with no user
    count = logged.count()

    # Nothing to send, the same findings: no new change-log entry.
    again = sync_job(run_jobs, relationship)
    assert again.status == JobStatusChoices.STATUS_COMPLETED, job_text(again)
    assert again.data['config_sets'] == 0
    assert logged.count() == count


def test_a_config_the_validation_refuses_is_not_sent_and_the_job_says_why(lb_pair, netbox, run_jobs):
    imported(netbox, run_jobs, lb_pair)
    relationship = HARelationship.objects.get()
    # A bad value that bypassed the forms (e.g. written straight to the database): Kea refuses host names.
    HAPeer.objects.filter(role='secondary').update(url='http://localhost:8000/')
    sets = [commands_received(s, 'config-set') for s in lb_pair]

    job = sync_job(run_jobs, relationship)

    assert job.status == JobStatusChoices.STATUS_FAILED
    assert 'would be refused by Kea' in job.error
    assert "bad url 'http://localhost:8000/'" in job.error
    assert 'Nothing was sent' in job.error
    assert [commands_received(s, 'config-set') for s in lb_pair] == sets
    assert not ConfigSnapshot.objects.exists()


def test_a_server_that_is_down_fails_the_sync_and_touches_nobody(kea_lab, netbox, run_jobs):
    lab = kea_lab.load_balancing(wait=True)
    imported(netbox, run_jobs, lab)
    relationship = HARelationship.objects.get()
    edit(relationship, heartbeat_delay=1500)
    lab[1].kill_dhcp()

    job = sync_job(run_jobs, relationship)

    assert job.status == JobStatusChoices.STATUS_FAILED
    assert 'cannot read the running config of every peer, so nothing was sent' in job.error
    assert 'kea-2' in job.error
    assert commands_received(lab[0], 'config-set') == 0
    assert ha_block(running_config(lab[0]))['heartbeat-delay'] == 1000
    assert not ConfigSnapshot.objects.exists()


def test_two_syncs_of_one_relationship_never_run_together(lb_pair, netbox, run_jobs):
    imported(netbox, run_jobs, lb_pair)
    relationship = HARelationship.objects.get()
    with lock_held_elsewhere(relationship):  # another worker's sync holds the relationship's lock
        job = sync_job(run_jobs, relationship)

    assert job.status == JobStatusChoices.STATUS_FAILED
    assert job.error == f'a sync or restore of {relationship} is already running; try again when it has finished'

    job = sync_job(run_jobs, relationship)  # the other worker is done: the lock is free again
    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)


def test_an_import_waits_for_no_push_it_would_race(lb_pair, netbox, run_jobs):
    """An import rewrites the relationship a sync may be pushing: while a sync holds its lock, the import fails."""
    imported(netbox, run_jobs, lb_pair)
    relationship = HARelationship.objects.get()
    primary = KeaServer.objects.get(ha_peers__relationship=relationship, ha_peers__role='primary')
    with lock_held_elsewhere(relationship):
        job, _ = run_jobs(lambda: ImportServerJob.enqueue(instance=primary))

    assert job.status == JobStatusChoices.STATUS_FAILED
    assert job.error == f'a sync or restore of {relationship} is already running; try again when it has finished'
    job, _ = run_jobs(lambda: ImportServerJob.enqueue(instance=primary))
    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
