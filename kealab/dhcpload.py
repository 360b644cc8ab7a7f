"""DHCPv4 load for `kealab.netns`: perfdhcp's command line and report, a packet sniffer, and what a window measured.

`NetnsDhcpLab.measure` runs perfdhcp (Kea's, `/usr/sbin/perfdhcp`) at a steady rate of four-way exchanges and,
next to it, an `AnswerSniffer` on the client side of the veth pair. perfdhcp counts the exchanges (sent
DISCOVERs, completed = ACKs received within its drop time); the sniffer records every DHCP packet with the
kernel's receive timestamp (`SO_TIMESTAMPNS`), so the spans in which no server answered (`Window`) are measured
to the packet, per server (by the server's own address) and per load-balancing scope (by the pool the offered
address is in), independently of perfdhcp's one-second reports.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = (
    'PERFDHCP',
    'STARTED',
    'AnswerSniffer',
    'ExchangeStats',
    'HATransition',
    'Measurement',
    'Packet',
    'Window',
    'parse_packet',
    'parse_perfdhcp',
    'perfdhcp_argv',
    'scope_of',
    'silent_windows',
)

#: Kea's load generator (Debian: package kea-admin).
PERFDHCP = '/usr/sbin/perfdhcp'

_ETH_P_ALL = 0x0003
_ETH_P_IP = 0x0800
_SO_TIMESTAMPNS = 35  # Linux; the socket module does not name it
_PACKET_OUTGOING = 4
_DHCP_COOKIE = b'\x63\x82\x53\x63'
#: DHCP message types (option 53) the sniffer keeps.
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK = 1, 2, 3, 4, 5, 6
_ANSWERS = (OFFER, ACK, NAK)


def perfdhcp_argv(
    interface: str,
    *,
    rate: int,
    duration: float,
    clients: int,
    base_mac: str,
    drop_time: float = 1.0,
    exit_wait: float = 1.0,
    report: int = 1,
) -> list[str]:
    """perfdhcp's command line for a steady DHCPv4 load of four-way exchanges (DORA) from `interface`.

    Broadcast from the interface; perfdhcp acts as a relay (giaddr = the interface's address), so the servers
    answer by unicast to its port 67. `clients`: how many different MACs, counted up from `base_mac` (perfdhcp
    numbers them sequentially: with `clients` >= rate x duration every exchange is a new client). An exchange
    not answered within `drop_time` s counts as dropped; perfdhcp waits `exit_wait` s after the period for late
    answers and prints a report every `report` s.
    """
    return [
        PERFDHCP,
        '-4',
        '-l',
        interface,
        '-r',
        str(rate),
        '-p',
        f'{duration:g}',
        '-R',
        str(clients),
        '-b',
        f'mac={base_mac}',
        '-d',
        f'{drop_time:g}',
        '-W',
        str(int(exit_wait * 1_000_000)),
        '-t',
        str(report),
    ]


@dataclass(frozen=True)
class ExchangeStats:
    """perfdhcp's final statistics of one exchange (DISCOVER-OFFER or REQUEST-ACK)."""

    sent: int
    received: int
    drops: int
    orphans: int
    rejected: int


_SECTION = re.compile(r'\*\*\*Statistics for: (\S+)\*\*\*')
_FIELD = re.compile(r'^(sent packets|received packets|drops|orphans|rejected leases): (\d+)', re.MULTILINE)


def parse_perfdhcp(output: str) -> dict[str, ExchangeStats]:
    """The final report of perfdhcp's output: `{'DISCOVER-OFFER': ..., 'REQUEST-ACK': ...}` (empty if none)."""
    stats: dict[str, ExchangeStats] = {}
    parts = _SECTION.split(output)
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        values = {key: int(value) for key, value in _FIELD.findall(body)}
        stats[name] = ExchangeStats(
            sent=values.get('sent packets', 0),
            received=values.get('received packets', 0),
            drops=values.get('drops', 0),
            orphans=values.get('orphans', 0),
            rejected=values.get('rejected leases', 0),
        )
    return stats


@dataclass(frozen=True)
class Packet:
    """One DHCPv4 packet seen on the client side: kernel timestamp (epoch s), direction, addresses, message."""

    time: float
    outgoing: bool
    source: str
    destination: str
    message_type: int
    xid: int
    yiaddr: str


def parse_packet(data: bytes, timestamp: float, outgoing: bool) -> Packet | None:
    """A DHCPv4 packet from an IPv4 datagram (a packet socket's cooked payload), or None for anything else."""
    if len(data) < 20 or data[0] >> 4 != 4 or data[9] != socket.IPPROTO_UDP:
        return None
    ihl = (data[0] & 0x0F) * 4
    udp = data[ihl : ihl + 8]
    if len(udp) < 8:
        return None
    source_port, destination_port = struct.unpack('!HH', udp[:4])
    if not {source_port, destination_port} & {67, 68}:
        return None
    bootp = data[ihl + 8 :]
    if len(bootp) < 240 or bootp[236:240] != _DHCP_COOKIE:
        return None
    message_type = 0
    index = 240
    while index < len(bootp):
        code = bootp[index]
        if code == 255:
            break
        if code == 0:
            index += 1
            continue
        if index + 1 >= len(bootp):
            break
        length = bootp[index + 1]
        if code == 53 and length >= 1 and index + 2 < len(bootp):
            message_type = bootp[index + 2]
            break
        index += 2 + length
    if not message_type:
        return None
    return Packet(
        time=timestamp,
        outgoing=outgoing,
        source=socket.inet_ntoa(data[12:16]),
        destination=socket.inet_ntoa(data[16:20]),
        message_type=message_type,
        xid=struct.unpack('!I', bootp[4:8])[0],
        yiaddr=socket.inet_ntoa(bootp[16:20]),
    )


class AnswerSniffer:
    """Records every DHCPv4 packet on one interface from a packet socket (`AF_PACKET`, all protocols, so that
    outgoing packets are seen too) with the kernel's receive timestamps, in a thread of this process.

    `open_socket` makes the socket (`NetnsDhcpLab` creates it inside the client namespace); `start` and `stop`
    bracket the recording; `packets` is what was seen.
    """

    def __init__(self, open_socket: Callable[[], socket.socket]) -> None:
        self._open_socket = open_socket
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.packets: list[Packet] = []
        self.error: BaseException | None = None

    @staticmethod
    def packet_socket(interface: str) -> socket.socket:
        """A packet socket on `interface` (call it in the interface's namespace) with kernel timestamps."""
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(_ETH_P_ALL))
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
            sock.bind((interface, _ETH_P_ALL))
            sock.settimeout(0.1)
        except BaseException:
            sock.close()
            raise
        return sock

    def start(self) -> None:
        """Open the socket and start recording."""
        self._socket = self._open_socket()
        self._thread = threading.Thread(target=self._run, name='kealab-sniffer', daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sock = self._socket
        assert sock is not None
        ancillary = socket.CMSG_SPACE(16)
        try:
            while not self._stop.is_set():
                try:
                    data, ancdata, _flags, address = sock.recvmsg(2048, ancillary)
                except TimeoutError:
                    continue
                if address[1] != _ETH_P_IP:
                    continue
                timestamp = time.time()
                for level, kind, value in ancdata:
                    if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(value) >= 16:
                        seconds, nanoseconds = struct.unpack('qq', value[:16])
                        timestamp = seconds + nanoseconds / 1e9
                packet = parse_packet(data, timestamp, address[2] == _PACKET_OUTGOING)
                if packet is not None:
                    self.packets.append(packet)
        except OSError as exc:
            if not self._stop.is_set():
                self.error = exc

    def stop(self) -> None:
        """Stop recording and close the socket (safe to call twice, or without `start`)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        if self._socket is not None:
            self._socket.close()
            self._socket = None


@dataclass(frozen=True)
class Window:
    """A span with no answer: seconds from the first DISCOVER of the measurement."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        """Its length in seconds."""
        return self.end - self.start

    def __str__(self) -> str:
        return f'{self.start:.2f}-{self.end:.2f} s ({self.duration:.2f} s)'


def silent_windows(times: Iterable[float], start: float, end: float, min_gap: float = 0.1) -> list[Window]:
    """The spans of at least `min_gap` s between `start` and `end` (epoch s) in which none of `times` falls,
    as `Window`s relative to `start`."""
    points = sorted(t for t in times if start <= t <= end)
    windows = []
    previous = start
    for point in [*points, end]:
        if point - previous >= min_gap:
            windows.append(Window(round(previous - start, 3), round(point - start, 3)))
        previous = point
    return windows


#: `HATransition.old` of an HA service that (re)started (after config-set or config-reload): it starts in WAITING.
STARTED = '(started)'


@dataclass(frozen=True)
class HATransition:
    """An HA state change a server logged during a measurement (`at`: seconds from its first DISCOVER); `old` is
    `STARTED` when the HA service (re)started."""

    at: float
    server: str
    old: str
    new: str

    def __str__(self) -> str:
        return f'{self.at:.2f} s {self.server} {self.old} -> {self.new}'


@dataclass
class Measurement:
    """What one `NetnsDhcpLab.measure` window saw.

    Counts come from perfdhcp: `sent` DISCOVERs, `completed` exchanges (ACKs received within the drop time),
    `lost` = sent - completed. Windows come from the sniffer: `zero_service` (no server answered anything),
    `unserved` (per load-balancing scope: no answer for clients of that scope), `silent` (per server: that
    server sent nothing), all at least `min_gap` s long, between the first and the last DISCOVER.
    `during_*`: when the `during` callable ran (seconds from the first DISCOVER), what it returned or raised.
    `states`: each server's HA state right after the traffic stopped; `transitions`: the state changes the
    servers logged during the window; `sync_ms`: lease syncs they logged (server, milliseconds).
    `leases`: each server's lease count after the window (once the pair settled, see `settled`); `leases_equal`:
    both hold the same leases (address, MAC, client id, subnet, state, lifetime, cltt), else
    `lease_differences` addresses differ.
    """

    rate: int
    duration: float
    sent: int
    completed: int
    offers: int
    exchanges: Mapping[str, ExchangeStats]
    zero_service: list[Window]
    unserved: dict[str, list[Window]]
    silent: dict[str, list[Window]]
    answers: dict[str, int]
    states: dict[str, str]
    transitions: list[HATransition]
    sync_ms: list[tuple[str, int]]
    settled: bool
    leases: dict[str, int]
    leases_equal: bool
    lease_differences: int
    #: Up to 10 differing leases: (address, server1's, server2's), None where a server lacks it.
    lease_mismatches: list[tuple[str, Any, Any]] = field(default_factory=list)
    during_started: float | None = None
    during_ended: float | None = None
    during_result: Any = None
    during_error: BaseException | None = None
    perfdhcp_status: int | None = None
    perfdhcp_output: str = field(default='', repr=False)
    packets: list[Packet] = field(default_factory=list, repr=False)

    @property
    def lost(self) -> int:
        """DISCOVERs sent without a completed exchange."""
        return self.sent - self.completed

    @property
    def zero_service_seconds(self) -> float:
        """The total length of the zero-service windows."""
        return round(sum(w.duration for w in self.zero_service), 3)

    def summary(self) -> str:
        """One line for a benchmark's output."""
        windows = ', '.join(str(w) for w in self.zero_service) or 'none'
        states = ', '.join(f'{name} {state}' for name, state in self.states.items())
        during = ''
        if self.during_started is not None:
            took = (self.during_ended or self.during_started) - self.during_started
            during = f'; during at {self.during_started:.2f} s took {took:.2f} s'
            if self.during_error is not None:
                during += f' and raised {type(self.during_error).__name__}: {self.during_error}'
        return (
            f'{self.rate}/s x {self.duration:g} s: lost {self.lost} / {self.sent} sent, {self.completed} completed; '
            f'zero-service {windows}; states {states}; leases {"equal" if self.leases_equal else "DIFFER"} '
            f'{"/".join(str(n) for n in self.leases.values())}{during}'
        )


def scope_of(address: str, scopes: Sequence[tuple[str, ipaddress.IPv4Address, ipaddress.IPv4Address]]) -> str | None:
    """The scope whose pool (first, last) holds `address`, or None."""
    value = ipaddress.IPv4Address(address)
    for name, first, last in scopes:
        if first <= value <= last:
            return name
    return None
