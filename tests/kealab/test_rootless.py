"""Kea 2.6 and 3.0 without root: the daemons enter their Debian root through an unprivileged user namespace
(`unshare --user --map-root-user chroot ...`), from a root this user unpacked (kealab.roots, kealab.runtime).

The namespace path is also exercised when the suite runs as root (the runtime is told to use it), so that it
stays tested on machines where every run is root's.
"""

import dataclasses
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.kea_fixtures import requires_kea
from tests.kealab.test_processes import REPO, _assert_all_gone, _run_child

import kealab.lab
from kealab import KeaLab, KeaRuntime, roots
from kealab.configs import FAST_HA_PARAMETERS
from kealab.processes import pid_alive
from kealab.runtime import enter_root, runtime

pytestmark = pytest.mark.kea


def _userns_works():
    if shutil.which('unshare') is None:
        return False
    return subprocess.run(['unshare', '--user', 'true'], capture_output=True).returncode == 0


needs_userns = pytest.mark.skipif(not _userns_works(), reason='this machine refuses unprivileged user namespaces')


def _in_userns(monkeypatch):
    """Make the lab enter its roots through a user namespace even when the suite runs as root."""
    real = kealab.lab.runtime
    monkeypatch.setattr(kealab.lab, 'runtime', lambda version: dataclasses.replace(real(version), userns=True))


def test_enter_root_as_root_and_as_a_user():
    assert enter_root(Path('/r'), userns=False) == ['chroot', '/r']
    assert enter_root(Path('/r'), userns=True) == ['unshare', '--user', '--map-root-user', 'chroot', '/r']
    assert enter_root(Path('/r'))[0] == ('chroot' if os.geteuid() == 0 else 'unshare')
    rt = KeaRuntime('2.6', Path('/r'), userns=True)
    config = Path('/r/srv/kv/s1/kea-dhcp4.conf')
    assert rt.argv('kea-dhcp4', config) == [
        *('unshare', '--user', '--map-root-user', 'chroot', '/r'),
        *('/usr/sbin/kea-dhcp4', '-c', '/srv/kv/s1/kea-dhcp4.conf'),
    ]
    # unshare and chroot both exec: /proc shows Kea's own command line, as with chroot alone.
    assert rt.cmdline('kea-dhcp4', config) == ['/usr/sbin/kea-dhcp4', '-c', '/srv/kv/s1/kea-dhcp4.conf']


@requires_kea('2.6')
def test_runtime_uses_a_user_namespace_unless_root():
    rt = runtime('2.6')
    assert rt.userns is (os.geteuid() != 0)
    assert rt.argv('kea-dhcp4', rt.root / 'srv/kv/x.conf')[0] == ('unshare' if rt.userns else 'chroot')
    # The root a user runs is its own (it unpacked it): Kea writes into its /srv/kv.
    assert rt.root == roots.root_dir('2.6')
    assert rt.root.stat().st_uid == os.geteuid()


@needs_userns
@requires_kea('2.6')
def test_kea_26_pair_in_a_user_namespace(monkeypatch):
    _in_userns(monkeypatch)
    with KeaLab() as lab:
        server1, server2 = lab.load_balancing(kea='2.6', parameters=FAST_HA_PARAMETERS, wait=True)
        assert server1.dhcp.argv[:4] == ['unshare', '--user', '--map-root-user', 'chroot']
        pid = server1.pids['dhcp']
        assert Path(f'/proc/{pid}/cmdline').read_bytes().split(b'\0')[:-1] == [
            part.encode() for part in server1.dhcp.cmdline
        ]
        # Kea itself (not a wrapper) runs in another user namespace than this test.
        assert os.readlink(f'/proc/{pid}/ns/user') != os.readlink('/proc/self/ns/user')
        assert server1.command('status-get')['arguments']['pid'] == pid
        # Signalled by its PID like any lab daemon, and restarted the same way.
        server2.kill_dhcp()
        lab.wait_ha([server1], states={'server1': 'partner-down'})
        server2.start_dhcp()
        lab.wait_ha([server1, server2])
        pids = [p for server in (server1, server2) for p in server.pids.values()]
    assert not [p for p in pids if pid_alive(p)]


CHILD_USERNS = """
    import dataclasses, json, sys
    import kealab.lab
    from kealab import KeaLab
    real = kealab.lab.runtime
    kealab.lab.runtime = lambda version: dataclasses.replace(real(version), userns=True)
    lab = KeaLab()
    servers = lab.load_balancing(kea='2.6')
    pids = [pid for s in servers for pid in s.pids.values()]
    print(json.dumps({'pids': pids, 'dir': str(lab.workdir)}), flush=True)
    sys.stdin.readline()
"""


@needs_userns
@requires_kea('2.6')
def test_daemons_in_a_user_namespace_die_with_a_killed_parent():
    """The parent-death signal the lab sets survives unshare's and chroot's exec."""
    _assert_all_gone(_run_child(CHILD_USERNS, kill=True))


REFUSED = textwrap.dedent("""
    import kealab.roots as roots
    from kealab import LabError
    roots._is_root = lambda: False  # root of this test's namespace, a user as far as kealab is concerned
    print(roots.rootless_problem())
    print(roots.root_ready('2.6'))
    try:
        roots.ensure_root('3.0')
    except LabError as exc:
        print(exc)
    raise SystemExit(roots.main([]))
""")


@needs_userns
def test_refused_user_namespaces_are_named():
    """Where the kernel refuses user namespaces (here: a namespace whose limit of nested ones is 0), Kea 2.6/3.0
    are not ready, and both ensure_root and `python -m kealab.roots` (scripts/test.sh) say why."""
    limit = 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" -c "$1"'
    result = subprocess.run(
        ['unshare', '--user', '--map-root-user', 'sh', '-c', limit, sys.executable, REFUSED],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    problem, ready, error = result.stdout.splitlines()
    assert 'this machine refuses unprivileged user namespaces (unshare --user --map-root-user chroot / true:' in problem
    assert ready == 'False'
    assert error.startswith('Kea 3.0 runs in a Debian root, which needs root or user namespaces: not root, and')
    assert result.returncode == 1
    assert result.stderr.startswith('Kea 2.6, 3.0 cannot run here: not root, and this machine refuses')


def test_a_user_unpacks_its_own_root_beside_one_it_does_not_own(tmp_path, monkeypatch):
    """A user runs the root it unpacked: in .work/kealab-roots when that is its own, else in ~/.cache; a tarball
    made by someone else (root) is unpacked from where it is."""
    shared = tmp_path / 'shared'
    monkeypatch.setattr(roots, 'ROOTS_DIR', shared)
    monkeypatch.setattr(roots, '_is_root', lambda: False)
    monkeypatch.setattr(roots, 'rootless_problem', lambda: None)
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    assert roots.root_dir('2.6') == shared / 'trixie26'  # nothing there yet, and this user may create it
    assert not roots.root_ready('2.6')
    (shared / 'trixie26').mkdir(parents=True)
    (shared / 'trixie26.tar.zst').write_bytes(b'')
    assert roots.root_dir('2.6') == shared / 'trixie26'
    monkeypatch.setattr(os, 'geteuid', lambda: os.getuid() + 4242)  # now that root belongs to someone else
    assert roots.root_dir('2.6') == tmp_path / 'cache' / 'kealab-roots' / 'trixie26'
    assert roots._tarball(roots.ROOTS['2.6']) == shared / 'trixie26.tar.zst'
    assert roots.root_ready('2.6')
    assert not roots.root_ready('3.0')
