"""Import from Kea, end to end: a NetBox job reads real Kea 2.2 servers and creates exactly what they run."""

import copy

import pytest

from core.choices import JobStatusChoices
from core.models import ObjectChange
from ipam.models import IPAddress
from tests.e2e.helpers import ha_block, job_text, lab_name

from netbox_kea_ha.jobs import ImportServerJob
from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer
from netbox_kea_ha.services.importer import UNASSIGNED_TAG

pytestmark = [pytest.mark.kea, pytest.mark.django_db]

SETUPS = {
    'lb_pair': ('load-balancing', ['primary', 'secondary']),
    'lb_trio': ('load-balancing', ['primary', 'secondary', 'backup']),
    'hs_pair': ('hot-standby', ['primary', 'standby']),
    'pb_pair': ('passive-backup', ['primary', 'backup']),
}


def import_job(run_jobs, server):
    job, ran = run_jobs(lambda: ImportServerJob.enqueue(instance=server))
    assert [j.pk for j in ran] == [job.pk]
    return job


@pytest.mark.parametrize('setup', SETUPS)
def test_import_of_the_primary_creates_exactly_what_runs(request, setup, netbox, run_jobs):
    """Only the primary is in NetBox, and the secondary's device: the import brings in everything else."""
    mode, roles = SETUPS[setup]
    lab = request.getfixturevalue(setup)
    primary = netbox.server(lab[0])
    partner_device, partner_address = netbox.device(lab_name(lab[1]), lab[1].address)
    addresses_before = IPAddress.objects.count()

    job = import_job(run_jobs, primary)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    relationship = HARelationship.objects.get()
    assert relationship.mode == mode
    assert relationship.name == ' / '.join(s.name for s in lab)
    # The lab's timers differ from Kea's defaults and are kept; everything else is Kea's default: left unset.
    assert relationship.parameters == {
        'heartbeat-delay': 1000,
        'max-response-delay': 3000,
        'max-ack-delay': 2000,
        'max-unacked-clients': 0,
    }
    peers = {p.effective_name: p for p in HAPeer.objects.select_related('server')}
    assert sorted(peers) == [s.name for s in lab]
    assert [peers[s.name].role for s in lab] == roles
    assert all(p.effective_url == s.ca_url for s, p in zip(lab, (peers[s.name] for s in lab), strict=True))
    # Auto-failover is kept as the config says it (the lab writes it on every peer).
    assert [peers[s.name].auto_failover for s in lab] == [r != 'backup' for r in roles]

    primary.refresh_from_db()
    assert peers['server1'].server == primary
    assert primary.server_tag == 'server1'
    assert primary.kea_version == '2.2.0'
    assert primary.effective_hooks_dir == '/usr/lib/x86_64-linux-gnu/kea/hooks'

    partner = peers['server2'].server
    assert partner.name == lab_name(lab[1])
    assert partner.device == partner_device
    assert partner.address == partner_address
    assert partner.effective_server_tag == 'server2'
    assert partner.effective_control_port == lab[1].port
    assert partner.family == 'dhcp4'

    assert KeaServer.objects.count() == len(lab)
    assert HAPeer.objects.count() == len(lab)
    data = job.data
    assert data['this_server_names'] == ['server1']
    assert data['roles'] == ['primary']
    assert data['kea_version'] == '2.2.0'
    if len(lab) == 3:
        # The backup's host is unknown to NetBox: its address is created, the server stays unassigned and flagged.
        backup = peers['server3'].server
        assert IPAddress.objects.count() == addresses_before + 1
        assert str(backup.address.address) == f'{lab[2].address}/32'
        assert backup.device is None and backup.virtual_machine is None
        assert list(backup.tags.values_list('slug', flat=True)) == [UNASSIGNED_TAG]
        assert data['unassigned'] == [str(backup)]
    else:
        assert IPAddress.objects.count() == addresses_before
        assert data['unassigned'] == []
    assert not partner.tags.exists()


def test_import_from_the_secondary_works_and_says_which_peer_it_was(lb_pair, netbox, run_jobs):
    secondary = netbox.server(lb_pair[1])
    vm, _ = netbox.vm(lab_name(lb_pair[0]), lb_pair[0].address)  # the partner is a virtual machine

    job = import_job(run_jobs, secondary)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert job.data['this_server_names'] == ['server2']
    assert job.data['roles'] == ['secondary']
    assert "is peer 'server2' (secondary)" in job_text(job)
    mine = HAPeer.objects.get(server=secondary)
    assert mine.role == 'secondary'
    primary = HAPeer.objects.get(role='primary').server
    assert primary.name == 'kea-1'
    assert primary.virtual_machine == vm and primary.device is None


def test_importing_twice_changes_nothing(lb_trio, netbox, run_jobs):
    primary = netbox.server(lb_trio[0])
    import_job(run_jobs, primary)
    changes = ObjectChange.objects.count()
    objects = [(m, list(m.objects.order_by('pk').values())) for m in (KeaServer, HARelationship, HAPeer, IPAddress)]

    again = import_job(run_jobs, primary)

    assert again.status == JobStatusChoices.STATUS_COMPLETED, job_text(again)
    assert again.data['created'] == []
    assert again.data['updated'] == []
    assert again.data['deleted'] == []
    assert ObjectChange.objects.count() == changes
    for model, rows in objects:
        now = list(model.objects.order_by('pk').values())
        # last_seen moves on every contact; nothing else may change.
        for row in rows + now:
            row.pop('last_seen', None)
        assert now == rows, model


def test_first_import_is_one_request_in_the_change_log(lb_pair, netbox, run_jobs):
    primary = netbox.server(lb_pair[0])
    netbox.device(lab_name(lb_pair[1]), lb_pair[1].address)

    import_job(run_jobs, primary)

    changes = list(ObjectChange.objects.all())
    assert len({c.request_id for c in changes}) == 1
    assert {c.user_name for c in changes} == {'netbox-kea-ha'}  # a job without a user: the system account
    made = sorted((c.action, c.changed_object_type.model, c.object_repr) for c in changes)
    assert made == [
        ('create', 'hapeer', 'server1 / server2: server1'),
        ('create', 'hapeer', 'server1 / server2: server2'),
        ('create', 'harelationship', 'server1 / server2'),
        ('create', 'keaserver', 'kea-2'),
        ('update', 'keaserver', 'kea-1'),
    ]
    update = next(c for c in changes if c.action == 'update')
    assert update.prechange_data['server_tag'] == '' and update.postchange_data['server_tag'] == 'server1'
    assert update.postchange_data['kea_version'] == '2.2.0'


def test_a_server_that_is_down_fails_the_import_clearly(netbox, run_jobs, kea_lab):
    server = kea_lab.standalone(start=False)  # configured, never started: nothing listens on its port
    record = netbox.server(server)

    job = import_job(run_jobs, record)

    assert job.status == JobStatusChoices.STATUS_FAILED
    assert f'cannot read the running config of {record}' in job.error
    assert 'config-get' in job.error and server.ca_url in job.error
    assert not HARelationship.objects.exists()


def test_a_server_without_ha_fails_the_import_and_says_why(netbox, run_jobs, kea_lab):
    server = kea_lab.standalone()
    record = netbox.server(server)

    job = import_job(run_jobs, record)

    assert job.status == JobStatusChoices.STATUS_FAILED
    assert 'runs no HA relationship' in job.error
    record.refresh_from_db()
    assert not HARelationship.objects.exists()


def test_credentials_come_from_the_peers_and_never_show(lb_pair_auth, netbox, run_jobs):
    primary = netbox.server(lb_pair_auth[0])
    user, password = lb_pair_auth[0].credentials

    job = import_job(run_jobs, primary)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    partner = KeaServer.objects.exclude(pk=primary.pk).get()
    assert partner.username == lb_pair_auth[1].credentials[0]
    assert partner.get_password() == lb_pair_auth[1].credentials[1]
    peer = HAPeer.objects.get(server=partner)
    assert peer.basic_auth_user == lb_pair_auth[1].credentials[0]
    assert peer.get_basic_auth_password() == lb_pair_auth[1].credentials[1]
    for secret in (password, lb_pair_auth[1].credentials[1]):
        assert secret not in job_text(job)
        assert secret not in str(list(ObjectChange.objects.values_list('prechange_data', 'postchange_data')))


def test_import_after_the_servers_changed_updates_netbox_and_logs_what_changed(kea_lab, netbox, run_jobs):
    """A timer changed and an unknown key added on the running primary: re-import shows both, and its finding."""
    server1, server2 = kea_lab.load_balancing(wait=True)
    primary = netbox.server(server1)
    netbox.device(lab_name(server2), server2.address)
    import_job(run_jobs, primary)
    relationship = HARelationship.objects.get()
    assert relationship.heartbeat_delay == 1000 and relationship.extra_parameters == {}
    before = ObjectChange.objects.count()

    changed = copy.deepcopy(server1.config)
    ha_block(changed)['heartbeat-delay'] = 1500
    ha_block(changed)['foo-bar'] = 1
    answer = server1.command('config-set', changed)
    assert answer['result'] == 0, answer

    job = import_job(run_jobs, primary)

    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    assert job.data['updated'] == [f'HA relationship {relationship}']
    relationship.refresh_from_db()
    assert relationship.heartbeat_delay == 1500
    assert relationship.extra_parameters == {'foo-bar': 1}
    unknown = [f for f in relationship.findings if f['code'] == 'ha.unknown-key']
    assert [(f['severity'], f['field']) for f in unknown] == [('warning', 'foo-bar')]
    logged = ObjectChange.objects.order_by('pk')[before:]
    assert [(c.action, c.changed_object_type.model) for c in logged] == [('update', 'harelationship')]
    assert logged[0].prechange_data['heartbeat_delay'] == 1000
    assert logged[0].postchange_data['heartbeat_delay'] == 1500
    assert logged[0].postchange_data['extra_parameters'] == {'foo-bar': 1}
