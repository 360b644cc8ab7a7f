"""Lease look-ups through NetBox cost about as much as Kea's own commands.

Starts a real Kea 2.2 load-balancing pair (kealab) whose server1 holds `--leases` leases (default 100,000, written
to its memfile lease file before it starts, in one /8 subnet), records the pair in NetBox (the test database, in a
transaction that is rolled back), then prints the median wall time of:

* a search by MAC: Kea's own `lease4-get-by-hw-address` round trip (a new connection each call, as a one-off
  look-up makes, with plain http.client; and, for reference, on a kept-alive connection) vs the plugin's
  `search_leases(relationship, 'hw-address', mac)` (what the Leases tab and REST run) and the REST endpoint end to
  end (target: 1.2x);
* a per-subnet page of `--page` leases (default 1,000): Kea's `lease4-get-page` round trip vs the plugin's
  `subnet_page`, the Leases tab rendered by Django, and the next page or a sort as htmx asks for it (the results
  only) (target: 1.5x), with NetBox's own relationship page for reference (what any NetBox page costs).

Each round calls every one of them once, in turn (medians of interleaved rounds: drift on the shared cores falls on
all the figures alike). Twice: straight to the Control Agent over loopback (no latency: the figures are CPU on the
machine's shared cores), and through a delay proxy that adds `--rtt` ms per round trip (default 20), like a network
between NetBox and Kea.

Uses the test database that `pytest tests/netbox` builds (KEA_HA_TEST_DB names another). Prints figures; asserts
nothing. A small run proves it works: `python bench/leases.py --leases 2000 --rounds 3`.

    python bench/leases.py [--leases 100000] [--page 1000] [--rounds 15] [--rtt 20]
"""

import argparse
import http.client
import ipaddress
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _netbox import ROOT, DelayProxy, django_setup, netbox_lab, rolled_back  # noqa: E402
from _timing import interleaved_medians  # noqa: E402

sys.path.insert(0, str(ROOT))

__all__ = ('main',)

SUBNET = ipaddress.ip_network('10.0.0.0/8')
#: Kea 2.2's memfile v4 lease file header.
HEADER = 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n'


def mac(index):
    """The MAC of lease `index`."""
    return ':'.join(f'{b:02x}' for b in (0x0A, 0, *index.to_bytes(4, 'big')))


def write_leases(path, count):
    """`count` leases in 10.0.0.0/8 (from 10.0.1.0), valid for an hour, as Kea 2.2's memfile writes them."""
    expire = int(time.time()) + 3600
    first = int(SUBNET.network_address) + 256
    with open(path, 'w') as out:
        out.write(HEADER)
        for index in range(count):
            address = ipaddress.IPv4Address(first + index)
            out.write(f'{address},{mac(index)},,3600,{expire},1,0,0,host-{index}.example.org,0,\n')


def big_subnet(server):
    """Give the lab server one /8 subnet (id 1) with one pool, instead of the lab's /24."""
    body = server.config['Dhcp4']
    body['subnet4'] = [{'id': 1, 'subnet': str(SUBNET), 'pools': [{'pool': '10.0.0.10 - 10.255.255.200'}]}]


def line(label, seconds, baseline=None, note=None):
    """One figure: milliseconds, and the ratio to `baseline` (or a note)."""
    extra = f'ratio {seconds / baseline:.2f}' if baseline else f'({note})'
    print(f'    {label + ":":48} {seconds * 1000:8.2f} ms  {extra}')


def measure(args, where, relationship, web, target):
    """Every figure, with Kea reached at `where` (host, port): {name: median seconds}."""
    import httpx
    from django.urls import reverse

    from netbox_kea_ha.services.leases import search_leases, subnet_page

    host, port = where
    by_mac = {'command': 'lease4-get-by-hw-address', 'service': ['dhcp4'], 'arguments': {'hw-address': target}}
    page = {
        'command': 'lease4-get-page',
        'service': ['dhcp4'],
        'arguments': {'from': str(SUBNET.network_address), 'limit': args.page},
    }
    tab = reverse('plugins:netbox_kea_ha:harelationship_leases', kwargs={'pk': relationship.pk})
    api = f'/api/plugins/kea-ha/relationships/{relationship.pk}/leases/'

    def fresh(body):
        # Kea's own round trip: a new connection, the command, its whole answer read (plain http.client: no client
        # library cost on top of what Kea takes).
        connection = http.client.HTTPConnection(host, port, timeout=60)
        connection.request('POST', '/', json.dumps(body), {'Content-Type': 'application/json'})
        answer = json.loads(connection.getresponse().read())[0]
        connection.close()
        assert answer['result'] == 0, answer

    def plugin_search():
        assert len(search_leases(relationship, 'hw-address', target, timeout=60).leases) == 1

    def rest_search():
        response = web.get(api, {'key': 'hw-address', 'value': target})
        assert response.status_code == 200 and response.json()['count'] == 1

    def plugin_page():
        assert len(subnet_page(relationship, str(SUBNET), limit=args.page, timeout=60).leases) == args.page

    def rendered_page():
        response = web.get(tab, {'key': 'subnet', 'q': str(SUBNET), 'per_page': args.page})
        assert response.status_code == 200, response.status_code

    def partial_page():
        # The next page or a sort: htmx asks for the results only (views/leases.py), the tab stays on the screen.
        response = web.get(tab, {'key': 'subnet', 'q': str(SUBNET), 'per_page': args.page}, HTTP_HX_REQUEST='true')
        assert response.status_code == 200, response.status_code

    def netbox_page():
        assert web.get(relationship.get_absolute_url()).status_code == 200

    for warm in (plugin_search, rest_search, plugin_page, rendered_page, partial_page, netbox_page):
        warm()
    with httpx.Client(timeout=60, trust_env=False) as client:
        url = f'http://{host}:{port}/'
        calls = {
            'mac kept': lambda: client.post(url, json=by_mac),
            'mac kea': lambda: fresh(by_mac),
            'mac plugin': plugin_search,
            'mac rest': rest_search,
            'page kept': lambda: client.post(url, json=page),
            'page kea': lambda: fresh(page),
            'page plugin': plugin_page,
            'page rendered': rendered_page,
            'page partial': partial_page,
            'netbox page': netbox_page,
        }
        figures = interleaved_medians(calls, args.rounds)
    return figures


def show(label, args, f):
    """Print one set of figures."""
    print(label)
    print(f'  search by MAC over {args.leases} leases (median of {args.rounds} interleaved rounds):')
    line(
        'Kea lease4-get-by-hw-address, new connection', f['mac kea'], note=f'kept-alive: {f["mac kept"] * 1000:.2f} ms'
    )
    line('plugin search_leases', f['mac plugin'], f['mac kea'])
    line('REST GET .../leases/?key=hw-address', f['mac rest'], f['mac kea'])
    print('    (target: plugin <= 1.2x Kea)')
    print(f'  a per-subnet page of {args.page} leases:')
    line('Kea lease4-get-page, new connection', f['page kea'], note=f'kept-alive: {f["page kept"] * 1000:.2f} ms')
    line('plugin subnet_page', f['page plugin'], f['page kea'])
    line('Leases tab rendered (Django, HTML table)', f['page rendered'], f['page kea'])
    line('next page / sort (htmx: the results only)', f['page partial'], f['page kea'])
    line("for reference: NetBox's relationship page", f['netbox page'], note='no Kea call')
    print('    (target: rendered page <= 1.5x Kea)')


def main(argv=None):
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--leases', type=int, default=100_000)
    parser.add_argument('--page', type=int, default=1000)
    parser.add_argument('--rounds', type=int, default=15)
    parser.add_argument('--rtt', type=float, default=20.0, help='ms per round trip added by the delay proxy (0: none)')
    args = parser.parse_args(argv)
    django_setup()
    from django.test import Client

    from users.models import User

    from kealab import KeaLab
    from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer

    with KeaLab() as lab:
        servers = lab.load_balancing(start=False)
        for server in servers:
            big_subnet(server)
        servers[0].paths.dir.mkdir(parents=True, exist_ok=True)
        write_leases(servers[0].paths.leases, args.leases)
        started = time.perf_counter()
        lab.start(servers)
        lab.wait_ha(servers, timeout=300)
        print(f'{args.leases} leases loaded, pair settled in {time.perf_counter() - started:.1f} s')
        target = mac(args.leases // 2)
        with rolled_back():
            lab_objects = netbox_lab()
            relationship = HARelationship.objects.create(name='bench-leases', mode='load-balancing')
            records = []
            for lab_server, role in zip(servers, ('primary', 'secondary'), strict=True):
                records.append(lab_objects.server(lab_server))
                HAPeer.objects.create(relationship=relationship, server=records[-1], role=role, name=lab_server.name)
            web = Client()
            web.force_login(User.objects.create_superuser(username='bench-leases'))
            direct = measure(args, (servers[0].address, servers[0].port), relationship, web, target)
            delayed = None
            if args.rtt:
                with DelayProxy(args.rtt, [f'{s.address}:{s.port}' for s in servers]) as proxy:
                    for record, port in zip(records, proxy.ports, strict=True):
                        KeaServer.objects.filter(pk=record.pk).update(control_host='127.0.0.1', control_port=port)
                    delayed = measure(args, ('127.0.0.1', proxy.ports[0]), relationship, web, target)
    show('straight to the Control Agent over loopback (no network latency: CPU only, on shared cores)', args, direct)
    if delayed:
        show(
            f'through a delay proxy adding {args.rtt:g} ms per round trip (a network to the Kea servers)', args, delayed
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
