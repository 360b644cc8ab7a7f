"""
The actions from the outside: REST and UI, with and without the custom permissions, the jobs they start run by a
real RQ worker against real Kea 2.2; and no password on any surface (job log and data, snapshot page, REST,
GraphQL).
"""

import json

import django_rq
import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from core.choices import JobStatusChoices
from core.models import Job
from dcim.models import Device
from ipam.models import IPAddress
from tests.e2e.helpers import commands_received, grant, imported, job_text, running_config

from netbox_kea_ha.jobs import ImportServerJob, SyncRelationshipJob
from netbox_kea_ha.models import ConfigSnapshot, HAPeer, HARelationship, KeaServer
from netbox_kea_ha.plugin_settings import get_setting
from netbox_kea_ha.services.snapshots import take_snapshot

pytestmark = [pytest.mark.kea, pytest.mark.django_db]

API = '/api/plugins/kea-ha'


def jobs():
    return Job.objects.count()


# --- REST -------------------------------------------------------------------------------------------------------


def test_api_import_needs_the_import_permission(lb_pair, netbox, api, user, run_jobs):
    server = netbox.server(lb_pair[0])
    url = f'{API}/servers/{server.pk}/import/'

    assert api.post(url).status_code == 404  # cannot even see it
    grant(user, KeaServer, 'view')
    denied = api.post(url)
    assert denied.status_code == 403
    assert 'import permission' in denied.json()['detail']
    grant(user, KeaServer, 'import', constraints={'name': 'some-other-server'})
    assert api.post(url).status_code == 403  # a constrained permission that does not cover this server
    assert jobs() == 0

    grant(user, KeaServer, 'import')
    response, ran = run_jobs(lambda: api.post(url))

    assert response.status_code == 202
    body = response.json()
    assert body['name'] == ImportServerJob.name and body['object_id'] == server.pk and body['status']['value']
    assert [j.pk for j in ran] == [body['id']]
    assert ran[0].status == JobStatusChoices.STATUS_COMPLETED, job_text(ran[0])
    assert ran[0].user == user
    # The import creates only what the user may add (test_security.py): nothing yet, and it says why.
    assert HARelationship.objects.count() == 0
    assert 'you may not add the HA relationship' in ' '.join(ran[0].data['left_alone'])

    for model in (HARelationship, HAPeer, KeaServer, IPAddress):
        grant(user, model, 'add', 'change')
    _, ran = run_jobs(lambda: api.post(url))
    assert ran[0].status == JobStatusChoices.STATUS_COMPLETED, job_text(ran[0])
    assert HARelationship.objects.count() == 1


def test_api_sync_and_plan_need_the_sync_permission(lb_pair, netbox, api, user, run_jobs):
    imported(netbox, run_jobs, lb_pair)
    relationship = HARelationship.objects.get()
    url = f'{API}/relationships/{relationship.pk}/sync/'
    grant(user, HARelationship, 'view')
    sets = [commands_received(s, 'config-set') for s in lb_pair]

    assert api.post(url, {'dry_run': True}, format='json').status_code == 403
    grant(user, HARelationship, 'sync')
    bad = api.post(url, {'dry_run': 'perhaps'}, format='json')
    assert bad.status_code == 400 and 'dry_run' in bad.json()

    response, ran = run_jobs(lambda: api.post(url, {'dry_run': True}, format='json'))

    assert response.status_code == 202
    assert ran[0].status == JobStatusChoices.STATUS_COMPLETED, job_text(ran[0])
    assert ran[0].data['dry_run'] is True
    response, ran = run_jobs(lambda: api.post(url, {}, format='json'))
    assert response.status_code == 202
    assert ran[0].data['dry_run'] is False and ran[0].data['config_sets'] == 0
    assert [commands_received(s, 'config-set') for s in lb_pair] == sets


def test_api_status_needs_the_status_permission(lb_pair, netbox, api, user, run_jobs):
    servers = imported(netbox, run_jobs, lb_pair)
    relationship = HARelationship.objects.get()
    grant(user, KeaServer, 'view')
    grant(user, HARelationship, 'view')
    urls = [f'{API}/servers/{servers["server1"].pk}/status/', f'{API}/relationships/{relationship.pk}/status/']

    assert [api.post(url).status_code for url in urls] == [403, 403]
    assert api.post(f'{API}/status/').status_code == 403
    grant(user, KeaServer, 'status')
    grant(user, HARelationship, 'status')

    for url in [*urls, f'{API}/status/']:
        response, ran = run_jobs(lambda url=url: api.post(url))
        assert response.status_code == 202
        assert ran[0].status == JobStatusChoices.STATUS_COMPLETED, job_text(ran[0])
    servers['server2'].refresh_from_db()
    assert servers['server2'].ha_state == 'load-balancing'


def test_api_restore_needs_the_restore_permission(lb_pair, netbox, api, user, run_jobs):
    servers = imported(netbox, run_jobs, lb_pair)
    snapshot = take_snapshot(servers['server1'], running_config(lb_pair[0]))
    url = f'{API}/snapshots/{snapshot.pk}/restore/'
    grant(user, ConfigSnapshot, 'view')

    assert api.post(url).status_code == 403
    grant(user, ConfigSnapshot, 'restore')
    assert api.post(url, {'which': 'sideways'}, format='json').status_code == 400
    response, ran = run_jobs(lambda: api.post(url))

    assert response.status_code == 202
    assert ran[0].status == JobStatusChoices.STATUS_COMPLETED, job_text(ran[0])
    assert 'already runs the config of snapshot' in ran[0].data['message']  # nothing to send: it runs that config
    assert commands_received(lb_pair[0], 'config-set') == 0


def test_api_refuses_anonymous_requests(lb_pair, netbox):
    server = netbox.server(lb_pair[0])
    assert APIClient().post(f'{API}/servers/{server.pk}/import/').status_code in (401, 403)
    assert jobs() == 0


def test_jobs_get_the_job_timeout_setting(lb_pair, netbox, rq_queues, django_capture_on_commit_callbacks):
    server = netbox.server(lb_pair[0])
    queue = django_rq.get_queue('default')
    with django_capture_on_commit_callbacks(execute=True):
        job = ImportServerJob.enqueue(instance=server)
    assert queue.fetch_job(str(job.job_id)).timeout == get_setting('job_timeout') == 900

    plugins = {'netbox_kea_ha': {**get_setting.__globals__['DEFAULT_SETTINGS'], 'job_timeout': 123}}
    with override_settings(PLUGINS_CONFIG=plugins), django_capture_on_commit_callbacks(execute=True):
        job = ImportServerJob.enqueue(instance=server)
    assert queue.fetch_job(str(job.job_id)).timeout == 123


# --- UI -----------------------------------------------------------------------------------------------------------


def test_buttons_show_only_with_the_permission(lb_pair, netbox, web, user, run_jobs):
    servers = imported(netbox, run_jobs, lb_pair)
    relationship = HARelationship.objects.get()
    grant(user, KeaServer, 'view')
    grant(user, HARelationship, 'view')
    grant(user, Device, 'view')
    server_page = web.get(servers['server1'].get_absolute_url()).content.decode()
    relationship_page = web.get(relationship.get_absolute_url()).content.decode()
    assert 'Import from Kea' not in server_page and 'Read status' not in server_page
    assert reverse('plugins:netbox_kea_ha:harelationship_sync', args=[relationship.pk]) not in relationship_page
    assert reverse('plugins:netbox_kea_ha:harelationship_plan', args=[relationship.pk]) not in relationship_page

    grant(user, KeaServer, 'import', 'status')
    grant(user, HARelationship, 'sync')
    server_page = web.get(servers['server1'].get_absolute_url()).content.decode()
    relationship_page = web.get(relationship.get_absolute_url()).content.decode()
    assert 'Import from Kea' in server_page and 'Read status' in server_page
    assert reverse('plugins:netbox_kea_ha:harelationship_sync', args=[relationship.pk]) in relationship_page
    assert reverse('plugins:netbox_kea_ha:harelationship_plan', args=[relationship.pk]) in relationship_page
    device_tab = web.get(reverse('dcim:device_kea_ha', args=[servers['server1'].device_id])).content.decode()
    assert reverse('dcim:device_kea_ha_import', args=[servers['server1'].device_id]) in device_tab


def test_ui_import_from_the_server_page_and_the_device_tab(lb_pair, netbox, web, user, run_jobs):
    server = netbox.server(lb_pair[0])
    url = reverse('plugins:netbox_kea_ha:keaserver_kea_import', args=[server.pk])
    grant(user, KeaServer, 'view')
    grant(user, Device, 'view')
    assert web.post(url).status_code == 403
    assert web.get(url).status_code in (403, 405)  # never on GET
    assert web.post(reverse('dcim:device_kea_ha_import', args=[server.device_id])).status_code == 403
    assert jobs() == 0

    grant(user, KeaServer, 'import')
    response, ran = run_jobs(lambda: web.post(url))

    assert response.status_code == 302 and response.url == ran[0].get_absolute_url()
    assert ran[0].status == JobStatusChoices.STATUS_COMPLETED, job_text(ran[0])
    response, ran = run_jobs(lambda: web.post(reverse('dcim:device_kea_ha_import', args=[server.device_id])))
    assert response.status_code == 302
    assert [j.name for j in ran] == [ImportServerJob.name]
    assert ran[0].data['created'] == []  # the second import changes nothing


def test_ui_plan_shows_each_peers_diff(lb_pair, netbox, web, user, run_jobs):
    imported(netbox, run_jobs, lb_pair)
    relationship = HARelationship.objects.get()
    relationship.snapshot()
    relationship.heartbeat_delay = 1200
    relationship.full_clean()
    relationship.save()
    url = reverse('plugins:netbox_kea_ha:harelationship_plan', args=[relationship.pk])
    grant(user, HARelationship, 'view')
    assert web.get(url).status_code == 403
    assert web.post(url).status_code == 403
    grant(user, HARelationship, 'sync')

    response, ran = run_jobs(lambda: web.post(url))

    assert response.status_code == 302 and response.url == f'{url}?job={ran[0].pk}'
    assert ran[0].name == 'Sync to Kea (plan)' and ran[0].data['dry_run'] is True
    page = web.get(response.url).content.decode()
    assert 'server1 (kea-1): what a sync would change' in page
    assert '&quot;heartbeat-delay&quot;: 1200' in page or '"heartbeat-delay": 1200' in page
    assert 'Sync now' in page
    assert [ha_delay(s) for s in lb_pair] == [1000, 1000]


def ha_delay(lab_server):
    from tests.e2e.helpers import ha_block

    return ha_block(running_config(lab_server))['heartbeat-delay']


def test_snapshot_pages_and_surfaces_never_show_a_password(lb_pair_auth, netbox, web, api, user, run_jobs):
    """A snapshot of a config full of passwords: the page, list, REST and GraphQL show placeholders only."""
    servers = imported(netbox, run_jobs, lb_pair_auth)
    secrets = {s.credentials[1] for s in lb_pair_auth}
    before = running_config(lb_pair_auth[0])
    assert all(secret in json.dumps(before) for secret in secrets)  # Kea shows them in clear
    after = json.loads(json.dumps(before))
    after['Dhcp4']['valid-lifetime'] = 7200
    snapshot = take_snapshot(servers['server1'], before, after, relationship=HARelationship.objects.get())
    grant(user, ConfigSnapshot, 'view')
    grant(user, KeaServer, 'view')

    pages = [
        web.get(snapshot.get_absolute_url()),
        web.get(reverse('plugins:netbox_kea_ha:configsnapshot_list')),
        web.get(reverse('plugins:netbox_kea_ha:keaserver_snapshots', args=[servers['server1'].pk])),
        api.get(f'{API}/snapshots/{snapshot.pk}/'),
        api.get(f'{API}/snapshots/'),
        api.post(
            '/graphql/',
            {'query': '{kea_ha_snapshot_list {id before after message server {name}}}'},
            format='json',
        ),
    ]
    assert [p.status_code for p in pages] == [200] * len(pages)
    text = '\n'.join(p.content.decode() for p in pages)
    for secret in secrets:
        assert secret not in text
    assert 'valid-lifetime' in pages[0].content.decode()  # the diff is there
    assert '********' in pages[3].content.decode()
    graphql = pages[5].json()
    assert 'errors' not in graphql, graphql
    assert graphql['data']['kea_ha_snapshot_list'][0]['server']['name'] == 'kea-1'

    # Plan and sync jobs of the same relationship: their logs and data hold no password either.
    relationship = HARelationship.objects.get()
    relationship.snapshot()
    relationship.max_ack_delay = 2100
    relationship.full_clean()
    relationship.save()
    plan, _ = run_jobs(lambda: SyncRelationshipJob.enqueue(instance=relationship, dry_run=True))
    assert plan.status == JobStatusChoices.STATUS_COMPLETED, job_text(plan)
    assert plan.data['peers'][0]['diff']
    for secret in secrets:
        assert secret not in job_text(plan)


def test_a_mode_change_is_refused_by_plan_and_sync_then_pushed_when_allowed(kea_lab, netbox, web, user, run_jobs):
    """Load-balancing -> hot-standby changes what no peer can take alone: refused, shown, then pushed on request."""
    lab = kea_lab.load_balancing(wait=True)
    imported(netbox, run_jobs, lab)
    relationship = HARelationship.objects.get()
    # Mode and role together (a form would refuse the half-way state in between).
    HARelationship.objects.filter(pk=relationship.pk).update(mode='hot-standby')
    relationship.peers.filter(role='secondary').update(role='standby')
    grant(user, HARelationship, 'view', 'sync')
    plan_url = reverse('plugins:netbox_kea_ha:harelationship_plan', args=[relationship.pk])
    sync_url = reverse('plugins:netbox_kea_ha:harelationship_sync', args=[relationship.pk])

    response, ran = run_jobs(lambda: web.post(plan_url))
    assert ran[0].status == JobStatusChoices.STATUS_FAILED
    assert 'changes no peer can take alone' in ran[0].error
    page = web.get(response.url).content.decode()
    assert 'Sync anyway (disruptive)' in page and 'name="allow_disruptive" value="true"' in page

    _, ran = run_jobs(lambda: web.post(sync_url))
    assert ran[0].status == JobStatusChoices.STATUS_FAILED and 'allow_disruptive' in ran[0].error
    assert [commands_received(s, 'config-set') for s in lab] == [0, 0]

    _, ran = run_jobs(lambda: web.post(sync_url, {'allow_disruptive': 'true'}))
    assert ran[0].status == JobStatusChoices.STATUS_COMPLETED, job_text(ran[0])
    assert ran[0].data['config_sets'] == 2
    assert [ha_block_of(s)['mode'] for s in lab] == ['hot-standby', 'hot-standby']
    states = kea_lab.wait_ha(lab, timeout=60, states={'server1': 'hot-standby', 'server2': 'hot-standby'})
    assert states == {'server1': 'hot-standby', 'server2': 'hot-standby'}


def ha_block_of(lab_server):
    from tests.e2e.helpers import ha_block

    return ha_block(running_config(lab_server))
