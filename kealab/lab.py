"""`KeaLab`: a working directory and every Kea process started in it, with builders for HA setups.

    with KeaLab() as lab:
        server1, server2 = lab.load_balancing()
        lab.wait_ha([server1, server2])
        ...                         # every process is stopped when the block ends, even after an error

Servers are named server1, server2, ... in the order they are built, each on its own loopback address
(127.0.<block>.<n>, one random block per lab) and its own free Control Agent port, unless `address`/`port` are
given (then consecutive addresses from `address`, all on `port`, like real servers on their own hosts).
"""

from __future__ import annotations

import ipaddress
import os
import random
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .configs import HOOKS_DIR, ca_config, dhcp_config, peer_entry, relationship_config, subnet_config
from .processes import KeaProcess, LabError, stop_pids
from .server import KeaServer, ServerPaths
from .tls import CertificateAuthority, TLSFiles

__all__ = ('DEFAULT_ROOT', 'MODES', 'KeaInstall', 'KeaLab')

DEFAULT_ROOT = Path(__file__).resolve().parents[1] / '.work' / 'kealab'
MODES = ('load-balancing', 'hot-standby', 'passive-backup')
_SOCKET_PATH_MAX = 107
_USED_BLOCKS: set[int] = set()
_USED_LOCK = threading.Lock()


class KeaInstall:
    """Where the Kea binaries and hooks are (default: Debian 12's Kea 2.2 packages)."""

    def __init__(
        self,
        dhcp4: str = '/usr/sbin/kea-dhcp4',
        dhcp6: str = '/usr/sbin/kea-dhcp6',
        ctrl_agent: str = '/usr/sbin/kea-ctrl-agent',
        hooks_dir: Path = HOOKS_DIR,
    ) -> None:
        self.dhcp4 = dhcp4
        self.dhcp6 = dhcp6
        self.ctrl_agent = ctrl_agent
        self.hooks_dir = hooks_dir

    def dhcp(self, family: int) -> str:
        """The kea-dhcp4 or kea-dhcp6 binary."""
        return self.dhcp4 if family == 4 else self.dhcp6


def _port_free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def _loopback(address: str) -> ipaddress.IPv4Address:
    try:
        value = ipaddress.IPv4Address(address)
    except ValueError:
        raise LabError(f'address {address!r} is not an IPv4 address') from None
    if not value.is_loopback:
        raise LabError(f'address {address} is not in 127.0.0.0/8: the lab only runs on loopback')
    return value


class KeaLab:
    """Owns a working directory and every Kea process started in it; a context manager that always cleans up.

    `workdir`: the lab's directory (default: a fresh one under `.work/kealab/`, removed on close unless `keep`
    or the environment variable `KEALAB_KEEP=1`). `address`/`port`: see the module docstring. `detached`:
    processes survive this interpreter (used by the CLI's `up`). `startup_timeout`: seconds a daemon may take
    to answer after its start.
    """

    def __init__(
        self,
        workdir: Path | str | None = None,
        *,
        address: str | None = None,
        port: int | None = None,
        keep: bool | None = None,
        detached: bool = False,
        install: KeaInstall | None = None,
        startup_timeout: float = 20.0,
    ) -> None:
        if workdir is None:
            DEFAULT_ROOT.mkdir(parents=True, exist_ok=True)
            self.workdir = Path(tempfile.mkdtemp(prefix='lab-', dir=DEFAULT_ROOT))
            self._owns_dir = True
        else:
            self.workdir = Path(workdir).resolve()
            self.workdir.mkdir(parents=True, exist_ok=True)
            self._owns_dir = False
        self.keep = keep if keep is not None else os.environ.get('KEALAB_KEEP') == '1'
        self.detached = detached
        self.install = install or KeaInstall()
        self.startup_timeout = startup_timeout
        if port is not None and not 0 < port < 65536:
            raise LabError(f'port {port} is out of range 1-65535')
        self.port = port
        self._block: int | None = None
        if address is not None:
            self._next_address = _loopback(address)
        else:
            self._next_address = self._random_block()
        self._short_dir: Path | None = None
        self._ca: CertificateAuthority | None = None
        self.servers: list[KeaServer] = []
        self._closed = False

    def _random_block(self) -> ipaddress.IPv4Address:
        with _USED_LOCK:
            free = [b for b in range(1, 255) if b not in _USED_BLOCKS]
            if not free:
                raise LabError('no free 127.0.x.0/24 block left in this process')
            block = random.choice(free)
            _USED_BLOCKS.add(block)
        self._block = block
        return ipaddress.IPv4Address(f'127.0.{block}.1')

    # --- context manager ----------------------------------------------------------------------------------

    def __enter__(self) -> KeaLab:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f'<KeaLab {self.workdir} servers={[s.name for s in self.servers]}>'

    def close(self, grace: float = 5.0) -> None:
        """Stop every process of the lab (SIGTERM all, SIGKILL after `grace`), then remove an owned workdir."""
        if self._closed:
            return
        self._closed = True
        pids = [p.pid for s in self.servers for p in (s.dhcp, s.ca) if p.pid is not None and p.alive]
        try:
            stop_pids(pids, grace)
        finally:
            for server in self.servers:
                for process in (server.dhcp, server.ca):
                    process.poll()
                    process.stop(0.5)
            if self._block is not None:
                with _USED_LOCK:
                    _USED_BLOCKS.discard(self._block)
            if self._short_dir is not None:
                shutil.rmtree(self._short_dir, ignore_errors=True)
            if self._owns_dir and not self.keep:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def detach(self) -> None:
        """Leave every process running after this interpreter exits; `close` will not stop them any more."""
        for server in self.servers:
            server.dhcp.detach()
            server.ca.detach()
        self._closed = True

    # --- allocation ---------------------------------------------------------------------------------------

    def _allocate(self) -> tuple[str, int]:
        current = self._next_address
        if not current.is_loopback or str(current).endswith('.255'):
            raise LabError(f'ran out of loopback addresses at {current}')
        self._next_address = current + 1
        address = str(current)
        if self.port is None:
            return address, _free_port(address)
        if not _port_free(address, self.port):
            raise LabError(f'{address}:{self.port} is already in use')
        return address, self.port

    def _socket_path(self, server_dir: Path, family: int) -> Path:
        path = server_dir / f'kea{family}-ctrl.sock'
        if len(str(path)) <= _SOCKET_PATH_MAX:
            return path
        # UNIX socket paths are limited to 107 bytes: fall back to a short directory under /tmp.
        if self._short_dir is None:
            self._short_dir = Path(tempfile.mkdtemp(prefix='kealab-'))
        return self._short_dir / f'{server_dir.name}-{family}.sock'

    def certificate_authority(self) -> CertificateAuthority:
        """The lab's throw-away CA (made on first use, in `<workdir>/tls`)."""
        if self._ca is None:
            self._ca = CertificateAuthority(self.workdir / 'tls')
        return self._ca

    # --- building servers ---------------------------------------------------------------------------------

    def add_server(
        self,
        *,
        family: int = 4,
        auth: tuple[str, str] | None = None,
        tls: bool = False,
        cert_required: bool = True,
    ) -> KeaServer:
        """A new server with its directory, address, port and a plain DHCP config (no HA hook), not started."""
        if self._closed:
            raise LabError('the lab is closed')
        if family not in (4, 6):
            raise LabError(f'family must be 4 or 6, not {family!r}')
        name = f'server{len(self.servers) + 1}'
        address, port = self._allocate()
        server_dir = self.workdir / name
        server_dir.mkdir(parents=True, exist_ok=True)
        paths = ServerPaths(
            dir=server_dir,
            config_file=server_dir / f'kea-dhcp{family}.conf',
            ca_config_file=server_dir / 'kea-ctrl-agent.conf',
            socket=self._socket_path(server_dir, family),
            leases=server_dir / f'kea-leases{family}.csv',
            log=server_dir / f'kea-dhcp{family}.log',
            ca_log=server_dir / 'kea-ctrl-agent.log',
            stdout=server_dir / f'kea-dhcp{family}.stdout',
            ca_stdout=server_dir / 'kea-ctrl-agent.stdout',
        )
        tls_files: TLSFiles | None = self.certificate_authority().issue(name, (address,)) if tls else None
        env = {
            'PATH': os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin'),
            'KEA_PIDFILE_DIR': str(server_dir),
            'KEA_LOCKFILE_DIR': str(server_dir),
        }
        dhcp = KeaProcess(
            f'kea-dhcp{family}',
            [self.install.dhcp(family), '-c', str(paths.config_file)],
            env=env,
            cwd=server_dir,
            log_path=paths.log,
            stdout_path=paths.stdout,
            detached=self.detached,
        )
        ca = KeaProcess(
            'kea-ctrl-agent',
            [self.install.ctrl_agent, '-c', str(paths.ca_config_file)],
            env=env,
            cwd=server_dir,
            log_path=paths.ca_log,
            stdout_path=paths.ca_stdout,
            detached=self.detached,
        )
        server = KeaServer(
            name=name,
            family=family,
            address=address,
            port=port,
            paths=paths,
            config=dhcp_config(
                family,
                socket_path=paths.socket,
                lease_path=paths.leases,
                log_path=paths.log,
                data_dir=server_dir,
                relationship=None,
                subnet=subnet_config(family, None),
                hooks_dir=self.install.hooks_dir,
            ),
            ca_config=ca_config(
                family,
                address=address,
                port=port,
                socket_path=paths.socket,
                log_path=paths.ca_log,
                auth=auth,
                tls=tls_files,
                cert_required=cert_required,
            ),
            dhcp=dhcp,
            ca=ca,
            credentials=auth,
            tls=tls_files,
            startup_timeout=self.startup_timeout,
        )
        self.servers.append(server)
        return server

    def standalone(
        self, *, family: int = 4, auth: bool = False, tls: bool = False, cert_required: bool = True, start: bool = True
    ) -> KeaServer:
        """One server without HA (lease_cmds only is not loaded either); started unless `start=False`."""
        server = self.add_server(family=family, auth=self._credentials(auth), tls=tls, cert_required=cert_required)
        if start:
            self.start([server])
        return server

    def ha(
        self,
        mode: str,
        roles: Sequence[str],
        *,
        family: int = 4,
        auth: bool = False,
        tls: bool = False,
        parameters: Mapping[str, Any] | None = None,
        start: bool = True,
        wait: bool = False,
        timeout: float = 60.0,
    ) -> list[KeaServer]:
        """Servers in one HA relationship, one per role (e.g. `('primary', 'secondary', 'backup')`).

        Peer URLs are the partners' Control Agent URLs (Kea 2.2 style). `auth`: basic auth on every Control
        Agent, and the peers' entries carry the credentials. `tls`: every Control Agent serves TLS with a
        certificate of the lab's CA and requires client certificates; the relationship uses them too.
        `parameters` override the HA defaults (None drops a key). `start`: start the processes (CAs first);
        `wait`: also wait until HA has settled.
        """
        if mode not in MODES:
            raise LabError(f'unknown HA mode {mode!r}; expected one of {", ".join(MODES)}')
        roles = list(roles)
        credentials = self._credentials(auth)
        servers = [self.add_server(family=family, auth=credentials, tls=tls) for _ in roles]
        peers = [
            peer_entry(server.name, server.ca_url, role, auth=credentials)
            for server, role in zip(servers, roles, strict=True)
        ]
        active = [s.name for s, r in zip(servers, roles, strict=True) if r in ('primary', 'secondary')]
        subnet = subnet_config(family, mode, active)
        for server, role in zip(servers, roles, strict=True):
            server.mode, server.role = mode, role
            relationship = relationship_config(server.name, mode, peers, parameters=parameters, tls=server.tls)
            server.config = dhcp_config(
                family,
                socket_path=server.paths.socket,
                lease_path=server.paths.leases,
                log_path=server.paths.log,
                data_dir=server.paths.dir,
                relationship=relationship,
                subnet=subnet,
                hooks_dir=self.install.hooks_dir,
            )
        if start:
            self.start(servers)
            if wait:
                self.wait_ha(servers, timeout=timeout)
        return servers

    def load_balancing(self, *, backup: bool = False, **options: Any) -> list[KeaServer]:
        """A load-balancing pair (primary, secondary), plus a backup when `backup`. Options: see `ha`."""
        return self.ha('load-balancing', ['primary', 'secondary'] + ['backup'] * backup, **options)

    def hot_standby(self, *, backup: bool = False, **options: Any) -> list[KeaServer]:
        """A hot-standby pair (primary, standby), plus a backup when `backup`. Options: see `ha`."""
        return self.ha('hot-standby', ['primary', 'standby'] + ['backup'] * backup, **options)

    def passive_backup(self, *, backups: int = 1, **options: Any) -> list[KeaServer]:
        """A passive-backup relationship: a primary and `backups` (0..n) backups. Options: see `ha`."""
        if backups < 0:
            raise LabError(f'backups must be 0 or more, not {backups}')
        return self.ha('passive-backup', ['primary'] + ['backup'] * backups, **options)

    def _credentials(self, auth: bool) -> tuple[str, str] | None:
        return ('kealab', secrets.token_urlsafe(12)) if auth else None

    # --- running ------------------------------------------------------------------------------------------

    def start(self, servers: Iterable[KeaServer]) -> None:
        """Write the configs and start the servers: every Control Agent first, then the DHCP servers."""
        servers = list(servers)
        for server in servers:
            server.write_config()
        for server in servers:
            if not server.ca.alive:
                server.start_ca()
        for server in servers:
            if not server.dhcp.alive:
                server.start_dhcp()

    def server(self, name: str) -> KeaServer:
        """The server with this name."""
        for server in self.servers:
            if server.name == name:
                return server
        raise LabError(f'no server named {name!r} in this lab (have: {", ".join(s.name for s in self.servers)})')

    def wait_ha(
        self,
        servers: Iterable[KeaServer],
        timeout: float = 60.0,
        states: Mapping[str, str | Iterable[str]] | None = None,
    ) -> dict[str, str]:
        """Poll `status-get` until every server is in its operational HA state; the states reached.

        The operational state is the mode's (load-balancing / hot-standby / passive-backup), `backup` for a
        backup; `states` can ask for others by server name. On timeout, raises `LabError` naming each server's
        last state (or why it could not be read). A DHCP server that died raises at once, with its log.
        """
        servers = list(servers)
        wanted: dict[str, set[str]] = {}
        for server in servers:
            target: str | Iterable[str] | None = (states or {}).get(server.name, server.operational_state)
            if target is None:
                raise LabError(f'{server.name} has no HA relationship to wait for')
            wanted[server.name] = {target} if isinstance(target, str) else set(target)
        last: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        while True:
            for server in servers:
                if not server.dhcp.alive:
                    raise LabError(
                        f'{server.name}: kea-dhcp{server.family} is not running '
                        f'(exit status {server.dhcp.returncode})\n{server.dhcp.log_tail()}'
                    )
                try:
                    last[server.name] = server.ha_state()
                except Exception as exc:  # reported on timeout
                    last[server.name] = f'unreadable ({type(exc).__name__}: {exc})'
            if all(last[s.name] in wanted[s.name] for s in servers):
                return last
            if time.monotonic() >= deadline:
                summary = ', '.join(
                    f'{s.name} {last[s.name]} (want {"/".join(sorted(wanted[s.name]))})' for s in servers
                )
                raise LabError(f'HA did not settle within {timeout} s: {summary}')
            time.sleep(0.2)

    def to_json(self) -> dict[str, Any]:
        """What `lab.json` records: the lab's directory and every server."""
        return {'workdir': str(self.workdir), 'servers': [server.to_json() for server in self.servers]}
