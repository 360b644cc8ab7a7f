"""Debian 13 roots with Kea 2.6 (trixie) or 3.0 (trixie-backports), built on demand with debootstrap and cached.

    root = ensure_root('3.0')      # .work/kealab-roots/trixie30: unpacked from its tarball, or built (about 1 min)

A root is built once (debootstrap --variant=minbase, then apt inside it with services blocked by policy-rc.d),
packed into `<name>.tar.zst` next to it, and unpacked from that tarball (about 1 s) when the directory is
missing. Builds take a lock, so concurrent test runs build a root only once. Needs root, `debootstrap`, `zstd`
and the Debian archive of the host's apt sources (kea-2.6-3.0-observed.md §1).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .processes import LabError

__all__ = ('ROOTS', 'ROOTS_DIR', 'RootSpec', 'ensure_root', 'root_ready')

ROOTS_DIR = Path(__file__).resolve().parents[1] / '.work' / 'kealab-roots'
_PACKAGES = ('kea-dhcp4-server', 'kea-dhcp6-server', 'kea-ctrl-agent')
#: Trimmed from the tarball: apt's caches and documentation.
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


def root_ready(version: str) -> bool:
    """True when the root of this Kea version is unpacked or its tarball is cached (no build needed)."""
    spec = _spec(version)
    return (ROOTS_DIR / spec.name / '.kealab-ready').exists() or (ROOTS_DIR / f'{spec.name}.tar.zst').exists()


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


def _pack(root: Path, tarball: Path, log: Path) -> None:
    partial = tarball.with_suffix('.partial')
    excludes = [f'--exclude={pattern}' for pattern in _EXCLUDES]
    _run(['tar', '--numeric-owner', '-I', 'zstd -T2 -3', '-cf', str(partial), *excludes, '-C', str(root), '.'], log)
    partial.rename(tarball)


def _unpack(tarball: Path, root: Path, log: Path) -> None:
    _release_mounts(root)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    _run(['tar', '--numeric-owner', '-I', 'zstd', '-xf', str(tarball), '-C', str(root)], log)
    for directory in ('run/kea', 'var/lib/kea', 'var/log/kea', 'srv/kv'):
        (root / directory).mkdir(parents=True, exist_ok=True)
        (root / directory).chmod(0o750)


def ensure_root(version: str) -> Path:
    """The root directory holding Kea `version` ('2.6' or '3.0'): unpacked from the cache or built first."""
    spec = _spec(version)
    root = ROOTS_DIR / spec.name
    ready = root / '.kealab-ready'
    if ready.exists():
        return root
    tarball = ROOTS_DIR / f'{spec.name}.tar.zst'
    log = ROOTS_DIR / f'{spec.name}.log'
    with _locked(ROOTS_DIR / f'{spec.name}.lock'):
        if ready.exists():
            return root
        if tarball.exists():
            _unpack(tarball, root, log)
        else:
            _build(spec, root, log)
            _pack(root, tarball, log)
        ready.write_text(version + '\n')
    return root
