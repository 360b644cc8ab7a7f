"""Reading the HA status of a fleet concurrently costs about as much as reading one server.

Starts 6 real Kea 2.2 servers (three load-balancing pairs, kealab), then prints the median wall time of
reading the status (`status-get`, parsed) of one server and of all 6 concurrently (`gather_status`), and their
ratio (target: at most 1.5x), plus the same 6 read one after the other for reference. Prints; asserts nothing.

Two runs: straight to the Control Agents over loopback (no network latency: the time is CPU, the client's
(about 1 ms per request in Python) and Kea's, on the machine's shared cores, so concurrency cannot hide it),
and through a delay proxy (a separate process on 127.0.0.1 that holds
each request and each answer for half of `--rtt` ms, like a network round trip between NetBox and Kea).

    python bench/status_concurrency.py [--rounds 30] [--rtt 20]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kealab import KeaLab  # noqa: E402
from netbox_kea_ha.kea.client import KeaClient, gather_status, gather_sync  # noqa: E402

__all__ = ('main',)


# --- the delay proxy (runs in its own process: `status_concurrency.py --proxy RTT_MS HOST:PORT ...`) ------------


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy bytes, delivering each chunk `delay` seconds after it arrived (chunks overlap, as on a wire)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            await asyncio.sleep(max(0.0, due - loop.time()))
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(deliver())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((loop.time() + delay, data))
    except ConnectionError:
        pass
    finally:
        queue.put_nowait((0.0, b''))
        try:
            await sender
        except ConnectionError:
            pass
        writer.close()


async def _proxy(rtt_ms: float, targets: list[str]) -> None:
    delay = rtt_ms / 2000

    def handler(host: str, port: int):
        async def handle(client_reader, client_writer):
            upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
            await asyncio.gather(
                _pump(client_reader, upstream_writer, delay), _pump(upstream_reader, client_writer, delay)
            )

        return handle

    servers, ports = [], []
    for target in targets:
        host, port = target.rsplit(':', 1)
        server = await asyncio.start_server(handler(host, int(port)), '127.0.0.1', 0)
        servers.append(server)
        ports.append(server.sockets[0].getsockname()[1])
    print(json.dumps(ports), flush=True)
    await asyncio.Event().wait()


def _start_proxy(rtt_ms: float, endpoints) -> tuple[subprocess.Popen, list]:
    targets = [e.url.split('//', 1)[1].rstrip('/') for e in endpoints]
    proxy = subprocess.Popen(
        [sys.executable, __file__, '--proxy', str(rtt_ms), *targets], stdout=subprocess.PIPE, text=True
    )
    ports = json.loads(proxy.stdout.readline())
    return proxy, [dataclasses.replace(e, url=f'http://127.0.0.1:{p}/') for e, p in zip(endpoints, ports, strict=True)]


# --- measuring --------------------------------------------------------------------------------------------------


def _read_all(endpoints) -> None:
    outcomes = gather_sync(gather_status(endpoints))
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise SystemExit(f'status read failed: {failed[0].error}')


def _read_one_by_one(endpoints) -> None:
    for endpoint in endpoints:
        with KeaClient(endpoint) as kea:
            kea.status_get()


def _measure(label: str, endpoints, rounds: int) -> None:
    def timed(call) -> float:
        start = time.perf_counter()
        call()
        return time.perf_counter() - start

    for _ in range(3):  # warm up
        _read_all(endpoints)
    one, six, sequential, cpu = [], [], [], []
    for _ in range(rounds):
        one.append(timed(lambda: _read_all(endpoints[:1])))
        cpu_start = time.process_time()
        six.append(timed(lambda: _read_all(endpoints)))
        cpu.append((time.process_time() - cpu_start) / len(endpoints))
        sequential.append(timed(lambda: _read_one_by_one(endpoints)))
    m_one, m_six, m_seq = (statistics.median(x) * 1000 for x in (one, six, sequential))
    print(f'\n{label} (median of {rounds} rounds)')
    print(f'  status of 1 server:                 {m_one:8.2f} ms')
    print(f'  status of 6 servers concurrently:   {m_six:8.2f} ms')
    print(f'  status of 6 servers one by one:     {m_seq:8.2f} ms')
    print(f'  ratio 6 concurrent / 1:             {m_six / m_one:8.2f}x   (target <= 1.5x)')
    print(f'  ratio 6 one by one / 6 concurrent:  {m_seq / m_six:8.2f}x')
    print(f'  client CPU per request (concurrent): {statistics.median(cpu) * 1000:7.2f} ms')


def main() -> None:
    """Run the benchmark and print its figures."""
    if len(sys.argv) > 2 and sys.argv[1] == '--proxy':
        asyncio.run(_proxy(float(sys.argv[2]), sys.argv[3:]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=30)
    parser.add_argument('--rtt', type=float, default=20.0, help='round trip added by the delay proxy, ms')
    args = parser.parse_args()
    with KeaLab() as lab:
        started = time.perf_counter()
        servers = [server for _ in range(3) for server in lab.load_balancing()]
        lab.wait_ha(servers, timeout=120)
        print(f'6 real Kea 2.2 servers (3 load-balancing pairs) settled in {time.perf_counter() - started:.1f} s')
        print(f'{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.2f}')
        endpoints = [server.endpoint() for server in servers]
        _measure('loopback, straight to the Control Agents', endpoints, args.rounds)
        proxy, delayed = _start_proxy(args.rtt, endpoints)
        try:
            _measure(f'through a delay proxy adding {args.rtt:g} ms per round trip', delayed, args.rounds)
        finally:
            os.kill(proxy.pid, signal.SIGTERM)
            proxy.wait(timeout=10)


if __name__ == '__main__':
    main()
