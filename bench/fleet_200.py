"""A fleet of 200 real Kea servers: the scheduled fleet check and the fleet status job against the floor.

Starts `--pairs` (100) load-balancing pairs of real Kea 2.2 servers on 127.0.x.y (kealab), imports each primary into
NetBox (the test database, in a transaction that is rolled back: its partner appears), then, for the whole fleet:

* the scheduled sync's fleet check (`ScheduledSyncJob` through an RQ worker: every running config read,
  concurrently in chunks of `CHUNK_SERVERS`, compared with NetBox's intent, drift recorded; the fleet is in sync,
  so it enqueues nothing) against its floor: the same servers' `config-get`, all at once, with a plain httpx
  client (no NetBox, no comparison);
* the fleet status job (`StatusJob`: `status-get` and `config-get` of every server, drift checked, states
  recorded) against its floor: the same servers' `status-get` and `config-get`, all at once.

Prints the median wall time of each, the ratio to its floor (target <= 1.5), and the peak memory the job added to
the worker process (its resident set's high-water mark, reset before each run), for a quarter, half and all of the
fleet, to show that the memory does not grow with the number of servers beyond the chunk size. Asserts nothing.

    python bench/fleet_200.py [--pairs 100] [--rounds 5] [--subnets 0] [--chunk 64]
"""

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _netbox import Worker, django_setup, empty_queues, enqueue, netbox_lab, rolled_back  # noqa: E402
from _timing import median_time  # noqa: E402
from normalise_10k import big_config  # noqa: E402

__all__ = ('main',)


def peak_added(run):
    """Run `run()`; the peak of the memory it allocated on top of what the process held (tracemalloc), in MiB."""
    import tracemalloc

    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def floor(urls, commands):
    """Send `commands` to every URL at once (one plain httpx client): the cost of just reading the fleet."""
    import httpx

    async def main():
        unlimited = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        async with httpx.AsyncClient(timeout=30, limits=unlimited) as client:
            await asyncio.gather(
                *(client.post(url, json={'command': c, 'service': ['dhcp4']}) for url in urls for c in commands)
            )

    asyncio.run(main())


def measure(servers, relationships, urls, rounds):
    """(fleet check seconds, its floor, status seconds, its floor): what the two system jobs run, and the floors."""
    from netbox_kea_ha.services.fleet_check import check_relationships
    from netbox_kea_ha.services.status import read_status

    def check():
        result = check_relationships(relationships)
        assert not result.to_sync, result.reasons  # the fleet is in sync: nothing to enqueue

    def status():
        read_status(servers)

    status()  # warm up: the first reading records states (change log), later ones do not
    check()
    return (
        median_time(check, rounds),
        median_time(lambda: floor(urls, ['config-get']), rounds),
        median_time(status, rounds),
        median_time(lambda: floor(urls, ['status-get', 'config-get']), rounds),
    )


def main(argv=None):
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--pairs', type=int, default=100)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--subnets', type=int, default=0, help='extra subnets on every server (bigger configs)')
    parser.add_argument('--chunk', type=int, default=0, help='servers read at once (default: CHUNK_SERVERS)')
    parser.add_argument('--profile', action='store_true', help='print where one fleet check of the fleet spends time')
    args = parser.parse_args(argv)
    django_setup()
    from kealab import KeaLab
    from netbox_kea_ha.jobs import ImportServerJob, ScheduledSyncJob, StatusJob
    from netbox_kea_ha.models import HARelationship, KeaServer
    from netbox_kea_ha.services import status
    from netbox_kea_ha.services.fleet_check import check_relationships
    from netbox_kea_ha.services.status import read_status

    if args.chunk:
        status.CHUNK_SERVERS = args.chunk

    with KeaLab() as lab:
        started = time.perf_counter()
        pairs = [lab.load_balancing(start=False) for _ in range(args.pairs)]
        servers = [server for pair in pairs for server in pair]
        if args.subnets:
            for server in servers:
                server.config = big_config(server.config, args.subnets)
        lab.start(servers)
        lab.wait_ha(servers, timeout=900)
        print(f'{len(servers)} real Kea 2.2 servers started and settled in {time.perf_counter() - started:.0f} s')
        with rolled_back():
            netbox = netbox_lab(suffix='fleet200')
            started = time.perf_counter()
            for index, (primary, secondary) in enumerate(pairs):
                server = netbox.server(primary, name=f'fleet-{index}-1')
                netbox.device(f'fleet-{index}-2', secondary.address)
                job = ImportServerJob.enqueue(instance=server, immediate=True)
                assert job.status == 'completed', job.error
            print(f'imported {args.pairs} primaries (and their partners) in {time.perf_counter() - started:.0f} s')
            worker = Worker()
            records = list(KeaServer.objects.filter(ha_peers__isnull=False).distinct().order_by('pk'))
            relationships = list(HARelationship.objects.order_by('pk'))
            by_url = {s.ca_url: s for s in servers}
            print(f'chunk size (CHUNK_SERVERS): {status.CHUNK_SERVERS}; {args.subnets} extra subnets per server')
            print(f'{"servers":>8} {"check":>9} {"floor":>9} {"ratio":>6} {"status":>9} {"floor":>9} {"ratio":>6}')
            shares = []
            for share in (4, 2, 1):
                some = relationships[: len(relationships) // share]
                chosen = [r for r in records if r.ha_peers.filter(relationship__in=some).exists()]
                shares.append((some, chosen))
            for some, chosen in shares:
                urls = [s.control_url for s in chosen]
                assert all(url in by_url for url in urls), 'NetBox reaches the lab servers where they listen'
                check, check_floor, status, status_floor = measure(chosen, some, urls, args.rounds)
                print(
                    f'{len(chosen):8d} {check * 1000:7.0f}ms {check_floor * 1000:7.0f}ms {check / check_floor:6.2f} '
                    f'{status * 1000:7.0f}ms {status_floor * 1000:7.0f}ms {status / status_floor:6.2f}'
                )
            print("ratio target: <= 1.5 (the plugin's work over just reading the same servers at once)")
            if args.profile:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                profiler.runcall(check_relationships, relationships)
                pstats.Stats(profiler).sort_stats('tottime').print_stats(25)
            print('peak memory each run adds to the worker process (MiB):')
            for some, chosen in shares:
                check_mib = peak_added(lambda some=some: check_relationships(some))
                status_mib = peak_added(lambda chosen=chosen: read_status(chosen))
                print(f'  {len(chosen):4d} servers: fleet check {check_mib:6.1f}   status {status_mib:6.1f}')
            empty_queues()
            check_job = median_time(lambda: (enqueue(ScheduledSyncJob.enqueue), worker.drain()), args.rounds)
            status_job = median_time(lambda: (enqueue(StatusJob.enqueue), worker.drain()), args.rounds)
            print(
                f'whole jobs through a long-lived RQ worker, {len(records)} servers: ScheduledSyncJob '
                f'{check_job * 1000:.0f} ms, StatusJob {status_job * 1000:.0f} ms'
            )
            worker.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
