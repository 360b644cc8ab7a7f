"""Which Kea runs a lab server: the host's Kea 2.2, or Kea 2.6 / 3.0 inside a Debian 13 root (`kealab.roots`).

A daemon in a root runs as `chroot <root> /usr/sbin/kea-dhcp4 -c <path inside>` (chroot execs Kea, so the PID is
Kea's). A lab that does not run as root starts it as `unshare --user --map-root-user chroot <root> ...` instead:
root in a user namespace of its own, which may chroot (unshare execs too; the PID is still Kea's, and the lab
signals it as the user who owns it). Paths in its config are the paths inside the root; `inside()` converts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .configs import HOOKS_DIR
from .processes import LabError

__all__ = ('KEA_VERSIONS', 'KeaRuntime', 'enter_root', 'runtime')

#: The Kea versions a lab can run: 2.2 from the host, 2.6 and 3.0 from Debian 13 roots.
KEA_VERSIONS = ('2.2', '2.6', '3.0')

_HOST_BINARIES = Path('/usr/sbin')
#: How a user who is not root enters a root: a user namespace of its own, where it is root (uid 0 = its uid).
_UNSHARE = ('unshare', '--user', '--map-root-user')


def enter_root(root: Path, *, userns: bool | None = None) -> list[str]:
    """The command prefix that runs a program inside `root`: `chroot <root>`, behind `unshare --user
    --map-root-user` for a process that is not root (`userns` None: decided by this process's user)."""
    if userns is None:
        userns = os.geteuid() != 0
    return [*(_UNSHARE if userns else ()), 'chroot', str(root)]


@dataclass(frozen=True)
class KeaRuntime:
    """A Kea version and where it runs (`root` None: on the host; `userns`: entered through a user namespace)."""

    version: str
    root: Path | None = None
    hooks_dir: Path = HOOKS_DIR
    #: True when the lab is not root: its daemons enter `root` through an unprivileged user namespace.
    userns: bool = False

    @property
    def control_agent(self) -> bool:
        """True when servers are reached through a Control Agent (2.2, 2.6); 3.0 servers answer on their own
        HTTP control socket (the lab runs no Control Agent for them)."""
        return self.version != '3.0'

    @property
    def path_checks(self) -> bool:
        """True for Kea versions that restrict socket, lease, log and config-write paths (2.6.3+, 3.0)."""
        return self.version != '2.2'

    def inside(self, path: Path) -> Path:
        """A host path as the daemon sees it."""
        if self.root is None:
            return path
        try:
            return Path('/') / path.relative_to(self.root)
        except ValueError:
            raise LabError(f'{path} is outside the Kea {self.version} root {self.root}') from None

    def argv(self, program: str, config_file: Path) -> list[str]:
        """The command line that starts `program` (kea-dhcp4, kea-dhcp6, kea-ctrl-agent) on a config file."""
        daemon = [str(_HOST_BINARIES / program), '-c', str(self.inside(config_file))]
        return daemon if self.root is None else [*enter_root(self.root, userns=self.userns), *daemon]

    def cmdline(self, program: str, config_file: Path) -> list[str]:
        """The command line the running daemon shows in /proc (unshare and chroot exec Kea)."""
        return [str(_HOST_BINARIES / program), '-c', str(self.inside(config_file))]

    def env(self, server_dir: Path) -> dict[str, str]:
        """The environment of a server's daemons: every Kea directory is the server's own."""
        inside = str(self.inside(server_dir))
        env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'KEA_PIDFILE_DIR': inside, 'KEA_LOCKFILE_DIR': inside}
        if self.path_checks:
            env |= {'KEA_CONTROL_SOCKET_DIR': inside, 'KEA_DHCP_DATA_DIR': inside, 'KEA_LOG_FILE_DIR': inside}
        return env


def runtime(version: str) -> KeaRuntime:
    """The runtime of a Kea version; for 2.6 and 3.0 the Debian root is unpacked or built first (kealab.roots),
    entered with chroot as root and through a user namespace otherwise."""
    if version not in KEA_VERSIONS:
        raise LabError(f'Kea version {version!r} is not available; choose one of {", ".join(KEA_VERSIONS)}')
    if version == '2.2':
        return KeaRuntime('2.2')
    from .roots import ensure_root

    return KeaRuntime(version, ensure_root(version), userns=os.geteuid() != 0)
