"""`NetnsDhcpLab`: a Kea load-balancing pair serving real DHCPv4 traffic between two network namespaces.

    if not (why := available()):
        print(f'skipped: {why.reason}')          # not root, no ip/perfdhcp, no network namespaces
    with NetnsDhcpLab(kea='2.2', leases=10_000) as lab:
        server1, server2 = lab.servers        # LabServer: ca_url (reachable from here), credentials, config, ...
        result = lab.measure(duration=30, rate=200, during=push, at=5.0)
        print(result.summary())               # lost / sent, zero-service windows, HA states, leases equal

What it builds (names carry this process's PID and a counter, so labs never collide):

- two network namespaces, `kln<pid>-<n>-s` (servers) and `kln<pid>-<n>-c` (client), joined by a veth pair
  (`kl<pid>x<n>s` / `kl<pid>x<n>c`); loopback up in both. Test addresses from 198.18.0.0/15 only, inside them:
  server1 198.18.0.1/15 and server2 198.18.0.2/15 on the server end, the client 198.19.255.254/15;
- one subnet, 198.18.0.0/15 (id 1), pools split by the HA classes: `HA_server1` 198.18.1.0-198.18.255.255,
  `HA_server2` 198.19.0.0-198.19.254.255; `leases` leases seeded in both servers' lease files (identical);
- a Kea load-balancing pair (server1 primary, server2 secondary; the recipe's timers, `DEFAULT_HA_PARAMETERS`)
  whose two kea-dhcp4 listen on the same server-side interface with raw sockets, each on its own address
  (`<if>/198.18.0.n`: both see every broadcast; each answers from its own address);
- HA inside the server namespace, over its loopback: each peer's URL is `http://127.0.x.y:port/`, served
  there by a Control Agent in the namespace (Kea 2.2), or by the server's own HTTP control socket (Kea 3.0);
- the same URL reachable from the host namespace, where the plugin under test runs: Kea 2.2 runs a second
  Control Agent per server in the host namespace on that address and port, forwarding to the server's UNIX
  control socket (UNIX sockets cross network namespaces through the filesystem); Kea 3.0 has no Control Agent
  to do that (its agent would answer `config-get` itself), so a TCP relay in this process accepts on that
  address and port in the host namespace and connects to the same address and port inside the server
  namespace. Either way `server.ca_url` means the same server from both sides, as a real deployment's does.

`measure` runs perfdhcp in the client namespace and a packet sniffer on the client's interface (see
`kealab.dhcpload`). `close` (or leaving the `with` block, also after an exception) stops every process it
started by PID, closes the relays, deletes the veth pair and both namespaces, and removes the lab's directory.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import ipaddress
import itertools
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from .configs import DEFAULT_HA_PARAMETERS, LOG_PATTERN
from .control import unix_command
from .dhcpload import (
    ACK,
    DISCOVER,
    OFFER,
    PERFDHCP,
    STARTED,
    AnswerSniffer,
    HATransition,
    Measurement,
    parse_perfdhcp,
    perfdhcp_argv,
    scope_of,
    silent_windows,
)
from .lab import KeaLab
from .processes import KeaProcess, LabError, stop_pids
from .server import LabServer

__all__ = (
    'CLIENT_ADDRESS',
    'POOLS',
    'SERVER_ADDRESSES',
    'TEST_NETWORK',
    'Availability',
    'NetnsDhcpLab',
    'available',
    'netns_call',
)


#: The DHCP test range: the only addresses the lab's DHCP traffic uses, and only inside its own namespaces.
TEST_NETWORK = ipaddress.IPv4Network('198.18.0.0/15')
#: server1's and server2's addresses on the server end of the veth pair.
SERVER_ADDRESSES = ('198.18.0.1', '198.18.0.2')
#: The client end (perfdhcp's relay address, giaddr).
CLIENT_ADDRESS = '198.19.255.254'
#: The load-balancing pools: (scope, first, last).
POOLS = (
    ('server1', ipaddress.IPv4Address('198.18.1.0'), ipaddress.IPv4Address('198.18.255.255')),
    ('server2', ipaddress.IPv4Address('198.19.0.0'), ipaddress.IPv4Address('198.19.254.255')),
)
_CAPACITY = sum(int(last) - int(first) + 1 for _, first, last in POOLS)
_SEED_LIFETIME = 86400
_CLONE_NEWNET = 0x40000000
_NETNS_DIR = Path('/run/netns')
_COUNTER = itertools.count(1)
_LIVE: dict[int, NetnsDhcpLab] = {}
_LIVE_LOCK = threading.Lock()
_LOG_TIME = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ')
_TRANSITION = re.compile(r'HA_STATE_TRANSITION (?:\S+: )?server transitions from (\S+) to (\S+) state')
_STARTED = re.compile(r'HA_SERVICE_STARTED (?:\S+: )?started high availability service')
_SYNC = re.compile(
    r'HA_SYNC_SUCCESSFUL (?:\S+: )?lease database synchronization with .*? completed successfully in ([\d.]+) ?(\w+)'
)


# --- what this machine allows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Availability:
    """Whether a `NetnsDhcpLab` can run here (truthy) and, if not, why (`reason`)."""

    ok: bool
    reason: str = ''

    def __bool__(self) -> bool:
        return self.ok


def _setns(fd: int) -> None:
    if hasattr(os, 'setns'):
        os.setns(fd, _CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, _CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def netns_call[T](name: str, function: Callable[[], T]) -> T:
    """Run `function` in a short-lived thread that has entered the network namespace `name` (from
    /run/netns/<name>) and return what it returns. Sockets it creates stay in that namespace (a socket belongs to
    the namespace it was created in), so the caller can use them from any thread; this thread is unaffected."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            fd = os.open(_NETNS_DIR / name, os.O_RDONLY | os.O_CLOEXEC)
            try:
                _setns(fd)
            finally:
                os.close(fd)
            box['value'] = function()
        except BaseException as exc:  # handed to the caller
            box['error'] = exc

    thread = threading.Thread(target=run, name=f'netns-{name}', daemon=True)
    thread.start()
    thread.join()
    if 'error' in box:
        raise box['error']
    return box['value']  # type: ignore[no-any-return]


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(['ip', *args], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise LabError(f'ip {" ".join(args)} failed ({result.returncode}): {result.stderr.strip()}')
    return result


@functools.cache
def _netns_probe() -> str | None:
    """Why network namespaces cannot be made here (None: a probe namespace was made and deleted)."""
    name = f'kln{os.getpid()}-probe'
    try:
        result = _ip('netns', 'add', name, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f'ip netns add failed: {exc}'
    if result.returncode != 0:
        return f'ip netns add failed: {result.stderr.strip() or result.returncode}'
    problem = None
    try:
        netns_call(name, lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close())
    except OSError as exc:
        problem = f'cannot enter a network namespace (setns): {exc}'
    finally:
        _ip('netns', 'delete', name, check=False)
    return problem


def available(kea: str = '2.2') -> Availability:
    """Whether a `NetnsDhcpLab` of Kea `kea` can run here; falsy with the reason when not (not root, no `ip`, no
    perfdhcp, no Kea, no network namespaces, Kea 2.6/3.0's Debian root not built)."""
    if os.geteuid() != 0:
        return Availability(False, 'needs root (network namespaces, veth links, raw DHCP sockets)')
    if shutil.which('ip') is None:
        return Availability(False, 'needs the ip command (apt-get install iproute2)')
    if not os.access(PERFDHCP, os.X_OK):
        return Availability(False, f'needs {PERFDHCP} (apt-get install kea-admin)')
    if kea == '2.2':
        for program in ('kea-dhcp4', 'kea-ctrl-agent'):
            if not os.access(f'/usr/sbin/{program}', os.X_OK):
                return Availability(False, f'needs /usr/sbin/{program} (Kea 2.2 from Debian)')
    elif kea in ('2.6', '3.0'):
        from .roots import root_ready

        if not root_ready(kea):
            return Availability(False, f'the Debian root of Kea {kea} is not built (python -m kealab.roots {kea})')
    else:
        return Availability(False, f'unknown Kea version {kea!r}')
    problem = _netns_probe()
    if problem is not None:
        return Availability(False, problem)
    return Availability(True)


# --- host -> namespace TCP relay (Kea 3.0) ----------------------------------------------------------------------


class _Relay:
    """Accepts TCP connections on (address, port) in the host namespace and pipes each one to the same address and
    port inside a network namespace. Threads of this process; `close` ends them all."""

    def __init__(self, netns: str, address: str, port: int) -> None:
        self.netns, self.address, self.port = netns, address, port
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener = socket.create_server((address, port))
        self._listener.settimeout(0.2)
        self._thread = threading.Thread(target=self._accept, name=f'kealab-relay-{address}:{port}', daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), name='kealab-relay-conn', daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = netns_call(self.netns, lambda: socket.create_connection((self.address, self.port), timeout=5))
        except OSError:
            client.close()
            return
        with self._lock:
            self._sockets |= {client, upstream}
        client.setblocking(True)
        upstream.setblocking(True)
        peer = {client: upstream, upstream: client}
        open_ends = {client, upstream}
        try:
            with selectors.DefaultSelector() as selector:
                for end in open_ends:
                    selector.register(end, selectors.EVENT_READ, end)
                while open_ends and not self._closed.is_set():
                    for key, _ in selector.select(0.2):
                        sock: socket.socket = key.data
                        try:
                            data = sock.recv(65536)
                        except OSError:
                            data = b''
                        if data:
                            peer[sock].sendall(data)
                            continue
                        selector.unregister(sock)
                        open_ends.discard(sock)
                        with contextlib.suppress(OSError):
                            peer[sock].shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            with self._lock:
                self._sockets -= {client, upstream}
            client.close()
            upstream.close()

    def close(self) -> None:
        """Stop accepting and close every connection."""
        self._closed.set()
        self._listener.close()
        self._thread.join(2.0)
        with self._lock:
            for sock in list(self._sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


# --- the lab ----------------------------------------------------------------------------------------------------


def _seed_rows(count: int, version: str, now: int) -> list[str]:
    """`count` lease rows for the memfile CSV, alternating between the two pools; MACs 02:5e:ed:xx:xx:xx."""
    header = 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context'
    pool_id = version != '2.2'
    if pool_id:
        header += ',pool_id'
    rows = [header]
    for index in range(count):
        _, first, _last = POOLS[index % 2]
        address = first + index // 2
        mac = f'02:5e:ed:{(index >> 16) & 0xFF:02x}:{(index >> 8) & 0xFF:02x}:{index & 0xFF:02x}'
        row = f'{address},{mac},,{_SEED_LIFETIME},{now + _SEED_LIFETIME},1,0,0,seed{index}.example,0,'
        rows.append(row + (',0' if pool_id else ''))
    return rows


def _log_time(line: str) -> float | None:
    match = _LOG_TIME.match(line)
    if match is None:
        return None
    return datetime.strptime(match[1], '%Y-%m-%d %H:%M:%S.%f').timestamp()  # local time, as Kea logs it


class NetnsDhcpLab:
    """A Kea load-balancing pair in a server namespace, a perfdhcp client in a client namespace; see the module
    docstring for the addresses. A context manager that always cleans up; `start` (done by `__enter__`) builds
    everything and waits until both servers are load-balancing.

    `kea`: '2.2' (the host's) or '3.0' (kealab's Debian 13 root; '2.6' works the same way). `leases`: leases seeded
    in both lease files. `parameters`: HA parameters over the recipe's (`DEFAULT_HA_PARAMETERS`: heartbeat-delay
    1000, max-response-delay 3000, max-ack-delay 2000, max-unacked-clients 0). `auth`: basic auth on every
    control URL (the peers carry the credentials). `hooks`: more hook libraries loaded first (`COMMANDS_HOOKS`,
    Kea 3.0). `settle_timeout`: seconds HA may take to settle.
    """

    def __init__(
        self,
        kea: str = '2.2',
        leases: int = 10_000,
        *,
        parameters: Mapping[str, Any] | None = None,
        auth: bool = False,
        hooks: Sequence[str] = (),
        settle_timeout: float = 60.0,
        startup_timeout: float = 30.0,
    ) -> None:
        if not 0 <= leases <= _CAPACITY // 2:
            raise LabError(f'leases must be between 0 and {_CAPACITY // 2}, not {leases}')
        self.kea = kea
        self.seeded = leases
        self.parameters = dict(DEFAULT_HA_PARAMETERS) | dict(parameters or {})
        self.auth = auth
        self.hooks = tuple(hooks)
        self.settle_timeout = settle_timeout
        self.startup_timeout = startup_timeout
        number = next(_COUNTER)
        pid = os.getpid()
        #: The namespaces and the veth pair's ends (each end lives in its namespace only).
        self.server_netns = f'kln{pid}-{number}-s'
        self.client_netns = f'kln{pid}-{number}-c'
        self.server_interface = f'kl{pid}x{number}s'[:15]
        self.client_interface = f'kl{pid}x{number}c'[:15]
        self.lab: KeaLab | None = None
        self.servers: list[LabServer] = []
        #: Control Agents inside the server namespace (Kea 2.2/2.6): the peers' URLs there.
        self.inner_agents: dict[str, KeaProcess] = {}
        self._relays: list[_Relay] = []
        self._namespaces: list[str] = []
        self._links: list[tuple[str, str]] = []
        self._perfdhcp: subprocess.Popen[bytes] | None = None
        self._load_pids: list[int] = []
        self._windows = 0
        #: At most this many leases are held: the seeded ones and one per DISCOVER of every window so far.
        self._lease_bound = leases
        self._started = False
        self._closed = False

    # --- context manager ------------------------------------------------------------------------------------

    def __enter__(self) -> NetnsDhcpLab:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f'<NetnsDhcpLab kea-{self.kea} {self.server_netns}/{self.client_netns} servers={self.servers}>'

    # --- what a test needs ----------------------------------------------------------------------------------

    @property
    def peer_names(self) -> list[str]:
        """The HA peer names (server1, server2)."""
        return [server.name for server in self.servers]

    @property
    def pids(self) -> list[int]:
        """Every PID this lab started (Kea daemons, agents, each window's perfdhcp), running or not."""
        processes = [p for s in self.servers for p in s.processes] + list(self.inner_agents.values())
        pids = [p.pid for p in processes if p.pid is not None]
        return pids + self._load_pids

    def describe(self) -> list[dict[str, Any]]:
        """Per server what the plugin's objects need: name, Kea version, control URL (from the host), service,
        credentials, HA role, peer names and the DHCP config."""
        return [
            {
                'name': server.name,
                'kea': server.version,
                'url': server.ca_url,
                'service': server.api_service,
                'username': server.credentials[0] if server.credentials else None,
                'password': server.credentials[1] if server.credentials else None,
                'role': server.role,
                'peers': self.peer_names,
                'address': SERVER_ADDRESSES[index],
                'config': server.config,
            }
            for index, server in enumerate(self.servers)
        ]

    # --- building -------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Create the namespaces and the veth pair, write the configs and seeded lease files, start the agents and
        servers, wait until HA has settled. Cleans up everything and raises if any step fails."""
        if self._started:
            raise LabError('the lab was started already')
        self._started = True
        with _LIVE_LOCK:
            _LIVE[id(self)] = self
        try:
            self._network()
            self._build()
            self._run()
        except BaseException:
            self.close()
            raise

    def _network(self) -> None:
        for name in (self.server_netns, self.client_netns):
            _ip('netns', 'add', name)
            self._namespaces.append(name)
        server, client = (self.server_netns, self.server_interface), (self.client_netns, self.client_interface)
        _ip('link', 'add', server[1], 'netns', server[0], 'type', 'veth', 'peer', 'name', client[1], 'netns', client[0])
        self._links.append(server)
        prefix = TEST_NETWORK.prefixlen
        for address in SERVER_ADDRESSES:
            _ip('-n', server[0], 'addr', 'add', f'{address}/{prefix}', 'dev', server[1])
        _ip('-n', client[0], 'addr', 'add', f'{CLIENT_ADDRESS}/{prefix}', 'dev', client[1])
        for netns, interface in (server, client):
            _ip('-n', netns, 'link', 'set', 'lo', 'up')
            _ip('-n', netns, 'link', 'set', interface, 'up')

    def _subnet(self) -> dict[str, Any]:
        key = 'client-classes' if self.kea == '3.0' else 'client-class'
        pools = []
        for name, first, last in POOLS:
            pools.append({'pool': f'{first} - {last}', key: [f'HA_{name}'] if self.kea == '3.0' else f'HA_{name}'})
        return {
            'id': 1,
            'subnet': str(TEST_NETWORK),
            'pools': pools,
            'option-data': [{'name': 'routers', 'data': SERVER_ADDRESSES[0]}],
        }

    def _build(self) -> None:
        self.lab = KeaLab(kea=self.kea, startup_timeout=self.startup_timeout)
        self.servers = self.lab.load_balancing(
            auth=self.auth, parameters=self.parameters, hooks=self.hooks, start=False
        )
        rows = '\n'.join(_seed_rows(self.seeded, self.kea, int(time.time()))) + '\n'
        for index, server in enumerate(self.servers):
            body = server.config['Dhcp4']
            body['interfaces-config'] = {
                'interfaces': [f'{self.server_interface}/{SERVER_ADDRESSES[index]}'],
                'dhcp-socket-type': 'raw',
            }
            body['subnet4'] = [self._subnet()]
            # One log line per lease (kea-dhcp4.leases) would cost both servers CPU at hundreds of exchanges a
            # second; lease updates from the partner are commands (COMMAND_RECEIVED, one line each): their own
            # file, so that the main log, which `measure` reads for HA transitions, stays small and never rotates.
            for logger, severity in (('leases', 'WARN'), ('commands', 'INFO')):
                output = server.runtime.inside(server.paths.dir / f'kea-dhcp4-{logger}.log')
                body['loggers'].append(
                    {
                        'name': f'kea-dhcp4.{logger}',
                        'severity': severity,
                        'output_options': [{'output': str(output), 'pattern': LOG_PATTERN}],
                    }
                )
            server.paths.leases.write_text(rows)
            # Kea runs inside the server namespace; `ip netns exec` execs it (the PID stays Kea's).
            server.dhcp.argv = ['ip', 'netns', 'exec', self.server_netns, *server.dhcp.argv]
            if server.ca is not None:
                self._inner_agent(server)
            server.write_config()

    def _inner_agent(self, server: LabServer) -> None:
        """A second Control Agent for `server`, inside the server namespace, on the same address and port as the
        host's: the URL its partner's HA hook calls."""
        assert server.ca is not None
        config_file = server.paths.dir / 'kea-ctrl-agent-ns.conf'
        log = server.paths.dir / 'kea-ctrl-agent-ns.log'
        config = json.loads(json.dumps(server.ca_config))
        config['Control-agent']['loggers'][0]['output_options'][0]['output'] = str(server.runtime.inside(log))
        config_file.write_text(json.dumps(config, indent=2) + '\n')
        rt = server.runtime
        self.inner_agents[server.name] = KeaProcess(
            'kea-ctrl-agent',
            ['ip', 'netns', 'exec', self.server_netns, *rt.argv('kea-ctrl-agent', config_file)],
            env=rt.env(server.paths.dir),
            cwd=server.paths.dir,
            log_path=log,
            stdout_path=server.paths.dir / 'kea-ctrl-agent-ns.stdout',
            cmdline=rt.cmdline('kea-ctrl-agent', config_file),
        )

    def _listening_inside(self, address: str, port: int) -> bool:
        def probe() -> bool:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.settimeout(1.0)
                return sock.connect_ex((address, port)) == 0

        return netns_call(self.server_netns, probe)

    def _run(self) -> None:
        assert self.lab is not None
        for server in self.servers:
            agent = self.inner_agents.get(server.name)
            if agent is None:
                continue
            agent.start()
            deadline = time.monotonic() + self.startup_timeout
            while not self._listening_inside(server.address, server.port):
                if not agent.alive:
                    raise LabError(f'{server.name}: the namespace Control Agent exited\n{agent.log_tail()}')
                if time.monotonic() > deadline:
                    raise LabError(f'{server.name}: the namespace Control Agent did not listen\n{agent.log_tail()}')
                time.sleep(0.05)
        for server in self.servers:
            if server.ca is not None:
                server.start_ca()
            else:
                self._relays.append(_Relay(self.server_netns, server.address, server.port))
        for server in self.servers:
            server.start_dhcp()
        self.lab.wait_ha(self.servers, timeout=self.settle_timeout)

    # --- measuring ------------------------------------------------------------------------------------------

    def unix_command(self, server: LabServer, command: str, arguments: Mapping[str, Any] | None = None) -> Any:
        """A command straight to a server's UNIX control socket (the lab's own path, not the one under test);
        the answer map."""
        return unix_command(server.paths.socket, command, arguments, timeout=15.0)

    def ha_state(self, server: LabServer) -> str:
        """A server's local HA state from `status-get` on its UNIX socket ('unreadable: ...' when it fails)."""
        try:
            answer = self.unix_command(server, 'status-get')
            return str(answer['arguments']['high-availability'][0]['ha-servers']['local']['state'])
        except Exception as exc:  # reported, not raised: the window's result says what happened
            return f'unreadable: {type(exc).__name__}: {exc}'

    def lease_table(self, server: LabServer) -> dict[str, tuple[Any, ...]]:
        """Every lease a server holds (`lease4-get-page` through its UNIX socket): address -> (MAC, client id,
        subnet, state, valid lifetime, cltt)."""
        table: dict[str, tuple[Any, ...]] = {}
        start = 'start'
        while True:
            answer = self.unix_command(server, 'lease4-get-page', {'from': start, 'limit': 5000})
            if answer.get('result') == 3:  # no more
                return table
            if answer.get('result') != 0:
                raise LabError(f'{server.name}: lease4-get-page: {answer.get("text")}')
            leases = answer['arguments']['leases']
            for lease in leases:
                table[lease['ip-address']] = (
                    lease.get('hw-address'),
                    lease.get('client-id'),
                    lease.get('subnet-id'),
                    lease.get('state'),
                    lease.get('valid-lft'),
                    lease.get('cltt'),
                )
            if not leases:
                return table
            start = leases[-1]['ip-address']

    def _log_events(self, start: float, end: float) -> tuple[list[HATransition], list[tuple[str, int]]]:
        transitions, syncs = [], []
        for server in self.servers:
            for line in server.dhcp.log_lines():
                if 'HA_STATE_TRANSITION' not in line and 'HA_SYNC_SUCCESSFUL' not in line and 'STARTED' not in line:
                    continue
                when = _log_time(line)
                if when is None or not start <= when <= end:
                    continue
                if match := _TRANSITION.search(line):
                    transitions.append(HATransition(round(when - start, 3), server.name, match[1], match[2]))
                elif _STARTED.search(line):  # a new HA service (config-set, config-reload) starts in WAITING
                    transitions.append(HATransition(round(when - start, 3), server.name, STARTED, 'WAITING'))
                elif match := _SYNC.search(line):
                    value, unit = float(match[1]), match[2]
                    factor = {'s': 1000.0, 'ms': 1.0, 'us': 0.001}.get(unit, 1.0)
                    syncs.append((server.name, round(value * factor)))
        transitions.sort(key=lambda t: t.at)
        return transitions, syncs

    def measure(
        self,
        duration: float = 30.0,
        rate: int = 200,
        during: Callable[[], Any] | None = None,
        at: float = 5.0,
        *,
        min_gap: float = 0.1,
        drop_time: float = 1.0,
        settle: float = 60.0,
    ) -> Measurement:
        """Run perfdhcp in the client namespace for `duration` s at `rate` four-way exchanges a second (DHCPv4,
        a fresh MAC range per window, a new client per exchange) and, `at` s after its start, call `during()`
        in a thread of this process (the push under test). Returns a `Measurement`: perfdhcp's counts, the
        sniffer's windows of at least `min_gap` s, HA states right after the traffic, the transitions and lease
        syncs the servers logged, and whether both hold the same leases once they are back in their operational
        state (waited for up to `settle` s; 0: compare at once). An exchange unanswered after `drop_time` s is
        lost. Raises `LabError` when perfdhcp fails or the pools could not take the window's new leases.
        """
        if not self._started or self._closed or self.lab is None:
            raise LabError('the lab is not running')
        if rate <= 0 or duration <= 0:
            raise LabError('rate and duration must be positive')
        if during is not None and not 0 <= at < duration:
            raise LabError(f'at ({at:g} s) must fall inside the window (0-{duration:g} s)')
        new = int(rate * duration) + rate
        if self._lease_bound + new > _CAPACITY * 0.95:
            raise LabError(
                f'the pools ({_CAPACITY} addresses) may not take {new} more leases next to up to {self._lease_bound}'
            )
        self._lease_bound += new
        self._windows += 1
        if self._windows > 255:
            raise LabError('a lab measures at most 255 windows (one MAC range each)')
        base_mac = f'02:6b:{self._windows:02x}:00:00:00'
        argv = perfdhcp_argv(
            self.client_interface,
            rate=rate,
            duration=duration,
            clients=min(2**24 - 1, new * 2),
            base_mac=base_mac,
            drop_time=drop_time,
        )
        sniffer = AnswerSniffer(
            lambda: netns_call(self.client_netns, lambda: AnswerSniffer.packet_socket(self.client_interface))
        )
        record: dict[str, Any] = {}
        cancel = threading.Event()

        def push() -> None:
            if cancel.wait(at):
                return
            record['started'] = time.time()
            try:
                record['result'] = during() if during is not None else None
            except BaseException as exc:  # reported in the result
                record['error'] = exc
            finally:
                record['ended'] = time.time()

        output = b''
        pusher = threading.Thread(target=push, name='kealab-during', daemon=True) if during is not None else None
        sniffer.start()
        try:
            launched = time.time()
            self._perfdhcp = subprocess.Popen(
                ['ip', 'netns', 'exec', self.client_netns, *argv],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            self._load_pids.append(self._perfdhcp.pid)
            if pusher is not None:
                pusher.start()
            limit = duration + drop_time + 60
            try:
                output, _ = self._perfdhcp.communicate(timeout=limit)
            except subprocess.TimeoutExpired:
                raise LabError(f'perfdhcp did not end within {limit:g} s') from None
            status = self._perfdhcp.returncode
            cancel.set()  # a `during` that has not started by now never will
            if pusher is not None:
                pusher.join(max(60.0, at + 60 - (time.time() - launched)))
                if pusher.is_alive():
                    raise LabError(f'`during` still runs {time.time() - launched:.0f} s after the window started')
            time.sleep(0.2)
        finally:
            cancel.set()
            if self._perfdhcp is not None and self._perfdhcp.poll() is None:
                stop_pids([self._perfdhcp.pid], 2.0)
                self._perfdhcp.wait(5)
            self._perfdhcp = None
            sniffer.stop()
        text = output.decode(errors='replace')
        if status not in (0, 3):  # 3: some exchanges did not complete
            raise LabError(f'perfdhcp exited with status {status}:\n{text[-2000:]}')
        if sniffer.error is not None:
            raise LabError(f'the packet sniffer failed: {sniffer.error}')
        ended = time.time()
        states = {server.name: self.ha_state(server) for server in self.servers}
        settled = True
        if settle > 0:
            try:
                self.lab.wait_ha(self.servers, timeout=settle)
            except LabError:
                settled = False
        tables = {server.name: self.lease_table(server) for server in self.servers}
        first, second = tables.values()
        differing = sorted(
            (a for a in first.keys() | second.keys() if first.get(a) != second.get(a)), key=ipaddress.IPv4Address
        )
        stats = parse_perfdhcp(text)
        if 'DISCOVER-OFFER' not in stats or 'REQUEST-ACK' not in stats:
            raise LabError(f'no final report in perfdhcp output:\n{text[-2000:]}')
        return self._result(
            rate=rate,
            duration=duration,
            text=text,
            status=status,
            stats=stats,
            packets=sniffer.packets,
            min_gap=min_gap,
            record=record,
            states=states,
            settled=settled,
            tables=tables,
            differing=differing,
            ended=ended,
        )

    def _result(self, *, packets: list[Any], record: dict[str, Any], min_gap: float, **values: Any) -> Measurement:
        sent = [p.time for p in packets if p.outgoing and p.message_type == DISCOVER]
        answers = [p for p in packets if not p.outgoing and p.message_type in (OFFER, ACK)]
        start = min(sent) if sent else values['ended']
        end = max(sent) if sent else start
        by_server = {name: SERVER_ADDRESSES[i] for i, name in enumerate(self.peer_names)}
        silent = {
            name: silent_windows((p.time for p in answers if p.source == address), start, end, min_gap)
            for name, address in by_server.items()
        }
        unserved = {
            scope: silent_windows((p.time for p in answers if scope_of(p.yiaddr, POOLS) == scope), start, end, min_gap)
            for scope, _, _ in POOLS
        }
        transitions, syncs = self._log_events(start, values['ended'])
        stats = values['stats']
        tables = values['tables']

        def relative(key: str) -> float | None:
            return round(record[key] - start, 3) if key in record else None

        return Measurement(
            rate=values['rate'],
            duration=values['duration'],
            sent=stats['DISCOVER-OFFER'].sent,
            completed=stats['REQUEST-ACK'].received,
            offers=stats['DISCOVER-OFFER'].received,
            exchanges=stats,
            zero_service=silent_windows((p.time for p in answers), start, end, min_gap),
            unserved=unserved,
            silent=silent,
            answers={name: sum(1 for p in answers if p.source == a) for name, a in by_server.items()},
            states=values['states'],
            transitions=transitions,
            sync_ms=syncs,
            settled=values['settled'],
            leases={name: len(table) for name, table in tables.items()},
            leases_equal=not values['differing'],
            lease_differences=len(values['differing']),
            lease_mismatches=[(a, *(table.get(a) for table in tables.values())) for a in values['differing'][:10]],
            during_started=relative('started'),
            during_ended=relative('ended'),
            during_result=record.get('result'),
            during_error=record.get('error'),
            perfdhcp_status=values['status'],
            perfdhcp_output=values['text'],
            packets=packets,
        )

    # --- cleanup --------------------------------------------------------------------------------------------

    def close(self, grace: float = 5.0) -> None:
        """Stop every process of the lab by PID (SIGTERM, SIGKILL after `grace`), close the relays, delete the veth
        pair and both namespaces, remove the lab's directory. Safe to call twice; also runs at interpreter exit."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._perfdhcp is not None and self._perfdhcp.poll() is None:
                stop_pids([self._perfdhcp.pid], grace)
            for relay in self._relays:
                relay.close()
            # Only processes still running as this lab's children (a PID that ended may belong to another by now).
            processes = [p for s in self.servers for p in s.processes] + list(self.inner_agents.values())
            stop_pids([p.pid for p in processes if p.pid is not None and p.alive], grace)
            for agent in self.inner_agents.values():
                agent.stop(0.5)
            if self.lab is not None:
                self.lab.close(grace)
        finally:
            self._delete_network()
            with _LIVE_LOCK:
                _LIVE.pop(id(self), None)

    def _delete_network(self) -> None:
        problems = []
        for netns, interface in self._links:
            result = _ip('-n', netns, 'link', 'delete', interface, check=False)
            if result.returncode != 0 and 'Cannot find device' not in result.stderr:
                problems.append(f'ip -n {netns} link delete {interface}: {result.stderr.strip()}')
        self._links.clear()
        for netns in self._namespaces:
            left = _ip('netns', 'pids', netns, check=False).stdout.split()
            if left:
                problems.append(f'processes still in {netns}: {", ".join(left)} (not started by this lab: left alone)')
            result = _ip('netns', 'delete', netns, check=False)
            if result.returncode != 0 and (_NETNS_DIR / netns).exists():
                problems.append(f'ip netns delete {netns}: {result.stderr.strip()}')
        self._namespaces.clear()
        if problems:
            warnings.warn('NetnsDhcpLab cleanup: ' + '; '.join(problems), RuntimeWarning, stacklevel=3)


@atexit.register
def _close_all() -> None:
    """Safety net: close every lab still open when the interpreter exits (processes, links, namespaces)."""
    with _LIVE_LOCK:
        labs = list(_LIVE.values())
    for lab in labs:
        with contextlib.suppress(Exception):
            lab.close(grace=2.0)
