"""List pages, list API calls and GraphQL lists cost as many queries for 3 rows as for 25 (no per-row queries)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from users.constants import TOKEN_PREFIX
from users.models import Token
from utilities.testing import TestCase, create_tags, create_test_device

from .base import PEER_PASSWORD, make_server, make_snapshot
from netbox_kea_ha.models import HAPeer, HARelationship

MODELS = ('keaserver', 'harelationship', 'hapeer', 'configsnapshot')

#: GraphQL lists with every field computed from related rows (effective values, control URL, job id).
GRAPHQL = {
    'servers': '{ kea_ha_server_list { id name has_password control_url address { address } } }',
    'peers': '{ kea_ha_peer_list { id effective_name effective_url has_basic_auth_password server { name } } }',
    'relationships': '{ kea_ha_relationship_list { id name peers { effective_name effective_url } } }',
    'snapshots': '{ kea_ha_snapshot_list { id job_id result server { name } relationship { name } } }',
}


class ConstantQueriesTest(TestCase):
    def setUp(self):
        super().setUp()
        self.user.is_superuser = True
        self.user.save()
        self.token = Token.objects.create(user=self.user)
        self.header = {'HTTP_AUTHORIZATION': f'Bearer {TOKEN_PREFIX}{self.token.key}.{self.token.token}'}
        self.device = create_test_device('dhcp1')
        self.tags = create_tags('Alpha', 'Bravo')
        self.count = 0

    def _grow(self, total):
        """Add pairs (two servers, a relationship, two peers with passwords and tags) until `total` of each."""
        while self.count < total:
            i = self.count
            primary = make_server(f'p{i}', f'10.0.{i}.1/16', device=self.device, username='api')
            standby = make_server(f's{i}', f'10.0.{i}.2/16')
            primary.tags.set(self.tags)
            relationship = HARelationship.objects.create(name=f'r{i}', mode='hot-standby', heartbeat_delay=1000)
            relationship.tags.set(self.tags)
            for server, role in ((primary, 'primary'), (standby, 'standby')):
                peer = HAPeer(relationship=relationship, server=server, role=role, basic_auth_user='ha')
                peer.set_basic_auth_password(PEER_PASSWORD)
                peer.save()
                peer.tags.set(self.tags)
            make_snapshot(primary, relationship, after={'Dhcp4': {}}, result='applied')
            self.count += 1

    def _queries(self, url, **headers):
        with CaptureQueriesContext(connection) as context:
            response = self.client.get(url, **headers)
        self.assertEqual(response.status_code, 200, url)
        return len(context.captured_queries)

    def _graphql_queries(self, query):
        with CaptureQueriesContext(connection) as context:
            response = self.client.post(
                reverse('graphql'), {'query': query}, content_type='application/json', **self.header
            )
        self.assertNotIn('errors', response.json())
        return len(context.captured_queries)

    def _measure(self):
        counts = {}
        for model in MODELS:
            counts[f'{model} page'] = self._queries(reverse(f'plugins:netbox_kea_ha:{model}_list') + '?per_page=100')
            counts[f'{model} api'] = self._queries(
                reverse(f'plugins-api:netbox_kea_ha-api:{model}-list') + '?limit=100', **self.header
            )
        for name, query in GRAPHQL.items():
            counts[f'{name} graphql'] = self._graphql_queries(query)
        return counts

    def test_list_queries_do_not_grow_with_rows(self):
        self._grow(3)
        self._measure()  # warm caches (content types, custom fields, user config)
        small = self._measure()
        self._grow(25)
        large = self._measure()
        self.assertEqual(small, large)
        self.assertEqual(HAPeer.objects.count(), 50)

    def test_brief_and_all_columns(self):
        self._grow(3)
        urls = [reverse(f'plugins-api:netbox_kea_ha-api:{model}-list') + '?brief=1&limit=100' for model in MODELS]
        pages = [reverse(f'plugins:netbox_kea_ha:{model}_list') + '?per_page=100&export' for model in MODELS]
        self._queries(urls[0], **self.header)
        small = [self._queries(url, **self.header) for url in urls] + [self._queries(url) for url in pages]
        self._grow(25)
        large = [self._queries(url, **self.header) for url in urls] + [self._queries(url) for url in pages]
        self.assertEqual(small, large)
