"""Status of a fleet through NetBox costs about as much as the status of one server.

Starts 6 real Kea 2.2 servers (three load-balancing pairs, kealab), imports them into NetBox (the test database,
in a transaction that is rolled back), then prints the median wall time of the plugin's status service
(`services.status.read_status`: what the status job runs) for one server and for all 6, with and without the
drift check (which also reads and compares each running config), the ratios 6 / 1 (target: at most 1.5x), and
the whole StatusJob for the 6 run by an RQ worker. Twice: straight to the Control Agents over loopback (no
latency to overlap: the figures are CPU, the client's and Kea's, on the machine's shared cores), and through a
delay proxy that adds `--rtt` ms per round trip, like a network between NetBox and its Kea servers. Prints
figures; asserts nothing.

    python bench/status_fleet.py [--rounds 15] [--rtt 20]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _netbox import DelayProxy, Worker, django_setup, empty_queues, enqueue, netbox_lab, rolled_back  # noqa: E402
from _timing import median_time  # noqa: E402

__all__ = ('main',)


def measure(every, one, rounds, worker):
    """{drift: (1 server, 6 servers)} medians, and the StatusJob of the 6 through RQ."""
    from netbox_kea_ha.jobs import StatusJob
    from netbox_kea_ha.services.status import read_status

    read_status(every)  # warm up: first readings change states (change log), later ones do not
    figures = {}
    for drift in (False, True):
        figures[drift] = (
            median_time(lambda drift=drift: read_status(one, drift=drift), rounds),
            median_time(lambda drift=drift: read_status(every, drift=drift), rounds),
        )
    empty_queues()

    def job():
        enqueue(StatusJob.enqueue)
        worker.drain()

    return figures, median_time(job, max(3, rounds // 3))


def show(label, figures, with_job):
    print(label)
    for drift, (single, six) in figures.items():
        what = 'status-get (+ version-get), config-get, drift checked' if drift else 'status-get (+ version-get)'
        print(f'  {what}:')
        print(f'    1 server:  {single * 1000:7.1f} ms')
        print(f'    6 servers: {six * 1000:7.1f} ms   ratio 6/1: {six / single:.2f}  (target <= 1.5)')
    print(f'  StatusJob for the 6 (drift checked) through RQ, long-lived worker: {with_job * 1000:.1f} ms')


def main(argv=None):
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rounds', type=int, default=15)
    parser.add_argument('--rtt', type=float, default=20.0, help='round trip added by the delay proxy, ms')
    args = parser.parse_args(argv)
    django_setup()
    from kealab import KeaLab
    from netbox_kea_ha.jobs import ImportServerJob
    from netbox_kea_ha.models import KeaServer

    with KeaLab() as lab:
        pairs = [lab.load_balancing() for _ in range(3)]
        lab.wait_ha([s for pair in pairs for s in pair], timeout=120)
        with rolled_back():
            netbox = netbox_lab()
            for index, (primary, secondary) in enumerate(pairs):
                server = netbox.server(primary, name=f'bench-{index}-1')
                netbox.device(f'bench-{index}-2', secondary.address)
                job = ImportServerJob.enqueue(instance=server, immediate=True)
                assert job.status == 'completed', job.error
            every = KeaServer.objects.filter(ha_peers__isnull=False).distinct()
            one = KeaServer.objects.filter(pk=every.first().pk)
            assert every.count() == 6
            worker = Worker()
            loopback = measure(every, one, args.rounds, worker)
            states = sorted(set(every.values_list('ha_state', 'config_drift')))
            servers = list(every)
            with DelayProxy(
                args.rtt, [f'{s.effective_control_host}:{s.effective_control_port}' for s in servers]
            ) as proxy:
                for server, port in zip(servers, proxy.ports, strict=True):
                    KeaServer.objects.filter(pk=server.pk).update(control_host='127.0.0.1', control_port=port)
                delayed = measure(every, one, args.rounds, worker)
            worker.close()
    show(
        'status of real Kea 2.2 servers through the plugin (read_status: read concurrently, record in NetBox)',
        *loopback,
    )
    show(f'the same through a delay proxy adding {args.rtt:g} ms per round trip', *delayed)
    print(f'recorded (HA state, drift): {states}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
