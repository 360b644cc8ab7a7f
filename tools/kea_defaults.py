"""
Measure Kea's filled-in defaults and option names, and write them to `netbox_kea_ha/kea/defaults/`.

    python tools/kea_defaults.py                      # /usr/sbin/kea-dhcp4 and kea-dhcp6
    python tools/kea_defaults.py --family dhcp4 --kea-dhcp4 /opt/kea/sbin/kea-dhcp4 --out /tmp/defaults
    python tools/kea_defaults.py --root .work/kealab-roots/trixie30    # Kea 3.0 from kealab's Debian 13 root

For each family it starts a throw-away Kea server (own temporary directory, no interfaces, a unix control socket;
nothing listens on the network), `config-set`s probe configs holding one element of every kind with only the
keys Kea requires, `config-get`s them back and records, per element kind (`global`, `subnet`, `pool`,
`option-data`, `reservation`, `ha/load-balancing`, ...), the keys Kea added with their values, and the keys it was
given with their default value and dropped. Then, for every option code of every standard option space, it finds
hex data Kea accepts (`config-test`) and reads back the option's name: the name -> code tables. The server is
stopped (by PID) at the end, also on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kealab.control import unix_command  # noqa: E402
from kealab.runtime import enter_root  # noqa: E402
from netbox_kea_ha.kea.ha import KeaVersion  # noqa: E402
from netbox_kea_ha.kea.normalise import (  # noqa: E402
    RESPELL_KINDS,
    TRIPLETS,
    child_kind,
    identity,
    inherited_keys,
    item_kind,
    respell,
)

HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks'
OUT = ROOT / 'netbox_kea_ha' / 'kea' / 'defaults'

#: Option spaces to scan, with the code ranges, per family.
OPTION_SPACES = {
    'dhcp4': [
        ('dhcp4', range(1, 255)),
        ('dhcp-agent-options-space', range(1, 255)),
        ('vendor-encapsulated-options-space', range(1, 255)),
        ('vendor-4491', range(1, 255)),
    ],
    'dhcp6': [
        ('dhcp6', range(1, 256)),
        ('vendor-4491', range(1, 256)),
        ('s46-cont-mape-options', range(1, 256)),
        ('s46-cont-mapt-options', range(1, 256)),
        ('s46-cont-lw-options', range(1, 256)),
        ('s46-rule-options', range(1, 256)),
        ('s46-v4v6bind-options', range(1, 256)),
        ('4o6', range(60000, 60010)),
    ],
}
#: Hex payloads tried, in order, until Kea accepts the option.
CANDIDATES = ['', '00', '41', '0141', *('00' * n for n in range(2, 41)), '0101', '000141', '0001', '010141']


class KeaProbeError(RuntimeError):
    """Kea refused a probe or could not be started; the message holds Kea's text or log tail."""


class ThrowawayKea:
    """One kea-dhcp4/6 process in a temporary directory, driven over its unix control socket."""

    def __init__(self, binary: str, family: str, chroot: Path | None = None) -> None:
        self.binary = binary
        self.family = family
        self.chroot = chroot.resolve() if chroot else None
        chroot = self.chroot
        self.root = 'Dhcp4' if family == 'dhcp4' else 'Dhcp6'
        # Short path: unix socket names are limited to 107 bytes. In a root (Kea 2.6/3.0 from kealab.roots),
        # the directory is inside it, mode 0750 as Kea 2.6.3+ demands of the socket directory.
        base = chroot / 'srv' if chroot else Path('/tmp')
        base.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix='kd', dir=base))
        os.chmod(self.dir, 0o750)
        self.inside = Path('/') / self.dir.relative_to(chroot) if chroot else self.dir
        self.socket = str(self.dir / 'c.sock')
        self.proc: subprocess.Popen[bytes] | None = None

    def infra(self) -> dict[str, Any]:
        """The per-server keys every probe needs (paths inside the temporary directory, as Kea sees them)."""
        out: dict[str, Any] = {
            'interfaces-config': {'interfaces': []},
            'control-socket': {'socket-type': 'unix', 'socket-name': str(self.inside / 'c.sock')},
            'lease-database': {'type': 'memfile', 'persist': False},
            'loggers': [
                {
                    'name': f'kea-{self.family}',
                    'severity': 'WARN',
                    'output_options': [{'output': str(self.inside / 'kea.log')}],
                }
            ],
        }
        if self.family == 'dhcp6' and not self.chroot:
            out['data-directory'] = str(self.dir)
        return out

    def start(self) -> None:
        """Start the server on the infra-only config and wait for its control socket."""
        path = self.dir / 'kea.json'
        path.write_text(json.dumps({self.root: self.infra()}))
        inside = str(self.inside)
        env = dict(os.environ, KEA_PIDFILE_DIR=inside, KEA_LOCKFILE_DIR=inside)
        argv = [self.binary, '-c', str(self.inside / 'kea.json')]
        if self.chroot:
            env |= {'KEA_CONTROL_SOCKET_DIR': inside, 'KEA_DHCP_DATA_DIR': inside, 'KEA_LOG_FILE_DIR': inside}
            argv = [*enter_root(self.chroot), *argv]
        with open(self.dir / 'stdout', 'wb') as stdout:
            self.proc = subprocess.Popen(argv, env=env, stdout=stdout, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise KeaProbeError(f'{self.binary} did not start: {self.log_tail()}')
            time.sleep(0.05)

    def log_tail(self) -> str:
        """The last lines Kea wrote."""
        text = ''
        for name in ('stdout', 'kea.log'):
            p = self.dir / name
            if p.exists():
                text += p.read_text(errors='replace')
        return '\n'.join(text.splitlines()[-10:])

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and remove its directory."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def command(self, command: str, arguments: Any = None) -> dict[str, Any]:
        """Send one command over the unix socket and return Kea's answer (a map).

        A `config-set` re-creates the control socket, so a connection right after one may be refused or closed
        unanswered: such tries are repeated for up to 5 s.
        """
        deadline = time.monotonic() + 5
        while True:
            try:
                return unix_command(self.socket, command, arguments, timeout=30)
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def with_infra(self, inner: Mapping[str, Any]) -> dict[str, Any]:
        """A probe config completed with the infra keys."""
        return {self.root: {**self.infra(), **inner}}

    def set_and_get(self, inner: Mapping[str, Any]) -> dict[str, Any]:
        """config-set a probe, then return the server map `config-get` gives back."""
        answer = self.command('config-set', self.with_infra(inner))
        if answer.get('result') != 0:
            raise KeaProbeError(f'Kea refused a probe: {answer.get("text")}')
        got = self.command('config-get')
        if got.get('result') != 0:
            raise KeaProbeError(f'config-get failed: {got.get("text")}')
        return dict(got['arguments'][self.root])

    def version(self) -> KeaVersion:
        """The server's version (`version-get`)."""
        return KeaVersion.parse(str(self.command('version-get').get('text', '')))


@contextmanager
def throwaway(binary: str, family: str, chroot: Path | None = None) -> Iterator[ThrowawayKea]:
    """A started ThrowawayKea, stopped on exit."""
    kea = ThrowawayKea(binary, family, chroot)
    try:
        kea.start()
        yield kea
    finally:
        kea.stop()


def ha_hooks(mode: str) -> list[dict[str, Any]]:
    """lease_cmds + an HA relationship in `mode` (peers on loopback ports nothing listens on)."""
    roles = {
        'load-balancing': ['primary', 'secondary', 'backup'],
        'hot-standby': ['primary', 'standby', 'backup'],
        'passive-backup': ['primary', 'backup'],
    }[mode]
    peers = [
        {'name': f'server{i}', 'url': f'http://127.0.0.1:{39990 + i}/', 'role': role} for i, role in enumerate(roles, 1)
    ]
    return [
        {'library': f'{HOOKS}/libdhcp_lease_cmds.so'},
        {
            'library': f'{HOOKS}/libdhcp_ha.so',
            'parameters': {'high-availability': [{'this-server-name': 'server1', 'mode': mode, 'peers': peers}]},
        },
    ]


def probes(family: str) -> list[dict[str, Any]]:
    """The probe configs (server maps without the infra keys) of a family."""
    if family == 'dhcp4':
        elements: dict[str, Any] = {
            'subnet4': [
                {
                    'id': 1,
                    'subnet': '192.0.2.0/24',
                    'interface': '',
                    'client-class': '',
                    'pools': [{'pool': '192.0.2.10-192.0.2.20'}],
                    'option-data': [{'code': 3, 'data': '192.0.2.1'}],
                    'reservations': [{'hw-address': 'aa:bb:cc:dd:ee:ff', 'ip-address': '192.0.2.200'}],
                },
                {'id': 3, 'subnet': '203.0.113.0/24'},
            ],
            'shared-networks': [
                {
                    'name': 'net1',
                    'interface': '',
                    'client-class': '',
                    'subnet4': [
                        {'id': 2, 'subnet': '198.51.100.0/24', 'pools': [{'pool': '198.51.100.0/28'}]},
                        {'id': 4, 'subnet': '198.51.101.0/24', 'interface': '', 'client-class': ''},
                    ],
                }
            ],
            'client-classes': [{'name': 'class1'}],
            'option-def': [{'name': 'opt222', 'code': 222, 'type': 'uint8'}],
            'option-data': [{'code': 6, 'data': '192.0.2.53'}],
            'reservations': [{'hw-address': 'aa:bb:cc:dd:ee:01', 'hostname': 'host1'}],
        }
    else:
        elements = {
            'subnet6': [
                {
                    'id': 1,
                    'subnet': '2001:db8:1::/64',
                    'interface': '',
                    'client-class': '',
                    'interface-id': '',
                    'pools': [{'pool': '2001:db8:1::10-2001:db8:1::20'}],
                    'pd-pools': [{'prefix': '2001:db8:8::', 'prefix-len': 56, 'delegated-len': 64}],
                    'option-data': [{'code': 23, 'data': '2001:db8::53'}],
                    'reservations': [{'duid': '01:02:03:04:05:06', 'ip-addresses': ['2001:db8:1::100']}],
                },
                {'id': 3, 'subnet': '2001:db8:3::/64'},
            ],
            'shared-networks': [
                {
                    'name': 'net1',
                    'interface': '',
                    'client-class': '',
                    'interface-id': '',
                    'subnet6': [
                        {'id': 2, 'subnet': '2001:db8:2::/64', 'pools': [{'pool': '2001:db8:2::/120'}]},
                        {'id': 4, 'subnet': '2001:db8:4::/64', 'interface': '', 'client-class': '', 'interface-id': ''},
                    ],
                }
            ],
            'client-classes': [{'name': 'class1'}],
            'option-def': [{'name': 'opt1000', 'code': 1000, 'type': 'uint8'}],
            'option-data': [{'code': 23, 'data': '2001:db8::53'}],
            'reservations': [{'duid': '01:02:03:04:05:07', 'hostname': 'host1'}],
        }
    return [{}, elements, *({'hooks-libraries': ha_hooks(mode)} for mode in ha_modes())]


def ha_modes() -> tuple[str, ...]:
    """The HA modes, each measured on its own."""
    return ('load-balancing', 'hot-standby', 'passive-backup')


#: Keys that name an element or come from Kea's own lookups, never defaults.
NOT_DEFAULTS = {'option-data': {'name', 'code'}, 'option-def': {'name', 'code'}}


class Recorder:
    """Collects, per kind, what Kea added to or dropped from a probe."""

    def __init__(self, version: KeaVersion) -> None:
        self.version = version
        self.kinds: dict[str, dict[str, Any]] = {}
        self.conflicts: list[str] = []

    def record(self, kind: str, key: str, value: Any) -> None:
        """One default: `key` of an element of `kind` is `value` when not given."""
        if key in NOT_DEFAULTS.get(kind, ()):
            return
        table = self.kinds.setdefault(kind, {})
        if key in table and table[key] != value:
            self.conflicts.append(f'{kind}.{key}: {table[key]!r} vs {value!r}')
        table[key] = value

    def walk(self, kind: str, given: Mapping[str, Any], got: Mapping[str, Any]) -> None:
        """Compare what was given with what Kea returned, element by element."""
        if kind in RESPELL_KINDS:
            # Keys Kea writes back under another name are not defaults (`output_options` -> `output-options`).
            given, got = respell(kind, given, self.version), respell(kind, got, self.version)
        table_kind = f'ha/{got.get("mode")}' if kind == 'ha' else kind
        self.kinds.setdefault(table_kind, {})
        for key, value in got.items():
            if key not in given:
                self.record(table_kind, key, value)
                continue
            mine = given[key]
            if key in ('user-context', 'comment'):
                continue
            if isinstance(value, dict) and isinstance(mine, dict):
                if kind == 'hook' and key == 'parameters':
                    if 'high-availability' in value:
                        self.walk_list('hook.parameters', 'high-availability', mine, value)
                    continue
                self.walk(child_kind(kind, key), mine, value)
            elif isinstance(value, list) and isinstance(mine, list) and value and isinstance(value[0], dict):
                self.walk_items(item_kind(kind, key), mine, value)
        for key, value in given.items():
            if key not in got:
                self.record(table_kind, key, value)

    def walk_list(self, kind: str, key: str, given: Mapping[str, Any], got: Mapping[str, Any]) -> None:
        """Walk the list `key` of a map."""
        self.walk_items(item_kind(kind, key), given.get(key) or [], got.get(key) or [])

    def walk_items(self, kind: str, given: list[Any], got: list[Any]) -> None:
        """Pair list items by identity (or position) and walk each pair."""
        if len(given) == len(got) == 1:
            pairs = [(given[0], got[0])]
        else:
            by_id = {identity(kind, g): g for g in given if isinstance(g, dict)}
            pairs = [(by_id[identity(kind, o)], o) for o in got if isinstance(o, dict) and identity(kind, o) in by_id]
        for mine, theirs in pairs:
            if isinstance(mine, dict) and isinstance(theirs, dict):
                self.walk(kind, mine, theirs)


def measure_kinds(kea: ThrowawayKea, version: KeaVersion) -> dict[str, dict[str, Any]]:
    """Per-kind defaults from the probes."""
    recorder = Recorder(version)
    for probe in probes(kea.family):
        got = kea.set_and_get(probe)
        recorder.walk('global', kea.with_infra(probe)[kea.root], got)
    if recorder.conflicts:
        raise KeaProbeError('the same kind got different defaults: ' + '; '.join(recorder.conflicts))
    kinds = recorder.kinds
    # Values a subnet or shared network inherits are not defaults of its kind: the normaliser derives them.
    inherited = inherited_keys(kea.family, version)
    global_table = kinds.get('global', {})
    for kind in ('subnet', 'shared-network', 'shared-network.subnet'):
        table = kinds.get(kind, {})
        for key in list(table):
            if key in TRIPLETS or (key in inherited and key in global_table):
                del table[key]
    return {kind: dict(sorted(table.items())) for kind, table in sorted(kinds.items()) if table}


def measure_options(kea: ThrowawayKea) -> dict[str, dict[str, int]]:
    """Option space -> name -> code, for every code Kea has a definition for."""
    accepted: list[dict[str, Any]] = []
    for space, codes in OPTION_SPACES[kea.family]:
        for code in codes:
            for data in CANDIDATES:
                entry = {'space': space, 'code': code, 'csv-format': False, 'data': data}
                answer = kea.command('config-test', kea.with_infra({'option-data': [entry]}))
                if answer.get('result') == 0:
                    accepted.append(entry)
                    break
            else:
                print(f'  no payload accepted for {space} option {code}', file=sys.stderr)
    broken = unreadable(kea.binary, kea.family, accepted, kea.chroot)
    for entry in broken:
        print(f'  Kea cannot write back {entry["space"]} option {entry["code"]}: skipped', file=sys.stderr)
    got = kea.set_and_get({'option-data': [e for e in accepted if e not in broken]})
    out: dict[str, dict[str, int]] = {}
    for entry in got.get('option-data', []):
        if entry.get('name'):
            out.setdefault(entry['space'], {})[entry['name']] = entry['code']
    return {space: dict(sorted(names.items())) for space, names in sorted(out.items())}


def readable(binary: str, family: str, entries: list[dict[str, Any]], chroot: Path | None) -> bool:
    """Whether a fresh Kea can `config-get` a config holding these options (some it accepts but cannot write
    back: Kea 2.2 closes the connection without an answer, and its control socket stays dead)."""
    with throwaway(binary, family, chroot) as kea:
        answer = kea.command('config-set', kea.with_infra({'option-data': entries}))
        if answer.get('result') != 0:
            raise KeaProbeError(f'Kea refused the options it had accepted one by one: {answer.get("text")}')
        try:
            unix_command(kea.socket, 'config-get', timeout=30)
        except (OSError, ValueError):
            return False
        return True


def unreadable(binary: str, family: str, entries: list[dict[str, Any]], chroot: Path | None) -> list[dict[str, Any]]:
    """The entries that break `config-get`, found by bisection on fresh servers."""
    if readable(binary, family, entries, chroot):
        return []
    if len(entries) == 1:
        return entries
    half = len(entries) // 2
    return unreadable(binary, family, entries[:half], chroot) + unreadable(binary, family, entries[half:], chroot)


def measure(binary: str, family: str, chroot: Path | None = None) -> dict[str, Any]:
    """The whole defaults document of one family."""
    with throwaway(binary, family, chroot) as kea:
        version = kea.version()
        print(f'{family}: Kea {version} ({binary})', file=sys.stderr)
        kinds = measure_kinds(kea, version)
        options = measure_options(kea)
    return {
        'kea-version': str(version),
        'family': family,
        'generated-by': 'tools/kea_defaults.py',
        'kinds': kinds,
        'options': options,
    }


def main(argv: list[str] | None = None) -> int:
    """Measure the requested families and write one file per family."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0] if __doc__ else None)
    parser.add_argument('--family', choices=['dhcp4', 'dhcp6'], action='append')
    parser.add_argument('--kea-dhcp4', default='/usr/sbin/kea-dhcp4')
    parser.add_argument('--kea-dhcp6', default='/usr/sbin/kea-dhcp6')
    parser.add_argument('--out', type=Path, default=OUT)
    parser.add_argument(
        '--root', type=Path, help='run Kea inside this Debian root (chroot), e.g. .work/kealab-roots/trixie30'
    )
    args = parser.parse_args(argv)
    for family in args.family or ['dhcp4', 'dhcp6']:
        started = time.monotonic()
        doc = measure(args.kea_dhcp4 if family == 'dhcp4' else args.kea_dhcp6, family, args.root)
        version = KeaVersion.parse(doc['kea-version'])
        path = args.out / f'kea-{version.major}.{version.minor}-{family}.json'
        args.out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=1) + '\n')
        count = sum(len(names) for names in doc['options'].values())
        print(
            f'{path}: {len(doc["kinds"])} kinds, {count} option names, {time.monotonic() - started:.1f} s',
            file=sys.stderr,
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
