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

from .configs import (
    DHCP_MULTI_THREADING_22,
    ca_config,
    dhcp_config,
    http_socket_config,
    hub_subnet_config,
    peer_entry,
    relationship_config,
    subnet_config,
)
from .processes import KeaProcess, LabError, stop_pids
from .runtime import KEA_VERSIONS, KeaRuntime, runtime
from .server import LabServer, ServerPaths
from .tls import CertificateAuthority, TLSFiles

__all__ = ('DEFAULT_ROOT', 'MODES', 'KeaLab')

DEFAULT_ROOT = Path(__file__).resolve().parents[1] / '.work' / 'kealab'
MODES = ('load-balancing', 'hot-standby', 'passive-backup')
_SOCKET_PATH_MAX = 107
_USED_BLOCKS: set[int] = set()
_USED_LOCK = threading.Lock()


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


def _inside_tls(server: LabServer) -> TLSFiles | None:
    """A server's TLS files as its daemons see them (inside their root)."""
    if server.tls is None:
        return None
    rt = server.runtime
    return TLSFiles(rt.inside(server.tls.ca_file), rt.inside(server.tls.cert_file), rt.inside(server.tls.key_file))


class KeaLab:
    """Owns a working directory and every Kea process started in it; a context manager that always cleans up.

    `workdir`: the lab's directory (default: a fresh one under `.work/kealab/`, removed on close unless `keep`
    or the environment variable `KEALAB_KEEP=1`). `address`/`port`: see the module docstring. `detached`:
    processes survive this interpreter (used by the CLI's `up`). `kea`: the default Kea version of the servers
    built ('2.2' on the host; '2.6' and '3.0' run in Debian 13 roots built on first use, see `kealab.roots`).
    `startup_timeout`: seconds a daemon may take to answer after its start.
    """

    def __init__(
        self,
        workdir: Path | str | None = None,
        *,
        address: str | None = None,
        port: int | None = None,
        keep: bool | None = None,
        detached: bool = False,
        kea: str = '2.2',
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
        if kea not in KEA_VERSIONS:
            raise LabError(f'Kea version {kea!r} is not available; choose one of {", ".join(KEA_VERSIONS)}')
        self.kea = kea
        self._runtimes: dict[str, KeaRuntime] = {}
        self._root_dirs: list[Path] = []
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
        self.servers: list[LabServer] = []
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
        pids = [p.pid for s in self.servers for p in s.processes if p.pid is not None and p.alive]
        try:
            stop_pids(pids, grace)
        finally:
            for server in self.servers:
                for process in server.processes:
                    process.stop(0.5)
            if self._block is not None:
                with _USED_LOCK:
                    _USED_BLOCKS.discard(self._block)
            if self._short_dir is not None:
                shutil.rmtree(self._short_dir, ignore_errors=True)
            if self._owns_dir and not self.keep:
                shutil.rmtree(self.workdir, ignore_errors=True)
                for directory in self._root_dirs:
                    shutil.rmtree(directory, ignore_errors=True)

    def detach(self) -> None:
        """Leave every process running after this interpreter exits; `close` will not stop them any more."""
        for server in self.servers:
            for process in server.processes:
                process.detach()
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

    def _allocate_port(self, address: str) -> int:
        """A second port on a server's address (its dedicated HA listener): free now, or the lab's port + 1."""
        if self.port is None:
            return _free_port(address)
        port = self.port + 1
        if not 0 < port < 65536 or not _port_free(address, port):
            raise LabError(f'{address}:{port} (the HA listener next to port {self.port}) is not free')
        return port

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

    def runtime(self, version: str | None = None) -> KeaRuntime:
        """The runtime of a Kea version (default: the lab's); builds or unpacks its Debian root on first use."""
        version = version or self.kea
        if version not in self._runtimes:
            self._runtimes[version] = runtime(version)
        return self._runtimes[version]

    def _server_dir(self, kea: KeaRuntime, name: str) -> Path:
        if kea.root is None:
            server_dir = self.workdir / name
        else:
            # A daemon in a root only sees the root: its directory lives there, linked from the lab's workdir.
            base = kea.root / 'srv' / 'kv'
            base.mkdir(parents=True, exist_ok=True)
            server_dir = Path(tempfile.mkdtemp(prefix=f'{self.workdir.name}-{name}-', dir=base))
            self._root_dirs.append(server_dir)
            link = self.workdir / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(server_dir)
        server_dir.mkdir(parents=True, exist_ok=True)
        if kea.path_checks:
            server_dir.chmod(0o750)  # Kea 2.6.3 wants its socket directory at exactly 0750
        return server_dir

    def add_server(
        self,
        *,
        family: int = 4,
        auth: tuple[str, str] | None = None,
        tls: bool = False,
        cert_required: bool = True,
        kea: str | None = None,
    ) -> LabServer:
        """A new server with its directory, address, port and a plain DHCP config (no HA hook), not started."""
        if self._closed:
            raise LabError('the lab is closed')
        if family not in (4, 6):
            raise LabError(f'family must be 4 or 6, not {family!r}')
        rt = self.runtime(kea)
        name = f'server{len(self.servers) + 1}'
        address, port = self._allocate()
        server_dir = self._server_dir(rt, name)
        socket_path = server_dir / f'kea{family}-ctrl.sock'
        if rt.root is not None and len(str(socket_path)) > _SOCKET_PATH_MAX:
            raise LabError(f'socket path {socket_path} is longer than {_SOCKET_PATH_MAX} bytes')
        paths = ServerPaths(
            dir=server_dir,
            config_file=server_dir / f'kea-dhcp{family}.conf',
            ca_config_file=server_dir / 'kea-ctrl-agent.conf',
            socket=socket_path if rt.root is not None else self._socket_path(server_dir, family),
            leases=server_dir / f'kea-leases{family}.csv',
            log=server_dir / f'kea-dhcp{family}.log',
            ca_log=server_dir / 'kea-ctrl-agent.log',
            stdout=server_dir / f'kea-dhcp{family}.stdout',
            ca_stdout=server_dir / 'kea-ctrl-agent.stdout',
        )
        tls_files = None
        if tls:
            # Issued into the server's own directory, so that a daemon in a root can read them too.
            tls_files = self.certificate_authority().issue(name, (address,), server_dir / 'tls')
        env = rt.env(server_dir)
        program = f'kea-dhcp{family}'
        dhcp = KeaProcess(
            program,
            rt.argv(program, paths.config_file),
            env=env,
            cwd=server_dir,
            log_path=paths.log,
            stdout_path=paths.stdout,
            detached=self.detached,
            cmdline=rt.cmdline(program, paths.config_file),
        )
        ca = None
        if rt.control_agent:
            ca = KeaProcess(
                'kea-ctrl-agent',
                rt.argv('kea-ctrl-agent', paths.ca_config_file),
                env=env,
                cwd=server_dir,
                log_path=paths.ca_log,
                stdout_path=paths.ca_stdout,
                detached=self.detached,
                cmdline=rt.cmdline('kea-ctrl-agent', paths.ca_config_file),
            )
        server = LabServer(
            name=name,
            family=family,
            address=address,
            port=port,
            paths=paths,
            config={},
            ca_config={},
            dhcp=dhcp,
            ca=ca,
            runtime=rt,
            credentials=auth,
            tls=tls_files,
            startup_timeout=self.startup_timeout,
        )
        self._configure(server, [], cert_required=cert_required)
        self.servers.append(server)
        return server

    def _configure(
        self,
        server: LabServer,
        relationships: Sequence[Mapping[str, Any]],
        *,
        cert_required: bool = True,
        active: list[str] | None = None,
        subnets: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """(Re)build a server's DHCP and Control Agent configs, as its Kea version wants them. `subnets`: instead
        of the lab's one subnet (pools split between the `active` peers in load-balancing)."""
        rt, paths = server.runtime, server.paths
        inside_tls = _inside_tls(server)
        http_socket = None
        if not rt.control_agent:
            http_socket = http_socket_config(
                address=server.address,
                port=server.port,
                auth=server.credentials,
                tls=inside_tls,
                cert_required=cert_required,
            )
        server.config = dhcp_config(
            server.family,
            socket_path=rt.inside(paths.socket),
            lease_path=rt.inside(paths.leases),
            log_path=rt.inside(paths.log),
            data_dir=rt.inside(paths.dir),
            relationships=relationships,
            subnets=subnets or [subnet_config(server.family, server.mode, active or [], rt.version)],
            hooks_dir=rt.hooks_dir,
            extra_hooks=server.extra_hooks,
            version=rt.version,
            http_socket=http_socket,
            multi_threading=DHCP_MULTI_THREADING_22 if server.ha_port is not None and rt.version == '2.2' else None,
        )
        if server.ca is not None:
            server.ca_config = ca_config(
                server.family,
                address=server.address,
                port=server.port,
                socket_path=rt.inside(paths.socket),
                log_path=rt.inside(paths.ca_log),
                auth=server.credentials,
                tls=inside_tls,
                cert_required=cert_required,
            )

    def standalone(
        self,
        *,
        family: int = 4,
        auth: bool = False,
        tls: bool = False,
        cert_required: bool = True,
        kea: str | None = None,
        start: bool = True,
    ) -> LabServer:
        """One server without HA (no hook libraries at all); started unless `start=False`."""
        server = self.add_server(
            family=family, auth=self._credentials(auth), tls=tls, cert_required=cert_required, kea=kea
        )
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
        kea: str | Sequence[str] | None = None,
        dedicated_listener: bool = False,
        hooks: Sequence[str] = (),
        start: bool = True,
        wait: bool = False,
        timeout: float = 60.0,
    ) -> list[LabServer]:
        """Servers in one HA relationship, one per role (e.g. `('primary', 'secondary', 'backup')`).

        Peer URLs are the partners' Control Agent URLs (Kea 2.2 style; on 3.0 the partner's own HTTP control
        socket; 2.6 and 3.0 get `http-dedicated-listener: false`). `dedicated_listener`: each server gets a
        dedicated HA listener on a port of its own (`server.peer_url`, the default way since Kea 2.3.7; on 2.2
        with Kea's and HA's multi-threading switched on), and the peer URLs name those. `auth`: basic auth on
        every Control Agent (or 3.0 control socket), and the peers' entries carry the credentials. `tls`: every
        one of them serves TLS with a certificate of the lab's CA and requires client certificates; the
        relationship uses them too. `parameters` override the HA defaults (None drops a key). `kea`: the Kea
        version of every server, or one per role (a mixed-version relationship). `hooks`: more hook library file
        names loaded first on every server (`COMMANDS_HOOKS`: Kea 3.0's subnet, class and host commands). `start`:
        start the processes (CAs first); `wait`: also wait until HA has settled.
        """
        if mode not in MODES:
            raise LabError(f'unknown HA mode {mode!r}; expected one of {", ".join(MODES)}')
        roles = list(roles)
        versions = [kea] * len(roles) if kea is None or isinstance(kea, str) else list(kea)
        if len(versions) != len(roles):
            raise LabError(f'{len(versions)} Kea versions given for {len(roles)} roles')
        credentials = self._credentials(auth)
        servers = [self.add_server(family=family, auth=credentials, tls=tls, kea=v) for v in versions]
        for server in servers:
            server.extra_hooks = tuple(hooks)
        if dedicated_listener:
            for server in servers:
                server.ha_port = self._allocate_port(server.address)
        peers = [
            peer_entry(server.name, server.peer_url, role, auth=credentials)
            for server, role in zip(servers, roles, strict=True)
        ]
        active = [s.name for s, r in zip(servers, roles, strict=True) if r in ('primary', 'secondary')]
        for server, role in zip(servers, roles, strict=True):
            server.mode, server.role = mode, role
            relationship = relationship_config(
                server.name,
                mode,
                peers,
                parameters=parameters,
                tls=_inside_tls(server),
                version=server.version,
                dedicated_listener=dedicated_listener,
            )
            self._configure(server, [relationship], active=active)
        if start:
            self.start(servers)
            if wait:
                self.wait_ha(servers, timeout=timeout)
        return servers

    def load_balancing(self, *, backup: bool = False, **options: Any) -> list[LabServer]:
        """A load-balancing pair (primary, secondary), plus a backup when `backup`. Options: see `ha`."""
        return self.ha('load-balancing', ['primary', 'secondary'] + ['backup'] * backup, **options)

    def hot_standby(self, *, backup: bool = False, **options: Any) -> list[LabServer]:
        """A hot-standby pair (primary, standby), plus a backup when `backup`. Options: see `ha`."""
        return self.ha('hot-standby', ['primary', 'standby'] + ['backup'] * backup, **options)

    def passive_backup(self, *, backups: int = 1, **options: Any) -> list[LabServer]:
        """A passive-backup relationship: a primary and `backups` (0..n) backups. Options: see `ha`."""
        if backups < 0:
            raise LabError(f'backups must be 0 or more, not {backups}')
        return self.ha('passive-backup', ['primary'] + ['backup'] * backups, **options)

    def hub_and_spoke(
        self,
        spokes: int = 2,
        *,
        family: int = 4,
        auth: bool = False,
        parameters: Mapping[str, Any] | None = None,
        kea: str | None = None,
        start: bool = True,
        wait: bool = False,
        timeout: float = 60.0,
    ) -> list[LabServer]:
        """A hub (server1, the standby of every relationship) and `spokes` branches (server2, ..., each the primary
        of its own hot-standby relationship with the hub): Kea >= 2.6 only. The hub is named `<hub>-<branch>`
        in the relationship with that branch (`server1-server2`); each branch's subnet (`198.18.<n>.0/24`,
        `2001:db8:<n>::/64`) is on the hub too, its `user-context` naming the relationship that serves it. All
        names of the hub share its management URL as their peer URL (`http-dedicated-listener: false`).
        Options as in `ha`; returns `[hub, branch, ...]`.
        """
        if (kea or self.kea) == '2.2':
            raise LabError('hub-and-spoke needs Kea 2.6 or later (2.2 allows one relationship per server)')
        if spokes < 1:
            raise LabError(f'spokes must be 1 or more, not {spokes}')
        credentials = self._credentials(auth)
        servers = [self.add_server(family=family, auth=credentials, kea=kea) for _ in range(spokes + 1)]
        hub, branches = servers[0], servers[1:]
        hub_relationships, hub_subnets = [], []
        for index, branch in enumerate(branches, 1):
            hub_name = f'{hub.name}-{branch.name}'
            peers = [
                peer_entry(branch.name, branch.peer_url, 'primary', auth=credentials),
                peer_entry(hub_name, hub.peer_url, 'standby', auth=credentials),
            ]
            options = {'parameters': parameters, 'version': branch.version}
            branch.mode, branch.role = 'hot-standby', 'primary'
            self._configure(
                branch,
                [relationship_config(branch.name, 'hot-standby', peers, **options)],
                subnets=[hub_subnet_config(family, index, branch.name)],
            )
            hub_relationships.append(relationship_config(hub_name, 'hot-standby', peers, **options))
            hub_subnets.append(hub_subnet_config(family, index, hub_name))
        hub.mode, hub.role = 'hot-standby', 'standby'
        self._configure(hub, hub_relationships, subnets=hub_subnets)
        if start:
            self.start(servers)
            if wait:
                self.wait_ha(servers, timeout=timeout)
        return servers

    def _credentials(self, auth: bool) -> tuple[str, str] | None:
        return ('kealab', secrets.token_urlsafe(12)) if auth else None

    # --- running ------------------------------------------------------------------------------------------

    def start(self, servers: Iterable[LabServer]) -> None:
        """Write the configs and start the servers: every Control Agent first, then the DHCP servers."""
        servers = list(servers)
        for server in servers:
            server.write_config()
        for server in servers:
            if server.ca is not None and not server.ca.alive:
                server.start_ca()
        for server in servers:
            if not server.dhcp.alive:
                server.start_dhcp()

    def server(self, name: str) -> LabServer:
        """The server with this name."""
        for server in self.servers:
            if server.name == name:
                return server
        raise LabError(f'no server named {name!r} in this lab (have: {", ".join(s.name for s in self.servers)})')

    def wait_ha(
        self,
        servers: Iterable[LabServer],
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
        settled: dict[str, bool] = {}
        deadline = time.monotonic() + timeout
        while True:
            for server in servers:
                if not server.dhcp.alive:
                    raise LabError(
                        f'{server.name}: kea-dhcp{server.family} is not running '
                        f'(exit status {server.dhcp.returncode})\n{server.dhcp.log_tail()}'
                    )
                try:
                    seen = server.ha_states()
                except Exception as exc:  # reported on timeout
                    last[server.name] = f'unreadable ({type(exc).__name__}: {exc})'
                    settled[server.name] = False
                    continue
                # A hub's relationships each have a state: one word when they agree.
                last[server.name] = ','.join(dict.fromkeys(seen))
                settled[server.name] = all(state in wanted[server.name] for state in seen)
            if all(settled.values()):
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
