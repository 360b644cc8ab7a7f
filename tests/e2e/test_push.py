"""
The least-loss push through NetBox (docs/push.md), end to end on real Kea with a real RQ worker: a Kea 3.0 pair with
the subnet_cmds, class_cmds and host_cmds hooks takes a replicated subnet at runtime (no config-set, HA never
restarted), the Plan page, the REST dry run and the job log say so; a relationship forced to the rolling push reloads
instead; a change Kea can only take by a reload is pushed with the partner serving the peer's scope meanwhile.
"""

import pytest
from django.urls import reverse

from core.choices import JobStatusChoices
from tests.e2e.helpers import commands_received, grant, ha_block, job_text, lab_name, running_config
from tests.kea.test_rollout_runtime_kea import ha_transitions
from tests.kea_fixtures import requires_kea

from kealab import COMMANDS_HOOKS
from netbox_kea_ha.jobs import ImportServerJob, SyncRelationshipJob
from netbox_kea_ha.models import HARelationship

pytestmark = [pytest.mark.kea, pytest.mark.django_db]

API = '/api/plugins/kea-ha'


def sync_job(run_jobs, relationship, **kwargs):
    job, ran = run_jobs(lambda: SyncRelationshipJob.enqueue(instance=relationship, **kwargs))
    assert [j.pk for j in ran] == [job.pk]
    return job


def add_subnet_on_primary(lab_server, number):
    """What a user does on the primary outside NetBox (replication carries it to the partner): a new subnet."""
    config = running_config(lab_server)
    config.pop('hash', None)
    config['Dhcp4']['subnet4'].append(
        {
            'id': 10 + number,
            'subnet': f'198.51.{100 + number}.0/24',
            'pools': [{'pool': f'198.51.{100 + number}.10 - 198.51.{100 + number}.99'}],
            'option-data': [{'name': 'routers', 'data': f'198.51.{100 + number}.1'}],
        }
    )
    answer = lab_server.command('config-set', config)
    assert answer['result'] == 0, answer


def subnets(lab_server):
    return [s['subnet'] for s in running_config(lab_server)['Dhcp4']['subnet4']]


@requires_kea('3.0')
def test_a_replicated_subnet_goes_at_runtime_and_the_rolling_push_can_be_forced(
    kea_lab, netbox, api, web, user, run_jobs
):
    lab = kea_lab.load_balancing(kea='3.0', auth=True, hooks=COMMANDS_HOOKS, wait=True)
    primary = netbox.server(lab[0], control_kind='server')
    netbox.device(lab_name(lab[1]), lab[1].address)
    imported, _ = run_jobs(lambda: ImportServerJob.enqueue(instance=primary))
    assert imported.status == JobStatusChoices.STATUS_COMPLETED, job_text(imported)
    relationship = HARelationship.objects.get()
    assert relationship.effective_push_procedure == 'least-loss'  # the plugin's default
    add_subnet_on_primary(lab[0], 1)
    kea_lab.wait_ha(lab, timeout=60)

    # The REST dry run: the partner would take the primary's new subnet at runtime; nothing noticed.
    grant(user, HARelationship, 'view', 'sync')
    response, ran = run_jobs(lambda: api.post(f'{API}/relationships/{relationship.pk}/sync/', {'dry_run': True}))
    assert response.status_code == 202, response.content
    plan = ran[0]
    assert plan.status == JobStatusChoices.STATUS_COMPLETED, job_text(plan)
    server1, server2 = plan.data['peers']
    assert (server1['outcome'], server1['method']) == ('unchanged', '')
    assert (server2['outcome'], server2['method']) == ('planned', 'runtime'), job_text(plan)
    assert server2['interruption'].startswith('none'), job_text(plan)
    assert server2['method_detail'] == ['subnet 198.51.101.0/24 (id 11) added']
    assert 'how: runtime (subnet 198.51.101.0/24 (id 11) added); clients: none' in job_text(plan), job_text(plan)
    # The Plan page shows the same.
    page = web.get(reverse('plugins:netbox_kea_ha:harelationship_plan', args=[relationship.pk]) + f'?job={plan.pk}')
    text = page.content.decode()
    assert page.status_code == 200 and 'What clients notice' in text
    assert 'subnet 198.51.101.0/24 (id 11) added' in text

    marks = [len(s.log_lines()) for s in lab]
    sets = [commands_received(s, 'config-set') for s in lab]
    job = sync_job(run_jobs, relationship)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert (job.data['runtime_pushes'], job.data['config_sets']) == (1, 0), job_text(job)
    assert job.data['message'] == 'pushed to 1 peer(s)'
    assert subnets(lab[1]) == subnets(lab[0]) == ['192.0.2.0/24', '198.51.101.0/24']
    assert [commands_received(s, 'config-set') for s in lab] == sets  # no reload anywhere
    assert commands_received(lab[1], 'subnet4-add') == 1
    assert [ha_transitions(s, mark) for s, mark in zip(lab, marks, strict=True)] == [[], []]  # HA never restarted
    assert '198.51.101.0/24' in lab[1].paths.config_file.read_text()  # config-write: it survives a restart
    assert kea_lab.wait_ha(lab, timeout=60) == {'server1': 'load-balancing', 'server2': 'load-balancing'}

    # The user forces the old rolling push on this relationship: the next subnet goes by a reload.
    response = api.patch(f'{API}/relationships/{relationship.pk}/', {'push_procedure': 'rolling'}, format='json')
    assert response.status_code == 403  # changing the relationship is its own permission
    grant(user, HARelationship, 'change')
    response = api.patch(f'{API}/relationships/{relationship.pk}/', {'push_procedure': 'rolling'}, format='json')
    assert response.status_code == 200 and response.json()['push_procedure']['value'] == 'rolling'
    relationship.refresh_from_db()
    add_subnet_on_primary(lab[0], 2)
    kea_lab.wait_ha(lab, timeout=60)

    rolling = sync_job(run_jobs, relationship)

    assert rolling.status == JobStatusChoices.STATUS_COMPLETED, job_text(rolling)
    assert (rolling.data['runtime_pushes'], rolling.data['config_sets']) == (0, 1), job_text(rolling)
    server2 = rolling.data['peers'][1]
    assert server2['method'] == 'reload' and 'the rolling push' in ' '.join(server2['method_detail']), job_text(rolling)
    assert subnets(lab[1]) == ['192.0.2.0/24', '198.51.101.0/24', '198.51.102.0/24']
    assert commands_received(lab[1], 'config-set') == sets[1] + 1
    assert commands_received(lab[1], 'ha-scopes') == 0  # the rolling push hands nothing over
    assert kea_lab.wait_ha(lab, timeout=60) == {'server1': 'load-balancing', 'server2': 'load-balancing'}


def test_a_timer_change_reloads_each_peer_with_its_partner_serving_its_scope(kea_lab, netbox, run_jobs):
    """Kea 2.2: an HA timer only changes by a reload; the least-loss push hands each peer's scope to its partner
    first and back after, and both end load-balancing with the new timer."""
    lab = kea_lab.load_balancing(wait=True)
    primary = netbox.server(lab[0])
    netbox.device(lab_name(lab[1]), lab[1].address)
    imported, _ = run_jobs(lambda: ImportServerJob.enqueue(instance=primary))
    assert imported.status == JobStatusChoices.STATUS_COMPLETED, job_text(imported)
    relationship = HARelationship.objects.get()
    relationship.snapshot()
    relationship.max_response_delay = 4000
    relationship.full_clean()
    relationship.save()

    plan = sync_job(run_jobs, relationship, dry_run=True)
    assert plan.status == JobStatusChoices.STATUS_COMPLETED, job_text(plan)
    for peer in plan.data['peers']:
        assert peer['method'] == 'reload', job_text(plan)
        assert peer['method_detail'] == [
            'the hook libraries or their parameters (HA included) change: Kea takes them only by a reload'
        ], job_text(plan)
        assert peer['interruption'].startswith('one lease sync: both servers stop answering for about'), peer
        assert 'serves its scope meanwhile (handed over)' in peer['interruption'], peer

    job = sync_job(run_jobs, relationship)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert (job.data['runtime_pushes'], job.data['config_sets']) == (0, 2), job_text(job)
    assert [ha_block(running_config(s))['max-response-delay'] for s in lab] == [4000, 4000]
    # Each side: as the partner, handed over and back; as the peer pushed, drained and resumed.
    assert [commands_received(s, 'ha-scopes') for s in lab] == [4, 4]
    steps = [s['name'] for s in job.data['rollout']['peers'][1]['steps']]
    assert steps.index('handover') < steps.index('config-set') < steps.index('handback'), job_text(job)
    assert kea_lab.wait_ha(lab, timeout=60) == {'server1': 'load-balancing', 'server2': 'load-balancing'}
    for server in lab:
        scopes = server.command('status-get')['arguments']['high-availability'][0]['ha-servers']['local']['scopes']
        assert scopes == [server.name]
