"""A scheduled sync of a fleet that is in sync sends no config-set and costs about what reading every config costs.

Starts 10 real Kea 2.2 load-balancing pairs (20 servers, kealab; `--subnets N` gives every server N more subnets),
imports them into NetBox (the test database, in a transaction that is rolled back), and prints the median wall
time of:

* the floor: a minimal script that `config-get`s every server one after another (one HTTP POST and a JSON parse
  per server, nothing else);
* the scheduled sync: `ScheduledSyncJob` enqueued to Redis, run by one long-lived RQ worker (`rq.SimpleWorker`
  in this process): it reads every peer's config (concurrently, `services.fleet_check`), renders the HA blocks,
  builds the desired configs (replication on), compares, and enqueues a `SyncRelationshipJob` only for a
  relationship that is not in sync (none here; the same worker would run them);

and the ratio (target: at most 1.3x). Then it checks every server's log: no `config-set` was received. Twice:
straight to the Control Agents over loopback, and through a delay proxy adding `--rtt` ms per round trip (the
network between NetBox and its Kea servers). Prints figures; asserts nothing.

    python bench/sync_noop_fleet.py [--pairs 10] [--subnets 0] [--rounds 5] [--rtt 20]
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _netbox import DelayProxy, Worker, django_setup, empty_queues, enqueue, netbox_lab, rolled_back  # noqa: E402
from _timing import median_time  # noqa: E402
from normalise_10k import big_config  # noqa: E402

__all__ = ('main',)


def floor(urls):
    """The minimal script: config-get of every server, one after another, over one HTTP client."""
    import httpx

    with httpx.Client(timeout=60, trust_env=False) as client:
        for url in urls:
            response = client.post(url, json={'command': 'config-get', 'service': ['dhcp4']})
            assert response.json()[0]['result'] == 0


def config_sets(servers):
    marker = "Received command 'config-set'"
    return sum(marker in line for server in servers for line in server.log_lines())


def measure(label, urls, rounds, servers, worker):
    from core.models import Job

    from netbox_kea_ha.jobs import ScheduledSyncJob, SyncRelationshipJob

    def scheduled():
        enqueue(ScheduledSyncJob.enqueue)
        worker.drain()

    empty_queues()
    scheduled()  # warm up
    sets = config_sets(servers)
    base = median_time(lambda: floor(urls), rounds)
    first = Job.objects.order_by('-pk').values_list('pk', flat=True).first()
    ours = median_time(scheduled, rounds)
    syncs = Job.objects.filter(pk__gt=first, name=SyncRelationshipJob.name)
    statuses = sorted(set(syncs.values_list('status', flat=True)))
    sent = sum(job.data.get('config_sets', 0) for job in syncs)
    print(label)
    print(f'  floor: config-get of {len(urls)} servers one after another: {base * 1000:8.1f} ms')
    print(f'  scheduled sync, one RQ worker ({syncs.count() // rounds} sync jobs): {ours * 1000:8.1f} ms')
    print(f'  ratio sync / floor: {ours / base:.2f}  (target <= 1.3)')
    print(
        f'  sync jobs: {statuses}; config-set sent by the jobs: {sent}; received by Kea: {config_sets(servers) - sets}'
    )


def main(argv=None):
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--pairs', type=int, default=10)
    parser.add_argument('--subnets', type=int, default=0, help='extra subnets on every server')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--rtt', type=float, default=20.0, help='round trip added by the delay proxy, ms')
    args = parser.parse_args(argv)
    django_setup()
    from kealab import KeaLab
    from netbox_kea_ha.jobs import ImportServerJob
    from netbox_kea_ha.models import HAPeer, KeaServer

    with KeaLab() as lab:
        started = time.perf_counter()
        pairs = [lab.load_balancing(start=False) for _ in range(args.pairs)]
        servers = [server for pair in pairs for server in pair]
        if args.subnets:
            for server in servers:
                server.config = big_config(server.config, args.subnets)
        lab.start(servers)
        lab.wait_ha(servers, timeout=300)
        print(
            f'{len(servers)} real Kea 2.2 servers, {args.subnets} extra subnets each, settled in '
            f'{time.perf_counter() - started:.1f} s'
        )
        with rolled_back():
            netbox = netbox_lab()
            for index, (primary, secondary) in enumerate(pairs):
                server = netbox.server(primary, name=f'fleet-{index}-1')
                netbox.device(f'fleet-{index}-2', secondary.address)
                job = ImportServerJob.enqueue(instance=server, immediate=True)
                assert job.status == 'completed', job.error
            worker = Worker()
            urls = [s.ca_url for s in servers]
            measure('loopback, straight to the Control Agents', urls, args.rounds, servers, worker)
            records = {s.pk: s for s in KeaServer.objects.all() if s.ha_peers.exists()}
            ordered = list(records.values())
            targets = [f'{s.effective_control_host}:{s.effective_control_port}' for s in ordered]
            for peer in HAPeer.objects.all():  # the peers keep talking to each other directly
                HAPeer.objects.filter(pk=peer.pk).update(url=peer.effective_url)
            with DelayProxy(args.rtt, targets) as proxy:
                for record, port in zip(ordered, proxy.ports, strict=True):
                    KeaServer.objects.filter(pk=record.pk).update(control_host='127.0.0.1', control_port=port)
                    # Moved by the administrator: the relationships may push there (docs/security.md).
                    KeaServer.objects.get(pk=record.pk).confirm_endpoint()
                urls = [f'http://127.0.0.1:{port}/' for port in proxy.ports]
                label = f'through a delay proxy adding {args.rtt:g} ms per round trip'
                measure(label, urls, args.rounds, servers, worker)
            worker.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
