"""Detection on the configs real Kea 2.2 servers return from `config-get` (kealab setups in every mode).

The shared setups are read-only: these tests only send config-get.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from kealab import LabServer
from netbox_kea_ha.kea.client import KeaClient
from netbox_kea_ha.kea.detect import detect
from netbox_kea_ha.kea.ha import Relationship
from netbox_kea_ha.kea.redact import REDACTED, redact_secrets
from netbox_kea_ha.kea.validate import errors, warnings

pytestmark = pytest.mark.kea

HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks'


def _config(server: LabServer) -> dict[str, Any]:
    with KeaClient(server.endpoint()) as client:
        return client.config_get().config


def _check(servers: tuple[LabServer, ...]) -> None:
    """Each server's running config: its relationship as configured, its own name and role, no error."""
    for server in servers:
        d = detect(_config(server))
        assert d.family == server.service
        assert d.this_server_names == (server.name,)
        assert d.roles == (server.role,)
        assert d.hooks_dir == HOOKS and d.ha_library == f'{HOOKS}/libdhcp_ha.so' and d.lease_cmds_loaded
        (rel,) = d.relationships
        configured = server.relationship
        assert isinstance(configured, Relationship)
        assert rel.mode == server.mode == configured.mode
        assert [(p.name, p.url, p.role) for p in rel.peers] == [(p.name, p.url, p.role) for p in configured.peers]
        for key, value in configured.parameters.items():
            assert rel.parameters[key] == value
        # config-get adds Kea's defaults: they are parameters now, not unknown keys.
        assert rel.parameters['multi-threading.enable-multi-threading'] is False
        assert 'sync-leases' in rel.parameters and not rel.extra
        assert errors(d.findings) == [], d.findings
        # The lab's timers (1000 / 3000 ms) span exactly three heartbeats: nothing to warn about there.
        assert not [f for f in warnings(d.findings) if f.code.startswith('ha.response-delay')]


def test_load_balancing_pair(lb_pair: tuple[LabServer, ...]) -> None:
    """Load-balancing primary and secondary."""
    _check(lb_pair)


def test_load_balancing_with_backup(lb_trio: tuple[LabServer, ...]) -> None:
    """Load-balancing pair plus a backup: three peers, the backup detects itself as backup."""
    _check(lb_trio)
    assert detect(_config(lb_trio[2])).roles == ('backup',)


def test_hot_standby_pair(hs_pair: tuple[LabServer, ...]) -> None:
    """Hot-standby primary and standby."""
    _check(hs_pair)


def test_passive_backup(pb_pair: tuple[LabServer, ...]) -> None:
    """Passive-backup primary and backup."""
    _check(pb_pair)


def test_dhcp6_pair(lb6_pair: tuple[LabServer, ...]) -> None:
    """A DHCPv6 load-balancing pair."""
    _check(lb6_pair)


def test_basic_auth_pair_keeps_the_password_for_pushing_and_redacts_it_for_display(
    lb_pair_auth: tuple[LabServer, ...],
) -> None:
    """config-get returns the peers' passwords in clear: detection keeps them (needed to push), redaction hides."""
    _check(lb_pair_auth)
    server = lb_pair_auth[0]
    assert server.credentials is not None
    user, password = server.credentials
    d = detect(_config(server))
    peers = d.relationships[0].peers
    assert {(p.basic_auth_user, p.basic_auth_password) for p in peers} == {(user, password)}
    assert password not in repr(d)
    shown = redact_secrets(d.relationships[0])
    assert {p.basic_auth_password for p in shown.peers} == {REDACTED}
    assert password not in json.dumps(redact_secrets(_config(server)))


def test_raw_http_answer_text(lb_pair: tuple[LabServer, ...]) -> None:
    """The raw HTTP body of config-get (a JSON list with one answer) is accepted as is."""
    server = lb_pair[1]
    body = httpx.post(server.ca_url, json={'command': 'config-get', 'service': [server.service]}, timeout=10).text
    d = detect(body)
    assert d.this_server_names == ('server2',) and d.roles == ('secondary',)
