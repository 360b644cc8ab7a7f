"""Importing a server that runs 2,000 subnets costs at most about twice Kea's own config-get of it.

Starts a real Kea 2.2 load-balancing pair (kealab) whose primary runs 2,000 subnets (each with one pool, one option
and three reservations, as in kea-2.2-observed.md §6), and prints the median wall time of:

* Kea's `config-get` of the primary through its Control Agent (round trip, Kea writing about 2.5 MB of JSON, the
  client parsing it): the floor of any import;
* the import end to end through the job: `ImportServerJob` enqueued to Redis and run by an RQ worker (config-get,
  version-get, detection and validation, NetBox objects created and change-logged), each round a first import
  (rolled back after);

and their ratio (target: at most 2x). Prints figures; asserts nothing.

    python bench/import_2000.py [--subnets 2000] [--rounds 5]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _netbox import Rollback, django_setup, empty_queues, enqueue, netbox_lab, rolled_back, run_worker  # noqa: E402
from normalise_10k import big_config  # noqa: E402

__all__ = ('main',)


def main(argv=None):
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--subnets', type=int, default=2000)
    parser.add_argument('--rounds', type=int, default=5)
    args = parser.parse_args(argv)
    django_setup()
    from django.db import transaction

    from kealab import KeaLab
    from netbox_kea_ha.jobs import ImportServerJob
    from netbox_kea_ha.kea.client import KeaClient
    from netbox_kea_ha.models import HAPeer

    with KeaLab() as lab:
        primary, secondary = lab.load_balancing(start=False)
        primary.config = big_config(primary.config, args.subnets)
        lab.start([primary, secondary])
        lab.wait_ha([primary, secondary], timeout=120)
        kea_times = []
        with KeaClient(primary.endpoint(timeout=60)) as kea:
            size = len(kea.request('config-get')[0].arguments['Dhcp4']['subnet4'])
            for _ in range(args.rounds):
                started = time.perf_counter()
                kea.config_get()
                kea_times.append(time.perf_counter() - started)
        ours, outcome = [], None
        with rolled_back():
            netbox = netbox_lab()
            server = netbox.server(primary, name='big-1')
            netbox.device('big-2', secondary.address)
            empty_queues()
            for _ in range(args.rounds):
                try:
                    with transaction.atomic():
                        started = time.perf_counter()
                        job = enqueue(lambda: ImportServerJob.enqueue(instance=server))
                        run_worker()
                        ours.append(time.perf_counter() - started)
                        job.refresh_from_db()
                        outcome = (job.status, job.error, HAPeer.objects.count(), len(job.data.get('created', [])))
                        raise Rollback
                except Rollback:
                    pass
    kea_time, our_time = statistics.median(kea_times), statistics.median(ours)
    print(f'primary runs {size} subnets; import job: {outcome[0]}, {outcome[2]} peers, {outcome[3]} objects created')
    if outcome[1]:
        print(f'  job error: {outcome[1]}')
    print(f"Kea's config-get (round trip + parse), median of {args.rounds}: {kea_time * 1000:8.1f} ms")
    print(f'import through the job (RQ worker), median of {args.rounds}:    {our_time * 1000:8.1f} ms')
    print(f'ratio import / config-get: {our_time / kea_time:.2f}  (target <= 2)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
