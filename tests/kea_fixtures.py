"""pytest fixtures with real Kea 2.2 servers (kealab), registered from tests/conftest.py.

- `kea_lab`: a fresh `KeaLab` for one test, closed (every process stopped) after it. Tests that change a
  server's config, kill processes or need special setups build their own servers with it.
- Ready-made setups, started once per session and already settled (every server in its operational HA
  state). The first test that needs one starts every setup the selected tests use, all at once, so that they
  settle together. Each is a tuple of `LabServer` (server1, server2, ...). They are SHARED by many tests:
  tests must only read from them (status-get, config-get, version-get, list-commands, ...) and must never
  change them (no config-set/reload, ha-scopes, maintenance, kills, lease changes):
    `lb_pair`       load-balancing primary + secondary
    `lb_trio`       load-balancing primary + secondary + backup
    `hs_pair`       hot-standby primary + standby
    `pb_pair`       passive-backup primary + backup
    `lb_pair_auth`  load-balancing pair, basic auth on both Control Agents (`server.credentials`)
    `lb6_pair`      load-balancing DHCPv6 pair
    `hub_spoke`     Kea 2.6 hub-and-spoke: a hub (server1, standby in two hot-standby relationships, named
                    server1-server2 and server1-server3 there) and two branches (server2, server3); tests that
                    use it need `requires_kea('2.6')`
    `lb30_pair_auth` Kea 3.0 load-balancing pair, basic auth on the servers' own HTTP control sockets
                    (`requires_kea('3.0')`)

Kea 2.6 and 3.0 run from Debian 13 roots (kealab.roots), entered with chroot as root, or through a user namespace
otherwise. Tests that need them use `requires_kea('3.0')`: they run when the root is already unpacked or cached, or
when KEALAB_ROOTS=1 allows building it (about 40 s per root: debootstrap as root, mmdebstrap without); otherwise
they are skipped with the reason (no root built, or this machine refuses user namespaces).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kealab import KeaLab, LabServer
from kealab.roots import root_ready, rootless_problem

__all__ = (
    'hs_pair',
    'hub_spoke',
    'kea_lab',
    'lb6_pair',
    'lb_pair',
    'lb_pair_auth',
    'lb_trio',
    'pb_pair',
    'requires_kea',
)


def requires_kea(*versions: str) -> pytest.MarkDecorator:
    """Skip unless every Kea version given can run here without a long build (see the module docstring)."""
    missing = [v for v in versions if v != '2.2' and not root_ready(v)]
    problem = rootless_problem()
    allowed = os.environ.get('KEALAB_ROOTS') == '1' and problem is None
    reason = (
        f'Kea {", ".join(missing)} cannot run here: {problem}'
        if problem
        else f'Kea {", ".join(missing)} root not built; set KEALAB_ROOTS=1 to build it (about 40 s each)'
    )
    return pytest.mark.skipif(bool(missing) and not allowed, reason=reason)


#: Seconds a shared setup may take to settle (3-5 s observed; the machine's 2 cores are shared).
SETTLE_TIMEOUT = 90.0


@pytest.fixture
def kea_lab() -> Iterator[KeaLab]:
    """A fresh lab for this test; every process it started is stopped afterwards, even when the test fails."""
    with KeaLab() as lab:
        yield lab


#: How each shared setup is built (not started): the fixture of that name returns its servers.
SHARED_SETUPS: dict[str, Callable[[KeaLab], list[LabServer]]] = {
    'lb_pair': lambda lab: lab.load_balancing(start=False),
    'lb_trio': lambda lab: lab.load_balancing(backup=True, start=False),
    'hs_pair': lambda lab: lab.hot_standby(start=False),
    'pb_pair': lambda lab: lab.passive_backup(backups=1, start=False),
    'lb_pair_auth': lambda lab: lab.load_balancing(auth=True, start=False),
    'lb6_pair': lambda lab: lab.load_balancing(family=6, start=False),
    'hub_spoke': lambda lab: lab.hub_and_spoke(kea='2.6', start=False),
    'lb30_pair_auth': lambda lab: lab.load_balancing(kea='3.0', auth=True, start=False),
}
_NEEDS = {'hub_spoke': '2.6', 'lb30_pair_auth': '3.0'}
_WANTED = pytest.StashKey[set[str]]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Note which shared setups the selected tests use (after -k/-m deselection), so that the first test that
    needs one starts them all at once: they settle together instead of one after another (3-5 s each)."""
    used = {name for item in items for name in getattr(item, 'fixturenames', ()) if name in SHARED_SETUPS}
    config.stash[_WANTED] = {name for name in used if name not in _NEEDS or root_ready(_NEEDS[name])}


class _SharedLabs:
    """The shared setups of this session, each in its own lab; started in groups, waited for together."""

    def __init__(self, wanted: set[str]) -> None:
        self.wanted = wanted
        self.labs: dict[str, KeaLab] = {}
        self.servers: dict[str, tuple[LabServer, ...]] = {}
        #: What each server of a started setup runs (PIDs, config), to tell a test that changed it.
        self.baseline: dict[str, list[tuple[dict[str, int | None], Any]]] = {}

    def get(self, name: str) -> tuple[LabServer, ...]:
        if name not in self.servers:
            self._start([name, *sorted(self.wanted - set(self.servers) - {name})])
        return self.servers[name]

    def _start(self, names: list[str]) -> None:
        built: dict[str, list[LabServer]] = {}
        try:
            for name in names:
                lab = self.labs[name] = KeaLab()
                built[name] = servers = SHARED_SETUPS[name](lab)
                lab.start(servers)
            for name in names:
                self.labs[name].wait_ha(built[name], timeout=SETTLE_TIMEOUT)
                self.servers[name] = tuple(built[name])
                self.baseline[name] = self._state(name)
        except BaseException:
            for name in names:  # a setup that did not come up is stopped now; the next test asking tries again
                if name not in self.servers and name in self.labs:
                    self.labs.pop(name).close()
            raise

    def close(self) -> None:
        for lab in self.labs.values():
            lab.close()

    def _state(self, name: str) -> list[tuple[dict[str, int | None], Any]]:
        out = []
        for server in self.servers[name]:
            try:
                arguments = server.command('config-get').get('arguments')
            except Exception as exc:  # a server that no longer answers is a change too
                arguments = f'config-get failed: {exc}'
            if isinstance(arguments, dict):
                arguments = {k: v for k, v in arguments.items() if k != 'hash'}
            out.append((dict(server.pids), arguments))
        return out

    def changes(self, name: str) -> list[str]:
        """How the servers of setup `name` differ from when it was started (empty: not changed). The new state
        becomes the baseline, so that only the first test that changed a setup is named."""
        if name not in self.servers:
            return []
        now = self._state(name)
        out = []
        for server, (pids, config), (new_pids, new_config) in zip(
            self.servers[name], self.baseline[name], now, strict=True
        ):
            if pids != new_pids:
                out.append(f'{name} {server.name}: processes {pids} are now {new_pids}')
            if config != new_config:
                out.append(f'{name} {server.name}: its running config changed')
        self.baseline[name] = now
        return out


@pytest.fixture(scope='session')
def _shared_labs(request: pytest.FixtureRequest) -> Iterator[_SharedLabs]:
    shared = _SharedLabs(request.config.stash.get(_WANTED, set()))
    try:
        yield shared
    finally:
        shared.close()


@pytest.fixture(autouse=True)
def _shared_setups_stay_as_started(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test that used a shared setup: fail it (at teardown, by name) if it changed a server of that setup
    (its config or its processes), before later tests that read the setup fail for no reason of their own."""
    names = [name for name in request.fixturenames if name in SHARED_SETUPS]
    shared = request.getfixturevalue('_shared_labs') if names else None
    yield
    if shared is not None:
        changed = [line for name in names for line in shared.changes(name)]
        if changed:
            pytest.fail(
                'a shared Kea setup must stay as started (use kea_lab to change servers):\n' + '\n'.join(changed)
            )


@pytest.fixture(scope='session')
def lb_pair(_shared_labs: _SharedLabs) -> tuple[LabServer, ...]:
    """A settled load-balancing DHCPv4 pair (server1 primary, server2 secondary). Read-only."""
    return _shared_labs.get('lb_pair')


@pytest.fixture(scope='session')
def lb_trio(_shared_labs: _SharedLabs) -> tuple[LabServer, ...]:
    """A settled load-balancing DHCPv4 pair plus a backup (server3). Read-only."""
    return _shared_labs.get('lb_trio')


@pytest.fixture(scope='session')
def hs_pair(_shared_labs: _SharedLabs) -> tuple[LabServer, ...]:
    """A settled hot-standby DHCPv4 pair (server1 primary, server2 standby). Read-only."""
    return _shared_labs.get('hs_pair')


@pytest.fixture(scope='session')
def pb_pair(_shared_labs: _SharedLabs) -> tuple[LabServer, ...]:
    """A settled passive-backup DHCPv4 relationship (server1 primary, server2 backup). Read-only."""
    return _shared_labs.get('pb_pair')


@pytest.fixture(scope='session')
def lb_pair_auth(_shared_labs: _SharedLabs) -> tuple[LabServer, ...]:
    """A settled load-balancing DHCPv4 pair with basic auth on both Control Agents. Read-only."""
    return _shared_labs.get('lb_pair_auth')


@pytest.fixture(scope='session')
def lb6_pair(_shared_labs: _SharedLabs) -> tuple[LabServer, ...]:
    """A settled load-balancing DHCPv6 pair. Read-only."""
    return _shared_labs.get('lb6_pair')


@pytest.fixture(scope='session')
def hub_spoke(_shared_labs: _SharedLabs) -> tuple[LabServer, ...]:
    """A settled Kea 2.6 hub (server1) with two branches (server2, server3), all in hot-standby. Read-only."""
    return _shared_labs.get('hub_spoke')


@pytest.fixture(scope='session')
def lb30_pair_auth(_shared_labs: _SharedLabs) -> tuple[LabServer, ...]:
    """A settled Kea 3.0 load-balancing pair, basic auth on the servers' own HTTP control sockets. Read-only."""
    return _shared_labs.get('lb30_pair_auth')
