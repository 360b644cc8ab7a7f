"""`python -m kealab up|status|down --dir DIR`: a real Kea HA setup that outlives the command (for `make demo`).

    python -m kealab up --dir DIR --mode load-balancing --backup [--auth] [--tls] [--family 4|6]
                        [--kea 2.2|2.6|3.0] [--address 127.0.0.11 --port 8000]
    python -m kealab status --dir DIR
    python -m kealab down --dir DIR

`up` starts the servers, waits until HA has settled and writes `DIR/lab.json` (servers, addresses, URLs, PIDs,
paths, and the Control Agents' credentials, so the file is mode 0600). `down` stops the recorded PIDs, after
checking that each still runs the recorded command (a recycled PID is left alone).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .lab import MODES, KeaLab
from .processes import LabError, pid_alive, stop_pids
from .runtime import KEA_VERSIONS

__all__ = ('main',)

LAB_JSON = 'lab.json'


def _read_lab(directory: Path) -> dict[str, Any]:
    path = directory / LAB_JSON
    try:
        return dict(json.loads(path.read_text()))
    except FileNotFoundError:
        raise LabError(f'{path} does not exist: no lab was started in {directory}') from None
    except ValueError as exc:
        raise LabError(f'{path} is not valid JSON: {exc}') from None


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f'/proc/{pid}/cmdline').read_bytes()
    except OSError:
        return []
    return [part.decode(errors='replace') for part in raw.split(b'\0') if part]


def _recorded_pids(lab: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(server, process, pid) of every recorded process that still runs the recorded command."""
    found = []
    for server in lab.get('servers', []):
        for kind in ('ca', 'dhcp'):
            pid = server.get('pids', {}).get(kind)
            cmdline = (server.get('cmdline') or server.get('argv') or {}).get(kind)
            if isinstance(pid, int) and pid_alive(pid) and cmdline and _cmdline(pid) == list(cmdline):
                found.append((server['name'], kind, pid))
    return found


def _up(args: argparse.Namespace) -> int:
    directory = Path(args.dir).resolve()
    if (directory / LAB_JSON).exists():
        running = _recorded_pids(_read_lab(directory))
        if running:
            raise LabError(f'a lab is already running in {directory} ({len(running)} processes); run down first')
    lab = KeaLab(directory, address=args.address, port=args.port, keep=True, detached=True, kea=args.kea)
    try:
        roles = ['primary', {'load-balancing': 'secondary', 'hot-standby': 'standby'}.get(args.mode)]
        roles = [r for r in roles if r] + ['backup'] * (args.backups if args.mode == 'passive-backup' else args.backup)
        servers = lab.ha(args.mode, roles, family=args.family, auth=args.auth, tls=args.tls)
        states = lab.wait_ha(servers, timeout=args.timeout)
    except BaseException:
        lab.close()
        raise
    lab.detach()
    path = directory / LAB_JSON
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(json.dumps(lab.to_json(), indent=2) + '\n')
    for server in servers:
        print(f'{server.name:10} {server.role:10} {states[server.name]:16} {server.ca_url}')
    print(f'lab written to {path}')
    return 0


def _status(args: argparse.Namespace) -> int:
    from .control import http_command

    lab = _read_lab(Path(args.dir).resolve())
    running = {(name, kind) for name, kind, _ in _recorded_pids(lab)}
    healthy = True
    for server in lab['servers']:
        auth = (server['username'], server['password']) if server.get('username') else None
        verify: Any = True
        if server.get('tls'):
            import ssl

            verify = ssl.create_default_context(cafile=server['tls']['ca_file'])
            verify.load_cert_chain(server['tls']['cert_file'], server['tls']['key_file'])
        want = 'backup' if server['role'] == 'backup' else server['mode']
        try:
            answer = http_command(server['url'], 'status-get', service=server['service'], auth=auth, verify=verify)
            state = answer['arguments']['high-availability'][0]['ha-servers']['local']['state']
        except Exception as exc:  # shown to the user
            state = f'unreadable ({type(exc).__name__})'
        kinds = ('ca', 'dhcp') if server.get('pids', {}).get('ca') else ('dhcp',)
        processes = ' '.join(f'{kind}:{"up" if (server["name"], kind) in running else "down"}' for kind in kinds)
        healthy &= state == want
        print(f'{server["name"]:10} {server["role"]:10} {state:16} {server["url"]:28} {processes}')
    return 0 if healthy else 1


def _down(args: argparse.Namespace) -> int:
    directory = Path(args.dir).resolve()
    lab = _read_lab(directory)
    running = _recorded_pids(lab)
    stopped = stop_pids([pid for _, _, pid in running], grace=args.grace)
    for name, kind, pid in running:
        print(f'stopped {name} {kind} (pid {pid})' if pid in stopped else f'{name} {kind} (pid {pid}) was gone')
    if not running:
        print('nothing was running')
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m kealab', description='Real Kea HA setups on loopback.')
    sub = parser.add_subparsers(dest='action', required=True)
    up = sub.add_parser('up', help='start an HA setup and wait until it has settled')
    up.add_argument('--dir', required=True, help='the lab directory (configs, logs, lab.json)')
    up.add_argument('--mode', choices=MODES, default='load-balancing')
    up.add_argument('--backup', action='store_true', help='add a backup server (load-balancing, hot-standby)')
    up.add_argument('--backups', type=int, default=1, help='backups of a passive-backup primary (default 1)')
    up.add_argument('--family', type=int, choices=(4, 6), default=4)
    up.add_argument(
        '--kea',
        choices=KEA_VERSIONS,
        default='2.2',
        help='Kea version: 2.2 (host), 2.6 or 3.0 (Debian 13 root, built on first use; 3.0 has no Control Agent)',
    )
    up.add_argument('--auth', action='store_true', help='basic auth on every Control Agent')
    up.add_argument('--tls', action='store_true', help='TLS on every Control Agent (throw-away CA)')
    up.add_argument('--address', help='first loopback address; the others follow (default: a random block)')
    up.add_argument('--port', type=int, help='the Control Agent port of every server (default: free ports)')
    up.add_argument('--timeout', type=float, default=90.0, help='seconds to wait for HA to settle')
    status = sub.add_parser('status', help="print each server's HA state (exit 1 unless all are operational)")
    status.add_argument('--dir', required=True)
    down = sub.add_parser('down', help='stop every recorded process')
    down.add_argument('--dir', required=True)
    down.add_argument('--grace', type=float, default=5.0, help='seconds between SIGTERM and SIGKILL')
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; the exit status."""
    args = _parser().parse_args(argv)
    try:
        return {'up': _up, 'status': _status, 'down': _down}[args.action](args)
    except LabError as exc:
        print(f'kealab: {exc}', file=sys.stderr)
        return 1


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
