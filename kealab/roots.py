"""Debian 13 roots with Kea 2.6 (trixie) or 3.0 (trixie-backports), built on demand and cached.

    root = ensure_root('3.0')      # .work/kealab-roots/trixie30: unpacked from its tarball, or built (about 1 min)

A root is built once, packed into `<name>.tar.zst` and unpacked from that tarball (about 1 s) when the directory
is missing. Builds take a lock, so concurrent test runs build a root only once. Both need `zstd` and the Debian
archive of the host's apt sources (kea-2.6-3.0-observed.md §1).

- As root: debootstrap --variant=minbase, then apt inside the root (services blocked by policy-rc.d); the
  daemons are started with `chroot`.
- As any other user: the same packages with `mmdebstrap --mode=unshare` (an unprivileged user namespace mapped
  through /etc/subuid), and the daemons are started with `unshare --user --map-root-user chroot ...`: in its own
  user namespace the user is root, may chroot, and the files it unpacked are its own (`kealab.runtime`). The
  unpacked root must belong to that user (Kea writes into its /srv/kv): it lives in .work/kealab-roots when
  that is the user's, else in ~/.cache/kealab-roots ($XDG_CACHE_HOME), unpacked from either place's tarball (a
  tarball built by root serves other users too). When the kernel refuses unprivileged user namespaces,
  `rootless_problem()` says so and Kea 2.6/3.0 are unavailable (`root_ready` is False).

`python -m kealab.roots [2.6 3.0]` makes the roots ready, or prints why it cannot and exits with status 1.
"""

from __future__ import annotations

import fcntl
import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .processes import LabError
from .runtime import enter_root

__all__ = ('ROOTS', 'ROOTS_DIR', 'RootSpec', 'ensure_root', 'main', 'root_dir', 'root_ready', 'rootless_problem')

ROOTS_DIR = Path(__file__).resolve().parents[1] / '.work' / 'kealab-roots'
_READY = '.kealab-ready'
_PACKAGES = ('kea-dhcp4-server', 'kea-dhcp6-server', 'kea-ctrl-agent')
#: Trimmed from the tarball: apt's caches and documentation (mmdebstrap: not installed at all, `_DPKG_EXCLUDES`).
_EXCLUDES = (
    './var/cache/apt/*',
    './var/lib/apt/lists/*',
    './usr/share/doc/*',
    './usr/share/man/*',
    './usr/share/locale/*',
    './usr/share/info/*',
    './srv/kv/*',
    './proc/*',
)
_DPKG_EXCLUDES = ('/usr/share/doc/*', '/usr/share/man/*', '/usr/share/locale/*', '/usr/share/info/*')


@dataclass(frozen=True)
class RootSpec:
    """A root to build: its directory name, Debian suite and the suite Kea comes from."""

    name: str
    suite: str
    kea_suite: str


#: Kea version -> root.
ROOTS = {
    '2.6': RootSpec('trixie26', 'trixie', 'trixie'),
    '3.0': RootSpec('trixie30', 'trixie', 'trixie-backports'),
}


def _mirror() -> str:
    """The Debian archive URL of the host's apt sources."""
    for source in (Path('/etc/apt/sources.list.d/debian.sources'), Path('/etc/apt/sources.list')):
        try:
            text = source.read_text()
        except OSError:
            continue
        for match in re.finditer(r'(?:URIs:\s*|^deb\s+(?:\[[^]]*]\s+)?)(\S+)', text, re.MULTILINE):
            url = match[1]
            if 'security' not in url and url.startswith(('http://', 'https://')) and '/debian' in url:
                return url
    return 'http://deb.debian.org/debian'


def _is_root() -> bool:
    return os.geteuid() == 0


@functools.cache
def rootless_problem() -> str | None:
    """Why this process cannot enter a root (None: it runs as root, or unprivileged user namespaces work here)."""
    if _is_root():
        return None
    probe = [*enter_root(Path('/'), userns=True), 'true']
    for tool in ('unshare', 'chroot'):
        if shutil.which(tool) is None:
            return f'not root, and {tool} is not installed'
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return f'not root, and {" ".join(probe)} failed: {exc}'
    if result.returncode:
        why = (result.stderr.strip().splitlines() or [f'status {result.returncode}'])[-1]
        return f'not root, and this machine refuses unprivileged user namespaces ({" ".join(probe)}: {why})'
    return None


def _ours(path: Path) -> bool:
    """True when this user owns `path`, or could create it (its nearest existing parent is writable)."""
    if path.exists():
        return path.stat().st_uid == os.geteuid()
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    return os.access(parent, os.W_OK | os.X_OK)


def _user_cache() -> Path:
    return Path(os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache') / 'kealab-roots'


def _home(spec: RootSpec) -> Path:
    """The directory holding this user's unpacked root (and the tarball, lock and log of a build it makes)."""
    if _is_root() or _ours(ROOTS_DIR / spec.name):
        return ROOTS_DIR
    return _user_cache()


def root_dir(version: str) -> Path:
    """Where the root of this Kea version is (or will be) unpacked for this user; see the module docstring."""
    spec = _spec(version)
    return _home(spec) / spec.name


def _tarball(spec: RootSpec) -> Path | None:
    """A cached tarball of this root: this user's own, else the one in ROOTS_DIR (built by root, say)."""
    for home in dict.fromkeys((_home(spec), ROOTS_DIR)):
        tarball = home / f'{spec.name}.tar.zst'
        if tarball.is_file() and os.access(tarball, os.R_OK):
            return tarball
    return None


def root_ready(version: str) -> bool:
    """True when Kea `version` can run here without a build: this process can enter a root (root, or user
    namespaces), and the root is unpacked or its tarball is cached."""
    spec = _spec(version)
    if rootless_problem() is not None:
        return False
    return (root_dir(version) / _READY).exists() or _tarball(spec) is not None


def _spec(version: str) -> RootSpec:
    try:
        return ROOTS[version]
    except KeyError:
        raise LabError(f'no Debian root for Kea {version!r}; known: {", ".join(ROOTS)}') from None


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open('w') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(argv: list[str], log: Path, **env: str) -> None:
    with log.open('a') as out:
        out.write(f'$ {" ".join(argv)}\n')
        out.flush()
        result = subprocess.run(
            argv, stdout=out, stderr=subprocess.STDOUT, env=os.environ | env | {'DEBIAN_FRONTEND': 'noninteractive'}
        )
    if result.returncode != 0:
        tail = '\n'.join(log.read_text(errors='replace').splitlines()[-15:])
        raise LabError(f'{" ".join(argv[:4])} ... failed with status {result.returncode}; see {log}\n{tail}')


def _release_mounts(root: Path) -> None:
    """Unmount whatever is still mounted under `root` (a build killed half-way leaves its /proc mounted).

    Removing the root with a live /proc under it walks the host's /proc; unmounting first keeps the removal
    to the root's own files.
    """
    try:
        mounts = Path('/proc/mounts').read_text().splitlines()
    except OSError:
        return
    prefix = f'{root.resolve()}/'
    points = [line.split()[1] for line in mounts if len(line.split()) > 1]
    for point in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        subprocess.run(['umount', '--lazy', point], check=False)


def _build(spec: RootSpec, root: Path, log: Path) -> None:
    """Build as root: debootstrap, then apt inside the root."""
    for tool in ('debootstrap', 'zstd', 'chroot'):
        if shutil.which(tool) is None:
            raise LabError(f'{tool} is needed to build the Kea root {spec.name} (apt-get install debootstrap zstd)')
    if os.geteuid() != 0:
        raise LabError(f'building the Kea root {spec.name} needs root (debootstrap, chroot)')
    _release_mounts(root)
    shutil.rmtree(root, ignore_errors=True)
    mirror = _mirror()
    _run(['debootstrap', '--variant=minbase', spec.suite, str(root), mirror], log)
    policy = root / 'usr/sbin/policy-rc.d'
    policy.write_text('#!/bin/sh\nexit 101\n')
    policy.chmod(0o755)
    install = ['chroot', str(root), 'apt-get', 'install', '-y', '--no-install-recommends']
    if spec.kea_suite != spec.suite:
        (root / 'etc/apt/sources.list.d/kealab.list').write_text(f'deb {mirror} {spec.kea_suite} main\n')
        install += ['-t', spec.kea_suite]
    proc = root / 'proc'
    subprocess.run(['mount', '-t', 'proc', 'proc', str(proc)], check=True)
    try:
        _run(['chroot', str(root), 'apt-get', 'update'], log)
        _run([*install, *_PACKAGES], log)
        _run(['chroot', str(root), 'apt-get', 'clean'], log)
    finally:
        subprocess.run(['umount', str(proc)], check=False)
    for directory in ('run/kea', 'var/lib/kea', 'var/log/kea', 'srv/kv'):
        (root / directory).mkdir(parents=True, exist_ok=True)
        (root / directory).chmod(0o750)


def _build_rootless(spec: RootSpec, tarball: Path, log: Path) -> None:
    """Build as another user: mmdebstrap in an unprivileged user namespace, straight into the tarball."""
    for tool, package in (('mmdebstrap', 'mmdebstrap'), ('newuidmap', 'uidmap'), ('zstd', 'zstd')):
        if shutil.which(tool) is None:
            raise LabError(
                f'{tool} is needed to build the Kea root {spec.name} without root (apt-get install {package}, or '
                f'build it once as root)'
            )
    mirror = _mirror()
    sources = [f'deb {mirror} {spec.suite} main']
    suffix = ''
    if spec.kea_suite != spec.suite:
        sources.append(f'deb {mirror} {spec.kea_suite} main')
        suffix = f'/{spec.kea_suite}'  # apt takes these packages, and what they need in that version, from there
    partial = tarball.with_name(f'{spec.name}.partial.tar.zst')  # mmdebstrap compresses by the file's suffix
    partial.unlink(missing_ok=True)
    argv = ['mmdebstrap', '--mode=unshare', '--variant=minbase', '--include=' + ','.join(p + suffix for p in _PACKAGES)]
    argv += [f'--dpkgopt=path-exclude={pattern}' for pattern in _DPKG_EXCLUDES]
    _run([*argv, spec.suite, str(partial), *sources], log)
    partial.rename(tarball)


def _pack(root: Path, tarball: Path, log: Path) -> None:
    partial = tarball.with_suffix('.partial')
    excludes = [f'--exclude={pattern}' for pattern in _EXCLUDES]
    _run(['tar', '--numeric-owner', '-I', 'zstd -T2 -3', '-cf', str(partial), *excludes, '-C', str(root), '.'], log)
    partial.rename(tarball)


def _unpack(tarball: Path, root: Path, log: Path) -> None:
    """Unpack a root; as a user other than root, every file becomes that user's and /dev stays empty (no mknod
    without root; Kea needs none of its nodes)."""
    _release_mounts(root)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    rootless = [] if _is_root() else ['--no-same-owner', '--exclude=./dev/*']
    _run(['tar', '--numeric-owner', *rootless, '-I', 'zstd', '-xf', str(tarball), '-C', str(root)], log)
    for directory in ('run/kea', 'var/lib/kea', 'var/log/kea', 'srv/kv'):
        (root / directory).mkdir(parents=True, exist_ok=True)
        (root / directory).chmod(0o750)


def ensure_root(version: str) -> Path:
    """The root directory holding Kea `version` ('2.6' or '3.0'): unpacked from the cache or built first."""
    spec = _spec(version)
    problem = rootless_problem()
    if problem is not None:
        raise LabError(f'Kea {version} runs in a Debian root, which needs root or user namespaces: {problem}')
    home = _home(spec)
    root = home / spec.name
    ready = root / _READY
    if ready.exists():
        return root
    log = home / f'{spec.name}.log'
    with _locked(home / f'{spec.name}.lock'):
        if ready.exists():
            return root
        tarball = _tarball(spec)
        if tarball is None:
            tarball = home / f'{spec.name}.tar.zst'
            if _is_root():
                _build(spec, root, log)
                _pack(root, tarball, log)
            else:
                _build_rootless(spec, tarball, log)
                _unpack(tarball, root, log)
        else:
            _unpack(tarball, root, log)
        ready.write_text(version + '\n')
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m kealab.roots [VERSION ...]`: make the roots ready (all by default); print why not, status 1."""
    versions = list(argv if argv is not None else sys.argv[1:]) or list(ROOTS)
    problem = rootless_problem()
    if problem is not None:
        print(f'Kea {", ".join(versions)} cannot run here: {problem}', file=sys.stderr)
        return 1
    try:
        for version in versions:
            ensure_root(version)
    except LabError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
