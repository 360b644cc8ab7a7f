"""
The security review's attacks that need NetBox's jobs and real Kea 2.2 (docs/security.md): a user who may change
servers or peers tries to have the scheduled jobs send stored credentials, files or environment variables of the
NetBox host to a listener of theirs on 127.0.0.1; a user allowed to import one server tries to take over another
team's server through what the Kea config names. The jobs run on a real RQ worker.
"""

import pytest

from core.choices import JobStatusChoices
from ipam.models import IPAddress
from tests.e2e.helpers import Listener, commands_received, grant, imported, job_text, running_config

from netbox_kea_ha.jobs import ImportServerJob, ScheduledSyncJob, StatusJob
from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer

pytestmark = [pytest.mark.kea, pytest.mark.django_db]

API = '/api/plugins/kea-ha'


def _file(path):
    with open(path) as handle:
        return handle.read().strip()


def test_a_user_who_may_change_servers_and_peers_cannot_send_credentials_or_files_anywhere(
    lb_pair_auth, netbox, api, user, run_jobs
):
    servers = imported(netbox, run_jobs, lb_pair_auth)
    kea1, kea2 = servers['server1'], servers['server2']
    username, password = lb_pair_auth[0].credentials
    assert kea1.get_password() == password and kea2.get_password() == password
    grant(user, KeaServer, 'view', 'change')
    grant(user, HAPeer, 'view', 'change')
    peer = HAPeer.objects.get(server=kea2)
    sets = [commands_received(s, 'config-set') for s in lb_pair_auth]

    with Listener() as listener:
        where = {'control_host': '127.0.0.1', 'control_port': listener.port}
        # 1. Point a server that has a stored password at the listener.
        moved = api.patch(f'{API}/servers/{kea1.pk}/', where, format='json')
        assert moved.status_code == 200 and moved.json()['has_password'] is False
        # 2. Make NetBox read a file or variable of its host as a password, sent to the listener.
        for reference in ('file:/etc/passwd', 'file:/proc/self/environ', 'env:SECRET_KEY'):
            refused = api.patch(
                f'{API}/servers/{kea2.pk}/', {'username': 'exfil', 'password_ref': reference, **where}, format='json'
            )
            assert refused.status_code == 400 and 'password_ref' in refused.json()
        # 3. Put a file into a peer's basic-auth password, which a sync would send to the Kea servers.
        refused = api.patch(
            f'{API}/peers/{peer.pk}/', {'basic_auth_password_ref': 'file:/etc/os-release'}, format='json'
        )
        assert refused.status_code == 400 and 'basic_auth_password_ref' in refused.json()
        # The scheduled system jobs run: status of every server, then the fleet check and the syncs it enqueues.
        _, status_jobs = run_jobs(lambda: StatusJob.enqueue())
        _, sync_jobs = run_jobs(lambda: ScheduledSyncJob.enqueue())

    received = listener.text
    for secret in (password, _file('/etc/passwd').splitlines()[0], _file('/etc/os-release').splitlines()[0]):
        assert secret not in received
    assert listener.received == [], 'nothing at all reached the new endpoint: its password was withdrawn'
    kea1.refresh_from_db()
    assert 'withdrawn' in kea1.last_error and password not in kea1.last_error
    texts = [job_text(job) for job in [*status_jobs, *sync_jobs]]
    assert all(password not in text for text in texts)
    # Kea was pushed nothing, and still runs the password it had.
    assert [commands_received(s, 'config-set') for s in lb_pair_auth] == sets
    assert password in str(running_config(lb_pair_auth[1]))


def test_a_push_never_goes_to_an_endpoint_the_relationship_did_not_confirm(lb_pair, netbox, api, user, run_jobs):
    """Servers without a control password: a user who may change servers only moves kea-2; no sync sends the
    relationship's config (which would carry its passwords) there until someone who may change its peers confirms."""
    servers = imported(netbox, run_jobs, lb_pair)
    relationship = HARelationship.objects.get()
    relationship.heartbeat_delay = 1500  # a change to push
    relationship.max_response_delay = 6000
    relationship.full_clean()
    relationship.save()
    grant(user, KeaServer, 'view', 'change')
    sets = [commands_received(s, 'config-set') for s in lb_pair]

    with Listener() as listener:
        moved = api.patch(f'{API}/servers/{servers["server2"].pk}/', {'control_port': listener.port}, format='json')
        assert moved.status_code == 200
        _, ran = run_jobs(lambda: ScheduledSyncJob.enqueue())

    syncs = [job for job in ran if job.name == 'Sync to Kea']
    assert syncs and all(job.status == JobStatusChoices.STATUS_FAILED for job in syncs)
    assert 'is not confirmed for relationship' in job_text(syncs[0])
    assert not any('config-set' in request or 'config-test' in request for request in listener.received)
    assert [commands_received(s, 'config-set') for s in lb_pair] == sets


def test_an_import_changes_only_what_its_user_may_change(lb_pair, netbox, api, user, run_jobs):
    mine = netbox.server(lb_pair[0])
    # Another team's server at the address the Kea config names as the partner: another port, its own credentials.
    device, address = netbox.device('team-b-dhcp', lb_pair[1].address)
    theirs = KeaServer(name='team-b', address=address, device=device, control_port=18999, username='team-b')
    theirs.set_password('Team-B-Pw-42')
    theirs.full_clean()
    theirs.save()
    before = {name: getattr(theirs, name) for name in ('control_port', 'server_tag', 'username', 'control_scheme')}
    grant(user, KeaServer, 'view', 'import', constraints={'name': mine.name})
    for model in (HARelationship, HAPeer, IPAddress):
        grant(user, model, 'view', 'add', 'change')

    response, ran = run_jobs(lambda: api.post(f'{API}/servers/{mine.pk}/import/'))

    assert response.status_code == 202 and ran[0].status == JobStatusChoices.STATUS_COMPLETED, job_text(ran[0])
    theirs = KeaServer.objects.get(pk=theirs.pk)
    assert {name: getattr(theirs, name) for name in before} == before
    assert theirs.get_password() == 'Team-B-Pw-42' and not theirs.tags.exists()
    assert not HAPeer.objects.filter(server=theirs).exists() and not HARelationship.objects.exists()
    left_alone = ' '.join(ran[0].data['left_alone'])
    assert 'team-b' in left_alone and 'you may not change that server' in left_alone

    # Run from the shell (no user: everything allowed), the partner is linked, but its endpoint is not moved.
    job = ImportServerJob.enqueue(instance=mine, immediate=True)
    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    theirs = KeaServer.objects.get(pk=theirs.pk)
    assert HAPeer.objects.filter(server=theirs).exists()
    assert (theirs.control_port, theirs.username, theirs.get_password()) == (18999, 'team-b', 'Team-B-Pw-42')
    assert 'never changes the control endpoint' in ' '.join(job.data['left_alone'])
