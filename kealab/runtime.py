"""Which Kea runs a lab server: the host's Kea 2.2, or Kea 2.6 / 3.0 inside a Debian 13 root (`kealab.roots`).

A daemon in a root runs as `chroot <root> /usr/sbin/kea-dhcp4 -c <path inside>` (chroot execs Kea, so the PID is
Kea's). Paths in its config are the paths inside the root; `inside()` and `host()` convert.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .configs import HOOKS_DIR
from .processes import LabError

__all__ = ('KEA_VERSIONS', 'KeaRuntime', 'runtime')

#: The Kea versions a lab can run: 2.2 from the host, 2.6 and 3.0 from Debian 13 roots.
KEA_VERSIONS = ('2.2', '2.6', '3.0')

_HOST_BINARIES = Path('/usr/sbin')


@dataclass(frozen=True)
class KeaRuntime:
    """A Kea version and where it runs (`root` None: on the host)."""

    version: str
    root: Path | None = None
    hooks_dir: Path = HOOKS_DIR

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
        return daemon if self.root is None else ['chroot', str(self.root), *daemon]

    def cmdline(self, program: str, config_file: Path) -> list[str]:
        """The command line the running daemon shows in /proc (chroot execs Kea)."""
        return [str(_HOST_BINARIES / program), '-c', str(self.inside(config_file))]

    def env(self, server_dir: Path) -> dict[str, str]:
        """The environment of a server's daemons: every Kea directory is the server's own."""
        inside = str(self.inside(server_dir))
        env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'KEA_PIDFILE_DIR': inside, 'KEA_LOCKFILE_DIR': inside}
        if self.path_checks:
            env |= {'KEA_CONTROL_SOCKET_DIR': inside, 'KEA_DHCP_DATA_DIR': inside, 'KEA_LOG_FILE_DIR': inside}
        return env


def runtime(version: str) -> KeaRuntime:
    """The runtime of a Kea version; for 2.6 and 3.0 the Debian root is unpacked or built first (kealab.roots)."""
    if version not in KEA_VERSIONS:
        raise LabError(f'Kea version {version!r} is not available; choose one of {", ".join(KEA_VERSIONS)}')
    if version == '2.2':
        return KeaRuntime('2.2')
    from .roots import ensure_root

    return KeaRuntime(version, ensure_root(version))
