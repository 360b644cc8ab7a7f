"""
HA operations end to end: REST, the confirmation pages and the management command start jobs that a real RQ worker
runs against real Kea 2.2 pairs; the job log says what was sent, the states are verified and recorded on the peers.
Permissions are written as the attack (a user without `operate` tries and is refused, nothing reaches Kea); a peer
whose server is unreachable fails the job naming it, and its partner hears nothing.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from core.choices import JobStatusChoices
from core.models import Job
from tests.e2e.helpers import commands_received, grant, imported, job_text
from tests.e2e.test_sync import lock_held_elsewhere

from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer

pytestmark = [pytest.mark.kea, pytest.mark.django_db]

API = '/api/plugins/kea-ha'
SETTLE = 30
CHANGING = ('ha-maintenance-start', 'ha-maintenance-cancel', 'ha-sync', 'ha-scopes', 'ha-continue', 'ha-reset')


def peer_of(server_name):
    return HAPeer.objects.select_related('server', 'relationship').get(server__name=server_name)


def changing(lab_servers):
    return {s.name: sum(commands_received(s, c) for c in CHANGING) for s in lab_servers}


def operate(api, run_jobs, peer, **body):
    response, ran = run_jobs(lambda: api.post(f'{API}/peers/{peer.pk}/operate/', body, format='json'))
    assert response.status_code == 202, response.content
    assert [j.pk for j in ran] == [response.json()['id']]
    return ran[0]


def test_take_kea_2_out_for_maintenance_and_back_through_rest(kea_lab, netbox, api, user, run_jobs):
    lab = kea_lab.load_balancing(wait=True)
    imported(netbox, run_jobs, lab)
    grant(user, HAPeer, 'view', 'operate')
    kea2 = peer_of('kea-2')

    job = operate(api, run_jobs, kea2, operation='maintenance-start')

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert (job.object, job.user, job.name) == (kea2.relationship, user, 'Maintenance: kea-2 (server2)')
    text = job_text(job)
    assert 'Maintenance: kea-2 (server2): ha-maintenance-start to kea-1 (server1)' in text
    assert 'DHCP clients: Nothing lost' in text
    assert job.data['states'] == {'server2': 'in-maintenance', 'server1': 'partner-in-maintenance'}
    assert (commands_received(lab[0], 'ha-maintenance-start'), commands_received(lab[1], 'ha-maintenance-start')) == (
        1,
        0,
    )
    # The states read are recorded on the peers (change-logged by the user who started it).
    kea2.refresh_from_db()
    kea1 = peer_of('kea-1')
    assert (kea2.ha_state, kea1.ha_state, sorted(kea1.scopes)) == (
        'in-maintenance',
        'partner-in-maintenance',
        ['server1', 'server2'],
    )
    assert KeaServer.objects.get(name='kea-2').ha_state == 'in-maintenance'

    back = operate(api, run_jobs, kea2, operation='maintenance-cancel')

    assert back.status == JobStatusChoices.STATUS_COMPLETED, job_text(back)
    assert back.data['states'] == {'server2': 'load-balancing', 'server1': 'load-balancing'}
    assert back.data['cancels'] >= 1
    assert commands_received(lab[0], 'ha-maintenance-cancel') == back.data['cancels']
    kea2.refresh_from_db()
    assert kea2.ha_state == 'load-balancing'
    assert kea_lab.wait_ha(lab, timeout=SETTLE) == {'server1': 'load-balancing', 'server2': 'load-balancing'}


def test_a_refused_operation_fails_its_job_with_the_reason_and_sends_nothing(lb_pair, netbox, api, user, run_jobs):
    imported(netbox, run_jobs, lb_pair)
    grant(user, HAPeer, 'view', 'operate')
    before = changing(lb_pair)

    job = operate(api, run_jobs, peer_of('kea-1'), operation='maintenance-cancel')

    assert job.status == JobStatusChoices.STATUS_FAILED
    assert job.error == 'refused, nothing was sent: kea-1 (server1) is not in maintenance (it is in load-balancing)'
    assert job.data['refused'] and job.data['sent'] is False
    continued = operate(api, run_jobs, peer_of('kea-2'), operation='continue')
    assert continued.status == JobStatusChoices.STATUS_FAILED
    assert 'nothing is paused' in continued.error
    assert changing(lb_pair) == before


def test_resync_from_the_confirmation_page(kea_lab, netbox, web, user, run_jobs):
    lab = kea_lab.load_balancing(wait=True)
    imported(netbox, run_jobs, lab)
    grant(user, HAPeer, 'view', 'operate')
    kea2 = peer_of('kea-2')
    lease = {'ip-address': '192.0.2.51', 'hw-address': '0a:00:00:00:00:51', 'subnet-id': 1}
    assert lab[0].command('lease4-add', lease)['result'] == 0
    url = reverse('plugins:netbox_kea_ha:hapeer_operate', args=[kea2.pk])

    page = web.get(f'{url}?operation=sync').content.decode()
    assert 'kea-1 (server1) answers no DHCP query while kea-2 (server2) pulls its leases' in page
    response, ran = run_jobs(lambda: web.post(url, {'operation': 'sync', 'source': 'server1', 'max_period': 20}))

    assert response.status_code == 302
    assert ran[0].status == JobStatusChoices.STATUS_COMPLETED, job_text(ran[0])
    assert response.url == ran[0].get_absolute_url()
    assert 'ha-sync to kea-2 (server2) (server-name server1, max-period 20 s)' in job_text(ran[0])
    assert lab[1].command('lease4-get', {'ip-address': '192.0.2.51'})['result'] == 0
    assert commands_received(lab[1], 'ha-sync') == 1


def test_scopes_and_back_from_the_command_line(kea_lab, netbox, run_jobs, rq_queues):
    lab = kea_lab.load_balancing(wait=True)
    imported(netbox, run_jobs, lab)
    out = StringIO()

    wait = ('--wait', '--start-timeout', '1')
    call_command('kea_ha_operate', 'kea-1', 'scopes', '--scopes', 'partner', *wait, stdout=out)

    assert 'completed' in out.getvalue()
    assert 'ha-scopes to kea-1 (server1) (scopes: server1, server2)' in out.getvalue()
    assert sorted(peer_of('kea-1').scopes) == ['server1', 'server2']
    call_command('kea_ha_operate', 'server1', 'scopes', '--scopes', 'own', *wait, stdout=out)
    assert peer_of('kea-1').scopes == ['server1']
    assert Job.objects.filter(status=JobStatusChoices.STATUS_COMPLETED, name__startswith='Serve scopes').count() == 2


def test_an_unreachable_server_fails_the_job_naming_it_and_its_partner_hears_nothing(kea_lab, netbox, api, user,
                                                                                     run_jobs):  # fmt: skip
    lab = kea_lab.load_balancing(wait=True)
    imported(netbox, run_jobs, lab)
    grant(user, HAPeer, 'view', 'operate')
    lab[1].stop()
    heard = len([line for line in lab[0].log_lines() if 'Received command' in line])

    job = operate(api, run_jobs, peer_of('kea-2'), operation='maintenance-start')

    assert job.status == JobStatusChoices.STATUS_FAILED
    assert job.error.startswith('kea-2 (server2) cannot be reached: status-get at http://')
    assert job.error.endswith('nothing was sent to any peer')
    assert len([line for line in lab[0].log_lines() if 'Received command' in line]) == heard


def test_an_operation_waits_for_no_other_job_of_its_relationship(lb_pair, netbox, api, user, run_jobs):
    imported(netbox, run_jobs, lb_pair)
    grant(user, HAPeer, 'view', 'operate')
    before = changing(lb_pair)
    with lock_held_elsewhere(HARelationship.objects.get()):
        job = operate(api, run_jobs, peer_of('kea-2'), operation='reset')
    assert job.status == JobStatusChoices.STATUS_FAILED
    assert 'another job (a sync, restore, import or HA operation) of' in job.error
    assert changing(lb_pair) == before


def test_without_the_operate_permission_nothing_reaches_kea(lb_pair, netbox, api, web, user, run_jobs):
    imported(netbox, run_jobs, lb_pair)
    kea2 = peer_of('kea-2')
    url = f'{API}/peers/{kea2.pk}/operate/'
    page = reverse('plugins:netbox_kea_ha:hapeer_operate', args=[kea2.pk])
    before = changing(lb_pair)

    assert api.post(url, {'operation': 'maintenance-start'}, format='json').status_code == 404
    for model in (HAPeer, HARelationship, KeaServer):
        grant(user, model, 'view', *(['sync', 'status'] if model is HARelationship else []))
    assert api.post(url, {'operation': 'maintenance-start'}, format='json').status_code == 403
    assert web.get(f'{page}?operation=maintenance-start').status_code == 403
    assert web.post(page, {'operation': 'maintenance-start'}).status_code == 403
    relationship_page = web.get(reverse('plugins:netbox_kea_ha:harelationship', args=[kea2.relationship.pk]))
    assert 'HA operations' not in relationship_page.content.decode()
    grant(user, HAPeer, 'operate', constraints={'pk': peer_of('kea-1').pk})
    assert api.post(url, {'operation': 'maintenance-start'}, format='json').status_code == 403
    assert web.post(page, {'operation': 'maintenance-start'}).status_code == 404

    _, ran = run_jobs()
    assert ran == [] and not Job.objects.filter(name__startswith='Maintenance').exists()
    assert changing(lb_pair) == before
