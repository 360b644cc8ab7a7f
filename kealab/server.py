"""A lab server: one kea-dhcp4/6 with its own Control Agent, loopback address, directory, config and logs."""

from __future__ import annotations

import json
import signal
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .control import http_command, unix_command
from .processes import KeaProcess, LabError
from .runtime import KeaRuntime
from .tls import TLSFiles

if TYPE_CHECKING:
    from netbox_kea_ha.kea.client import Endpoint
    from netbox_kea_ha.kea.ha import Relationship

__all__ = ('LabServer', 'ServerPaths')


@dataclass(frozen=True)
class ServerPaths:
    """Where a server's files live (all inside its own directory, except a too-long socket path)."""

    dir: Path
    config_file: Path
    ca_config_file: Path
    socket: Path
    leases: Path
    log: Path
    ca_log: Path
    stdout: Path
    ca_stdout: Path


@dataclass(eq=False)
class LabServer:
    """One Kea server of a lab. `config` is its DHCP config (`{"Dhcp4": {...}}`), written to `paths.config_file`.

    `runtime` says which Kea runs it (`version` '2.2' on the host; '2.6', '3.0' in a Debian root). Kea 2.2 and
    2.6 servers are reached through their Control Agent (`ca`); a 3.0 server through its own HTTP control
    socket (`ca` is None, `ca_config` empty). `ca_url` is that URL either way (also its HA peer URL).
    `mode` and `role` describe its place in the HA setup (None for a server without HA). `credentials` is the
    (user, password) of basic auth on that URL, or None. `tls` holds the CA bundle and the client certificate
    a client uses to reach it (host paths), or None. `ha_port`: the port of its dedicated HA listener, when its
    peers reach it there (`peer_url`) rather than at `ca_url`.
    """

    name: str
    family: int
    address: str
    port: int
    paths: ServerPaths
    config: dict[str, Any]
    ca_config: dict[str, Any]
    dhcp: KeaProcess
    ca: KeaProcess | None
    runtime: KeaRuntime = KeaRuntime('2.2')
    mode: str | None = None
    role: str | None = None
    credentials: tuple[str, str] | None = field(default=None, repr=False)
    tls: TLSFiles | None = None
    startup_timeout: float = 20.0
    ha_port: int | None = None
    #: Hook library file names loaded before lease_cmds and HA (e.g. Kea 3.0's `libdhcp_subnet_cmds.so`).
    extra_hooks: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            f'<LabServer {self.name} kea-{self.version} dhcp{self.family} {self.ca_url} mode={self.mode} '
            f'role={self.role} dhcp_pid={self.dhcp.pid} ca_pid={self.ca.pid if self.ca else None}>'
        )

    # --- identity -----------------------------------------------------------------------------------------

    @property
    def service(self) -> str:
        """`dhcp4` or `dhcp6`: the Control Agent service this server is."""
        return f'dhcp{self.family}'

    @property
    def version(self) -> str:
        """The Kea version: '2.2', '2.6' or '3.0'."""
        return self.runtime.version

    @property
    def api_service(self) -> str | None:
        """The `service` a command to `ca_url` carries: None for a 3.0 server's own HTTP control socket."""
        return self.service if self.ca is not None else None

    @property
    def ca_url(self) -> str:
        """The Control Agent's URL (on 3.0 the server's own HTTP control socket); also its peer URL unless it has a
        dedicated HA listener (`peer_url`)."""
        scheme = 'https' if self.tls else 'http'
        return f'{scheme}://{self.address}:{self.port}/'

    @property
    def peer_url(self) -> str:
        """This server's URL in its peers' HA config: its dedicated HA listener, or else `ca_url`."""
        if self.ha_port is None:
            return self.ca_url
        scheme = 'https' if self.tls else 'http'
        return f'{scheme}://{self.address}:{self.ha_port}/'

    @property
    def pids(self) -> dict[str, int | None]:
        """PIDs of the last start of each daemon: `{"dhcp": ..., "ca": ...}` (ca None without a Control Agent)."""
        return {'dhcp': self.dhcp.pid, 'ca': self.ca.pid if self.ca else None}

    @property
    def processes(self) -> list[KeaProcess]:
        """The daemons of this server (Control Agent first, when there is one)."""
        return [p for p in (self.ca, self.dhcp) if p is not None]

    @property
    def relationship(self) -> Relationship | None:
        """The (first) HA relationship of the config as a typed value, or None without an HA hook."""
        relationships = self.relationships
        return relationships[0] if relationships else None

    @property
    def relationships(self) -> list[Relationship]:
        """Every HA relationship of the config (several on a hub), as typed values."""
        from netbox_kea_ha.kea.ha import Relationship

        for hook in self.config[f'Dhcp{self.family}'].get('hooks-libraries', []):
            if hook.get('library', '').endswith('libdhcp_ha.so'):
                return [Relationship.from_kea(r) for r in hook['parameters']['high-availability']]
        return []

    @property
    def operational_state(self) -> str | None:
        """The HA state this server settles in when all is well (`backup` for a backup), or None without HA."""
        if self.mode is None:
            return None
        return 'backup' if self.role == 'backup' else self.mode

    def endpoint(self, **overrides: Any) -> Endpoint:
        """The client's `Endpoint` for this server's Control Agent (credentials and TLS files included)."""
        from netbox_kea_ha.kea.client import Endpoint

        values: dict[str, Any] = {'url': self.ca_url, 'service': self.api_service}
        if self.credentials:
            values['username'], values['password'] = self.credentials
        if self.tls:
            values['ca_file'] = str(self.tls.ca_file)
            values['cert_file'] = str(self.tls.cert_file)
            values['key_file'] = str(self.tls.key_file)
        return Endpoint(**(values | overrides))

    # --- config -------------------------------------------------------------------------------------------

    def write_config(self) -> None:
        """Write `config` and `ca_config` to their files (done by the lab before every start)."""
        self.paths.dir.mkdir(parents=True, exist_ok=True)
        self.paths.config_file.write_text(json.dumps(self.config, indent=2) + '\n')
        if self.ca is not None:
            self.paths.ca_config_file.write_text(json.dumps(self.ca_config, indent=2) + '\n')

    def read_config_file(self) -> dict[str, Any]:
        """The DHCP config file as it is on disk now (config-write may have rewritten it)."""
        return dict(json.loads(self.paths.config_file.read_text()))

    # --- commands (the lab's own, independent of the client under test) --------------------------------------

    def _ssl_context(self) -> ssl.SSLContext | bool:
        if not self.tls:
            return True
        context = ssl.create_default_context(cafile=str(self.tls.ca_file))
        context.load_cert_chain(str(self.tls.cert_file), str(self.tls.key_file))
        return context

    def command(
        self, command: str, arguments: Mapping[str, Any] | None = None, *, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Send a command to the DHCP server (through its Control Agent, or to its own HTTP socket on 3.0); the
        answer map (any result)."""
        return http_command(
            self.ca_url,
            command,
            arguments,
            service=self.api_service,
            auth=self.credentials,
            verify=self._ssl_context(),
            timeout=timeout,
        )

    def socket_command(
        self, command: str, arguments: Mapping[str, Any] | None = None, *, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Send a command straight to the DHCP server's unix control socket (no Control Agent)."""
        return unix_command(self.paths.socket, command, arguments, timeout=timeout)

    def ha_state(self, timeout: float = 3.0) -> str:
        """The local HA state (of the first relationship) from `status-get` through the Control Agent (raises
        when it cannot be read)."""
        return self.ha_states(timeout)[0]

    def ha_states(self, timeout: float = 3.0) -> list[str]:
        """The local HA state of each relationship (several on a hub), from `status-get`."""
        answer = self.command('status-get', timeout=timeout)
        if answer.get('result') != 0:
            raise LabError(f'{self.name}: status-get result {answer.get("result")}: {answer.get("text")}')
        relationships = answer.get('arguments', {}).get('high-availability')
        if not relationships:
            raise LabError(f'{self.name}: status-get has no high-availability section')
        return [str(r['ha-servers']['local']['state']) for r in relationships]

    # --- processes ----------------------------------------------------------------------------------------

    def _ca(self) -> KeaProcess:
        if self.ca is None:
            raise LabError(f'{self.name} (Kea {self.version}) has no Control Agent')
        return self.ca

    def start_ca(self) -> int:
        """Start the Control Agent from its config file and wait until it accepts connections; its PID."""

        def ready(pid: int) -> bool:
            http_command(self.ca_url, 'list-commands', auth=self.credentials, verify=self._ssl_context(), timeout=1.0)
            return True

        return self._started(self._ca(), self.ca_url, ready)

    def start_dhcp(self) -> int:
        """Start kea-dhcp from its config file and wait until its control socket answers; its PID."""

        def ready(pid: int) -> bool:
            return self.socket_command('status-get', timeout=1.0).get('arguments', {}).get('pid') == pid

        return self._started(self.dhcp, str(self.paths.socket), ready)

    def _started(self, process: KeaProcess, where: str, ready: Callable[[int], bool]) -> int:
        """Start a daemon and poll `ready(pid)` until it is true (bounded by `startup_timeout`); its PID. A daemon
        that exits raises at once, with the tail of its log; one that does not answer in time is stopped."""
        pid = process.start()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if not process.alive:
                raise LabError(
                    f'{self.name}: {process.kind} exited with status {process.returncode} at startup\n'
                    f'{process.log_tail()}'
                )
            try:
                if ready(pid):
                    return pid
                problem = 'another process answered'
            except Exception as exc:  # any failure means: not ready yet
                problem = str(exc)
            if time.monotonic() > deadline:
                process.stop()
                raise LabError(
                    f'{self.name}: {process.kind} did not answer on {where} within {self.startup_timeout} s '
                    f'({problem})\n{process.log_tail()}'
                )
            time.sleep(0.05)

    def start(self) -> None:
        """Write the configs, then start the Control Agent and the DHCP server (those not running)."""
        self.write_config()
        if self.ca is not None and not self.ca.alive:
            self.start_ca()
        if not self.dhcp.alive:
            self.start_dhcp()

    def kill_dhcp(self, sig: int = signal.SIGKILL) -> None:
        """Signal the DHCP server (default SIGKILL) and wait until it is gone."""
        self.dhcp.kill(sig)

    def kill_ca(self, sig: int = signal.SIGKILL) -> None:
        """Signal the Control Agent (default SIGKILL) and wait until it is gone."""
        self._ca().kill(sig)

    def restart_dhcp(self) -> int:
        """Stop the DHCP server gracefully if it runs and start it again from its config file."""
        self.dhcp.stop()
        return self.start_dhcp()

    def stop(self, grace: float = 5.0) -> None:
        """Stop both daemons (SIGTERM, then SIGKILL after `grace`)."""
        for process in self.processes:
            process.stop(grace)

    def log_lines(self, process: str = 'dhcp') -> list[str]:
        """Lines of the `dhcp` (default) or `ca` log file so far."""
        return (self.dhcp if process == 'dhcp' else self._ca()).log_lines()

    def to_json(self) -> dict[str, Any]:
        """What `lab.json` records about this server (the password included: the demo needs it)."""
        return {
            'name': self.name,
            'kea': self.version,
            'family': self.family,
            'service': self.api_service,
            'mode': self.mode,
            'role': self.role,
            'address': self.address,
            'port': self.port,
            'url': self.ca_url,
            'peer_url': self.peer_url,
            'username': self.credentials[0] if self.credentials else None,
            'password': self.credentials[1] if self.credentials else None,
            'pids': self.pids,
            'argv': {'dhcp': self.dhcp.argv, 'ca': self.ca.argv if self.ca else None},
            'cmdline': {'dhcp': self.dhcp.cmdline, 'ca': self.ca.cmdline if self.ca else None},
            'paths': {key: str(value) for key, value in vars(self.paths).items()},
            'tls': {key: str(value) for key, value in vars(self.tls).items()} if self.tls else None,
        }
