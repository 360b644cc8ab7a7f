"""
Kea's HA status detail on peers (state fields change-logged, counters written in bulk without a log entry), the HA
history built from the change log (durations, the last partner-down, permissions), and where they are shown: peer,
relationship and server pages, REST, GraphQL, filters.

Readings are `kea.status` values parsed from answers shaped as Kea 2.2 / 3.0 send them (docs/kea-*-observed.md);
tests/e2e/test_status_detail.py reads the same from real Kea.
"""

from datetime import timedelta

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import ObjectChange
from users.constants import TOKEN_PREFIX
from users.models import ObjectPermission, Token
from utilities.testing import TestCase

from .base import make_peer, make_relationship, make_server
from netbox_kea_ha.filtersets import HAPeerFilterSet
from netbox_kea_ha.kea.status import parse_status
from netbox_kea_ha.models import HAPeer
from netbox_kea_ha.services.context import change_context
from netbox_kea_ha.services.history import format_duration, peer_history, relationship_history, server_history
from netbox_kea_ha.services.status import Bumps, ServerReading, record_peer


def remote(**values):
    """A `remote` entry of Kea 2.2's status-get (docs/kea-2.2-observed.md), with `values` (Kea's keys) changed."""
    entry = {
        'age': 0, 'analyzed-packets': 0, 'communication-interrupted': False, 'connecting-clients': 0,
        'in-touch': True, 'last-scopes': ['server2'], 'last-state': 'load-balancing', 'role': 'secondary',
        'unacked-clients': 0, 'unacked-clients-left': 0,
    }  # fmt: skip
    entry.update(values)
    return entry


def answer(*relationships):
    """A status-get answer's arguments with these `high-availability` entries."""
    return {
        'pid': 10,
        'uptime': 60,
        'reload': 60,
        'multi-threading-enabled': False,
        'high-availability': list(relationships),
    }


def entry(
    state='load-balancing', scopes=('server1',), mode='load-balancing', role='primary', name=None, **remote_values
):
    """One relationship of a status-get answer, its remote values changed (Kea's keys, `_` for `-`); `remote=False`
    drops the remote part (a backup)."""
    local = {'role': role, 'scopes': list(scopes), 'state': state}
    if name:
        local['server-name'] = name
    servers = {'local': local}
    if remote_values.get('remote') is not False:
        servers['remote'] = remote(**{k.replace('_', '-'): v for k, v in remote_values.items()})
    return {'ha-mode': mode, 'ha-servers': servers}


def reading(server, *relationships):
    """What reading `server` gave: a parsed status-get (the status job's `ServerReading`)."""
    return ServerReading(server, status=parse_status(answer(*relationships)), version='2.2.0')


def peer_changes(peer):
    return ObjectChange.objects.filter(changed_object_type__model='hapeer', changed_object_id=peer.pk)


class Pair:
    """A load-balancing pair in NetBox (server1 primary, server2 secondary)."""

    def __init__(self, name='r'):
        self.s1 = make_server(f'{name}-s1', '192.0.2.1/24', server_tag='server1')
        self.s2 = make_server(f'{name}-s2', '192.0.2.2/24', server_tag='server2')
        self.relationship = make_relationship(name, mode='load-balancing')
        self.p1 = make_peer(self.relationship, self.s1, 'primary')
        self.p2 = make_peer(self.relationship, self.s2, 'secondary')


class RecordPeerTest(TestCase):
    def test_every_field_is_recorded_and_only_state_changes_are_change_logged(self):
        pair = Pair()
        peer = pair.p1
        with change_context():
            changed = record_peer(peer, reading(pair.s1, entry(age=2, analyzed_packets=7, connecting_clients=1)))
        self.assertEqual(
            changed, ['ha_state', 'partner_state', 'scopes', 'partner_scopes', 'communication_interrupted', 'reachable']
        )
        peer.refresh_from_db()
        self.assertEqual((peer.ha_state, peer.partner_state), ('load-balancing', 'load-balancing'))
        self.assertEqual((peer.scopes, peer.partner_scopes), (['server1'], ['server2']))
        self.assertEqual((peer.communication_interrupted, peer.in_touch, peer.reachable), (False, True, True))
        self.assertEqual((peer.heartbeat_age, peer.analyzed_packets, peer.connecting_clients), (2, 7, 1))
        self.assertEqual((peer.unacked_clients, peer.unacked_clients_left, peer.clock_skew), (0, 0, None))
        self.assertEqual(peer_changes(peer).count(), 1)

        # Counters move: written, no change-log entry.
        with change_context():
            changed = record_peer(peer, reading(pair.s1, entry(age=5, analyzed_packets=9, unacked_clients=3)))
        self.assertEqual(changed, [])
        peer.refresh_from_db()
        self.assertEqual((peer.heartbeat_age, peer.analyzed_packets, peer.unacked_clients), (5, 9, 3))
        self.assertEqual(peer_changes(peer).count(), 1)

        # Communication interrupted is a state: logged, with the counters of that reading.
        with change_context():
            changed = record_peer(peer, reading(pair.s1, entry(communication_interrupted=True, age=3)))
        self.assertEqual(changed, ['communication_interrupted'])
        logged = peer_changes(peer).order_by('-pk').first()
        self.assertEqual(logged.prechange_data['communication_interrupted'], False)
        self.assertEqual(logged.postchange_data['communication_interrupted'], True)
        self.assertEqual(logged.postchange_data['heartbeat_age'], 3)

        # The partner takes over a scope: the partner's scopes are a state too.
        with change_context():
            changed = record_peer(
                peer, reading(pair.s1, entry(communication_interrupted=True, last_scopes=['server1', 'server2']))
            )
        self.assertEqual(changed, ['partner_scopes'])

    def test_an_unreadable_server_keeps_its_last_counters(self):
        pair = Pair()
        with change_context():
            record_peer(pair.p1, reading(pair.s1, entry(age=4, unacked_clients=2)))
            changed = record_peer(pair.p1, ServerReading(pair.s1, error='connection refused'))
        self.assertEqual(changed, ['ha_state', 'reachable'])
        pair.p1.refresh_from_db()
        self.assertEqual((pair.p1.ha_state, pair.p1.reachable), ('unavailable', False))
        self.assertEqual((pair.p1.heartbeat_age, pair.p1.unacked_clients), (4, 2))

    def test_a_backup_has_no_partner_values(self):
        pair = Pair()
        with change_context():
            record_peer(pair.p1, reading(pair.s1, entry(state='backup', scopes=(), role='backup', remote=False)))
        pair.p1.refresh_from_db()
        self.assertEqual((pair.p1.ha_state, pair.p1.partner_state, pair.p1.partner_scopes), ('backup', '', []))
        self.assertIsNone(pair.p1.heartbeat_age)
        self.assertIsNone(pair.p1.communication_interrupted)

    def test_kea_30_clock_skew(self):
        pair = Pair()
        with change_context():
            record_peer(pair.p1, reading(pair.s1, entry(clock_skew=-2, system_time='2026-12-07 05:00:00')))
        pair.p1.refresh_from_db()
        self.assertEqual(pair.p1.clock_skew, -2)

    def test_a_hubs_peers_each_get_their_own_relationship(self):
        hub = make_server('hub', '192.0.2.10/24', server_tag='server1')
        branches = [make_server(f'b{i}', f'192.0.2.{i}/24', server_tag=f'server{i}') for i in (2, 3)]
        peers = {}
        for branch in branches:
            relationship = make_relationship(f'{branch.server_tag} / hub')
            make_peer(relationship, branch, 'primary')
            peers[branch.server_tag] = make_peer(relationship, hub, 'standby', name=f'server1-{branch.server_tag}')
        hub_reading = reading(
            hub,
            entry('hot-standby', (), 'hot-standby', 'standby', 'server1-server2', last_scopes=['server2'], age=1),
            entry(
                'partner-down', ('server3',), 'hot-standby', 'standby', 'server1-server3',
                last_state='unavailable', last_scopes=[], communication_interrupted=True, age=40, unacked_clients=2,
            ),
        )  # fmt: skip
        with change_context():
            for peer in peers.values():
                record_peer(peer, hub_reading)
        calm, down = (HAPeer.objects.get(pk=peers[name].pk) for name in ('server2', 'server3'))
        self.assertEqual((calm.ha_state, calm.scopes, calm.partner_scopes), ('hot-standby', [], ['server2']))
        self.assertEqual((calm.communication_interrupted, calm.heartbeat_age, calm.unacked_clients), (False, 1, 0))
        self.assertEqual((down.ha_state, down.scopes, down.partner_state), ('partner-down', ['server3'], 'unavailable'))
        self.assertEqual((down.communication_interrupted, down.heartbeat_age, down.unacked_clients), (True, 40, 2))

    def test_counters_of_many_peers_take_one_update_statement(self):
        pairs = [Pair(f'r{i}') for i in range(6)]
        with change_context():
            for i, pair in enumerate(pairs):
                record_peer(pair.p1, reading(pair.s1, entry(age=1)))
        now = timezone.now()
        bumps = Bumps()
        with CaptureQueriesContext(connection) as queries, change_context():
            for i, pair in enumerate(pairs):
                record_peer(pair.p1, reading(pair.s1, entry(age=i + 10, analyzed_packets=i)), now=now, bumps=bumps)
            bumps.flush()
        updates = [q['sql'] for q in queries.captured_queries if q['sql'].startswith('UPDATE')]
        # One for the times (the same for every peer), one bulk update of the counters (each peer its own).
        self.assertEqual(len(updates), 2, updates)
        self.assertEqual(
            sorted(HAPeer.objects.filter(role='primary').values_list('heartbeat_age', flat=True)), list(range(10, 16))
        )
        self.assertFalse(ObjectChange.objects.filter(time__gte=now).exists())


class HistoryTest(TestCase):
    """The history of a pair: load-balancing, partner-down for 2 min 5 s, load-balancing again."""

    def setUp(self):
        super().setUp()
        self.pair = Pair()
        self.start = timezone.now() - timedelta(hours=1)

    def at(self, peer, state, seconds, **remote_values):
        """Record `state` for `peer` and date its change-log entry `seconds` after the start."""
        server = peer.server
        with change_context():
            changed = record_peer(peer, reading(server, entry(state, **remote_values)))
        if changed:
            newest = peer_changes(peer).order_by('-pk').first()
            ObjectChange.objects.filter(pk=newest.pk).update(time=self.start + timedelta(seconds=seconds))

    def episode(self):
        p1, p2 = self.pair.p1, self.pair.p2
        self.at(p1, 'load-balancing', 0)
        self.at(p2, 'load-balancing', 0)
        self.at(p2, 'waiting', 30)  # unrelated: the other peer restarts
        self.at(p2, 'load-balancing', 40)
        self.at(p1, 'load-balancing', 50, age=9, analyzed_packets=3)  # counters only: no entry
        self.at(p1, 'load-balancing', 55, communication_interrupted=True)  # a state, but not the HA state
        self.at(p1, 'partner-down', 60, communication_interrupted=True)
        self.at(p1, 'load-balancing', 185)

    def test_changes_with_durations_and_the_last_partner_down(self):
        self.episode()
        history = relationship_history(self.pair.relationship)
        rows = [(c.peer.effective_name, c.before, c.after, c.lasted_text, c.ongoing) for c in history.changes]
        lasted = format_duration(history.now - (self.start + timedelta(seconds=185)))
        self.assertEqual(
            rows,
            [
                ('server1', 'partner-down', 'load-balancing', lasted, True),
                ('server1', 'load-balancing', 'partner-down', '2 min 5 s', False),
                ('server2', 'waiting', 'load-balancing', rows[2][3], True),
                ('server2', 'load-balancing', 'waiting', '10 s', False),
                ('server2', '', 'load-balancing', '30 s', False),  # same time: the newer entry first
                ('server1', '', 'load-balancing', '1 min', False),
            ],
        )
        self.assertEqual(history.changes[0].user_name, 'netbox-kea-ha')
        [episode] = history.partner_down
        self.assertEqual((episode.peer, episode.start), (self.pair.p1, self.start + timedelta(seconds=60)))
        self.assertEqual(
            (episode.end, episode.lasted_text, episode.ongoing),
            (self.start + timedelta(seconds=185), '2 min 5 s', False),
        )

    def test_an_ongoing_partner_down(self):
        self.at(self.pair.p1, 'load-balancing', 0)
        self.at(self.pair.p1, 'partner-down', 60)
        self.at(self.pair.p1, 'partner-down', 120, age=60)  # still down: nothing logged
        now = self.start + timedelta(seconds=3660)
        history = peer_history([self.pair.p1], now=now)
        [episode] = history.partner_down
        self.assertTrue(episode.ongoing)
        self.assertEqual(episode.lasted_text, '1 h')
        self.assertEqual(history.changes[0].lasted_text, '1 h')

    def test_the_last_of_several_episodes_counts(self):
        for seconds, state in ((0, 'load-balancing'), (10, 'partner-down'), (20, 'load-balancing'),
                               (100, 'partner-down'), (145, 'waiting'), (150, 'load-balancing')):  # fmt: skip
            self.at(self.pair.p1, state, seconds)
        [episode] = relationship_history(self.pair.relationship).partner_down
        self.assertEqual((episode.start, episode.lasted_text), (self.start + timedelta(seconds=100), '45 s'))

    def test_the_list_is_bounded_newest_first(self):
        self.episode()
        history = peer_history([self.pair.p1, self.pair.p2], limit=2)
        self.assertTrue(history.truncated)
        self.assertEqual([c.after for c in history.changes], ['load-balancing', 'partner-down'])
        self.assertEqual(len(history.partner_down), 1)  # found beyond the listed changes
        self.assertFalse(peer_history([self.pair.p1, self.pair.p2]).truncated)

    def test_a_servers_history_is_of_its_peers(self):
        self.episode()
        history = server_history(self.pair.s2)
        self.assertEqual({c.peer for c in history.changes}, {self.pair.p2})
        self.assertEqual(history.partner_down, [])

    def test_format_duration(self):
        cases = {0: '0 s', 59: '59 s', 60: '1 min', 125: '2 min 5 s', 3600: '1 h', 3720: '1 h 2 min',
                 86400: '1 d', 90000: '1 d 1 h'}  # fmt: skip
        for seconds, text in cases.items():
            self.assertEqual(format_duration(timedelta(seconds=seconds)), text)

    def test_permissions(self):
        self.episode()
        self.add_permissions('netbox_kea_ha.view_hapeer', 'netbox_kea_ha.view_keaserver')
        # Without the change log's view permission: no history at all (not an empty one).
        self.assertIsNone(relationship_history(self.pair.relationship, self.user))
        self.add_permissions('core.view_objectchange')
        self.user = type(self.user).objects.get(pk=self.user.pk)  # permissions are cached per instance
        self.assertEqual(len(relationship_history(self.pair.relationship, self.user).changes), 6)
        # Only the peers the user may view (server2's peer and server are hidden by constraints).
        ObjectPermission.objects.filter(object_types__model='keaserver').update(constraints={'name': 'r-s1'})
        self.user = type(self.user).objects.get(pk=self.user.pk)
        history = relationship_history(self.pair.relationship, self.user)
        self.assertEqual({c.peer.pk for c in history.changes}, {self.pair.p1.pk})


class PagesTest(TestCase):
    def setUp(self):
        super().setUp()
        self.pair = Pair()
        start = timezone.now() - timedelta(minutes=10)
        for peer, state, seconds in ((self.pair.p1, 'load-balancing', 0), (self.pair.p1, 'partner-down', 60),
                                     (self.pair.p1, 'load-balancing', 185)):  # fmt: skip
            with change_context():
                record_peer(peer, reading(peer.server, entry(state, age=7, analyzed_packets=4_000_000_000)))
            newest = peer_changes(peer).order_by('-pk').first()
            ObjectChange.objects.filter(pk=newest.pk).update(time=start + timedelta(seconds=seconds))
        self.add_permissions(
            'netbox_kea_ha.view_harelationship', 'netbox_kea_ha.view_hapeer', 'netbox_kea_ha.view_keaserver'
        )

    def test_history_panel_needs_the_change_log_permission(self):
        page = self.client.get(self.pair.relationship.get_absolute_url()).content.decode()
        self.assertNotIn('HA history', page)
        self.add_permissions('core.view_objectchange')
        for url in (self.pair.relationship.get_absolute_url(), self.pair.s1.get_absolute_url()):
            page = self.client.get(url).content.decode()
            self.assertIn('HA history', page)
            self.assertIn('last went', page)
            self.assertIn('for 2 min 5 s', page)
            self.assertIn(reverse('core:objectchange', kwargs={'pk': peer_changes(self.pair.p1).first().pk}), page)

    def test_relationship_page_has_an_ha_status_table_and_peer_page_the_detail(self):
        page = self.client.get(self.pair.relationship.get_absolute_url()).content.decode()
        self.assertIn('HA status', page)
        self.assertIn('include_columns=name', page.replace('%2C', ','))
        table = self.client.get(
            reverse('plugins:netbox_kea_ha:hapeer_list'),
            {'relationship_id': self.pair.relationship.pk, 'embedded': 'True',
             'include_columns': 'name,heartbeat_age,analyzed_packets,partner_scopes'},
        ).content.decode()  # fmt: skip
        self.assertIn('Heartbeat age (s)', table)
        self.assertIn('4000000000', table)
        page = self.client.get(self.pair.p1.get_absolute_url()).content.decode()
        for label in ('Partner scopes', 'Communication interrupted', 'Unacked clients left', 'Analyzed packets'):
            self.assertIn(label, page)


@override_settings(EXEMPT_VIEW_PERMISSIONS=['*'])
class APITest(TestCase):
    def setUp(self):
        super().setUp()
        self.pair = Pair()
        with change_context():
            record_peer(self.pair.p1, reading(self.pair.s1, entry(age=7, analyzed_packets=4_000_000_000, clock_skew=1)))
        token = Token.objects.create(user=self.user)
        self.header = {'HTTP_AUTHORIZATION': f'Bearer {TOKEN_PREFIX}{token.key}.{token.token}'}

    def test_rest_shows_the_status_read_only(self):
        self.add_permissions('netbox_kea_ha.change_hapeer')
        url = reverse('plugins-api:netbox_kea_ha-api:hapeer-detail', kwargs={'pk': self.pair.p1.pk})
        data = self.client.get(url, **self.header).json()
        self.assertEqual(data['partner_scopes'], ['server2'])
        self.assertEqual((data['heartbeat_age'], data['analyzed_packets'], data['clock_skew']), (7, 4_000_000_000, 1))
        self.assertEqual((data['communication_interrupted'], data['in_touch']), (False, True))
        response = self.client.patch(
            url, {'heartbeat_age': 1, 'ha_state': 'waiting'}, content_type='application/json', **self.header
        )
        self.assertEqual(response.status_code, 200)
        self.pair.p1.refresh_from_db()
        self.assertEqual((self.pair.p1.heartbeat_age, self.pair.p1.ha_state), (7, 'load-balancing'))

    def test_graphql_fields_and_filters(self):
        query = (
            '{ kea_ha_peer_list(filters: {communication_interrupted: {exact: false}}) '
            '{ effective_name partner_scopes heartbeat_age analyzed_packets in_touch clock_skew '
            'unacked_clients_left } }'
        )
        response = self.client.post(
            reverse('graphql'), {'query': query}, content_type='application/json', **self.header
        )
        self.assertNotIn('errors', response.json())
        self.assertEqual(
            response.json()['data']['kea_ha_peer_list'],
            [{'effective_name': 'server1', 'partner_scopes': ['server2'], 'heartbeat_age': 7,
              'analyzed_packets': 4000000000, 'in_touch': True, 'clock_skew': 1, 'unacked_clients_left': 0}],
        )  # fmt: skip

    def test_filterset(self):
        queryset = HAPeer.objects.all()
        self.assertEqual(HAPeerFilterSet({'scope': ['server1']}, queryset).qs.get(), self.pair.p1)
        self.assertEqual(HAPeerFilterSet({'partner_scope': ['server2', 'x']}, queryset).qs.get(), self.pair.p1)
        self.assertEqual(HAPeerFilterSet({'heartbeat_age__gte': [5]}, queryset).qs.get(), self.pair.p1)
        self.assertEqual(HAPeerFilterSet({'communication_interrupted': False}, queryset).qs.get(), self.pair.p1)
        self.assertEqual(HAPeerFilterSet({'in_touch': True}, queryset).qs.count(), 1)
