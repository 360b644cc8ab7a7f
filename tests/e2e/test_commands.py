"""The management commands the demo uses, and one real `manage.py rqworker --burst` on committed data."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.choices import JobStatusChoices
from core.models import Job
from tests.e2e.helpers import commands_received, lab_name

from netbox_kea_ha.jobs import ImportServerJob
from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer

pytestmark = [pytest.mark.kea]

ROOT = Path(__file__).resolve().parents[2]
NETBOX = ROOT / '.work' / 'netbox' / 'netbox'


def command(*args):
    """Run a management command; (its output, the CommandError or None)."""
    from io import StringIO

    out = StringIO()
    try:
        call_command(*args, stdout=out, stderr=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


@pytest.mark.django_db
def test_wait_runs_the_jobs_here_when_no_worker_runs(lb_trio, netbox, rq_queues):
    primary = netbox.server(lb_trio[0])
    netbox.device(lab_name(lb_trio[1]), lb_trio[1].address)

    out, error = command('kea_ha_import', primary.name, '--wait', '--start-timeout', '2')
    assert error is None, out
    assert 'running Import from Kea here' in out or 'running it here' in out
    assert "kea-1 is peer 'server1' (primary) of a load-balancing relationship" in out
    assert 'completed' in out
    assert HAPeer.objects.count() == 3

    out, error = command('kea_ha_status', '--wait', '--start-timeout', '2')
    assert error is None, out
    assert 'server3 (Kea 2.2.0): server1 / server2 / server3 as backup: backup' in out
    assert sorted(KeaServer.objects.values_list('ha_state', flat=True)) == [
        'backup',
        'load-balancing',
        'load-balancing',
    ]

    out, error = command('kea_ha_sync', '--all', '--wait', '--start-timeout', '2')
    assert error is None, out
    assert 'every peer runs its desired config: nothing to send' in out
    assert [commands_received(s, 'config-set') for s in lb_trio] == [0, 0, 0]

    name = HARelationship.objects.get().name
    out, error = command('kea_ha_sync', name, '--dry-run', '--wait', '--json', '--start-timeout', '2')
    assert error is None, out
    assert '"dry_run": true' in out


@pytest.mark.django_db
def test_commands_name_what_is_wrong(netbox, rq_queues, kea_lab):
    out, error = command('kea_ha_import', 'nosuch')
    assert str(error) == "no Kea server named 'nosuch' (known: none)"
    out, error = command('kea_ha_sync')
    assert str(error) == 'name the relationships to sync, or give --all (not both)'
    out, error = command('kea_ha_sync', 'nosuch')
    assert str(error) == "no HA relationship named 'nosuch' (known: none)"

    down = netbox.server(kea_lab.standalone(start=False))
    out, error = command('kea_ha_import', down.name, '--wait', '--start-timeout', '2')
    assert error is not None and 'failed' in str(error) and 'cannot read the running config of kea-1' in str(error)
    assert 'cannot connect' in out


@pytest.mark.django_db
def test_without_wait_the_job_is_only_queued(lb_pair, netbox, rq_queues, django_capture_on_commit_callbacks):
    primary = netbox.server(lb_pair[0])
    with django_capture_on_commit_callbacks(execute=True):
        out, error = command('kea_ha_import', str(primary.pk))
    job = Job.objects.get()
    assert error is None and f'queued job {job.pk} (Import from Kea) in queue default' in out
    assert job.status == JobStatusChoices.STATUS_PENDING
    assert rq_queues[1].fetch_job(str(job.job_id)) is not None


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """
    Autocommit access to the test database, for a process of its own to see the data. Everything the test adds is
    deleted afterwards, row by row (never a flush: other test sessions may be using the same database).
    """
    from core.models import ObjectChange
    from dcim.models import Device, DeviceRole, DeviceType, Interface, Manufacturer, Site
    from extras.models import Tag
    from ipam.models import IPAddress
    from users.models import User

    from netbox_kea_ha.models import ConfigSnapshot

    # Deleted in this order (children first).
    models = (
        Job, ConfigSnapshot, HAPeer, HARelationship, KeaServer, IPAddress, Interface, Device, DeviceType,
        Manufacturer, DeviceRole, Site, Tag, User, ObjectChange,
    )  # fmt: skip
    with django_db_blocker.unblock():
        marks = {model: model.objects.order_by('-pk').values_list('pk', flat=True).first() or 0 for model in models}
        try:
            yield
        finally:
            for model in models:
                model.objects.filter(pk__gt=marks[model]).delete()


def test_a_real_rqworker_runs_the_import_on_committed_data(lb_pair, committed, rq_queues):
    """`manage.py rqworker --burst` in its own process, on the test database: the import, then the system jobs."""
    from tests.e2e.helpers import NetBoxLab

    netbox = NetBoxLab(suffix='worker')
    primary = netbox.server(lb_pair[0])
    netbox.device(lab_name(lb_pair[1]), lb_pair[1].address)
    job = ImportServerJob.enqueue(instance=primary)  # autocommit: queued in Redis at once
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE='tests.e2e.worker_settings',
        KEA_HA_TEST_DATABASE=connection.settings_dict['NAME'],
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / 'dev'), str(NETBOX)]),
    )
    worker = subprocess.Popen(
        [sys.executable, 'manage.py', 'rqworker', '--burst', 'high', 'default', 'low'],
        cwd=NETBOX,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = worker.communicate(timeout=180)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, output

    job.refresh_from_db()
    assert job.status == JobStatusChoices.STATUS_COMPLETED, (job.error, output[-3000:])
    assert HAPeer.objects.filter(relationship__peers__server=primary).count() == 2
    # The worker scheduled the plugin's system jobs at its start and ran them in the burst.
    ran = dict(Job.objects.filter(pk__gt=job.pk).values_list('name', 'status'))
    assert ran.get('Kea HA status') == JobStatusChoices.STATUS_COMPLETED, output[-3000:]
    assert ran.get('Kea HA scheduled sync') == JobStatusChoices.STATUS_COMPLETED, output[-3000:]
