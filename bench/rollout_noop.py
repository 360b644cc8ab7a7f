"""A rollout where nothing differs sends no config-set and costs about as much as reading every peer's config.

Starts a real Kea 2.2 load-balancing pair plus a backup (kealab), builds each peer's desired config the way a sync
does (its running config, the primary's shared parts, its own HA and lease_cmds entries as the templates render
them) and prints the median wall time of:

* the plain `config-get` of every peer, one after the other and all at once (threads);
* a rollout of those desired configs (validation, config-get of every peer at once, detection, normalised
  diffs: nothing differs, so nothing is sent), with the clients a caller keeps open and the Kea versions NetBox
  knows (the plugin's steady state), and, for reference, with new clients and every version read (version-get);

and the ratios rollout / config-get (target: at most 1.2x the plain config-get of every peer). Then it checks the
servers' logs: no `config-set` (or `config-test`) was received. `--subnets N` gives every server N extra subnets to
see how the cost grows with the config. Prints figures; asserts nothing.

    python bench/rollout_noop.py [--rounds 15] [--subnets 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import median_time  # noqa: E402

from kealab import KeaLab  # noqa: E402
from netbox_kea_ha.kea.client import KeaClient  # noqa: E402
from netbox_kea_ha.kea.replicate import build_peer_config, split_config  # noqa: E402
from netbox_kea_ha.kea.rollout import PeerOutcome, Target, rollout  # noqa: E402

__all__ = ('main',)


def add_subnets(config: dict, count: int) -> dict:
    inner = dict(config['Dhcp4'])
    extra = []
    for i in range(count):
        a, b = divmod(i, 256)
        extra.append(
            {
                'id': 100 + i,
                'subnet': f'10.{a}.{b}.0/24',
                'pools': [{'pool': f'10.{a}.{b}.10 - 10.{a}.{b}.200'}],
                'option-data': [{'name': 'routers', 'data': f'10.{a}.{b}.1'}],
            }
        )
    inner['subnet4'] = list(inner['subnet4']) + extra
    return {'Dhcp4': inner}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rounds', type=int, default=15)
    parser.add_argument('--subnets', type=int, default=0)
    args = parser.parse_args(argv)
    with KeaLab() as lab:
        servers = lab.load_balancing(backup=True)
        lab.wait_ha(servers, timeout=90)
        endpoints = [s.endpoint(timeout=60) for s in servers]
        if args.subnets:
            for server, endpoint in zip(servers, endpoints, strict=True):
                with KeaClient(endpoint) as client:
                    client.config_set(add_subnets(client.config_get().config, args.subnets))
            lab.wait_ha(servers, timeout=90)
        clients = [KeaClient(e) for e in endpoints]
        running = {s.name: c.config_get().config for s, c in zip(servers, clients, strict=True)}
        versions = {s.name: c.version_get().version for s, c in zip(servers, clients, strict=True)}
        primary = running[servers[0].name]
        # The HA and lease_cmds entries as rendered (compact, as the templates write them: the lab's own config),
        # not as config-get expands them: the diff has to normalise them to see that nothing differs.
        desired = {
            s.name: build_peer_config(running[s.name], list(split_config(s.config).rendered_hooks), primary=primary)
            for s in servers
        }
        # What NetBox knows: each server's version (recorded by the status job).
        targets = [
            Target(s.name, e, desired[s.name], versions[s.name]) for s, e in zip(servers, endpoints, strict=True)
        ]
        cold_targets = [Target(s.name, e, desired[s.name]) for s, e in zip(servers, endpoints, strict=True)]
        by_name = {s.name: c for s, c in zip(servers, clients, strict=True)}
        marks = {s.name: len(s.log_lines()) for s in servers}

        def sequential() -> None:
            for client in clients:
                client.config_get()

        def concurrent() -> None:
            with ThreadPoolExecutor(len(clients)) as pool:
                list(pool.map(lambda c: c.config_get(), clients))

        outcomes: list[list[PeerOutcome]] = []

        def noop() -> None:
            report = rollout(targets, clients=by_name)
            outcomes.append([p.outcome for p in report.peers])

        def noop_cold() -> None:
            report = rollout(cold_targets)
            outcomes.append([p.outcome for p in report.peers])

        # Interleave them so that load on the shared cores hits them alike.
        seq, conc, ours, cold = [], [], [], []
        for _ in range(args.rounds):
            seq.append(median_time(sequential, 1))
            conc.append(median_time(concurrent, 1))
            ours.append(median_time(noop, 1))
            cold.append(median_time(noop_cold, 1))
        for client in clients:
            client.close()
        sets = {
            s.name: sum("Received command 'config-set'" in line for line in s.log_lines()[marks[s.name] :])
            for s in servers
        }
        tests = {
            s.name: sum("Received command 'config-test'" in line for line in s.log_lines()[marks[s.name] :])
            for s in servers
        }
    seq_t, conc_t, ours_t = statistics.median(seq), statistics.median(conc), statistics.median(ours)
    cold_t = statistics.median(cold)
    unchanged = all(all(o is PeerOutcome.UNCHANGED for o in run) for run in outcomes)
    print(
        f'{len(servers)} peers (load-balancing pair + backup), {args.subnets} extra subnets each, {args.rounds} rounds'
    )
    print(f'config-get of every peer, one after another: {seq_t * 1000:8.1f} ms')
    print(f'config-get of every peer, all at once:       {conc_t * 1000:8.1f} ms')
    print(f'rollout where nothing differs:               {ours_t * 1000:8.1f} ms  (open clients, known versions)')
    print(f'  the same with new clients, versions read:  {cold_t * 1000:8.1f} ms')
    print(f'ratio rollout / sequential config-gets:      {ours_t / seq_t:8.2f}  (target <= 1.2)')
    print(f'ratio rollout / concurrent config-gets:      {ours_t / conc_t:8.2f}')
    print(f'ratio cold rollout / sequential config-gets: {cold_t / seq_t:8.2f}')
    print(f'every peer unchanged in every round: {unchanged}; config-set received: {sets}; config-test: {tests}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
