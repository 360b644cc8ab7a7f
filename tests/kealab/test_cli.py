"""`python -m kealab up|status|down`: a setup that outlives the command, stopped by its recorded PIDs."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kealab.cli import _recorded_pids
from kealab.processes import pid_alive, stop_pids

pytestmark = pytest.mark.kea

REPO = Path(__file__).resolve().parents[2]


def _kealab(*args):
    return subprocess.run(
        [sys.executable, '-m', 'kealab', *args], cwd=REPO, capture_output=True, text=True, timeout=180
    )


def test_up_status_down(tmp_path):
    lab_dir = tmp_path / 'demo'
    up = _kealab('up', '--dir', str(lab_dir), '--mode', 'load-balancing', '--backup', '--auth')
    lab = json.loads((lab_dir / 'lab.json').read_text()) if (lab_dir / 'lab.json').exists() else {'servers': []}
    pids = [pid for server in lab['servers'] for pid in server['pids'].values()]
    try:
        assert up.returncode == 0, up.stderr
        assert (lab_dir / 'lab.json').stat().st_mode & 0o777 == 0o600
        assert [s['role'] for s in lab['servers']] == ['primary', 'secondary', 'backup']
        assert len(pids) == 6 and all(pid_alive(p) for p in pids)
        password = lab['servers'][0]['password']
        assert password and password not in up.stdout + up.stderr
        assert 'server1    primary    load-balancing' in up.stdout

        status = _kealab('status', '--dir', str(lab_dir))
        assert status.returncode == 0, status.stdout + status.stderr
        assert 'server3    backup     backup' in status.stdout
        assert password not in status.stdout

        again = _kealab('up', '--dir', str(lab_dir))
        assert again.returncode == 1
        assert 'already running' in again.stderr

        down = _kealab('down', '--dir', str(lab_dir))
        assert down.returncode == 0, down.stderr
        assert down.stdout.count('stopped ') == 6
        assert not [p for p in pids if pid_alive(p)]

        after = _kealab('status', '--dir', str(lab_dir))
        assert after.returncode == 1
        assert 'unreadable' in after.stdout and 'dhcp:down' in after.stdout
    finally:
        stop_pids([pid for _, _, pid in _recorded_pids(lab)])


def test_fixed_address_and_port(tmp_path):
    import socket

    with socket.socket() as probe:  # a port that is free on 127.0.0.41 right now
        probe.bind(('127.0.0.41', 0))
        port = probe.getsockname()[1]
    lab_dir = tmp_path / 'fixed'
    up = _kealab('up', '--dir', str(lab_dir), '--mode', 'hot-standby', '--address', '127.0.0.41', '--port', str(port))
    lab = json.loads((lab_dir / 'lab.json').read_text()) if (lab_dir / 'lab.json').exists() else {'servers': []}
    try:
        assert up.returncode == 0, up.stderr
        assert [s['url'] for s in lab['servers']] == [f'http://127.0.0.41:{port}/', f'http://127.0.0.42:{port}/']
    finally:
        stop_pids([pid for _, _, pid in _recorded_pids(lab)])


def test_bad_input(tmp_path):
    result = _kealab('up', '--dir', str(tmp_path / 'x'), '--address', '10.0.0.1')
    assert result.returncode == 1
    assert 'not in 127.0.0.0/8' in result.stderr
    result = _kealab('status', '--dir', str(tmp_path / 'nothing'))
    assert result.returncode == 1
    assert 'lab.json does not exist' in result.stderr
    result = _kealab('up', '--dir', str(tmp_path / 'x'), '--mode', 'active-active')
    assert result.returncode == 2
    assert "invalid choice: 'active-active'" in result.stderr
