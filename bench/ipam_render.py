"""NetBox IPAM as the DHCP data source, at scale: render and diff against Kea's own config-get of the result.

Builds a load-balancing relationship's data from IPAM as the loader gives it (`--prefixes` 2,000 prefixes, two IP
ranges each: 4,000 ranges, ten reserved addresses each: 20,000 reservations), renders the subnet list through the
shipped template (checks, split, template, parse and check again) and compares it with what a real Kea 2.2 runs
(`diff_configs` of the whole config), which is what a plan or the drift check does for each peer. Kea is loaded with
the rendered subnets first (config-set), so the comparison finds nothing: the full cost of proving a peer is in sync.

Prints the median wall times of: the render; the render and the diff; Kea's `config-get` of the same config through
its Control Agent (the floor). Target: render + diff <= 1.0 x config-get. Asserts nothing.

    python bench/ipam_render.py [--prefixes 2000] [--rounds 5]
"""

import argparse
import ipaddress
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _timing import median_time, timed  # noqa: E402

from kealab import KeaLab  # noqa: E402
from netbox_kea_ha.kea.client import KeaClient  # noqa: E402
from netbox_kea_ha.kea.dhcpdata.render import render_subnets  # noqa: E402
from netbox_kea_ha.kea.dhcpdata.values import DhcpData, DhcpOption, PoolRange, Reservation, ServedSubnet  # noqa: E402
from netbox_kea_ha.kea.diff import diff_configs  # noqa: E402

__all__ = ('build', 'main')


def build(prefixes: int) -> DhcpData:
    """`prefixes` /24s in 10.0.0.0/8, two ranges and ten reservations each, split between server1 and server2."""
    subnets = []
    for i in range(prefixes):
        base = int(ipaddress.IPv4Address('10.0.0.0')) + i * 256
        at = lambda n, base=base: ipaddress.IPv4Address(base + n)  # noqa: E731
        subnets.append(
            ServedSubnet(
                prefix=ipaddress.IPv4Network(f'{at(0)}/24'),
                subnet_id=i + 1,
                key=i + 1,
                ranges=(PoolRange(at(100), at(149)), PoolRange(at(150), at(249))),
                reservations=tuple(
                    Reservation(at(10 + r), f'02:00:{i >> 8 & 255:02x}:{i & 255:02x}:00:{r:02x}', f'h{i}-{r}')
                    for r in range(10)
                ),
                options=(DhcpOption('routers', str(at(1))), DhcpOption('domain-name-servers', '192.0.2.53')),
                lifetimes={'valid-lifetime': 3600},
            )
        )
    return DhcpData('dhcp4', 'load-balancing', ('server1', 'server2'), tuple(subnets))


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--prefixes', type=int, default=2000)
    parser.add_argument('--rounds', type=int, default=5)
    args = parser.parse_args()
    data = build(args.prefixes)
    ranges = sum(len(s.ranges) for s in data.subnets)
    reservations = sum(len(s.reservations) for s in data.subnets)
    render_time, subnets = timed(lambda: render_subnets(data), args.rounds)
    with KeaLab() as lab:
        server = lab.standalone()
        kea = KeaClient(server.endpoint(timeout=300))
        config = kea.config_get().config
        config['Dhcp4']['subnet4'] = subnets
        kea.command('config-set', config)
        get_time, running = timed(lambda: kea.config_get().config, args.rounds)

        def render_and_diff():
            desired = {'Dhcp4': dict(running['Dhcp4'], subnet4=render_subnets(data))}
            changes = diff_configs(running, desired)
            if changes:
                raise SystemExit(f'unexpected difference: {changes.changes[:3]}')

        both = median_time(render_and_diff, args.rounds)
    print(f'{args.prefixes} prefixes, {ranges} ranges, {reservations} reservations (load-balancing split)')
    print(f'  render:           {render_time * 1000:8.0f} ms')
    print(f'  render + diff:    {both * 1000:8.0f} ms')
    print(f'  Kea config-get:   {get_time * 1000:8.0f} ms  (Kea 2.2 through its Control Agent)')
    print(f'  ratio (render + diff) / config-get: {both / get_time:.2f}  (target <= 1.0)')


if __name__ == '__main__':
    main()
