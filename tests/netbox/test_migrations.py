"""
Upgrading to migration 0004 (docs/security.md): passwords stored before are bound to where they go at the upgrade,
peers confirm their servers' endpoints as they are, secrets in `extra_parameters` move into encrypted storage, and
a JSON value too big or deep for a page moves into a journal entry of its object (nothing is lost).
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from extras.models import JournalEntry

from netbox_kea_ha.crypto import encrypt
from netbox_kea_ha.kea.redact import REDACTED
from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer
from netbox_kea_ha.services.endpoints import server_endpoint
from netbox_kea_ha.services.intent import relationship_intent

BEFORE = [('netbox_kea_ha', '0003_action_permissions')]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _deep(depth):
    value = 'leaf'
    for _ in range(depth):
        value = {'k': value}
    return value


@pytest.mark.django_db(transaction=True)
def test_0004_binds_what_was_stored_and_moves_what_pages_cannot_show():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes('netbox_kea_ha')
    try:
        old = _migrate(BEFORE)
        address = old.get_model('ipam', 'IPAddress').objects.create(address='127.0.0.91/32')
        server = old.get_model('netbox_kea_ha', 'KeaServer').objects.create(
            name='kea-1', address=address, username='api', _password=encrypt('Old-Pw-1'), control_port=18001
        )
        relationship = old.get_model('netbox_kea_ha', 'HARelationship').objects.create(
            name='r', mode='hot-standby', extra_parameters={'deep': _deep(900), 'x-secret': 'Old-Secret'}
        )
        old.get_model('netbox_kea_ha', 'HAPeer').objects.create(
            relationship=relationship,
            server=server,
            role='primary',
            _basic_auth_password=encrypt('Old-Peer-Pw'),
            extra_parameters={'token': 'Old-Token'},
        )

        _migrate(latest)  # through 0004 (and later migrations: the models below are the current ones)

        server = KeaServer.objects.get(name='kea-1')
        assert server_endpoint(server).password == 'Old-Pw-1'
        peer = HAPeer.objects.get(server=server)
        assert peer.endpoint_confirmed and peer.secret_problem('basic_auth_password') is None
        assert peer.extra_parameters == {'token': REDACTED}
        relationship = HARelationship.objects.get(name='r')
        assert relationship.extra_parameters == {}  # too deep for a page: kept in a journal entry
        entry = JournalEntry.objects.get(assigned_object_id=relationship.pk)
        assert 'extra_parameters is nested more than' in entry.comments and REDACTED in entry.comments
        assert 'Old-Secret' not in entry.comments
        value = relationship_intent(relationship, relationship.peers.all(), reveal=True).value
        assert value.peers[0].basic_auth_password == 'Old-Peer-Pw' and value.peers[0].extra['token'] == 'Old-Token'
    finally:
        _migrate(latest)
