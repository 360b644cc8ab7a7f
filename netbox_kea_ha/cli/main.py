"""
`kea-ha`: the console script. Parses the command line, connects to NetBox, runs a subcommand, and exits with 0
(done), 1 (a job failed), 2 (bad usage or input) or 3 (NetBox unreachable or the token refused). An expected
failure prints `kea-ha: error: <what, and why>`, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .errors import EXIT_OK, EXIT_USAGE, CLIError

__all__ = (
    'build_parser',
    'main',
)

_EPILOG = """\
connection: --url/--token or NETBOX_URL/NETBOX_TOKEN (a NetBox API token with the plugin's permissions).
exit codes: 0 done, 1 a job failed, 2 bad usage or input, 3 NetBox unreachable or the token refused.
docs: docs/cli.md
"""

_OPERATIONS = 'maintenance-start, maintenance-cancel, sync, scopes, continue, reset'


def _job_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--wait', action='store_true', help="follow the job's log until it ends; exit 1 if it failed")
    parser.add_argument('--json', action='store_true', help='print the result as JSON on stdout (logs go to stderr)')


def build_parser() -> argparse.ArgumentParser:
    """The command line of `kea-ha`."""
    parser = argparse.ArgumentParser(
        prog='kea-ha',
        description='Kea DHCP High Availability in NetBox (the netbox-kea-ha plugin), from anywhere.',
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument('--url', help='NetBox URL (default: $NETBOX_URL)')
    parser.add_argument('--token', help='NetBox API token (default: $NETBOX_TOKEN; the variable keeps it out of ps)')
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument('--ca-file', help="CA bundle to verify NetBox's certificate with (default: the system's)")
    tls.add_argument('--insecure', action='store_true', help="do not verify NetBox's TLS certificate")
    parser.add_argument('--timeout', type=float, default=30.0, help='seconds per request to NetBox (default 30)')
    parser.add_argument(
        '--wait-timeout', type=float, default=3600.0, help='seconds --wait follows a job at most (default 3600)'
    )
    commands = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)

    reg = commands.add_parser(
        'register',
        help='make NetBox know this Kea server (from its config files) and import its relationships',
        description='Find or create the IP address, the Kea server (on --device/--vm, or the host its address is '
        'on), its control endpoint and credentials, then import it and wait. Running it again changes nothing.',
    )
    src = reg.add_argument_group('where the Kea server takes commands')
    src.add_argument('--ca-config', metavar='FILE', help="the Control Agent's config (kea-ctrl-agent.conf, Kea 2.x)")
    src.add_argument('--config', metavar='FILE', help="the DHCP server's config (kea-dhcp4.conf; Kea 3.0 sockets)")
    src.add_argument('--control-url', metavar='URL', help='or the control URL itself (http://192.0.2.10:8000/)')
    src.add_argument(
        '--control-kind',
        choices=('agent', 'server'),
        default='agent',
        help="with --control-url: a Control Agent (default) or the server's own HTTP control socket (Kea 3.0)",
    )
    src.add_argument('--control-host', help='host NetBox sends commands to, when not the address')
    src.add_argument('--user', help='basic-auth user (default: the first client of the config)')
    src.add_argument(
        '--password-file', metavar='FILE', help="basic-auth password from this file ('-': stdin), instead of the config"
    )
    src.add_argument('--update-password', action='store_true', help='send the password even if NetBox already has one')
    what = reg.add_argument_group('the server in NetBox')
    what.add_argument('--name', help='Kea server name (default: the device/VM, this-server-name, or the host name)')
    host = what.add_mutually_exclusive_group()
    host.add_argument('--device', help='device it runs on (by name)')
    host.add_argument('--vm', help='virtual machine it runs on (by name)')
    what.add_argument('--address', help="its IP address, e.g. 192.0.2.10/24 (default: the control endpoint's host)")
    what.add_argument('--address-id', type=int, help='the IP address by its NetBox id (several VRFs)')
    what.add_argument('--family', choices=('dhcp4', 'dhcp6'), help='DHCP family (default: from the config)')
    reg.add_argument('--no-import', action='store_true', help='only create or update the objects')
    reg.add_argument('--json', action='store_true', help='print the result as JSON on stdout (logs go to stderr)')

    imp = commands.add_parser('import', help="import a Kea server's running HA relationships into NetBox")
    imp.add_argument('server', help='Kea server (name or id)')
    _job_options(imp)

    pln = commands.add_parser('plan', help='what a sync of a relationship would change (nothing is sent)')
    pln.add_argument('relationship', help='HA relationship (name or id)')
    pln.add_argument('--allow-disruptive', action='store_true', help='plan a mode/role/name/URL change too')
    _job_options(pln)

    syn = commands.add_parser('sync', help="push relationships' desired configs to Kea, safely")
    syn.add_argument('relationships', nargs='*', help='HA relationship(s) (name or id)')
    syn.add_argument('--all', action='store_true', help='every relationship')
    syn.add_argument(
        '--allow-disruptive', action='store_true', help='push changes no peer can take alone (mode, roles, URLs)'
    )
    _job_options(syn)

    sts = commands.add_parser('status', help='read HA state and drift (every server by default) and show it')
    sts.add_argument('servers', nargs='*', help='Kea server(s) (name or id)')
    sts.add_argument('--relationship', action='append', default=[], help='HA relationship (name or id); repeatable')
    _job_options(sts)

    rst = commands.add_parser('restore', help='push a config snapshot back to its server')
    rst.add_argument('snapshot', help='config snapshot id')
    rst.add_argument('--after', action='store_true', help='the config the snapshot pushed, not the one it replaced')
    _job_options(rst)

    ren = commands.add_parser('render', help="each peer's rendered hooks-libraries block (redacted), and findings")
    ren.add_argument('relationship', help='HA relationship (name or id)')
    ren.add_argument('--json', action='store_true', help='print the answer as JSON')

    opr = commands.add_parser('operate', help=f'an HA operation on a peer ({_OPERATIONS})')
    opr.add_argument('peer', help='Kea server (name or id) or peer name')
    opr.add_argument('operation', help=_OPERATIONS)
    opr.add_argument('--relationship', help='HA relationship (name or id) when the server is in several')
    opr.add_argument('--source', help='sync: the peer whose leases are pulled')
    opr.add_argument('--max-period', type=int, help="sync: seconds the source's DHCP service may stay disabled")
    opr.add_argument('--scopes', choices=('partner', 'own'), help="scopes: its partner's scope too, or its own again")
    _job_options(opr)

    lea = commands.add_parser('leases', help='search the leases of a relationship (NetBox asks its Kea servers)')
    lea.add_argument('relationship', help='HA relationship (name or id)')
    key = lea.add_mutually_exclusive_group(required=True)
    key.add_argument('--ip', help='the leased address')
    key.add_argument('--mac', help="the client's hardware address")
    key.add_argument('--client-id', help="the client's client id (DHCPv4)")
    key.add_argument('--hostname', help="the client's hostname")
    key.add_argument('--duid', help="the client's DUID (DHCPv6)")
    lea.add_argument('--compare', action='store_true', help='also ask the other peers and list what differs')
    lea.add_argument('--json', action='store_true', help='print the answer as JSON')
    return parser


def _handlers() -> dict[str, Callable[[Any, argparse.Namespace], None]]:
    from . import commands
    from .register import register

    return {
        'register': register,
        'import': commands.import_server,
        'plan': commands.plan,
        'sync': commands.sync,
        'status': commands.status,
        'restore': commands.restore,
        'render': commands.render,
        'operate': commands.operate,
        'leases': commands.leases,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run `kea-ha` with `argv` (default: sys.argv[1:]); the exit status."""
    from .connection import connect, connection_from
    from .output import Output
    from .session import Session

    parser = build_parser()
    args = parser.parse_args(argv)
    out = Output(json_mode=bool(getattr(args, 'json', False)))
    if args.command == 'register':
        args.wait = True
    try:
        connection = connection_from(args.url, args.token, args.ca_file, args.insecure, args.timeout)
        if args.insecure:
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            out.warning(f"not verifying NetBox's TLS certificate ({connection.url})")
        session = Session(api=connect(connection), connection=connection, out=out, wait_timeout=args.wait_timeout)
        _handlers()[args.command](session, args)
    except CLIError as exc:
        out.error(exc.message)
        return exc.code
    except KeyboardInterrupt:
        out.error('interrupted (a job already queued goes on in NetBox)')
        return EXIT_USAGE
    return EXIT_OK


if __name__ == '__main__':
    sys.exit(main())
