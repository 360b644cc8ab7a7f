"""
A live NetBox for the tests that drive it from outside (pynetbox, the `kea-ha` command, a browser): NetBox's own
`manage.py runserver` on 127.0.0.1 (a port of its own) and a real `manage.py rqworker`, both processes of their own on
the test database, with data committed by the test (pytest's transactions would hide it from them).

`live_netbox` (one per test module): starts both, waits until NetBox answers and the worker has run its system jobs,
and gives an admin user (password and API token). At the end it stops both processes by PID (also when a test failed)
and deletes, row by row, every object the module added (never a flush: the database is shared with the rest of the
session), and empties the RQ queues and registries.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = (
    'LiveNetBox',
    'live_netbox',
)

ROOT = Path(__file__).resolve().parents[2]
NETBOX = ROOT / '.work' / 'netbox' / 'netbox'
VENV_BIN = Path(sys.executable).parent
#: The system jobs a worker schedules at its start (and runs at once).
SYSTEM_JOBS = ('Kea HA status', 'Kea HA scheduled sync')
START_TIMEOUT = 180.0


@dataclass
class LiveNetBox:
    """A NetBox web server and RQ worker on the test database."""

    url: str
    token: str
    username: str
    password: str
    log_dir: Path

    def env(self, **more: str) -> dict[str, str]:
        """The environment of a `kea-ha` run against this NetBox (its URL and the admin's token)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(('NETBOX_', 'KEA_HA_KEA'))}
        return env | {'NETBOX_URL': self.url, 'NETBOX_TOKEN': self.token} | more

    def logs(self) -> str:
        """The last lines of the server's and the worker's output (for a failure message)."""
        parts = []
        for name in ('runserver.log', 'rqworker.log'):
            path = self.log_dir / name
            if path.exists():
                parts.append(f'--- {name}\n' + '\n'.join(path.read_text(errors='replace').splitlines()[-40:]))
        return '\n'.join(parts)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen) -> None:
    """Stop a process this fixture started (SIGTERM, then SIGKILL), by its PID."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def _models():
    """The models whose rows a live module may add, children first (the order they are deleted in)."""
    from django.contrib.sessions.models import Session

    from core.models import Job, ObjectChange
    from dcim.models import Device, DeviceRole, DeviceType, Interface, Manufacturer, Site
    from extras.models import JournalEntry, Tag
    from ipam.models import IPAddress, IPRange, Prefix
    from users.models import Token, User
    from virtualization.models import Cluster, ClusterType, VirtualMachine, VMInterface

    from netbox_kea_ha.models import ConfigSnapshot, HAPeer, HARelationship, KeaServer, ServedPrefix

    return (
        Job, ConfigSnapshot, ServedPrefix, HAPeer, HARelationship, KeaServer, JournalEntry, IPRange, Prefix, IPAddress,
        Interface, VMInterface,
        Device, VirtualMachine, Cluster, ClusterType, DeviceType, Manufacturer, DeviceRole, Site, Tag, Token, User,
        ObjectChange, Session,
    )  # fmt: skip


def _marks(models):
    from django.contrib.sessions.models import Session

    marks = {}
    for model in models:
        if model is Session:
            marks[model] = set(model.objects.values_list('pk', flat=True))
        else:
            marks[model] = model.objects.order_by('-pk').values_list('pk', flat=True).first() or 0
    return marks


def _delete_added(models, marks):
    from django.contrib.sessions.models import Session

    for model in models:
        if model is Session:
            model.objects.exclude(pk__in=marks[model]).delete()
        else:
            model.objects.filter(pk__gt=marks[model]).delete()


def _empty_rq():
    """Empty the test run's RQ queues and their registries (scheduled system jobs included)."""
    import django_rq

    for name in ('high', 'default', 'low'):
        queue = django_rq.get_queue(name)
        queue.empty()
        for registry in (queue.scheduled_job_registry, queue.failed_job_registry, queue.finished_job_registry):
            for job_id in registry.get_job_ids():
                registry.remove(job_id, delete_job=True)


def _wait_answering(url: str, processes, live: LiveNetBox) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f'{process.args[2]} exited with {process.returncode}\n{live.logs()}')
        try:
            with urllib.request.urlopen(f'{url}api/status/', timeout=5) as answer:
                if answer.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):  # it answers (anonymous reads refused)
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f'NetBox did not answer at {url} within {START_TIMEOUT:g} s\n{live.logs()}')


def _wait_system_jobs(live: LiveNetBox, worker: subprocess.Popen) -> None:
    """Until the worker has run the system jobs it scheduled at its start (none is pending or running any more),
    so that none runs in the middle of a test (the next runs are a day away: live_settings)."""
    from core.models import Job

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f'the rqworker exited with {worker.returncode}\n{live.logs()}')
        jobs = list(Job.objects.filter(name__in=SYSTEM_JOBS).values_list('name', 'status'))
        if {name for name, _ in jobs} >= set(SYSTEM_JOBS) and not any(s in ('pending', 'running') for _, s in jobs):
            return
        time.sleep(0.5)
    raise RuntimeError(f'the rqworker did not run its system jobs within {START_TIMEOUT:g} s\n{live.logs()}')


def _admin():
    """An admin user with a password and a write-enabled API token: (username, password, token header value)."""
    from users.constants import TOKEN_PREFIX
    from users.models import Token, User

    username, password = 'live-admin', 'live-admin-password-1'
    user = User.objects.create_superuser(username, 'live-admin@example.invalid', password)
    token = Token(user=user, description='kea-ha live tests', write_enabled=True)
    token.token = Token.generate()
    token.save()
    return username, password, f'{TOKEN_PREFIX}{token.key}.{token.token}'


@pytest.fixture(scope='module')
def live_netbox(django_db_setup, django_db_blocker):
    """A live NetBox (web server + RQ worker) on the test database for this module; see the module docstring."""
    from django.db import connection

    models = _models()
    log_dir = Path(tempfile.mkdtemp(prefix='kea-ha-live-'))
    processes: list[subprocess.Popen] = []
    with django_db_blocker.unblock():
        marks = _marks(models)
        _empty_rq()
        try:
            username, password, token = _admin()
            port = _free_port()
            live = LiveNetBox(f'http://127.0.0.1:{port}/', token, username, password, log_dir)
            env = dict(
                os.environ,
                DJANGO_SETTINGS_MODULE='tests.e2e.live_settings',
                KEA_HA_TEST_DATABASE=connection.settings_dict['NAME'],
                PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / 'dev'), str(NETBOX)]),
            )
            manage = [sys.executable, 'manage.py']
            for name, args in (
                ('runserver', ['runserver', '--noreload', '--insecure', f'127.0.0.1:{port}']),
                ('rqworker', ['rqworker', 'high', 'default', 'low']),
            ):
                with open(log_dir / f'{name}.log', 'w') as log:
                    processes.append(
                        subprocess.Popen(
                            [*manage, *args],
                            cwd=NETBOX,
                            env=env,
                            stdout=log,
                            stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL,
                        )  # fmt: skip
                    )
            _wait_answering(live.url, processes, live)
            _wait_system_jobs(live, processes[1])
            yield live
        finally:
            for process in reversed(processes):
                _stop(process)
            _empty_rq()
            _delete_added(models, marks)
            shutil.rmtree(log_dir, ignore_errors=True)
