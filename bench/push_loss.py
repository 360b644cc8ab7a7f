"""What DHCP clients lose while the plugin pushes a change: today's rolling push against the least-loss procedure.

For each Kea version (2.2 from the host; 3.0 from kealab's Debian 13 root, with the subnet_cmds, class_cmds and
host_cmds hooks loaded) and each rate, every case gets a fresh `kealab.netns.NetnsDhcpLab`: two network namespaces
of its own joined by a veth pair (198.18.0.0/15 exists only inside them), a real Kea load-balancing pair in the
server namespace with pools split by `HA_server1`/`HA_server2` classes and `--leases` (10,000) leases seeded, and
perfdhcp in the client namespace at a steady rate of four-way exchanges for a `--duration` (30 s) window. The pair
is imported into NetBox (the test database, in a transaction that is rolled back) and, `--at` (5) s into the window,
the change is pushed by the plugin's own sync job (`SyncRelationshipJob`, run by an RQ worker in this process):

* `none`: no push (the baseline);
* `subnet`: a subnet with an option added on the primary (before the window: at runtime with `subnet4-add` where
  Kea has it, else by `config-set`, then HA settled); the sync replicates it to the partner;
* `timer`: the relationship's `max-response-delay` changed in NetBox; the sync pushes both peers;
* `timer-nosync`: the same, on a relationship that runs with `sync-leases: false` (set in NetBox and pushed before
  the window).

each with the relationship's `push_procedure` set to `rolling` (a `config-set` to each peer in turn) and to
`least-loss` (Kea's commands where it can take the change while running; else the reload with the partner serving
the peer's scope). Prints per window: lost exchanges (perfdhcp: DISCOVERs without a completed exchange within 1 s),
the windows of at least 0.1 s in which no server answered anything (a packet sniffer on the client side), the lease
syncs the servers logged, how the job applied the change, whether both servers hold the same leases afterwards and
their end states; then the least-loss/rolling ratios and the targets of docs/push.md. Asserts nothing.

Needs root (network namespaces, veth links, raw sockets): without it, or without perfdhcp (Debian's kea-admin), it
says "needs root" with the reason and exits 0. Removes every namespace, link and process it created.

    python bench/push_loss.py [--kea 2.2,3.0] [--rates 200,500] [--cases none,subnet,timer,timer-nosync]
                              [--procedures rolling,least-loss] [--duration 30] [--leases 10000] [--reps 1]
"""

import argparse
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _netbox import Worker, django_setup, empty_queues, enqueue, netbox_lab, rolled_back  # noqa: E402

from kealab import COMMANDS_HOOKS  # noqa: E402
from kealab.netns import NetnsDhcpLab, available  # noqa: E402

__all__ = ('main',)

CASES = ('none', 'subnet', 'timer', 'timer-nosync')
PROCEDURES = ('rolling', 'least-loss')
#: The subnet the `subnet` case adds (a documentation range: it is only configured, never served).
NEW_SUBNET = {
    'id': 77,
    'subnet': '198.51.100.0/24',
    'pools': [{'pool': '198.51.100.10 - 198.51.100.99'}],
    'option-data': [{'name': 'routers', 'data': '198.51.100.1'}],
}


@dataclass
class Row:
    """One window: what was pushed how, and what the clients saw."""

    kea: str
    rate: int
    case: str
    procedure: str
    lost: int = 0
    sent: int = 0
    zero_service: list[float] = field(default_factory=list)
    syncs: list[int] = field(default_factory=list)
    methods: str = ''
    push_at: float | None = None
    push_seconds: float | None = None
    leases_equal: bool = False
    leases: str = ''
    #: When the servers' leases differ: how many, and a few examples (address, server1's, server2's).
    mismatches: str = ''
    states: str = ''
    error: str = ''
    #: With --verbose: per scope the windows nobody served it, the HA transitions, the job's steps.
    detail: list[str] = field(default_factory=list)

    def line(self):
        """The row as printed."""
        zero = ', '.join(f'{w:.2f}' for w in self.zero_service) or 'none'
        syncs = ', '.join(str(s) for s in self.syncs) or '-'
        push = f'{self.push_seconds:.1f}' if self.push_seconds is not None else '-'
        return (
            f'{self.kea:>4} {self.rate:>4} {self.case:<13} {self.procedure:<10} {self.lost:>5} / {self.sent:<6} '
            f'{zero:<16} {syncs:<12} {push:>6} {"yes" if self.leases_equal else "NO":<7} {self.states:<32} '
            f'{self.methods}{"  ERROR: " + self.error if self.error else ""}'
            + (f'\n       leases differ: {self.mismatches}' if self.mismatches else '')
            + ''.join(f'\n       {line}' for line in self.detail)
        )


HEADER = (
    ' kea rate case          procedure   lost / sent   zero-service s   syncs ms     push s equal   end states'
    + ' ' * 23
    + 'how'
)


def edit(obj, **values):
    """Change a NetBox object as its form does: snapshot, set, validate, save."""
    obj.snapshot()
    for name, value in values.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()


def sync(worker, relationship):
    """The plugin's sync job for `relationship`, run by the worker; the finished Job."""
    from netbox_kea_ha.jobs import SyncRelationshipJob

    job = enqueue(lambda: SyncRelationshipJob.enqueue(instance=relationship))
    worker.drain()
    job.refresh_from_db()
    return job


def how(job):
    """How the job applied the change, per peer (e.g. 'server2 runtime'), or its error."""
    if job is None:
        return ''
    peers = (job.data or {}).get('peers', [])
    done = [f'{p["name"]} {p["method"]}' for p in peers if p.get('method')]
    text = ', '.join(done) or 'nothing to push'
    return text if job.status == 'completed' else f'{text}; job {job.status}: {job.error}'


def add_subnet_on_primary(lab):
    """The `subnet` case's change, made on the primary before the window (not by the plugin)."""
    primary = lab.servers[0]
    if lab.kea == '3.0':
        answer = lab.unix_command(primary, 'subnet4-add', {'subnet4': [NEW_SUBNET]})
    else:
        config = lab.unix_command(primary, 'config-get')['arguments']
        config.pop('hash', None)
        config['Dhcp4']['subnet4'].append(NEW_SUBNET)
        answer = lab.unix_command(primary, 'config-set', config)
    if answer.get('result') != 0:
        raise RuntimeError(f'{primary.name} refused the new subnet: {answer}')
    lab.lab.wait_ha(lab.servers, timeout=120)


def prepare(lab, worker, case, procedure):
    """Import the pair into NetBox and set the relationship up for `case`; (relationship, the push to run)."""
    from netbox_kea_ha.jobs import ImportServerJob
    from netbox_kea_ha.models import HARelationship

    unique = f'push{time.monotonic_ns()}'  # the test database may hold a test's servers meanwhile
    netbox = netbox_lab(suffix=unique)
    kind = 'server' if lab.kea == '3.0' else 'agent'
    primary = netbox.server(lab.servers[0], name=f'{unique}-1', control_kind=kind)
    netbox.device(f'{unique}-2', lab.servers[1].address)
    job = enqueue(lambda: ImportServerJob.enqueue(instance=primary))
    worker.drain()
    job.refresh_from_db()
    if job.status != 'completed':
        raise RuntimeError(f'the import failed: {job.error}')
    relationship = HARelationship.objects.get(peers__server=primary)
    if procedure in PROCEDURES:
        edit(relationship, push_procedure=procedure)
    if case == 'timer-nosync':
        edit(relationship, sync_leases=False)
        done = sync(worker, relationship)
        if done.status != 'completed':
            raise RuntimeError(f'pushing sync-leases false failed: {how(done)}')
        lab.lab.wait_ha(lab.servers, timeout=120)
    if case == 'subnet':
        add_subnet_on_primary(lab)
    if case in ('timer', 'timer-nosync'):
        edit(relationship, max_response_delay=4000)
    if case == 'none':
        return relationship, None
    return relationship, lambda: sync(worker, relationship)


def window(lab, rate, duration, at, push):
    """Measure one window of traffic with `push()` run `at` s into it (here, in this thread: NetBox's transaction);
    (Measurement, the push's result, its start from the first DISCOVER, its seconds)."""
    box = {}

    def traffic():
        try:
            box['measurement'] = lab.measure(duration=duration, rate=rate, settle=120)
        except BaseException as exc:  # raised in the caller
            box['error'] = exc

    thread = threading.Thread(target=traffic, name='push-loss-traffic')
    started = time.time()
    thread.start()
    result = None
    pushed = ended = None
    if push is not None:
        time.sleep(at)
        pushed = time.time()
        try:
            result = push()
        finally:
            ended = time.time()
    thread.join()
    if 'error' in box:
        raise box['error']
    measurement = box['measurement']
    discovers = [p.time for p in measurement.packets if p.outgoing and p.message_type == 1]
    first = min(discovers) if discovers else started
    return measurement, result, (pushed - first if pushed else None), (ended - pushed if pushed else None)


def run_case(kea, rate, case, procedure, args, worker):
    """One fresh lab, one window; its Row."""

    row = Row(kea, rate, case, procedure if case != 'none' else '-')
    hooks = COMMANDS_HOOKS if kea == '3.0' else ()
    with NetnsDhcpLab(kea=kea, leases=args.leases, hooks=hooks) as lab, rolled_back():
        try:
            _, push = prepare(lab, worker, case, procedure)
            measurement, job, row.push_at, row.push_seconds = window(lab, rate, args.duration, args.at, push)
        except Exception as exc:
            row.error = f'{type(exc).__name__}: {exc}'
            return row
        row.lost, row.sent = measurement.lost, measurement.sent
        row.zero_service = [w.duration for w in measurement.zero_service]
        row.syncs = [ms for _, ms in measurement.sync_ms]
        row.leases_equal = measurement.leases_equal
        row.leases = '/'.join(str(n) for n in measurement.leases.values())
        if not measurement.leases_equal:
            examples = '; '.join(f'{a} {one} vs {two}' for a, one, two in measurement.lease_mismatches[:3])
            row.mismatches = f'{measurement.lease_differences} ({row.leases}): {examples}'
        row.states = ', '.join(f'{name} {state}' for name, state in measurement.states.items())
        if not measurement.settled:
            row.states += ' (did not settle)'
        row.methods = how(job)
        if args.verbose:
            row.detail = details(measurement, job, row.push_at)
    return row


def details(measurement, job, push_at):
    """Lines that explain a window: unserved spans per scope, HA transitions, the push's steps (from its start)."""
    lines = [
        f'{scope} unserved: ' + (', '.join(str(w) for w in windows) or 'never')
        for scope, windows in measurement.unserved.items()
    ]
    lines += [f'transition {t}' for t in measurement.transitions]
    discovers = [p.time for p in measurement.packets if p.outgoing and p.message_type == 1]
    if discovers and push_at is not None:
        first, acks = min(discovers), {}
        for packet in measurement.packets:
            if not packet.outgoing and packet.message_type == 5:
                slot = int((packet.time - first) / 0.25)
                acks[slot] = acks.get(slot, 0) + 1
        slots = range(max(0, int(push_at / 0.25) - 2), int(push_at / 0.25) + 32)
        lines.append('ACKs per 0.25 s from 0.5 s before the push: ' + ' '.join(str(acks.get(i, 0)) for i in slots))
        if measurement.lease_mismatches:
            at = sorted(
                {
                    int(max(o[-1] if o else 0, t[-1] if t else 0)) - int(first)
                    for _, o, t in measurement.lease_mismatches
                }
            )
            lines.append(f'differing leases were last written at (s into the window): {at}')
    if job is not None and job.data and job.data.get('rollout'):
        for peer in job.data['rollout']['peers']:
            steps = ', '.join(f'{s["name"]} {s["seconds"]:.2f}s{"" if s["ok"] else " FAILED"}' for s in peer['steps'])
            lines.append(f'{peer["name"]} steps (push at {push_at or 0:.2f} s): {steps}')
    return lines


def ratios(rows):
    """Per (kea, rate, case): least-loss lost over rolling lost (medians over the repetitions)."""
    groups = {}
    for row in rows:
        if row.error or row.case == 'none':
            continue
        groups.setdefault((row.kea, row.rate, row.case), {}).setdefault(row.procedure, []).append(row.lost)
    out = []
    for (kea, rate, case), by_procedure in groups.items():
        if 'rolling' not in by_procedure or 'least-loss' not in by_procedure:
            continue
        rolling = statistics.median(by_procedure['rolling'])
        least = statistics.median(by_procedure['least-loss'])
        ratio = f'{least / rolling:.2f}' if rolling else '-'
        out.append(f'{kea:>4} {rate:>4} {case:<13} rolling {rolling:>6g}  least-loss {least:>6g}  ratio {ratio}')
    return out


def targets(rows):
    """The figures docs/push.md aims at, and whether this run met them."""
    lines = []
    for row in rows:
        if row.error or row.case == 'none':
            continue
        if row.procedure == 'least-loss' and row.case == 'subnet' and row.kea == '3.0':
            lines.append(f'{row.kea} {row.rate}/s subnet at runtime: {row.lost} lost (target 0)')
        if row.procedure == 'least-loss' and row.case == 'timer-nosync':
            per_6000 = row.lost * 6000 / row.sent if row.sent else 0
            lines.append(
                f'{row.kea} {row.rate}/s timer, sync-leases false: {row.lost} lost ({per_6000:.1f} per 6,000; '
                'target <= 3)'
            )
    bad = [r for r in rows if not r.error and (not r.leases_equal or 'did not settle' in r.states)]
    lines.append(f'windows ending with leases differing or a peer not operational: {len(bad)} (target 0)')
    return lines


def main(argv=None):
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--kea', default='2.2,3.0', help='Kea versions (2.2, 3.0)')
    parser.add_argument('--rates', default='200,500', help='four-way exchanges a second')
    parser.add_argument('--cases', default=','.join(CASES))
    parser.add_argument('--procedures', default=','.join(PROCEDURES))
    parser.add_argument('--duration', type=float, default=30.0, help='seconds of traffic per window')
    parser.add_argument('--at', type=float, default=5.0, help='seconds into the window the push starts')
    parser.add_argument('--leases', type=int, default=10_000, help='leases seeded in both servers')
    parser.add_argument('--reps', type=int, default=1, help='windows per case')
    parser.add_argument('--verbose', action='store_true', help='per window: unserved scopes, transitions, steps')
    args = parser.parse_args(argv)
    versions = [v for v in args.kea.split(',') if v]
    usable = []
    for kea in versions:
        why = available(kea)
        if why:
            usable.append(kea)
        else:
            print(f'push_loss: Kea {kea} skipped: {why.reason}')
    if not usable:
        print('push_loss: needs root (network namespaces, veth links, raw DHCP sockets) and perfdhcp; nothing run')
        return 0

    django_setup()
    empty_queues()
    worker = Worker()
    rows = []
    print(f'{args.leases:,} leases seeded; {args.duration:g} s windows; the push starts {args.at:g} s in')
    print(HEADER)
    try:
        for kea in usable:
            for rate in (int(r) for r in args.rates.split(',')):
                for case in args.cases.split(','):
                    procedures = ['-'] if case == 'none' else args.procedures.split(',')
                    for procedure in procedures:
                        for _ in range(args.reps):
                            row = run_case(kea, rate, case, procedure, args, worker)
                            rows.append(row)
                            print(row.line(), flush=True)
    finally:
        worker.close()
    print('least-loss / rolling (lost exchanges; target for a reload-type change <= 0.5):')
    for line in ratios(rows):
        print('  ' + line)
    print('targets:')
    for line in targets(rows):
        print('  ' + line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
