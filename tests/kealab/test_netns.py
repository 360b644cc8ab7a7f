"""`kealab.netns`: a Kea load-balancing pair serving real DHCPv4 traffic between two network namespaces.

The lab tests need root, iproute2 and perfdhcp (skipped with the reason otherwise); the parsers below them need
nothing. Every assertion is about behaviour: counts, states, leases, cleanup; no timing is asserted (the figures
go to the test's output, `-s`).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from kealab.control import http_command
from kealab.dhcpload import STARTED, Window, parse_packet, parse_perfdhcp, perfdhcp_argv, silent_windows
from kealab.netns import CLIENT_ADDRESS, SERVER_ADDRESSES, NetnsDhcpLab, available
from kealab.processes import pid_alive
from kealab.roots import root_ready

_AVAILABLE = available('2.2')


def needs_netns[F](test: F) -> F:
    """A test with real Kea in network namespaces: marked `kea`, skipped with the reason where it cannot run."""
    skip = pytest.mark.skipif(not _AVAILABLE, reason=f'NetnsDhcpLab cannot run here: {_AVAILABLE.reason}')
    return pytest.mark.kea(skip(test))  # type: ignore[no-any-return]


def _ip(*args: str) -> str:
    return subprocess.run(['ip', *args], capture_output=True, text=True, check=True).stdout


def _assert_gone(names: list[str], interfaces: list[str], pids: list[int]) -> None:
    namespaces = _ip('netns', 'list')
    assert not [name for name in names if name in namespaces.split()], namespaces
    links = _ip('-o', 'link')
    assert not [interface for interface in interfaces if f' {interface}@' in links or f' {interface}:' in links]
    assert pids
    assert [pid for pid in pids if pid_alive(pid) and _ours(pid)] == []


def _ours(pid: int) -> bool:
    """True when the process with this PID is a lab's kind of process (a PID that ended may be reused)."""
    try:
        cmdline = Path(f'/proc/{pid}/cmdline').read_bytes()
    except OSError:
        return False
    return b'kea-' in cmdline or b'perfdhcp' in cmdline


def _push_unchanged(server: Any) -> dict[str, Any]:
    """config-set of the server's own running config, through its control URL as the host sees it."""
    current = server.command('config-get', timeout=30)['arguments']
    answer = http_command(
        server.ca_url,
        'config-set',
        {'Dhcp4': current['Dhcp4']},
        service=server.api_service,
        auth=server.credentials,
        timeout=60,
    )
    return answer


@needs_netns
def test_kea22_pair_baseline_and_unchanged_push() -> None:
    lab = NetnsDhcpLab(kea='2.2', leases=1000)
    names = [lab.server_netns, lab.client_netns]
    interfaces = [lab.server_interface, lab.client_interface]
    with lab:
        server1, server2 = lab.servers
        assert lab.peer_names == ['server1', 'server2']
        # Reachable from the host namespace: the host Control Agent answers for the server in the namespace.
        assert server1.ca_url.startswith('http://127.')
        running = server1.command('config-get')['arguments']['Dhcp4']
        assert running['interfaces-config']['interfaces'] == [f'{lab.server_interface}/{SERVER_ADDRESSES[0]}']
        assert [p['client-class'] for p in running['subnet4'][0]['pools']] == ['HA_server1', 'HA_server2']
        # Both servers' leases: the seeded ones, the same on both.
        assert len(lab.lease_table(server1)) == len(lab.lease_table(server2)) == 1000
        described = lab.describe()
        assert [d['url'] for d in described] == [server1.ca_url, server2.ca_url]
        assert described[0]['peers'] == ['server1', 'server2'] and described[0]['kea'] == '2.2'

        baseline = lab.measure(duration=10, rate=100)
        print('\nbaseline:', baseline.summary())
        assert baseline.completed > 0
        assert baseline.sent >= baseline.completed
        assert baseline.lost <= 2, baseline.summary()
        assert baseline.answers['server1'] > 0 and baseline.answers['server2'] > 0  # both serve their scope
        assert baseline.transitions == []
        assert baseline.states == {'server1': 'load-balancing', 'server2': 'load-balancing'}
        assert baseline.leases_equal, baseline.lease_differences
        assert baseline.leases['server1'] >= 1000 + baseline.completed

        pushed = lab.measure(duration=10, rate=100, during=lambda: _push_unchanged(server2), at=3.0)
        print('push server2:', pushed.summary())
        print('  transitions:', ', '.join(str(t) for t in pushed.transitions), '| lease syncs ms:', pushed.sync_ms)
        print('  unserved:', {k: [str(w) for w in v] for k, v in pushed.unserved.items()})
        assert pushed.during_error is None, pushed.during_error
        assert pushed.during_result['result'] == 0, pushed.during_result
        # Kea 2.2 restarts the HA state machine of a server after config-set: server2 leaves load-balancing
        # (waiting, syncing, ready) and comes back; meanwhile its scope goes unanswered and exchanges are lost.
        server2_changes = [t for t in pushed.transitions if t.server == 'server2']
        assert server2_changes, pushed.transitions
        assert server2_changes[0].old == STARTED  # config-set started a new HA service, in WAITING
        assert server2_changes[-1].new == 'LOAD-BALANCING'
        assert any(t.old == 'SYNCING' for t in server2_changes)
        assert pushed.unserved['server2'], pushed.summary()
        assert pushed.lost > 0
        assert pushed.settled
        assert pushed.leases_equal, pushed.lease_differences
        assert lab.ha_state(server1) == lab.ha_state(server2) == 'load-balancing'
        pids = lab.pids
        assert len(pids) == 8  # two kea-dhcp4, two agents in the namespace, two on the host, two perfdhcp runs
    _assert_gone(names, interfaces, pids)


@needs_netns
def test_cleanup_after_a_failed_start(monkeypatch: pytest.MonkeyPatch) -> None:
    lab = NetnsDhcpLab(kea='2.2', leases=10)

    def broken_wait(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError('HA never settles')

    monkeypatch.setattr('kealab.lab.KeaLab.wait_ha', broken_wait)
    with pytest.raises(RuntimeError, match='HA never settles'), lab:
        pass
    pids = lab.pids
    _assert_gone([lab.server_netns, lab.client_netns], [lab.server_interface, lab.client_interface], pids)


@needs_netns
def test_cleanup_after_an_error_inside_the_block() -> None:
    lab = NetnsDhcpLab(kea='2.2', leases=10)
    with pytest.raises(ZeroDivisionError), lab:
        assert CLIENT_ADDRESS in _ip('-n', lab.client_netns, 'addr')
        1 / 0  # noqa: B018
    _assert_gone([lab.server_netns, lab.client_netns], [lab.server_interface, lab.client_interface], lab.pids)


@needs_netns
@pytest.mark.skipif(not root_ready('3.0'), reason='the Kea 3.0 root is not built (python -m kealab.roots 3.0)')
def test_kea30_pair_smoke() -> None:
    lab = NetnsDhcpLab(kea='3.0', leases=200, auth=True)
    with lab:
        server1, server2 = lab.servers
        assert lab.inner_agents == {} and server1.ca is None
        # The host reaches the 3.0 server's own HTTP control socket (relayed into the namespace), with its auth.
        answer = server1.command('config-get')
        assert answer['result'] == 0 and 'Dhcp4' in answer['arguments']
        pools = answer['arguments']['Dhcp4']['subnet4'][0]['pools']
        assert [p['client-classes'] for p in pools] == [['HA_server1'], ['HA_server2']]
        assert server1.command('version-get')['text'].startswith('3.0')
        started = time.monotonic()
        result = lab.measure(duration=3, rate=50)
        print('\nKea 3.0:', result.summary(), f'({time.monotonic() - started:.1f} s)')
        assert result.completed > 0
        assert result.answers['server1'] > 0 and result.answers['server2'] > 0
        assert result.states == {'server1': 'load-balancing', 'server2': 'load-balancing'}
        assert result.leases_equal
        pids = lab.pids
    _assert_gone([lab.server_netns, lab.client_netns], [lab.server_interface, lab.client_interface], pids)


# --- the parts that need no root ---------------------------------------------------------------------------------

_REPORT = """***Rate statistics***
Rate: 99.6495 4-way exchanges/second, expected rate: 100
***Statistics for: DISCOVER-OFFER***
sent packets: 299
received packets: 297
drops: 2
drops ratio: 0.6 %
orphans: 1
rejected leases: 0
***Statistics for: REQUEST-ACK***
sent packets: 297
received packets: 290
drops: 7
orphans: 0
rejected leases: 0
"""


def test_parse_perfdhcp_final_report() -> None:
    stats = parse_perfdhcp(_REPORT)
    assert (stats['DISCOVER-OFFER'].sent, stats['DISCOVER-OFFER'].received, stats['DISCOVER-OFFER'].orphans) == (
        299,
        297,
        1,
    )
    assert (stats['REQUEST-ACK'].sent, stats['REQUEST-ACK'].received, stats['REQUEST-ACK'].drops) == (297, 290, 7)
    assert parse_perfdhcp('perfdhcp: cannot open socket') == {}


def test_perfdhcp_argv() -> None:
    argv = perfdhcp_argv('klc0', rate=200, duration=30, clients=12_400, base_mac='02:6b:01:00:00:00')
    assert argv[:3] == ['/usr/sbin/perfdhcp', '-4', '-l']
    assert argv[argv.index('-r') + 1] == '200' and argv[argv.index('-p') + 1] == '30'
    assert argv[argv.index('-b') + 1] == 'mac=02:6b:01:00:00:00' and argv[argv.index('-R') + 1] == '12400'


def test_silent_windows() -> None:
    times = [100.0, 100.05, 100.1, 100.5, 100.55, 101.0]
    assert silent_windows(times, 100.0, 101.2) == [Window(0.1, 0.5), Window(0.55, 1.0), Window(1.0, 1.2)]
    assert silent_windows(times, 100.0, 101.0, min_gap=0.5) == []
    assert silent_windows([], 5.0, 5.5) == [Window(0.0, 0.5)]


def _offer(yiaddr: str, message_type: int = 2) -> bytes:
    bootp = bytearray(240)
    bootp[0] = 2
    bootp[4:8] = (0x1234).to_bytes(4, 'big')
    bootp[16:20] = bytes(int(part) for part in yiaddr.split('.'))
    bootp[236:240] = b'\x63\x82\x53\x63'
    bootp += bytes([53, 1, message_type, 255])
    udp = (67).to_bytes(2, 'big') + (67).to_bytes(2, 'big') + (8 + len(bootp)).to_bytes(2, 'big') + b'\0\0'
    ip = bytearray(20)
    ip[0], ip[9] = 0x45, 17
    ip[12:16], ip[16:20] = bytes([198, 18, 0, 2]), bytes([198, 19, 255, 254])
    return bytes(ip) + udp + bytes(bootp)


def test_parse_packet() -> None:
    packet = parse_packet(_offer('198.19.0.7'), 12.5, outgoing=False)
    assert packet is not None
    assert (packet.source, packet.destination, packet.message_type, packet.xid, packet.yiaddr) == (
        '198.18.0.2',
        '198.19.255.254',
        2,
        0x1234,
        '198.19.0.7',
    )
    assert parse_packet(b'\x45' + bytes(30), 1.0, outgoing=False) is None
