"""pytest fixtures with real Kea 2.2 servers (kealab), registered from tests/conftest.py.

- `kea_lab`: a fresh `KeaLab` for one test, closed (every process stopped) after it. Tests that change a
  server's config, kill processes or need special setups build their own servers with it.
- Ready-made setups, started once per session on first use and already settled (every server in its
  operational HA state). Each is a tuple of `KeaServer` (server1, server2, ...). They are SHARED by many tests:
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

Kea 2.6 and 3.0 run from Debian 13 roots (kealab.roots). Tests that need them use `requires_kea('3.0')`: they
run when the root is already unpacked or cached under .work/kealab-roots/, or when KEALAB_ROOTS=1 allows
building it (about 40 s per root, needs root and apt); otherwise they are skipped with that reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from kealab import KeaLab, KeaServer
from kealab.roots import root_ready

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
    allowed = os.environ.get('KEALAB_ROOTS') == '1'
    return pytest.mark.skipif(
        bool(missing) and not allowed,
        reason=f'Kea {", ".join(missing)} root not built; set KEALAB_ROOTS=1 to build it (about 40 s each)',
    )


#: Seconds a shared setup may take to settle (3-5 s observed; the machine's 2 cores are shared).
SETTLE_TIMEOUT = 90.0


@pytest.fixture
def kea_lab() -> Iterator[KeaLab]:
    """A fresh lab for this test; every process it started is stopped afterwards, even when the test fails."""
    with KeaLab() as lab:
        yield lab


def _shared(build: Callable[[KeaLab], list[KeaServer]]) -> Iterator[tuple[KeaServer, ...]]:
    with KeaLab() as lab:
        servers = build(lab)
        lab.wait_ha(servers, timeout=SETTLE_TIMEOUT)
        yield tuple(servers)


@pytest.fixture(scope='session')
def lb_pair() -> Iterator[tuple[KeaServer, ...]]:
    """A settled load-balancing DHCPv4 pair (server1 primary, server2 secondary). Read-only."""
    yield from _shared(lambda lab: lab.load_balancing())


@pytest.fixture(scope='session')
def lb_trio() -> Iterator[tuple[KeaServer, ...]]:
    """A settled load-balancing DHCPv4 pair plus a backup (server3). Read-only."""
    yield from _shared(lambda lab: lab.load_balancing(backup=True))


@pytest.fixture(scope='session')
def hs_pair() -> Iterator[tuple[KeaServer, ...]]:
    """A settled hot-standby DHCPv4 pair (server1 primary, server2 standby). Read-only."""
    yield from _shared(lambda lab: lab.hot_standby())


@pytest.fixture(scope='session')
def pb_pair() -> Iterator[tuple[KeaServer, ...]]:
    """A settled passive-backup DHCPv4 relationship (server1 primary, server2 backup). Read-only."""
    yield from _shared(lambda lab: lab.passive_backup(backups=1))


@pytest.fixture(scope='session')
def lb_pair_auth() -> Iterator[tuple[KeaServer, ...]]:
    """A settled load-balancing DHCPv4 pair with basic auth on both Control Agents. Read-only."""
    yield from _shared(lambda lab: lab.load_balancing(auth=True))


@pytest.fixture(scope='session')
def lb6_pair() -> Iterator[tuple[KeaServer, ...]]:
    """A settled load-balancing DHCPv6 pair. Read-only."""
    yield from _shared(lambda lab: lab.load_balancing(family=6))


@pytest.fixture(scope='session')
def hub_spoke() -> Iterator[tuple[KeaServer, ...]]:
    """A settled Kea 2.6 hub (server1) with two branches (server2, server3), all in hot-standby. Read-only."""
    yield from _shared(lambda lab: lab.hub_and_spoke(kea='2.6'))
