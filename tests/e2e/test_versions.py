"""
Every Kea version through NetBox, end to end: import, plan, sync and status jobs on a real RQ worker against a Kea
2.6 load-balancing pair (Control Agents), a Kea 3.0 pair reached through the servers' own HTTP control sockets with
basic auth (no Control Agent), a Kea 2.6 hub-and-spoke setup (one server in two relationships) and a DHCPv6 pair.

Each test builds its own lab (`kea_lab`): a sync changes the servers, and the shared setups must stay as started.
"""

import time

import pytest

from core.choices import JobStatusChoices
from tests.e2e.helpers import commands_received, ha_block, job_text, lab_name, running_config
from tests.kea_fixtures import requires_kea

from netbox_kea_ha.jobs import ImportServerJob, StatusJob, SyncRelationshipJob
from netbox_kea_ha.models import ConfigSnapshot, HAPeer, HARelationship, KeaServer

pytestmark = [pytest.mark.kea, pytest.mark.django_db]

#: The change a relationship edit makes in every peer's HA block (the lab's max-ack-delay is 2000).
CHANGE = [('-', '"max-ack-delay": 2000,'), ('+', '"max-ack-delay": 2500,')]


def import_job(run_jobs, server):
    job, ran = run_jobs(lambda: ImportServerJob.enqueue(instance=server))
    assert [j.pk for j in ran] == [job.pk]
    return job


def sync_job(run_jobs, relationship, **kwargs):
    job, ran = run_jobs(lambda: SyncRelationshipJob.enqueue(instance=relationship, **kwargs))
    assert [j.pk for j in ran] == [job.pk]
    return job


def status_job(run_jobs, instance=None):
    job, ran = run_jobs(lambda: StatusJob.enqueue(instance=instance))
    assert [j.pk for j in ran] == [job.pk]
    return job


def edit(obj, **values):
    """Change a NetBox object the way a form does: snapshot, validate, save."""
    obj.snapshot()
    for name, value in values.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()


def changed_lines(diff):
    """The removed and added lines of a unified diff, as (sign, stripped text)."""
    return [
        (line[0], line[1:].strip())
        for line in diff.splitlines()
        if line[:1] in '+-' and not line.startswith(('---', '+++'))
    ]


def ha_blocks(config):
    """Every HA relationship entry of a config, by this-server-name (a hub has several)."""
    root = config.get('Dhcp4') or config['Dhcp6']
    for hook in root.get('hooks-libraries', []):
        if hook.get('library', '').endswith('libdhcp_ha.so'):
            return {r['this-server-name']: r for r in hook['parameters']['high-availability']}
    return {}


def config_sets(servers):
    return [commands_received(s, 'config-set') for s in servers]


def without_hash(config):
    return {k: v for k, v in config.items() if k != 'hash'}


def seen_states(server):
    """(own state, partner's last state as it saw it) of each relationship, from the lab server's `status-get`."""
    answer = server.command('status-get')
    assert answer['result'] == 0, answer
    return [
        (r['ha-servers']['local']['state'], r['ha-servers'].get('remote', {}).get('last-state'))
        for r in answer['arguments']['high-availability']
    ]


def wait_for_states(servers, states, timeout=60.0):
    """
    Poll the lab servers' `status-get` until each is in `states[name]`: per relationship, its own state, or (own
    state, partner's last state). A server learns its partner's state at the next heartbeat, after a sync settled.
    """
    deadline = time.monotonic() + timeout
    while True:
        seen = {s.name: seen_states(s) for s in servers}
        now = {
            name: [pair if isinstance(want, tuple) else pair[0] for pair, want in zip(seen[name], wanted, strict=False)]
            for name, wanted in states.items()
        }
        if now == states:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f'HA states are {seen}, not {states}')
        time.sleep(0.2)


def import_pair(netbox, run_jobs, lab, kea, **fields):
    """Only the primary is in NetBox (and the secondary's device): import it, check what it made; the relationship."""
    primary = netbox.server(lab[0], **fields)
    partner_device, partner_address = netbox.device(lab_name(lab[1]), lab[1].address)

    job = import_job(run_jobs, primary)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert job.data['this_server_names'] == ['server1'] and job.data['roles'] == ['primary'], job_text(job)
    assert job.data['kea_version'].startswith(f'{kea}.'), job_text(job)
    assert job.data['left_alone'] == [] and job.data['findings'] == [], job_text(job)
    relationship = HARelationship.objects.get()
    assert relationship.mode == 'load-balancing'
    assert relationship.name == 'server1 / server2'
    peers = {p.effective_name: p for p in HAPeer.objects.select_related('server')}
    assert sorted(peers) == ['server1', 'server2']
    assert [peers['server1'].role, peers['server2'].role] == ['primary', 'secondary']
    assert [peers[s.name].effective_url for s in lab] == [s.ca_url for s in lab]
    assert all(p.endpoint_confirmed for p in peers.values())
    primary.refresh_from_db()
    assert peers['server1'].server == primary
    assert primary.kea_version.startswith(f'{kea}.')
    partner = peers['server2'].server
    assert KeaServer.objects.count() == 2
    assert (partner.name, partner.device, partner.address) == ('kea-2', partner_device, partner_address)
    assert partner.family == primary.family == f'dhcp{lab[0].family}'
    assert partner.control_kind == primary.control_kind
    assert partner.effective_control_port == lab[1].port
    assert partner.control_url == lab[1].ca_url
    return relationship


def plan_then_sync(kea_lab, run_jobs, relationship, lab):
    """A relationship change: the plan shows it for each peer and sends nothing; the sync pushes it to both."""
    edit(relationship, max_ack_delay=2500)
    sets = config_sets(lab)

    plan = sync_job(run_jobs, relationship, dry_run=True)

    assert plan.status == JobStatusChoices.STATUS_COMPLETED, job_text(plan)
    assert plan.data['dry_run'] is True and plan.data['config_sets'] == 0, job_text(plan)
    assert [(p['name'], p['outcome']) for p in plan.data['peers']] == [
        ('server1', 'planned'),
        ('server2', 'planned'),
    ], job_text(plan)
    for peer in plan.data['peers']:
        assert changed_lines(peer['diff']) == CHANGE, job_text(plan)
    assert config_sets(lab) == sets
    assert [ha_block(running_config(s))['max-ack-delay'] for s in lab] == [2000, 2000]
    assert not ConfigSnapshot.objects.exists()

    job = sync_job(run_jobs, relationship)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert job.data['pushed'] is True and job.data['config_sets'] == 2, job_text(job)
    assert [(p['name'], p['outcome']) for p in job.data['peers']] == [
        ('server1', 'pushed'),
        ('server2', 'pushed'),
    ], job_text(job)
    assert config_sets(lab) == [n + 1 for n in sets]
    assert [ha_block(running_config(s))['max-ack-delay'] for s in lab] == [2500, 2500]
    assert kea_lab.wait_ha(lab, timeout=60) == {'server1': 'load-balancing', 'server2': 'load-balancing'}
    wait_for_states(lab, dict.fromkeys(('server1', 'server2'), [('load-balancing', 'load-balancing')]))
    return job


def status_of_pair(run_jobs, kea):
    """The status job (every server) records both peers' states, each server's version and no drift."""
    job = status_job(run_jobs)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert job.data['unreachable'] == [] and job.data['drifted'] == [], job_text(job)
    peers = {p.effective_name: p for p in HAPeer.objects.all()}
    for name in ('server1', 'server2'):
        peer = peers[name]
        assert (peer.ha_state, peer.partner_state, peer.scopes) == ('load-balancing', 'load-balancing', [name]), (
            job_text(job)
        )
        assert peer.reachable and peer.last_contact and peer.unacked_clients == 0
    for server in KeaServer.objects.all():
        assert server.ha_state == 'load-balancing', job_text(job)
        assert server.kea_version.startswith(f'{kea}.'), job_text(job)
        assert (server.config_drift, server.last_error) == ('in-sync', ''), job_text(job)
        assert server.last_seen and server.drift_checked
    assert sorted(line.split(' ')[0] for line in job.data['servers']) == ['kea-1', 'kea-2'], job_text(job)
    assert all(f'(Kea {kea}.' in line and 'config in-sync' in line for line in job.data['servers']), job_text(job)
    return job


@requires_kea('2.6')
def test_a_kea_26_load_balancing_pair_through_netbox(kea_lab, netbox, run_jobs):
    """Kea 2.6 through its Control Agents: import from the primary, plan, sync and status."""
    lab = kea_lab.load_balancing(kea='2.6', wait=True)

    relationship = import_pair(netbox, run_jobs, lab, '2.6')
    assert all(s.control_kind == 'agent' for s in KeaServer.objects.all())
    plan_then_sync(kea_lab, run_jobs, relationship, lab)
    status_of_pair(run_jobs, '2.6')


@requires_kea('3.0')
def test_a_kea_30_pair_through_its_own_http_control_sockets(kea_lab, netbox, run_jobs):
    """
    Kea 3.0 has no Control Agent: NetBox talks to each server's own HTTP control socket, with basic auth. The peers
    talk to each other on those sockets too (`http-dedicated-listener: false`), so the import learns the partner's
    control port and credentials from its peer entry.
    """
    lab = kea_lab.load_balancing(kea='3.0', auth=True, wait=True)
    assert all(s.ca is None for s in lab)  # no Control Agent anywhere

    relationship = import_pair(netbox, run_jobs, lab, '3.0', control_kind='server')
    partner = KeaServer.objects.get(name='kea-2')
    assert partner.control_kind == 'server'
    assert (partner.username, partner.get_password()) == lab[1].credentials
    peer = HAPeer.objects.get(server=partner)
    assert (peer.basic_auth_user, peer.get_basic_auth_password()) == lab[1].credentials
    sync = plan_then_sync(kea_lab, run_jobs, relationship, lab)
    status = status_of_pair(run_jobs, '3.0')
    for job in (sync, status):
        assert lab[0].credentials[1] not in job_text(job)


@requires_kea('3.0')
def test_a_kea_30_pair_on_dedicated_ha_listeners_needs_the_partners_control_port(kea_lab, netbox, run_jobs):
    """
    Kea 3.0's default: the peers talk through dedicated HA listeners, which are not control endpoints. The import
    cannot learn the partner's control port from its peer URL and leaves it to the setting (docs/import.md); the
    user sets the partner's control port and gives its password again (a password is bound to where it goes), as
    they would in the server's form, and then plan, sync and status work.
    """
    lab = kea_lab.load_balancing(kea='3.0', auth=True, dedicated_listener=True, wait=True)
    primary = netbox.server(lab[0], control_kind='server')
    netbox.device(lab_name(lab[1]), lab[1].address)

    job = import_job(run_jobs, primary)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    relationship = HARelationship.objects.get()
    partner = KeaServer.objects.get(name='kea-2')
    peer = HAPeer.objects.get(server=partner)
    assert peer.effective_url == lab[1].peer_url != lab[1].ca_url  # the HA listener, kept as the peer's URL
    assert partner.control_port is None and partner.effective_control_port == 8000  # the setting
    assert (partner.control_kind, partner.username) == ('server', lab[1].credentials[0])

    # The user sets the partner's control port (its own HTTP control socket). Its password is bound to where it
    # goes (docs/security.md): a new port without the password again withdraws it, and nothing is sent to it.
    edit(partner, control_port=lab[1].port)
    refused = sync_job(run_jobs, relationship, dry_run=True)
    assert refused.status == JobStatusChoices.STATUS_FAILED
    assert "the password of Kea server 'kea-2' was withdrawn when where it goes changed" in refused.error
    # So the user gives the password again with the port, as the server's form asks.
    partner.snapshot()
    partner.set_password(lab[1].credentials[1])
    partner.full_clean()
    partner.save()

    peer.refresh_from_db()
    assert peer.endpoint_confirmed and peer.effective_url == lab[1].peer_url
    plan_then_sync(kea_lab, run_jobs, relationship, lab)
    assert [ha_block(running_config(s))['peers'][1]['url'] for s in lab] == [lab[1].peer_url] * 2
    status_of_pair(run_jobs, '3.0')


def test_a_dhcpv6_pair_through_netbox(kea_lab, netbox, run_jobs):
    """A Kea 2.2 DHCPv6 load-balancing pair: import, plan, sync and status of dhcp6 servers."""
    lab = kea_lab.load_balancing(family=6, wait=True)

    relationship = import_pair(netbox, run_jobs, lab, '2.2')
    assert all(s.family == 'dhcp6' for s in KeaServer.objects.all())
    plan_then_sync(kea_lab, run_jobs, relationship, lab)
    assert all('Dhcp6' in running_config(s) for s in lab)
    status_of_pair(run_jobs, '2.2')


@requires_kea('2.6')
def test_a_kea_26_hub_and_spoke_through_netbox(kea_lab, netbox, run_jobs):
    """
    A hub (server1, the standby of two hot-standby relationships, named server1-server2 and server1-server3 in them)
    and two branches. Importing the hub finds both relationships and both branches; a sync of one relationship
    pushes to the hub and that branch only; the status records each relationship's own state on the hub's peers.
    """
    hub, branch2, branch3 = lab = kea_lab.hub_and_spoke(kea='2.6', wait=True)
    hub_server = netbox.server(hub)
    for branch in (branch2, branch3):
        netbox.device(lab_name(branch), branch.address)

    job = import_job(run_jobs, hub_server)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert job.data['this_server_names'] == ['server1-server2', 'server1-server3'], job_text(job)
    assert job.data['roles'] == ['standby', 'standby'], job_text(job)
    assert job.data['left_alone'] == [] and job.data['findings'] == [], job_text(job)
    assert sorted(job.data['relationships']) == ['server2 / server1-server2', 'server3 / server1-server3']
    assert HARelationship.objects.count() == 2 and KeaServer.objects.count() == 3
    servers = {s.name: s for s in KeaServer.objects.all()}
    assert sorted(servers) == ['kea-1', 'kea-2', 'kea-3']
    hub_server.refresh_from_db()
    assert hub_server.kea_version.startswith('2.6.')
    relationships = {}
    for branch in (branch2, branch3):
        relationship = HARelationship.objects.get(peers__server=servers[lab_name(branch)])
        relationships[branch.name] = relationship
        assert relationship.mode == 'hot-standby'
        peers = {p.effective_name: p for p in relationship.peers.select_related('server')}
        assert sorted(peers) == sorted([branch.name, f'server1-{branch.name}'])
        assert (peers[branch.name].role, peers[branch.name].server.name) == ('primary', lab_name(branch))
        assert peers[branch.name].server.effective_control_port == branch.port
        assert (peers[f'server1-{branch.name}'].role, peers[f'server1-{branch.name}'].server) == ('standby', hub_server)
    # Replication stays on (the default): a hub neither takes nor gives shared parts (docs/replication.md), so no
    # branch's subnets replace the hub's.
    assert hub_server.effective_replicate_config

    # A change of one relationship: planned and pushed to the hub and that branch only.
    changed, other = relationships['server2'], relationships['server3']
    edit(changed, max_ack_delay=2500)
    sets = config_sets(lab)
    hub_before = without_hash(running_config(hub))
    branch3_before = without_hash(running_config(branch3))

    plan = sync_job(run_jobs, changed, dry_run=True)

    assert plan.status == JobStatusChoices.STATUS_COMPLETED, job_text(plan)
    assert sorted((p['name'], p['outcome']) for p in plan.data['peers']) == [
        ('server1-server2', 'planned'),
        ('server2', 'planned'),
    ], job_text(plan)
    for peer in plan.data['peers']:
        assert changed_lines(peer['diff']) == CHANGE, job_text(plan)
    assert config_sets(lab) == sets

    job = sync_job(run_jobs, changed)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert job.data['config_sets'] == 2, job_text(job)
    assert config_sets(lab) == [sets[0] + 1, sets[1] + 1, sets[2]]
    assert without_hash(running_config(branch3)) == branch3_before
    hub_blocks = ha_blocks(running_config(hub))
    assert list(hub_blocks) == ['server1-server2', 'server1-server3']  # the hub still carries both relationships
    assert hub_blocks['server1-server2']['max-ack-delay'] == 2500
    assert hub_blocks['server1-server3'] == ha_blocks(hub_before)['server1-server3']
    hub_after = without_hash(running_config(hub))
    assert hub_after['Dhcp4']['subnet4'] == hub_before['Dhcp4']['subnet4']  # every branch's subnet is still there
    assert ha_blocks(running_config(branch2))['server2']['max-ack-delay'] == 2500
    assert not ConfigSnapshot.objects.filter(server=servers['kea-3']).exists()
    assert kea_lab.wait_ha(lab, timeout=60) == dict.fromkeys(('server1', 'server2', 'server3'), 'hot-standby')
    hot = ('hot-standby', 'hot-standby')
    wait_for_states(lab, {'server1': [hot, hot], 'server2': [hot], 'server3': [hot]})

    status = status_job(run_jobs)

    assert status.status == JobStatusChoices.STATUS_COMPLETED, job_text(status)
    assert status.data['unreachable'] == [] and status.data['drifted'] == [], job_text(status)
    for server in KeaServer.objects.all():
        assert (server.ha_state, server.config_drift) == ('hot-standby', 'in-sync'), job_text(status)
    for branch in ('server2', 'server3'):
        peers = {p.role: p for p in relationships[branch].peers.all()}
        assert (peers['primary'].ha_state, peers['primary'].scopes) == ('hot-standby', [branch]), job_text(status)
        assert (peers['standby'].ha_state, peers['standby'].partner_state) == ('hot-standby', 'hot-standby')
        assert peers['standby'].scopes == []

    # The second relationship's branch goes down: the hub takes over its scope there, and only there.
    branch3.kill_dhcp()
    wait_for_states([hub], {'server1': ['hot-standby', 'partner-down']})

    status = status_job(run_jobs)

    assert status.status == JobStatusChoices.STATUS_COMPLETED, job_text(status)
    assert status.data['unreachable'] == ['kea-3'], job_text(status)
    hub_peers = {p.relationship_id: p for p in HAPeer.objects.filter(server=hub_server)}
    assert (hub_peers[changed.pk].ha_state, hub_peers[changed.pk].scopes) == ('hot-standby', []), job_text(status)
    assert (hub_peers[other.pk].ha_state, hub_peers[other.pk].scopes) == ('partner-down', ['server3']), job_text(status)
    down = HAPeer.objects.get(server=servers['kea-3'])
    assert (down.ha_state, down.reachable) == ('unavailable', False)
    hub_line = next(line for line in status.data['servers'] if line.startswith('kea-1 '))
    assert f'{changed} as standby: hot-standby' in hub_line and f'{other} as standby: partner-down' in hub_line
    hub_server.refresh_from_db()
    assert hub_server.ha_state == 'hot-standby'  # a server's own state is its first relationship's (docs/status.md)
