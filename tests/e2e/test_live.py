"""
NetBox as its users script it, end to end: a live NetBox (its own web server and RQ worker on 127.0.0.1, PostgreSQL,
Redis; tests/e2e/live.py) driven from outside through pynetbox and the `kea-ha` command (run as a subprocess, as an
operator would), against real Kea 2.2 servers with basic auth on their Control Agents.

The module's flow (`flow`, once): NetBox knows two devices with their addresses; `kea-ha register` on the primary's
config files creates its server and imports it (its partners appear); `register` again changes nothing; `register`
on the secondary's files finds its server through its address; a timer is changed through pynetbox; `plan`, `sync`,
`status`, `restore` and `operate` (kea-2 into maintenance and back) run through `kea-ha ... --wait --json`. The tests
check what each step printed and did, what pynetbox reads back (every endpoint and every job), the errors and their
exit codes, the pages in headless Chromium (their screenshots: docs/images), and that the Kea password shows nowhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pynetbox
import pytest
import requests

from tests.e2e.helpers import commands_received, ha_block, lab_name, running_config

from kealab import KeaLab
from netbox_kea_ha.cli.extension import KeaHAExtension

# django_db: so that pytest-django sets the test database up; the tests themselves only talk HTTP to the live NetBox,
# whose data is committed (tests/e2e/live.py), and each test's own transaction stays empty.
pytestmark = [pytest.mark.kea, pytest.mark.django_db]

KEA_HA = Path(sys.executable).parent / 'kea-ha'


def run_cli(live, *args: str, env: dict[str, str] | None = None, stdin: str | None = None):
    """Run `kea-ha` as a subprocess against `live` (NETBOX_URL/NETBOX_TOKEN), outside Django: no settings module,
    no PYTHONPATH."""
    environment = {k: v for k, v in live.env().items() if k not in ('DJANGO_SETTINGS_MODULE', 'PYTHONPATH')}
    environment.update(env or {})
    return subprocess.run(
        [str(KEA_HA), *args], env=environment, capture_output=True, text=True, timeout=900, input=stdin, cwd='/'
    )


def ok_json(result) -> dict[str, Any]:
    """The JSON a successful `--json` run printed (stdout is exactly one JSON document)."""
    assert result.returncode == 0, f'exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}'
    assert 'Traceback' not in result.stderr
    return json.loads(result.stdout)


def url_keys(value: Any, where: str = 'data') -> list[str]:
    """Where `value` holds a dict with a `url` key (pynetbox takes it for a link to a NetBox object)."""
    found = []
    if isinstance(value, dict):
        if 'url' in value:
            found.append(where)
        for key, item in value.items():
            found += url_keys(item, f'{where}.{key}')
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += url_keys(item, f'{where}[{index}]')
    return found


@dataclass
class Flow:
    """What the module's flow ran and printed."""

    nb: Any
    lab: list
    passwords: list[str]
    devices: dict[str, Any] = field(default_factory=dict)
    runs: dict[str, subprocess.CompletedProcess] = field(default_factory=dict)
    changes_before_second_register: int = 0
    changes_after_second_register: int = 0
    before: dict[str, Any] = field(default_factory=dict)
    states_in_maintenance: dict[str, str] = field(default_factory=dict)
    states_after: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope='module')
def trio():
    """A Kea 2.2 load-balancing pair and a backup of this module (the flow pushes to them), basic auth on."""
    with KeaLab() as lab:
        yield lab, lab.load_balancing(backup=True, auth=True, wait=True)


@pytest.fixture(scope='module')
def nb(live_netbox):
    """pynetbox on the live NetBox, as the admin, with the plugin's extension (its JSON fields and actions)."""
    return pynetbox.api(live_netbox.url, token=live_netbox.token, extensions=[KeaHAExtension])


def _device(nb, name: str, address: str, site, device_type, role):
    device = nb.dcim.devices.create(name=name, site=site.id, device_type=device_type.id, role=role.id)
    interface = nb.dcim.interfaces.create(device=device.id, name='eth0', type='virtual')
    nb.ipam.ip_addresses.create(
        address=f'{address}/32', assigned_object_type='dcim.interface', assigned_object_id=interface.id
    )
    return device


@pytest.fixture(scope='module')
def flow(live_netbox, nb, trio):
    """The module's flow (see the module docstring); every run of `kea-ha` kept by step name."""
    kea_lab, lab = trio
    done = Flow(nb=nb, lab=lab, passwords=sorted({s.credentials[1] for s in lab if s.credentials}))
    site = nb.dcim.sites.create(name='Live site', slug='live-site')
    maker = nb.dcim.manufacturers.create(name='Live maker', slug='live-maker')
    device_type = nb.dcim.device_types.create(manufacturer=maker.id, model='Live box', slug='live-box')
    role = nb.dcim.device_roles.create(name='Live DHCP', slug='live-dhcp', color='2196f3')
    for server in lab[:2]:
        done.devices[lab_name(server)] = _device(nb, lab_name(server), server.address, site, device_type, role)
    primary = lab[0]
    register = (
        'register', '--ca-config', str(primary.paths.ca_config_file), '--config', str(primary.paths.config_file),
        '--device', 'kea-1', '--json',
    )  # fmt: skip
    done.runs['register'] = run_cli(live_netbox, *register)
    done.changes_before_second_register = nb.core.object_changes.count()
    done.runs['register-again'] = run_cli(live_netbox, *register)
    done.changes_after_second_register = nb.core.object_changes.count()
    secondary = lab[1]
    done.runs['register-secondary'] = run_cli(
        live_netbox, 'register', '--ca-config', str(secondary.paths.ca_config_file),
        '--config', str(secondary.paths.config_file), '--json',
    )  # fmt: skip

    relationship = nb.plugins.kea_ha.relationships.get(name='server1 / server2 / server3')
    done.before = {s.name: ha_block(running_config(s))['max-response-delay'] for s in lab}
    relationship.update({'max_response_delay': 4000})
    done.runs['plan'] = run_cli(live_netbox, 'plan', relationship.name, '--wait', '--json')
    done.runs['config-sets-after-plan'] = [commands_received(s, 'config-set') for s in lab]  # type: ignore[assignment]
    done.runs['sync'] = run_cli(live_netbox, 'sync', relationship.name, '--wait', '--json')
    kea_lab.wait_ha(lab, timeout=60)
    done.runs['status'] = run_cli(live_netbox, 'status', '--relationship', relationship.name, '--wait', '--json')
    synced = json.loads(done.runs['sync'].stdout or '{}')
    snapshot = next(
        (p['snapshot'] for j in synced.get('jobs', []) for p in j['data']['peers'] if p['server'] == 'kea-1'), None
    )
    done.runs['restore'] = run_cli(live_netbox, 'restore', str(snapshot), '--wait', '--json')
    kea_lab.wait_ha(lab, timeout=60)
    done.runs['maintenance'] = run_cli(live_netbox, 'operate', 'kea-2', 'maintenance-start', '--wait', '--json')
    if done.runs['maintenance'].returncode == 0:
        maintenance = {'server1': 'partner-in-maintenance', 'server2': 'in-maintenance'}
        done.states_in_maintenance = kea_lab.wait_ha(lab[:2], timeout=60, states=maintenance)
        done.runs['back'] = run_cli(live_netbox, 'operate', 'kea-2', 'maintenance-cancel', '--wait', '--json')
        done.states_after = kea_lab.wait_ha(lab, timeout=60)
    return done


def test_register_creates_the_server_and_its_import_finds_the_partners(flow):
    data = ok_json(flow.runs['register'])
    assert data['address']['outcome'] == 'found' and data['address']['address'] == f'{flow.lab[0].address}/32'
    assert data['host'] == {'kind': 'device', 'id': flow.devices['kea-1'].id, 'name': 'kea-1'}
    server = data['server']
    assert (server['name'], server['outcome'], server['control_kind']) == ('kea-1', 'created', 'agent')
    assert server['control_url'] == flow.lab[0].ca_url
    assert (server['username'], server['has_password'], server['password']) == (flow.lab[0].credentials[0], True, 'set')
    (job,) = data['jobs']
    assert (job['name'], job['object'], job['status']) == ('Import from Kea', 'kea-1', 'completed')
    assert job['data']['this_server_names'] == ['server1'] and job['data']['roles'] == ['primary']
    assert any('imported' in line['message'] or 'peer' in line['message'] for line in job['log'])

    servers = {s.name: s for s in flow.nb.plugins.kea_ha.servers.all()}
    assert sorted(servers) == ['kea-1', 'kea-2', 'server3']
    assert servers['kea-2'].device.id == flow.devices['kea-2'].id  # matched through its address
    assert servers['server3'].device is None  # the backup's address was unknown: created, unassigned
    peers = {p.effective_name: p for p in flow.nb.plugins.kea_ha.peers.all()}
    assert {name: p.role.value for name, p in peers.items()} == {
        'server1': 'primary',
        'server2': 'secondary',
        'server3': 'backup',
    }


def test_register_run_twice_changes_nothing(flow):
    data = ok_json(flow.runs['register-again'])
    assert data['address']['outcome'] == 'found'
    assert (data['server']['outcome'], data['server']['changed'], data['server']['password']) == (
        'unchanged',
        [],
        'kept',
    )
    report = data['jobs'][0]['data']
    assert report['created'] == [] and report['updated'] == [] and report['deleted'] == []
    assert flow.changes_after_second_register == flow.changes_before_second_register


def test_register_without_a_host_finds_it_and_the_server_through_the_address(flow):
    """The secondary, already imported as kea-2 (on device kea-2, matched by its address): `register` with only its
    config files finds the address, the device it is on and the server, and keeps the server's name."""
    data = ok_json(flow.runs['register-secondary'])
    assert data['address']['outcome'] == 'found'
    assert data['host'] == {'kind': 'device', 'id': flow.devices['kea-2'].id, 'name': 'kea-2'}
    assert data['server']['name'] == 'kea-2' and data['server']['has_password'] is True
    assert data['server']['outcome'] in ('unchanged', 'updated')
    assert 'Kea server kea-2: found by its address' in flow.runs['register-secondary'].stderr
    (job,) = data['jobs']
    assert (job['object'], job['status']) == ('kea-2', 'completed')
    assert job['data']['created'] == []
    assert sorted(s.name for s in flow.nb.plugins.kea_ha.servers.all()) == ['kea-1', 'kea-2', 'server3']


def test_plan_shows_the_change_and_sends_nothing(flow):
    data = ok_json(flow.runs['plan'])
    (job,) = data['jobs']
    assert (job['name'], job['status']) == ('Sync to Kea (plan)', 'completed')
    assert job['data']['dry_run'] is True
    assert all('max-response-delay' in peer['diff'] for peer in job['data']['peers']), job['data']['peers']
    assert flow.runs['config-sets-after-plan'] == [0, 0, 0]
    assert 'max-response-delay' in flow.runs['plan'].stderr  # the diff is shown while --json keeps stdout clean


def test_sync_pushes_the_change_and_restore_puts_one_server_back(flow):
    data = ok_json(flow.runs['sync'])
    (job,) = data['jobs']
    assert (job['name'], job['status']) == ('Sync to Kea', 'completed')
    assert job['data']['config_sets'] == 3 and job['data']['pushed'] is True
    assert url_keys(job['data']) == []
    assert flow.before == {'server1': 3000, 'server2': 3000, 'server3': 3000}

    restored = ok_json(flow.runs['restore'])
    (restore,) = restored['jobs']
    assert restore['status'] == 'completed' and restore['object'] == 'kea-1'
    assert ha_block(running_config(flow.lab[0]))['max-response-delay'] == 3000
    assert [ha_block(running_config(s))['max-response-delay'] for s in flow.lab[1:]] == [4000, 4000]


def test_status_reads_every_peer(flow):
    data = ok_json(flow.runs['status'])
    (job,) = data['jobs']
    assert job['status'] == 'completed' and job['name'] == 'Kea HA status'
    states = {row['peer']: (row['server'], row['role'], row['ha_state']) for row in data['peers']}
    assert states == {
        'server1': ('kea-1', 'primary', 'load-balancing'),
        'server2': ('kea-2', 'secondary', 'load-balancing'),
        'server3': ('server3', 'backup', 'backup'),
    }
    assert 'server1 (kea-1, primary): load-balancing' in flow.runs['status'].stderr


def test_maintenance_and_back_through_the_operate_command(flow):
    """`kea-ha operate kea-2 maintenance-start` / `maintenance-cancel`: the job verifies the states, and the command
    shows them."""
    data = ok_json(flow.runs['maintenance'])
    (job,) = data['jobs']
    assert (job['name'], job['object'], job['status']) == (
        'Maintenance: kea-2 (server2)',
        'server1 / server2 / server3',
        'completed',
    )
    assert job['data']['states'] == {'server2': 'in-maintenance', 'server1': 'partner-in-maintenance'}
    assert flow.states_in_maintenance == {'server1': 'partner-in-maintenance', 'server2': 'in-maintenance'}
    shown = next(
        line for line in flow.runs['maintenance'].stderr.splitlines() if 'maintenance-start of server2: ' in line
    )
    assert 'server2 in-maintenance' in shown and 'server1 partner-in-maintenance' in shown

    back = ok_json(flow.runs['back'])
    (job,) = back['jobs']
    assert job['status'] == 'completed' and job['data']['cancels'] >= 1
    assert job['data']['states'] == {'server2': 'load-balancing', 'server1': 'load-balancing'}
    assert flow.states_after == {'server1': 'load-balancing', 'server2': 'load-balancing', 'server3': 'backup'}


def test_every_job_reads_back_through_pynetbox_as_it_is(flow, live_netbox):
    """`nb.core.jobs.get()` of every job the flow ran gives its data exactly as the REST API has it."""
    ids = [job['id'] for run in flow.runs.values() if hasattr(run, 'stdout') for job in json.loads(run.stdout)['jobs']]
    assert len(ids) == 9
    headers = {'Authorization': f'Bearer {live_netbox.token}', 'Accept': 'application/json'}
    for job_id in ids:
        job = flow.nb.core.jobs.get(job_id)
        raw = requests.get(f'{live_netbox.url}api/core/jobs/{job_id}/', headers=headers, timeout=30).json()
        assert dict(job)['data'] == raw['data'], job_id
        assert url_keys(raw['data']) == [], (job.name, url_keys(raw['data']))
    sync = flow.nb.core.jobs.get(json.loads(flow.runs['sync'].stdout)['jobs'][0]['id'])
    assert sync.data.rollout.peers[0].control_url.startswith('http://127.')
    assert json.loads(sync.data.rollout.peers[0].changes[0].new) == 4000


def test_the_kea_password_shows_nowhere(flow, live_netbox):
    """Not in what `kea-ha` printed, not in any job NetBox keeps (data and log), not in the server's or the
    worker's output."""
    assert flow.passwords
    for name, run in flow.runs.items():
        if not hasattr(run, 'stdout'):
            continue
        for password in flow.passwords:
            assert password not in run.stdout and password not in run.stderr, name
    jobs = [json.dumps(dict(job), default=str) for job in flow.nb.core.jobs.all()]
    logs = [path.read_text(errors='replace') for path in sorted(live_netbox.log_dir.iterdir())]
    assert len(jobs) >= 9 and len(logs) == 2
    for password in flow.passwords:
        assert not [text for text in jobs + logs if password in text]


def test_every_plugin_endpoint_through_pynetbox(flow, live_netbox):
    """Create, read, update, delete, filters and brief of servers, relationships and peers; snapshots read; render;
    the actions and their jobs read back."""
    kea_ha = flow.nb.plugins.kea_ha
    address = flow.nb.ipam.ip_addresses.create(address='127.0.0.250/32')
    server = kea_ha.servers.create(name='scratch', address=address.id, username='api', password='not-shown-anywhere')
    assert server.has_password is True and 'password' not in dict(server)
    relationship = kea_ha.relationships.create(name='scratch-rel', mode='hot-standby', heartbeat_delay=1500)
    peer = kea_ha.peers.create(relationship=relationship.id, server=server.id, role='primary')
    assert peer.effective_url == 'http://127.0.0.250:8000/'

    assert [s.name for s in kea_ha.servers.filter(name='scratch')] == ['scratch']
    assert [s.name for s in kea_ha.servers.filter(has_password=True, address='127.0.0.250')] == ['scratch']
    assert [r.name for r in kea_ha.relationships.filter(mode='hot-standby')] == ['scratch-rel']
    assert [p.id for p in kea_ha.peers.filter(relationship_id=relationship.id)] == [peer.id]
    brief = next(iter(kea_ha.servers.filter(name='scratch', brief=1)))
    assert sorted(dict(brief)) == ['description', 'display', 'family', 'id', 'name', 'url']

    server.description = 'edited through pynetbox'
    assert server.save() is True
    assert kea_ha.servers.get(server.id).description == 'edited through pynetbox'
    assert relationship.update({'heartbeat_delay': 2000}) is True
    assert kea_ha.relationships.get(relationship.id).heartbeat_delay == 2000

    rendered = next(iter(relationship.render.list()))
    assert rendered['relationship']['name'] == 'scratch-rel'
    assert any(f['code'] == 'ha.standby-required' for f in rendered['findings'])
    assert 'not-shown-anywhere' not in json.dumps(rendered)

    snapshots = list(kea_ha.snapshots.filter(server='kea-1', action='sync'))
    assert len(snapshots) == 1 and snapshots[0].result.value == 'applied'
    full = kea_ha.snapshots.get(snapshots[0].id)  # before/after: Kea configs, JSON fields of the extension
    assert ha_block(full.before)['max-response-delay'] == 3000
    assert ha_block(full.after)['max-response-delay'] == 4000
    # Plain pynetbox (no extension) reads snapshots without their configs, and every job with its data.
    plain_nb = pynetbox.api(live_netbox.url, token=live_netbox.token)
    assert [s.id for s in plain_nb.plugins.kea_ha.snapshots.filter(id=full.id, omit='before,after')] == [full.id]

    status = kea_ha.servers.get(name='kea-2').read_status.create({})
    plan = kea_ha.relationships.get(name='server1 / server2 / server3').sync.create({'dry_run': True})
    fleet = kea_ha.status.create({})
    for answer in (status, plan, fleet):
        job_id = answer['id'] if isinstance(answer, dict) else answer.id
        job = _wait_job(flow.nb, job_id)
        assert job.status.value == 'completed', (job.name, job.error)
        assert url_keys(dict(job)['data']) == []
        assert dict(plain_nb.core.jobs.get(job_id))['data'] == dict(job)['data']

    # Every action of the extension reaches its endpoint; a bad body is refused before anything is queued.
    refusals = (
        (relationship.sync, {'dry_rn': True}, 'dry_rn'),
        (relationship.read_status, {'now': True}, 'now'),
        (server.import_from_kea, {'all': True}, 'all'),
        (peer.operate, {'operation': 'explode'}, 'operation'),
        (full.restore, {'which': 'neither'}, 'which'),
    )
    jobs_before = flow.nb.core.jobs.count()
    for endpoint, body, field_name in refusals:
        with pytest.raises(pynetbox.RequestError) as refused:
            endpoint.create(body)
        assert refused.value.req.status_code == 400 and field_name in refused.value.error, endpoint.url
    assert flow.nb.core.jobs.count() == jobs_before

    # Served prefixes (NetBox IPAM as the DHCP source): CRUD and filters, and the import into IPAM with its job.
    prefix = flow.nb.ipam.prefixes.create(prefix='198.51.100.0/24')
    served = kea_ha.served_prefixes.create(
        relationship=relationship.id, prefix=prefix.id, pool_splits={'198.51.100.10 - 198.51.100.99': {'split': False}}
    )
    assert served.subnet_id == 1 and served.pool_splits == {'198.51.100.10 - 198.51.100.99': {'split': False}}
    assert [s.id for s in kea_ha.served_prefixes.filter(relationship_id=relationship.id)] == [served.id]
    assert served.update({'routers': '198.51.100.1'}) is True
    assert kea_ha.served_prefixes.get(served.id).routers == '198.51.100.1'
    imported = kea_ha.relationships.get(name='server1 / server2 / server3').import_ipam.create({})
    job = _wait_job(flow.nb, imported['id'] if isinstance(imported, dict) else imported.id)
    assert job.status.value == 'completed', (job.name, job.error)
    assert (
        url_keys(dict(job)['data']) == [] and 'served prefix 192.0.2.0/24 (subnet id 1)' in dict(job)['data']['created']
    )
    assert served.delete() and prefix.delete()

    assert peer.delete() and relationship.delete() and server.delete() and address.delete()
    assert kea_ha.servers.get(name='scratch') is None


def _wait_job(nb, job_id, timeout=300.0):
    import time

    deadline = time.monotonic() + timeout
    while True:
        job = nb.core.jobs.get(job_id)
        if job.status.value in ('completed', 'failed', 'errored') or time.monotonic() > deadline:
            return job
        time.sleep(0.5)


def test_errors_name_the_object_and_the_reason_with_their_exit_codes(flow, live_netbox):
    unknown = run_cli(live_netbox, 'import', 'nosuch', '--wait')
    assert unknown.returncode == 2
    assert "no Kea server named 'nosuch' in NetBox (known: " in unknown.stderr and 'kea-1' in unknown.stderr

    usage = run_cli(live_netbox, 'sync')
    assert usage.returncode == 2 and 'name the relationships to sync, or give --all' in usage.stderr

    bad_token = run_cli(live_netbox, 'status', env={'NETBOX_TOKEN': 'nbt_notakey.notatoken'})
    assert bad_token.returncode == 3 and 'NetBox refused the request' in bad_token.stderr

    closed = live_netbox.url.rsplit(':', 1)[0] + ':1/'
    unreachable = run_cli(live_netbox, 'import', 'kea-1', env={'NETBOX_URL': closed})
    assert unreachable.returncode == 3 and f'cannot reach NetBox at {closed}' in unreachable.stderr

    no_url = run_cli(live_netbox, 'status', env={'NETBOX_URL': ''})
    assert no_url.returncode == 2 and 'give --url or set NETBOX_URL' in no_url.stderr

    snapshot = run_cli(live_netbox, 'restore', '999999')
    assert snapshot.returncode == 2 and 'no config snapshot 999999 in NetBox' in snapshot.stderr

    missing_file = run_cli(live_netbox, 'register', '--ca-config', '/nonexistent/kea-ctrl-agent.conf')
    assert missing_file.returncode == 2
    assert 'cannot read the Kea config file /nonexistent/kea-ctrl-agent.conf' in missing_file.stderr

    down = run_cli(live_netbox, 'register', '--control-url', 'http://127.0.0.251:1/', '--name', 'kea-down', '--json')
    assert down.returncode == 1, down.stderr
    failed = json.loads(down.stdout)['jobs'][0]
    assert failed['status'] == 'failed' and 'cannot read the running config of kea-down' in failed['error']
    assert 'Import from Kea) of kea-down failed' in down.stderr

    backup = run_cli(live_netbox, 'operate', 'server3', 'maintenance-start', '--wait')
    assert backup.returncode == 2
    assert 'NetBox refused (maintenance-start of HA peer server3): operation: refused, nothing was sent: ' in (
        backup.stderr
    )
    assert 'is a backup: it serves no client, and Kea has no maintenance for backups' in backup.stderr

    for run in (unknown, usage, bad_token, unreachable, no_url, snapshot, missing_file, down, backup):
        assert 'Traceback' not in run.stderr and 'Traceback' not in run.stdout


@pytest.fixture(scope='module')
def browser():
    """Debian's headless Chromium driven by Selenium through Debian's chromedriver (no browser download)."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = shutil.which('chromium'), shutil.which('chromedriver')
    if not (chromium and driver_path):
        pytest.skip('chromium and chromium-driver are not installed (scripts/sysdeps.sh installs them)')
    options = Options()
    options.binary_location = chromium
    for argument in (
        '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1400,1000',
        '--no-proxy-server', '--disable-extensions', '--hide-scrollbars',
    ):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _screenshot(driver, name: str) -> Path:
    """Save the page (its whole height, up to 2400 px) as `name`.png in $KEA_HA_SCREENSHOTS (default
    .work/screenshots; docs/images holds the ones the README and docs show)."""
    folder = Path(os.environ.get('KEA_HA_SCREENSHOTS') or Path(__file__).resolve().parents[2] / '.work' / 'screenshots')
    folder.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script('return document.documentElement.scrollHeight')
    driver.set_window_size(1400, max(800, min(int(height), 2400)))
    path = folder / f'{name}.png'
    driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)
    return path


def test_pages_in_a_real_browser(flow, live_netbox, browser):
    """Log in with headless Chromium and open the relationship page, the device's Kea HA tab, the plan result, a
    snapshot's diff and the Leases tab: each shows what the flow did, and no page holds the Kea password."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base = live_netbox.url.rstrip('/')
    browser.get(f'{base}/login/')
    browser.find_element(By.NAME, 'username').send_keys(live_netbox.username)
    browser.find_element(By.NAME, 'password').send_keys(live_netbox.password)
    browser.find_element(By.CSS_SELECTOR, 'form button[type=submit]').click()
    try:  # the click returns before the browser has followed the redirect
        WebDriverWait(browser, 60).until(lambda driver: '/login/' not in driver.current_url)
    except TimeoutException:
        pytest.fail(f'still on the login page: {browser.find_element(By.TAG_NAME, "body").text[:500]}')

    relationship = flow.nb.plugins.kea_ha.relationships.get(name='server1 / server2 / server3')
    plan_job = json.loads(flow.runs['plan'].stdout)['jobs'][0]['id']
    synced = json.loads(flow.runs['sync'].stdout)['jobs'][0]['data']['peers']
    snapshot = next(p['snapshot'] for p in synced if p['server'] == 'kea-2')
    pages = {
        'relationship': (
            f'/plugins/kea-ha/relationships/{relationship.id}/',
            ['server1 / server2 / server3', 'load-balancing', 'kea-1', 'kea-2', 'server3', 'backup', 'hooks-libraries'],
        ),
        'device-kea-ha-tab': (
            f'/dcim/devices/{flow.devices["kea-1"].id}/kea-ha/',
            ['kea-1', 'Primary', 'load-balancing', 'server1 / server2 / server3', 'http://127.'],
        ),
        'plan': (
            f'/plugins/kea-ha/relationships/{relationship.id}/plan/?job={plan_job}',
            ['Plan', 'what a sync would change', 'max-response-delay', '3000', '4000', 'server3'],
        ),
        'snapshot-diff': (f'/plugins/kea-ha/snapshots/{snapshot}/', ['kea-2', 'max-response-delay', '3000', '4000']),
        # Kea is asked in another thread while the page renders; the answer stands where the results go.
        'leases-tab': (
            f'/plugins/kea-ha/relationships/{relationship.id}/leases/',
            ['Search leases', 'Answered by kea-', 'Utilisation per subnet', 'Utilisation per pool'],
        ),
    }
    for name, (path, expected) in pages.items():
        browser.get(f'{base}{path}')
        text = browser.find_element(By.TAG_NAME, 'body').text
        missing = [item for item in expected if item not in text]
        assert not missing, f'{name} ({path}) lacks {missing}:\n{text[:3000]}'
        assert 'Server Error' not in browser.title and 'Page Not Found' not in browser.title, (name, browser.title)
        for password in flow.passwords:
            assert password not in browser.page_source, name
        assert _screenshot(browser, name).stat().st_size > 10_000
    # The last page, the Leases tab: Kea's answer stands in the results part, below the search form.
    results = browser.find_element(By.ID, 'kea-ha-leases-results').text
    assert 'Answered by kea-' in results and 'Search leases' not in results, results[:1000]


def test_leases_from_the_command_line(flow, live_netbox):
    """`kea-ha leases`: a lease every server holds is found by MAC and by address, from the server that answered,
    and compared with the partners; an address nobody holds is an empty answer, not an error."""
    # One expiry for every server: without it each sets its own clock's now, and two servers adding it on either side
    # of a second boundary hold leases that differ (the comparison below would rightly say so).
    expire = int(time.time()) + 3600
    lease = {'ip-address': '192.0.2.150', 'hw-address': '0a:0b:0c:0d:0e:0f', 'hostname': 'cli-host', 'expire': expire}
    for server in flow.lab:
        answer = server.command('lease4-add', lease)
        assert answer['result'] == 0, answer
    relationship = 'server1 / server2 / server3'
    by_mac = ok_json(run_cli(live_netbox, 'leases', relationship, '--mac', '0a:0b:0c:0d:0e:0f', '--compare', '--json'))
    assert by_mac['source'] in ('kea-1', 'kea-2', 'kea-3') and by_mac['differences'] == []
    assert [(x['ip-address'], x['hostname']) for x in by_mac['leases']] == [('192.0.2.150', 'cli-host')]
    shown = run_cli(live_netbox, 'leases', relationship, '--ip', '192.0.2.150')
    assert shown.returncode == 0 and '192.0.2.150  0a:0b:0c:0d:0e:0f  cli-host' in shown.stdout, shown.stdout
    nobody = ok_json(run_cli(live_netbox, 'leases', relationship, '--ip', '192.0.2.151', '--json'))
    assert nobody['leases'] == []
    wrong = run_cli(live_netbox, 'leases', relationship, '--ip', 'not-an-address')
    assert wrong.returncode == 2 and 'Traceback' not in wrong.stderr and 'not-an-address' in wrong.stderr, wrong.stderr
    for server in flow.lab:
        server.command('lease4-del', {'ip-address': '192.0.2.150'})
