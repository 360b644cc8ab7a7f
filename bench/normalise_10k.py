"""Normalising a 10,000-subnet config-get answer costs a fraction of Kea's own config-get.

Starts one real Kea 2.2 server (kealab, its own Control Agent on 127.0.0.x), sets a config of 10,000 subnets
(each with one pool, one option and three reservations, as in kea-2.2-observed.md §6), then, side by side in one
run, prints the median wall time of:

* Kea's `config-get` through the Control Agent (the HTTP round trip, Kea building about 12 MB of JSON, and the
  client parsing it): what any drift check has to pay anyway;
* `detect` + `normalise` of that answer (ours);
* `diff_configs` of that answer against itself with a one-timer change (what a sync does per peer);

and the ratio ours / Kea's (target: at most 0.25). Prints figures; asserts nothing.

    python bench/normalise_10k.py [--subnets 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import timed  # noqa: E402

from kealab import KeaLab  # noqa: E402
from netbox_kea_ha.kea.client import KeaClient  # noqa: E402
from netbox_kea_ha.kea.detect import detect  # noqa: E402
from netbox_kea_ha.kea.diff import diff_configs  # noqa: E402
from netbox_kea_ha.kea.normalise import normaliser  # noqa: E402

__all__ = ('big_config', 'main')


def big_config(base: dict, subnets: int) -> dict:
    """The server's own config with `subnets` subnets (10.x.y.0/24), each 1 pool, 1 option, 3 reservations."""
    config = copy.deepcopy(base)
    inner = config['Dhcp4']
    out = []
    for i in range(subnets):
        a, b = divmod(i, 256)
        net = f'10.{a}.{b}'
        out.append(
            {
                'id': i + 1,
                'subnet': f'{net}.0/24',
                'pools': [{'pool': f'{net}.10 - {net}.200'}],
                'option-data': [{'name': 'routers', 'data': f'{net}.1'}],
                'reservations': [
                    {'hw-address': f'02:00:{a:02x}:{b:02x}:00:{r:02x}', 'ip-address': f'{net}.{220 + r}'}
                    for r in range(3)
                ],
            }
        )
    inner['subnet4'] = out
    return config


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--subnets', type=int, default=10000)
    parser.add_argument('--rounds', type=int, default=3)
    args = parser.parse_args(argv)
    with KeaLab() as lab:
        server = lab.standalone()
        endpoint = server.endpoint(timeout=120)
        with KeaClient(endpoint) as client:
            config = big_config(server.config, args.subnets)
            started = time.perf_counter()
            client.config_set(config)
            print(f'config-set of {args.subnets} subnets: {time.perf_counter() - started:.2f} s')
            kea_time, got = timed(client.config_get, args.rounds)
        answer = got.config
        size = len(json.dumps(answer, separators=(',', ':')))
        norm = normaliser('dhcp4')

        def ours():
            detection = detect(answer)
            return detection, norm.normalise(answer)

        ours_time, _ = timed(ours, args.rounds)
        detect_time, _ = timed(lambda: detect(answer), args.rounds)
        # Edit the compact form: in the expanded answer every subnet carries the inherited timer itself.
        desired = norm.normalise(answer)
        desired['Dhcp4']['renew-timer'] = 1000
        diff_time, diff = timed(lambda: diff_configs(answer, desired), args.rounds)
    print(f'config-get answer: {size / 1e6:.1f} MB of JSON, {args.subnets} subnets')
    print(f"Kea's config-get (round trip + parse): {kea_time:.3f} s")
    print(f'ours: detect + normalise:              {ours_time:.3f} s  (detect alone {detect_time:.3f} s)')
    print(f'ours: diff with a one-timer change:    {diff_time:.3f} s  ({len(diff)} change: {diff.paths[0]})')
    print(f'ratio detect+normalise / config-get:   {ours_time / kea_time:.2f}  (target <= 0.25)')
    print(f'ratio diff / config-get:               {diff_time / kea_time:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
