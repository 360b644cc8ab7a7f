"""
Kea's HA status detail, end to end on real Kea: what the status job records from a real pair (Kea 2.2; clock skew
from Kea 3.0), a hub's peers each with their own relationship's state (Kea 2.6), the HA history panel after a real
partner-down episode, and a NetBox event rule whose webhook reaches an HTTP receiver on 127.0.0.1 when a peer goes
partner-down.
"""

import http.server
import json
import threading
import time

import pytest
from django.urls import reverse

from core.choices import JobStatusChoices
from core.models import ObjectChange, ObjectType
from extras.models import EventRule, Webhook
from tests.e2e.helpers import grant, imported, job_text, lab_name
from tests.kea_fixtures import requires_kea

from netbox_kea_ha.jobs import ImportServerJob, StatusJob
from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer
from netbox_kea_ha.services.history import format_duration, relationship_history

pytestmark = [pytest.mark.kea, pytest.mark.django_db]

#: Kea's counters, recorded on every peer that has a partner.
COUNTERS = ('heartbeat_age', 'connecting_clients', 'unacked_clients', 'unacked_clients_left', 'analyzed_packets')


def status_job(run_jobs, instance=None):
    job, ran = run_jobs(lambda: StatusJob.enqueue(instance=instance))
    assert [j.pk for j in ran] == [job.pk]
    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    return job


def remote_of(lab_server, index=0):
    """The `remote` part of a relationship of the lab server's own `status-get` (not the plugin's client)."""
    answer = lab_server.command('status-get')
    assert answer['result'] == 0, answer
    return answer['arguments']['high-availability'][index]['ha-servers']['remote']


def wait_for_hub_states(hub, states, timeout=60.0):
    """Poll the hub's own `status-get` until its relationships are in `states` (one per relationship, in order)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = hub.command('status-get')
        seen = [r['ha-servers']['local']['state'] for r in answer.get('arguments', {}).get('high-availability', [])]
        if seen == states:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f'the hub is in {seen}, not {states}')
        time.sleep(0.2)


def peer_changes(peer):
    return ObjectChange.objects.filter(changed_object_type__model='hapeer', changed_object_id=peer.pk)


def test_a_real_pair_records_keas_status_detail(lb_pair, netbox, run_jobs):
    imported(netbox, run_jobs, lb_pair)

    job = status_job(run_jobs)

    peers = {p.effective_name: p for p in HAPeer.objects.all()}
    for name, partner in (('server1', 'server2'), ('server2', 'server1')):
        peer = peers[name]
        assert (peer.ha_state, peer.partner_state) == ('load-balancing', 'load-balancing'), job_text(job)
        assert (peer.scopes, peer.partner_scopes) == ([name], [partner])
        assert (peer.communication_interrupted, peer.in_touch, peer.reachable) == (False, True, True)
        assert all(isinstance(getattr(peer, counter), int) for counter in COUNTERS), [
            (c, getattr(peer, c)) for c in COUNTERS
        ]
        assert (peer.connecting_clients, peer.unacked_clients, peer.unacked_clients_left) == (0, 0, 0)
        assert peer.clock_skew is None  # Kea 2.2 does not report it
    kea = remote_of(lb_pair[0])
    assert peers['server1'].partner_scopes == kea['last-scopes']
    assert peers['server1'].analyzed_packets == kea['analyzed-packets']
    logged = {p.pk: peer_changes(p).count() for p in peers.values()}

    status_job(run_jobs)

    for peer in HAPeer.objects.all():
        assert peer_changes(peer).count() == logged[peer.pk]  # nothing changed state: no change-log entry
        assert all(isinstance(getattr(peer, counter), int) for counter in COUNTERS)


@requires_kea('3.0')
def test_kea_30_reports_clock_skew(kea_lab, netbox, run_jobs):
    lab = kea_lab.load_balancing(kea='3.0', auth=True, wait=True)
    primary = netbox.server(lab[0], control_kind='server')
    netbox.device(lab_name(lab[1]), lab[1].address)
    job, _ = run_jobs(lambda: ImportServerJob.enqueue(instance=primary))
    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)

    job = status_job(run_jobs)

    for peer in HAPeer.objects.all():
        assert peer.ha_state == 'load-balancing', job_text(job)
        assert isinstance(peer.clock_skew, int), job_text(job)
        assert abs(peer.clock_skew) <= 1  # the two servers share this machine's clock
        assert (peer.in_touch, peer.communication_interrupted) == (True, False)
        assert peer.heartbeat_age is not None


@requires_kea('2.6')
def test_a_hubs_peers_each_show_their_own_relationships_status(kea_lab, netbox, run_jobs, user, api, web):
    """The hub is the standby of two relationships; one branch goes down: only that relationship's hub peer shows
    partner-down, the interruption and the scope it took over (recorded, in REST, and in the hub server page's
    table of its relationships)."""
    hub, branch2, branch3 = kea_lab.hub_and_spoke(kea='2.6', wait=True)
    hub_server = netbox.server(hub)
    for branch in (branch2, branch3):
        netbox.device(lab_name(branch), branch.address)
    job, _ = run_jobs(lambda: ImportServerJob.enqueue(instance=hub_server))
    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    by_branch = {
        branch.name: HARelationship.objects.get(peers__server__name=lab_name(branch)) for branch in (branch2, branch3)
    }

    status_job(run_jobs)

    for name, relationship in by_branch.items():
        peer = HAPeer.objects.get(relationship=relationship, server=hub_server)
        assert (peer.ha_state, peer.partner_state, peer.partner_scopes) == ('hot-standby', 'hot-standby', [name])
        assert (peer.communication_interrupted, peer.in_touch) == (False, True)

    branch3.kill_dhcp()
    wait_for_hub_states(hub, ['hot-standby', 'partner-down'])
    job = status_job(run_jobs)

    calm = HAPeer.objects.get(relationship=by_branch['server2'], server=hub_server)
    down = HAPeer.objects.get(relationship=by_branch['server3'], server=hub_server)
    assert (calm.ha_state, calm.scopes, calm.communication_interrupted) == ('hot-standby', [], False), job_text(job)
    assert (down.ha_state, down.scopes, down.communication_interrupted) == ('partner-down', ['server3'], True)
    assert down.partner_state != 'hot-standby'
    hub_server.refresh_from_db()
    assert hub_server.ha_state == 'hot-standby'  # the server's own state is its first relationship's

    for model in (HAPeer, HARelationship, KeaServer):
        grant(user, model, 'view')
    listed = api.get('/api/plugins/kea-ha/peers/', {'server_id': hub_server.pk}).json()['results']
    assert {p['relationship']['id']: (p['ha_state']['value'], p['scopes']) for p in listed} == {
        by_branch['server2'].pk: ('hot-standby', []),
        by_branch['server3'].pk: ('partner-down', ['server3']),
    }
    # The hub server's page lists its relationships with each one's own state (the embedded peers table).
    page = web.get(hub_server.get_absolute_url()).content.decode().replace('%2C', ',')
    assert 'include_columns=ha_state,partner_state,scopes,communication_interrupted' in page
    table = web.get(
        reverse('plugins:netbox_kea_ha:hapeer_list'),
        {'server_id': hub_server.pk, 'embedded': 'True', 'include_columns': 'ha_state,partner_state,scopes'},
    ).content.decode()
    assert table.count('partner-down') >= 1 and table.count('hot-standby') >= 1


def test_the_history_shows_a_partner_down_episode_with_its_duration(kea_lab, netbox, run_jobs, user, web):
    lab = kea_lab.load_balancing(wait=True)
    servers = imported(netbox, run_jobs, lab)
    relationship = HARelationship.objects.get()
    status_job(run_jobs)

    lab[1].kill_dhcp()  # its Control Agent answers that the server is offline
    kea_lab.wait_ha([lab[0]], states={'server1': 'partner-down'})
    status_job(run_jobs)
    lab[1].start_dhcp()
    kea_lab.wait_ha(lab)
    status_job(run_jobs)

    history = relationship_history(relationship)
    survivor = HAPeer.objects.get(server=servers['server1'])
    restarted = HAPeer.objects.get(server=servers['server2'])
    [episode] = history.partner_down
    assert episode.peer == survivor and not episode.ongoing
    assert episode.start < episode.end
    assert episode.lasted == episode.end - episode.start
    # Oldest first; in one status run the servers are recorded in order (server1, then server2).
    transitions = [(c.peer.pk, c.before, c.after) for c in reversed(history.changes)]
    assert transitions == [
        (survivor.pk, '', 'load-balancing'),
        (restarted.pk, '', 'load-balancing'),
        (survivor.pk, 'load-balancing', 'partner-down'),
        (restarted.pk, 'load-balancing', 'unavailable'),
        (survivor.pk, 'partner-down', 'load-balancing'),
        (restarted.pk, 'unavailable', 'load-balancing'),
    ], transitions
    assert history.changes[0].ongoing and not history.changes[2].ongoing
    assert history.changes[3].lasted == episode.lasted  # the partner-down change lasted the episode

    # The relationship page shows it to a user who may view the relationship, its peers, servers and the change log.
    for model in (HARelationship, HAPeer, KeaServer, ObjectChange):
        grant(user, model, 'view')
    page = web.get(relationship.get_absolute_url()).content.decode()
    assert 'HA history' in page
    assert 'last went' in page
    assert f'for {format_duration(episode.lasted)}' in page
    page = web.get(servers['server1'].get_absolute_url()).content.decode()
    assert f'for {format_duration(episode.lasted)}' in page


class Receiver:
    """An HTTP receiver on 127.0.0.1 (a port of its own) that keeps the JSON body of every POST. A context manager."""

    def __init__(self):
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                length = int(self.headers.get('Content-Length') or 0)
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}/kea-ha'
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def test_an_event_rule_sends_a_webhook_when_a_peer_goes_partner_down(kea_lab, netbox, run_jobs):
    """The example of docs/status.md: an event rule on HA peer updates with a condition on `ha_state`."""
    lab = kea_lab.load_balancing(wait=True)
    servers = imported(netbox, run_jobs, lab)
    status_job(run_jobs)
    with Receiver() as receiver:
        webhook = Webhook.objects.create(
            name='Kea HA partner-down', payload_url=receiver.url, http_method='POST',
            http_content_type='application/json',
        )  # fmt: skip
        rule = EventRule.objects.create(
            name='HA peer partner-down', event_types=['object_updated'], action_type='webhook',
            action_object=webhook, conditions={'attr': 'ha_state.value', 'value': 'partner-down'},
        )  # fmt: skip
        rule.object_types.set([ObjectType.objects.get_for_model(HAPeer)])

        status_job(run_jobs)  # nothing changed state: no event at all
        assert receiver.received == []

        lab[1].kill_dhcp()
        kea_lab.wait_ha([lab[0]], states={'server1': 'partner-down'})
        job = status_job(run_jobs)  # the RQ worker also runs the webhook job the event rule queued

        [hook] = receiver.received
        assert (hook['event'], hook['object_type']) == ('updated', 'netbox_kea_ha.hapeer'), hook
        assert hook['data']['id'] == HAPeer.objects.get(server=servers['server1']).pk, job_text(job)
        # The REST representation: a choice is {value, label} (hence the rule's `ha_state.value`).
        assert (hook['data']['ha_state']['value'], hook['data']['effective_name']) == ('partner-down', 'server1')
        assert hook['data']['communication_interrupted'] is True
        assert hook['snapshots']['prechange']['ha_state'] == 'load-balancing'
        assert hook['snapshots']['postchange']['ha_state'] == 'partner-down'
        assert hook['username'] == 'netbox-kea-ha'
        # server2's own peer went `unavailable` in the same run: an update too, but not what the rule asks for.
        assert HAPeer.objects.get(server=servers['server2']).ha_state == 'unavailable'

        status_job(run_jobs)  # still partner-down, counters moving: no new event

        assert len(receiver.received) == 1
