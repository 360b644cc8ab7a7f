"""REST and GraphQL with NetBox's APIViewTestCases; the render endpoint; bad input answers 400 with field errors."""

from django.test import override_settings
from django.urls import reverse
from rest_framework import status

from users.models import ObjectPermission
from utilities.testing import APITestCase, APIViewTestCases, create_test_device

from .base import PASSWORD, PEER_PASSWORD, make_ip, make_peer, make_relationship, make_server
from netbox_kea_ha.graphql.types import HAPeerType, HARelationshipType, KeaServerType
from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer

NAMESPACE = 'plugins-api:netbox_kea_ha'


class KeaServerAPITestCase(APIViewTestCases.APIViewTestCase):
    model = KeaServer
    view_namespace = NAMESPACE
    type_class = KeaServerType
    graphql_base_name = 'kea_ha_server'
    brief_fields = ['description', 'display', 'family', 'id', 'name', 'url']
    # `reference`: create_data sets a password reference (a privileged decision, tests/netbox/test_security.py).
    user_permissions = (
        'ipam.view_ipaddress',
        'dcim.view_device',
        'virtualization.view_virtualmachine',
        'netbox_kea_ha.reference_keaserver',
    )
    validation_excluded_fields = ['password']

    @classmethod
    def setUpTestData(cls):
        device = create_test_device('dhcp1')
        make_server('server1', '192.0.2.1/24', device=device, kea_version='2.2.0', ha_state='hot-standby')
        make_server('server2', '192.0.2.2/24', family='dhcp6', control_port=18002, config_drift='drifted')
        make_server('server3', '192.0.2.3/24', control_kind='server', kea_version='3.0.1')
        addresses = [make_ip(f'192.0.2.{i}/24') for i in range(11, 14)]
        cls.create_data = [
            {'name': 'server4', 'address': addresses[0].pk, 'family': 'dhcp4', 'username': 'api', 'password': PASSWORD},
            {'name': 'server5', 'address': addresses[1].pk, 'control_port': 18005, 'device': device.pk},
            {'name': 'server6', 'address': addresses[2].pk, 'family': 'dhcp6', 'password_ref': 'env:KEA_PW'},
        ]
        cls.bulk_update_data = {'control_port': 18100, 'replicate_config': 'off'}

    def test_password_is_write_only(self):
        self.add_permissions('netbox_kea_ha.add_keaserver', 'netbox_kea_ha.view_keaserver')
        response = self.client.post(self._get_list_url(), self.create_data[0], format='json', **self.header)
        self.assertHttpStatus(response, status.HTTP_201_CREATED)
        self.assertNotIn('password', response.data)
        self.assertTrue(response.data['has_password'])
        self.assertEqual(KeaServer.objects.get(name='server4').get_password(), PASSWORD)
        response = self.client.get(self._get_detail_url(KeaServer.objects.get(name='server4')), **self.header)
        self.assertNotIn(PASSWORD, str(response.data))

    def test_password_patch_semantics(self):
        server = KeaServer.objects.get(name='server1')
        server.set_password(PASSWORD)
        server.save()
        self.add_permissions(
            'netbox_kea_ha.change_keaserver', 'netbox_kea_ha.view_keaserver', 'netbox_kea_ha.reference_keaserver'
        )
        url = self._get_detail_url(server)
        self.client.patch(url, {'description': 'no password given'}, format='json', **self.header)
        server.refresh_from_db()
        self.assertEqual(server.get_password(), PASSWORD)
        self.client.patch(url, {'password': None}, format='json', **self.header)
        server.refresh_from_db()
        self.assertFalse(server.has_password)
        response = self.client.patch(url, {'password': 'a', 'password_ref': 'env:B'}, format='json', **self.header)
        self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
        self.assertIn('password_ref', response.data)
        # A reference alone replaces a stored password: no stale token is kept.
        server.set_password(PASSWORD)
        server.save()
        response = self.client.patch(url, {'password_ref': 'env:KEA_PW'}, format='json', **self.header)
        self.assertHttpStatus(response, status.HTTP_200_OK)
        server.refresh_from_db()
        self.assertEqual((server._password, server.password_ref), ('', 'env:KEA_PW'))
        self.assertTrue(response.data['has_password'])

    def test_bad_input_is_400_with_field_errors(self):
        self.add_permissions('netbox_kea_ha.add_keaserver')
        address = make_ip('192.0.2.99/24')
        for data, field in (
            ({'name': 'x', 'address': address.pk, 'control_port': 70000}, 'control_port'),
            ({'name': 'x', 'address': address.pk, 'family': 'dhcp5'}, 'family'),
            ({'name': 'x'}, 'address'),
            ({'name': 'x', 'address': address.pk, 'cert_file': '/c.pem'}, 'key_file'),
            ({'name': 'x', 'address': address.pk, 'password_ref': 'vault:x'}, 'password_ref'),
        ):
            with self.subTest(field=field):
                response = self.client.post(self._get_list_url(), data, format='json', **self.header)
                self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
                self.assertIn(field, response.data)


class HARelationshipAPITestCase(APIViewTestCases.APIViewTestCase):
    model = HARelationship
    view_namespace = NAMESPACE
    type_class = HARelationshipType
    graphql_base_name = 'kea_ha_relationship'
    brief_fields = ['description', 'display', 'id', 'mode', 'name', 'url']
    user_permissions = ('netbox_kea_ha.view_hapeer', 'netbox_kea_ha.view_keaserver', 'ipam.view_ipaddress')

    @classmethod
    def setUpTestData(cls):
        make_relationship('relationship1', heartbeat_delay=1000, mt_enable=True)
        make_relationship('relationship2', mode='load-balancing', max_unacked_clients=4000000000)
        make_relationship('relationship3', mode='passive-backup', state_machine=[{'state': 'waiting', 'pause': 'once'}])
        cls.create_data = [
            {'name': 'relationship4', 'mode': 'hot-standby', 'heartbeat_delay': 2000, 'max_response_delay': 8000},
            {'name': 'relationship5', 'mode': 'load-balancing', 'delayed_updates_limit': 50, 'sync_leases': False},
            {'name': 'relationship6', 'mode': 'passive-backup', 'wait_backup_ack': True, 'extra_parameters': {'x': 1}},
        ]
        cls.bulk_update_data = {'max_ack_delay': 3000, 'description': 'bulk'}

    def test_bad_parameter_is_400_on_its_field(self):
        self.add_permissions('netbox_kea_ha.add_harelationship')
        response = self.client.post(
            self._get_list_url(),
            {'name': 'bad', 'mode': 'hot-standby', 'wait_backup_ack': True},
            format='json',
            **self.header,
        )
        self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
        self.assertIn('must be set to false in the hot standby configuration', str(response.data['wait_backup_ack']))
        response = self.client.post(
            self._get_list_url(),
            {'name': 'bad', 'mode': 'hot-standby', 'heartbeat_delay': 65536},
            format='json',
            **self.header,
        )
        self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
        self.assertIn('heartbeat_delay', response.data)

    def test_peers_are_nested_and_passwords_absent(self):
        relationship = HARelationship.objects.get(name='relationship1')
        peer = make_peer(relationship, make_server('s1', '192.0.2.1/24'), 'primary', basic_auth_user='ha')
        peer.set_basic_auth_password(PEER_PASSWORD)
        peer.save()
        self.add_permissions('netbox_kea_ha.view_harelationship')
        response = self.client.get(self._get_detail_url(relationship), **self.header)
        self.assertEqual([p['effective_name'] for p in response.data['peers']], ['s1'])
        self.assertNotIn(PEER_PASSWORD, str(response.data))

    def test_render_endpoint(self):
        relationship = HARelationship.objects.get(name='relationship1')
        s1, s2 = make_server('s1', '192.0.2.1/24'), make_server('s2', '192.0.2.2/24')
        peer = make_peer(relationship, s1, 'primary', basic_auth_user='ha')
        peer.set_basic_auth_password(PEER_PASSWORD)
        peer.save()
        url = reverse(f'{NAMESPACE}-api:harelationship-render', kwargs={'pk': relationship.pk})
        self.assertHttpStatus(self.client.get(url, **self.header), status.HTTP_403_FORBIDDEN)
        self.add_permissions('netbox_kea_ha.view_harelationship')
        data = self.client.get(url, **self.header).json()
        self.assertEqual([s['server']['name'] for s in data['servers']], ['s1'])
        self.assertTrue(any(f['incomplete'] and f['code'] == 'ha.standby-required' for f in data['findings']))
        make_peer(relationship, s2, 'standby')
        data = self.client.get(url, **self.header).json()
        blocks = {s['server']['name']: s['hooks_libraries'] for s in data['servers']}
        ha = blocks['s2'][-1]['parameters']['high-availability'][0]
        self.assertEqual(ha['this-server-name'], 's2')
        self.assertEqual(ha['heartbeat-delay'], 1000)
        self.assertEqual(ha['multi-threading'], {'enable-multi-threading': True})
        self.assertEqual(ha['peers'][0]['basic-auth-password'], '********')
        self.assertNotIn(PEER_PASSWORD, str(data))

    def test_render_withholds_a_block_with_a_relationship_the_user_may_not_view(self):
        relationship = HARelationship.objects.get(name='relationship1')
        hidden = HARelationship.objects.get(name='relationship2')
        hub, s2, s3 = (make_server(f's{i}', f'192.0.2.{i}/24') for i in (1, 2, 3))
        make_peer(relationship, hub, 'primary')
        make_peer(relationship, s2, 'standby')
        make_peer(hidden, hub, 'primary', name='hub-elsewhere')
        make_peer(hidden, s3, 'secondary')
        self.add_permissions('netbox_kea_ha.view_harelationship')
        ObjectPermission.objects.filter(actions=['view'], object_types__model='harelationship').update(
            constraints={'name': 'relationship1'}
        )
        url = reverse(f'{NAMESPACE}-api:harelationship-render', kwargs={'pk': relationship.pk})
        data = self.client.get(url, **self.header).json()
        servers = {s['server']['name']: s for s in data['servers']}
        self.assertTrue(servers['s1']['withheld'])
        self.assertIsNone(servers['s1']['hooks_libraries'])
        self.assertFalse(servers['s2']['withheld'])
        self.assertEqual(
            servers['s2']['hooks_libraries'][-1]['parameters']['high-availability'][0]['this-server-name'], 's2'
        )
        self.assertNotIn('hub-elsewhere', str(data))


class HAPeerAPITestCase(APIViewTestCases.APIViewTestCase):
    model = HAPeer
    view_namespace = NAMESPACE
    type_class = HAPeerType
    graphql_base_name = 'kea_ha_peer'
    brief_fields = ['display', 'effective_name', 'id', 'role', 'server', 'url']
    user_permissions = ('netbox_kea_ha.view_harelationship', 'netbox_kea_ha.view_keaserver', 'ipam.view_ipaddress')
    validation_excluded_fields = ['basic_auth_password', 'peer_url']

    @classmethod
    def setUpTestData(cls):
        servers = [make_server(f'server{i}', f'192.0.2.{i}/24') for i in range(1, 7)]
        relationships = [make_relationship(f'relationship{i}') for i in range(1, 5)]
        make_peer(relationships[0], servers[0], 'primary', basic_auth_user='ha')
        make_peer(relationships[1], servers[1], 'primary', auto_failover=False)
        make_peer(relationships[2], servers[2], 'primary', url='http://192.0.2.3:8003/')
        cls.create_data = [
            {'relationship': relationships[3].pk, 'server': servers[3].pk, 'role': 'primary',
             'basic_auth_user': 'ha', 'basic_auth_password': PEER_PASSWORD},
            {'relationship': relationships[3].pk, 'server': servers[4].pk, 'role': 'standby',
             'peer_url': 'http://192.0.2.5:8005/'},
            {'relationship': relationships[3].pk, 'server': servers[5].pk, 'role': 'backup', 'auto_failover': False},
        ]  # fmt: skip
        cls.bulk_update_data = {'description': 'bulk', 'basic_auth_user': 'ha2'}

    def test_peer_url_and_effective_values(self):
        self.add_permissions('netbox_kea_ha.view_hapeer')
        peer = HAPeer.objects.get(server__name='server3')
        data = self.client.get(self._get_detail_url(peer), **self.header).data
        self.assertEqual(data['peer_url'], 'http://192.0.2.3:8003/')
        self.assertEqual(data['effective_url'], 'http://192.0.2.3:8003/')
        self.assertEqual(data['effective_name'], 'server3')
        self.assertTrue(data['url'].endswith(f'/api/plugins/kea-ha/peers/{peer.pk}/'))

    def test_kea_rule_is_400_on_the_field(self):
        self.add_permissions('netbox_kea_ha.add_hapeer')
        relationship = HARelationship.objects.get(name='relationship1')
        server = KeaServer.objects.get(name='server5')
        response = self.client.post(
            self._get_list_url(), {'relationship': relationship.pk, 'server': server.pk, 'role': 'primary'},
            format='json', **self.header,
        )  # fmt: skip
        self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
        self.assertIn('multiple primary servers specified', str(response.data['role']))
        response = self.client.post(
            self._get_list_url(),
            {'relationship': relationship.pk, 'server': server.pk, 'role': 'standby', 'peer_url': 'http://host:1/'},
            format='json', **self.header,
        )  # fmt: skip
        self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
        self.assertIn('url', response.data)


@override_settings(EXEMPT_VIEW_PERMISSIONS=['*'])
class GraphQLPasswordTest(APITestCase):
    """GraphQL has no password field; it tells whether one is set."""

    model = KeaServer

    def test_no_password_field(self):
        server = make_server('s1', '192.0.2.1/24')
        server.set_password(PASSWORD)
        server.save()
        query = '{ kea_ha_server_list { name has_password password_ref } }'
        response = self.client.post(reverse('graphql'), {'query': query}, format='json', **self.header)
        self.assertEqual(
            response.json()['data']['kea_ha_server_list'], [{'name': 's1', 'has_password': True, 'password_ref': ''}]
        )
        response = self.client.post(
            reverse('graphql'), {'query': '{ kea_ha_server_list { _password } }'}, format='json', **self.header
        )
        self.assertIn('errors', response.json())
