"""AsyncKeaClient and the fleet helpers against real Kea 2.2 (run with asyncio.run: no plugin needed)."""

import asyncio
import dataclasses
import socket

import pytest

from kealab.configs import FAST_HA_PARAMETERS
from netbox_kea_ha.kea.client import (
    Answer,
    AsyncKeaClient,
    Endpoint,
    gather,
    gather_commands,
    gather_status,
    gather_sync,
)
from netbox_kea_ha.kea.exceptions import (
    KeaCommandFailed,
    KeaEmpty,
    KeaServerOffline,
    KeaTimeout,
    KeaTLSError,
    KeaUnauthorized,
    KeaUnreachable,
    KeaUnsupported,
)
from netbox_kea_ha.kea.ha import HAState, KeaVersion

pytestmark = pytest.mark.kea


def test_read_helpers(lb_trio):
    async def main():
        async with AsyncKeaClient(lb_trio[0].endpoint()) as kea:
            status = await kea.status_get()
            version = await kea.version_get()
            commands = await kea.list_commands()
            config = await kea.config_get()
            beat = await kea.ha_heartbeat()
            empty = await kea.command('lease4-get', {'ip-address': '192.0.2.251'}, empty_ok=True)
            return status, version, commands, config, beat, empty

    status, version, commands, config, beat, empty = asyncio.run(main())
    assert status.pid == lb_trio[0].pids['dhcp']
    assert status.ha.local.state is HAState.LOAD_BALANCING
    assert version.version == KeaVersion(2, 2, 0)
    assert 'ha-heartbeat' in commands
    assert config.hash is None and 'Dhcp4' in config.config
    assert beat.scopes == ('server1',)
    assert empty == Answer(3, 'Lease not found.', None)


def test_errors(lb_pair_auth, lb_pair):
    endpoint = lb_pair_auth[0].endpoint()

    async def raised(endpoint, call):
        async with AsyncKeaClient(endpoint) as kea:
            try:
                await call(kea)
            except Exception as exc:  # returned for the asserts below
                return exc
        return None

    async def main():
        return await asyncio.gather(
            raised(dataclasses.replace(endpoint, password='wrong'), lambda kea: kea.status_get()),
            raised(endpoint, lambda kea: kea.command('foo-bar')),
            raised(endpoint, lambda kea: kea.command('lease4-get', {'ip-address': '192.0.2.252'})),
            raised(endpoint, lambda kea: kea.ha_scopes(['nosuch'])),
            raised(lb_pair[0].endpoint(service='dhcp6'), lambda kea: kea.status_get()),
        )

    unauthorized, unsupported, empty, failed, offline = asyncio.run(main())
    assert isinstance(unauthorized, KeaUnauthorized) and unauthorized.status == 401
    assert isinstance(unsupported, KeaUnsupported) and unsupported.text == "'foo-bar' command not supported."
    assert isinstance(empty, KeaEmpty)
    assert isinstance(failed, KeaCommandFailed) and 'nosuch' in failed.text
    assert isinstance(offline, KeaServerOffline)


def test_unreachable_timeout_and_tls(kea_lab):
    server = kea_lab.standalone(tls=True)
    stopped = kea_lab.standalone()
    stopped.kill_ca()
    silent = socket.socket()
    silent.bind(('127.0.0.1', 0))
    silent.listen(8)

    async def error_of(endpoint):
        try:
            async with AsyncKeaClient(endpoint) as kea:
                await kea.version_get()
        except Exception as exc:  # returned for the asserts below
            return exc
        return None

    async def main():
        return await asyncio.gather(
            error_of(stopped.endpoint()),
            error_of(Endpoint(f'http://127.0.0.1:{silent.getsockname()[1]}/', timeout=0.3)),
            error_of(dataclasses.replace(server.endpoint(), ca_file=None)),
            error_of(dataclasses.replace(server.endpoint(), cert_file=None, key_file=None)),
            error_of(server.endpoint()),
        )

    try:
        unreachable, timeout, unknown_ca, no_cert, fine = asyncio.run(main())
    finally:
        silent.close()
    assert type(unreachable) is KeaUnreachable
    assert isinstance(timeout, KeaTimeout)
    assert isinstance(unknown_ca, KeaTLSError)
    assert isinstance(no_cert, KeaTLSError) and 'CERTIFICATE_REQUIRED' in str(no_cert)
    assert fine is None


def test_maintenance_and_config_round_trip(kea_lab, tmp_path):
    server1, server2 = kea_lab.load_balancing(parameters=FAST_HA_PARAMETERS, wait=True)

    async def main():
        async with AsyncKeaClient(server1.endpoint()) as kea1, AsyncKeaClient(server2.endpoint()) as kea2:
            started = await kea1.ha_maintenance_start()
            states = ((await kea1.status_get()).ha.local.state, (await kea2.status_get()).ha.local.state)
            cancelled = await kea1.ha_maintenance_cancel()
            written = await kea2.config_write(str(tmp_path / 'server2.json'))
            return started, states, cancelled, written

    started, states, cancelled, written = asyncio.run(main())
    assert started.startswith('Server is now in the partner-in-maintenance state')
    assert states == (HAState.PARTNER_IN_MAINTENANCE, HAState.IN_MAINTENANCE)
    assert cancelled == 'Server maintenance successfully canceled.'
    assert written.size == (tmp_path / 'server2.json').stat().st_size
    kea_lab.wait_ha([server1, server2])


def test_fleet_status_with_errors(lb_pair, hs_pair, kea_lab):
    gone = kea_lab.standalone()
    gone.kill_dhcp()
    endpoints = [s.endpoint() for s in lb_pair + hs_pair] + [gone.endpoint()]
    outcomes = gather_sync(gather_status(endpoints, limit=3))
    assert [o.endpoint for o in outcomes] == endpoints
    assert [o.value.ha.local.state for o in outcomes[:4]] == ['load-balancing', 'load-balancing'] + ['hot-standby'] * 2
    assert all(o.ok for o in outcomes[:4])
    assert not outcomes[4].ok and isinstance(outcomes[4].error, KeaServerOffline)

    answers = gather_sync(gather_commands(endpoints[:2], 'lease4-get', {'ip-address': '192.0.2.253'}, empty_ok=True))
    assert [a.value.result for a in answers] == [3, 3]

    versions = gather_sync(gather(endpoints[:2], lambda kea: kea.version_get()))
    assert {o.value.text for o in versions} == {'2.2.0'}


def test_gather_sync_inside_a_running_loop(lb_pair):
    async def main():
        return gather_sync(gather_status([lb_pair[0].endpoint()]))

    (outcome,) = asyncio.run(main())
    assert outcome.ok and outcome.value.pid == lb_pair[0].pids['dhcp']
    with pytest.raises(ValueError, match='limit must be at least 1'):
        gather_sync(gather_status([lb_pair[0].endpoint()], limit=0))
