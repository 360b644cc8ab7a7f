"""kealab process control: kill and restart, startup failures, and nothing left running after close."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kealab import KeaLab, LabError
from kealab.configs import FAST_HA_PARAMETERS
from kealab.processes import pid_alive

pytestmark = pytest.mark.kea

REPO = Path(__file__).resolve().parents[2]


def _wait_gone(pids, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if pid_alive(p)]


def test_kill_and_restart_dhcp_server(kea_lab):
    server1, server2 = kea_lab.load_balancing(parameters=FAST_HA_PARAMETERS, wait=True)
    old_pid = server2.pids['dhcp']
    server2.kill_dhcp()
    assert not server2.dhcp.alive
    assert not pid_alive(old_pid)
    assert server2.dhcp.returncode == -signal.SIGKILL
    assert kea_lab.wait_ha([server1], states={'server1': 'partner-down'}) == {'server1': 'partner-down'}
    assert any('PARTNER-DOWN' in line for line in server1.log_lines())
    new_pid = server2.start_dhcp()
    assert new_pid != old_pid
    assert kea_lab.wait_ha([server1, server2]) == {'server1': 'load-balancing', 'server2': 'load-balancing'}
    assert server2.command('status-get')['arguments']['pid'] == new_pid


def test_kill_and_restart_control_agent(kea_lab):
    server1, server2 = kea_lab.load_balancing(parameters=FAST_HA_PARAMETERS, wait=True)
    server2.kill_ca(signal.SIGTERM)
    assert not server2.ca.alive
    assert server2.dhcp.alive
    kea_lab.wait_ha([server1], states={'server1': 'partner-down'})
    # server2 itself still answers on its unix socket; it sees its partner in partner-down and stops serving.
    assert server2.socket_command('status-get')['result'] == 0
    server2.start_ca()
    kea_lab.wait_ha([server1, server2])
    assert any('HA_HEARTBEAT_COMMUNICATIONS_FAILED' in line for line in server1.log_lines())


def test_restart_uses_the_config_file(kea_lab):
    server1, server2 = kea_lab.load_balancing(parameters=FAST_HA_PARAMETERS, wait=True)
    answer = server2.command('config-get')
    config = answer['arguments']
    config['Dhcp4']['valid-lifetime'] = 7200
    assert server2.command('config-set', config)['result'] == 0
    assert server2.command('config-write')['result'] == 0
    server2.restart_dhcp()
    kea_lab.wait_ha([server1, server2])
    assert server2.command('config-get')['arguments']['Dhcp4']['valid-lifetime'] == 7200
    assert server2.read_config_file()['Dhcp4']['valid-lifetime'] == 7200


def test_startup_failure_raises_with_the_log_tail(kea_lab):
    (server,) = kea_lab.passive_backup(backups=0, start=False)
    ha = server.config['Dhcp4']['hooks-libraries'][1]['parameters']['high-availability'][0]
    ha['this-server-name'] = 'server9'
    with pytest.raises(LabError) as info:
        kea_lab.start([server])
    message = str(info.value)
    assert 'kea-dhcp4 exited with status 1 at startup' in message
    assert "no peer configuration specified for the 'server9'" in message
    assert not server.dhcp.alive
    assert server.ca.alive  # the CA started first; close() stops it


def test_close_stops_everything_and_removes_the_directory():
    with KeaLab() as lab:
        servers = lab.load_balancing(backup=True) + [lab.standalone(family=6)]
        pids = [pid for s in servers for pid in s.pids.values()]
        assert len(pids) == 8 and all(pid_alive(p) for p in pids)
        workdir = lab.workdir
    assert not [p for p in pids if pid_alive(p)]
    assert not workdir.exists()


def test_close_after_an_error_in_the_block():
    with pytest.raises(RuntimeError, match='boom'), KeaLab() as lab:
        servers = lab.load_balancing()
        pids = [pid for s in servers for pid in s.pids.values()]
        raise RuntimeError('boom')
    assert not [p for p in pids if pid_alive(p)]


def test_long_workdir_gets_short_socket_paths(tmp_path):
    deep = tmp_path / ('d' * 60) / ('e' * 40)
    with KeaLab(deep) as lab:
        (server,) = lab.passive_backup(backups=0, wait=True)
        assert len(str(server.paths.socket)) <= 107
        assert not server.paths.socket.is_relative_to(deep)
        short_dir = server.paths.socket.parent
        assert server.socket_command('version-get')['text'] == '2.2.0'
    assert not short_dir.exists()
    assert deep.exists()  # a directory the caller gave is kept


def _run_child(code, *, kill=False):
    """Run a child interpreter that starts a lab and reports its PIDs, then exits (or is SIGKILLed)."""
    child = subprocess.Popen(
        [sys.executable, '-c', textwrap.dedent(code)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    report = {}
    try:
        report = json.loads(child.stdout.readline())
        pids = report['pids']
        assert pids and all(pid_alive(p) for p in pids)
        if kill:
            os.kill(child.pid, signal.SIGKILL)
        else:
            child.stdin.write('go\n')
            child.stdin.flush()
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if 'dir' in report:
            shutil.rmtree(report['dir'], ignore_errors=True)
    return pids


CHILD = """
    import json, sys, time
    from kealab import KeaLab
    lab = KeaLab()
    servers = lab.load_balancing()
    pids = [pid for s in servers for pid in s.pids.values()]
    print(json.dumps({{'pids': pids, 'dir': str(lab.workdir)}}), flush=True)
    sys.stdin.readline()  # until the test has seen the processes run
    {after}
"""


def _assert_all_gone(pids):
    """Every PID ends within the bound; any that did not is killed (by its PID) after the assertion."""
    leftover = _wait_gone(pids)
    try:
        assert not leftover
    finally:
        for pid in leftover:
            os.kill(pid, signal.SIGKILL)


def test_safety_net_stops_processes_at_interpreter_exit():
    _assert_all_gone(_run_child(CHILD.format(after='sys.exit(0)  # no close()')))


def test_processes_die_with_a_killed_parent():
    _assert_all_gone(_run_child(CHILD.format(after=''), kill=True))
