"""UI views with NetBox's own ViewTestCases, plus the Device/VM tab and the relationship page."""

from django.test import override_settings
from django.urls import reverse

from netbox.choices import CSVDelimiterChoices, ImportFormatChoices
from users.models import ObjectPermission
from utilities.testing import TestCase, ViewTestCases, create_tags, create_test_device, create_test_virtualmachine

from .base import PASSWORD, PEER_PASSWORD, PluginViewTestCase, make_ip, make_peer, make_relationship, make_server
from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer


class KeaServerViewTestCase(PluginViewTestCase, ViewTestCases.PrimaryObjectViewTestCase):
    model = KeaServer

    @classmethod
    def setUpTestData(cls):
        for i in range(1, 4):
            make_server(f'server{i}', f'192.0.2.{i}/24')
        address = make_ip('192.0.2.50/24')
        for i in range(11, 14):
            make_ip(f'192.0.2.{i}/24')
        tags = create_tags('Alpha', 'Bravo', 'Charlie')
        cls.form_data = {
            'name': 'server-x',
            'family': 'dhcp6',
            'address': address.pk,
            'control_kind': 'server',
            'control_scheme': 'https',
            'control_port': 18001,
            'username': 'kea-api',
            'password': PASSWORD,
            'server_tag': 'kea-x',
            'replicate_config': 'off',
            'description': 'A Kea server',
            'tags': [t.pk for t in tags],
        }
        cls.csv_data = (
            'name,address,family,control_port,username,password',
            f'csv1,192.0.2.11/24,dhcp4,18001,api,{PASSWORD}',
            'csv2,192.0.2.12/24,dhcp6,18002,,',
            'csv3,192.0.2.13/24,,,,',
        )
        servers = KeaServer.objects.order_by('pk')
        cls.csv_update_data = (
            'id,description,control_port',
            f'{servers[0].pk},first,18101',
            f'{servers[1].pk},second,18102',
            f'{servers[2].pk},third,18103',
        )
        cls.bulk_edit_data = {'control_port': 18200, 'replicate_config': 'on'}

    @override_settings(EXEMPT_VIEW_PERMISSIONS=['*'])
    def test_create_stores_the_password_encrypted(self):
        self.add_permissions('netbox_kea_ha.add_keaserver')
        response = self.client.post(self._get_url('add'), {**self.form_data, 'tags': []})
        self.assertHttpStatus(response, 302)
        server = KeaServer.objects.get(name='server-x')
        self.assertEqual(server.get_password(), PASSWORD)
        self.assertNotIn(PASSWORD, server._password)

    @override_settings(EXEMPT_VIEW_PERMISSIONS=['*'])
    def test_edit_keeps_clears_or_replaces_the_password(self):
        server = KeaServer.objects.get(name='server1')
        server.set_password(PASSWORD)
        server.save()
        self.add_permissions(
            'netbox_kea_ha.change_keaserver', 'netbox_kea_ha.view_keaserver', 'netbox_kea_ha.reference_keaserver'
        )
        base = {'name': 'server1', 'address': server.address.pk, 'family': 'dhcp4', 'control_kind': 'agent',
                'control_scheme': 'http', 'replicate_config': 'inherit', 'tls_verify': 'unknown'}  # fmt: skip
        page = self.client.get(self._get_url('edit', server)).content.decode()
        self.assertNotIn(PASSWORD, page)
        self.assertNotIn(server._password, page)
        # Blank keeps it.
        self.assertHttpStatus(self.client.post(self._get_url('edit', server), base), 302)
        server.refresh_from_db()
        self.assertEqual(server.get_password(), PASSWORD)
        # A reference replaces it.
        self.assertHttpStatus(
            self.client.post(self._get_url('edit', server), {**base, 'password_ref': 'env:KEA_PW'}), 302
        )
        server.refresh_from_db()
        self.assertEqual((server._password, server.password_ref), ('', 'env:KEA_PW'))
        # A password and a reference together are refused, naming the field.
        response = self.client.post(self._get_url('edit', server), {**base, 'password': 'x', 'password_ref': 'env:X'})
        self.assertHttpStatus(response, 200)
        self.assertIn('Give a password or a reference, not both.', response.content.decode())
        # "Clear" removes everything.
        self.assertHttpStatus(self.client.post(self._get_url('edit', server), {**base, 'clear_password': 'on'}), 302)
        server.refresh_from_db()
        self.assertFalse(server.has_password)

    @override_settings(EXEMPT_VIEW_PERMISSIONS=['*'])
    def test_bulk_edit_of_the_reference_drops_stored_passwords(self):
        servers = list(KeaServer.objects.order_by('pk'))
        for server in servers:
            server.set_password(PASSWORD)
            server.save()
        self.add_permissions('netbox_kea_ha.change_keaserver', 'netbox_kea_ha.reference_keaserver')
        data = {'pk': [s.pk for s in servers], '_apply': True, 'password_ref': 'env:KEA_FLEET_PW'}
        self.assertHttpStatus(self.client.post(self._get_url('bulk_edit'), data), 302)
        self.assertEqual(
            list(KeaServer.objects.order_by('pk').values_list('_password', 'password_ref')),
            [('', 'env:KEA_FLEET_PW')] * len(servers),
        )


class HARelationshipViewTestCase(PluginViewTestCase, ViewTestCases.PrimaryObjectViewTestCase):
    model = HARelationship

    @classmethod
    def setUpTestData(cls):
        for i in range(1, 4):
            make_relationship(f'relationship{i}', heartbeat_delay=1000 * i)
        tags = create_tags('Alpha', 'Bravo', 'Charlie')
        cls.form_data = {
            'name': 'relationship-x',
            'mode': 'load-balancing',
            'heartbeat_delay': 2000,
            'max_response_delay': 8000,
            'mt_enable': 'false',
            'state_machine': '[{"pause": "once", "state": "waiting"}]',
            'extra_parameters': '{"future-knob": 1}',
            'description': 'A relationship',
            'tags': [t.pk for t in tags],
        }
        cls.validation_excluded_fields = ['mt_enable']
        cls.csv_data = (
            'name,mode,heartbeat_delay,max_response_delay,mt_enable',
            'csv1,hot-standby,1000,5000,true',
            'csv2,load-balancing,,,',
            'csv3,passive-backup,,,false',
        )
        relationships = HARelationship.objects.order_by('pk')
        cls.csv_update_data = (
            'id,description,max_ack_delay',
            f'{relationships[0].pk},first,1000',
            f'{relationships[1].pk},second,2000',
            f'{relationships[2].pk},third,3000',
        )
        cls.bulk_edit_data = {'max_ack_delay': 4000, 'mode': 'passive-backup'}

    def test_form_saves_blank_parameters_as_keas_default(self):
        self.add_permissions('netbox_kea_ha.add_harelationship')
        data = {
            'name': 'defaults',
            'mode': 'hot-standby',
            'mt_enable': 'unknown',
            'state_machine': '',
            'extra_parameters': '',
        }
        self.assertHttpStatus(self.client.post(self._get_url('add'), data), 302)
        relationship = HARelationship.objects.get(name='defaults')
        self.assertEqual(relationship.parameters, {})
        self.assertEqual((relationship.state_machine, relationship.extra_parameters), ([], {}))

    def test_form_shows_keas_defaults(self):
        self.add_permissions('netbox_kea_ha.add_harelationship')
        page = self.client.get(self._get_url('add')).content.decode()
        self.assertIn("Blank: Kea's default (0; load-balancing: 100)", page)
        self.assertIn("Blank: Kea's default (false; Kea >= 2.3.7: true)", page)
        self.assertIn('At most 65535.', page)

    def test_form_puts_keas_error_on_the_field(self):
        self.add_permissions('netbox_kea_ha.add_harelationship')
        data = {'name': 'bad', 'mode': 'hot-standby', 'wait_backup_ack': 'true'}
        response = self.client.post(self._get_url('add'), data)
        self.assertHttpStatus(response, 200)
        self.assertIn('must be set to false in the hot standby configuration', response.content.decode())
        self.assertFalse(HARelationship.objects.filter(name='bad').exists())


class HAPeerViewTestCase(PluginViewTestCase, ViewTestCases.PrimaryObjectViewTestCase):
    model = HAPeer

    @classmethod
    def setUpTestData(cls):
        servers = [make_server(f'server{i}', f'192.0.2.{i}/24') for i in range(1, 8)]
        relationships = [make_relationship(f'relationship{i}') for i in range(1, 6)]
        for i in range(3):
            make_peer(relationships[i], servers[i], 'primary')
        tags = create_tags('Alpha', 'Bravo', 'Charlie')
        cls.form_data = {
            'relationship': relationships[3].pk,
            'server': servers[3].pk,
            'role': 'primary',
            'name': 'peer-x',
            'url': 'http://192.0.2.4:8001/',
            'auto_failover': 'false',
            'basic_auth_user': 'ha',
            'basic_auth_password': PEER_PASSWORD,
            'extra_parameters': '{}',
            'description': 'A peer',
            'tags': [t.pk for t in tags],
        }
        cls.validation_excluded_fields = ['auto_failover']
        cls.csv_data = (
            'relationship,server,role,basic_auth_user,basic_auth_password',
            f'relationship5,server5,primary,ha,{PEER_PASSWORD}',
            'relationship5,server6,standby,,',
            'relationship5,server7,backup,,',
        )
        peers = HAPeer.objects.order_by('pk')
        cls.csv_update_data = (
            'id,description,auto_failover',
            f'{peers[0].pk},first,true',
            f'{peers[1].pk},second,false',
            f'{peers[2].pk},third,true',
        )
        cls.bulk_edit_data = {'description': 'bulk edited', 'basic_auth_user': 'ha-bulk'}


class RelationshipPageTest(TestCase):
    """The relationship page: findings and each server's rendered block (redacted)."""

    model = HARelationship

    def test_page_shows_peers_findings_and_redacted_blocks(self):
        s1 = make_server('s1', '192.0.2.1/24')
        s2 = make_server('s2', '192.0.2.2/24')
        relationship = make_relationship('r', heartbeat_delay=1000, max_response_delay=1000)
        make_peer(relationship, s1, 'primary', basic_auth_user='ha')
        peer = HAPeer.objects.get(server=s1)
        peer.set_basic_auth_password(PEER_PASSWORD)
        peer.save()
        # Blocks show the peers and servers the user may view (test_security.py: those they may not are withheld).
        self.add_permissions(
            'netbox_kea_ha.view_harelationship', 'netbox_kea_ha.view_hapeer', 'netbox_kea_ha.view_keaserver'
        )
        page = self.client.get(relationship.get_absolute_url()).content.decode()
        # One peer: the missing standby is reported as incomplete, and s1's block is rendered, password redacted.
        self.assertIn('standby server required in the hot standby configuration', page)
        self.assertIn('incomplete', page)
        self.assertIn('&quot;this-server-name&quot;: &quot;s1&quot;', page)
        self.assertIn('&quot;basic-auth-password&quot;: &quot;********&quot;', page)
        self.assertNotIn(PEER_PASSWORD, page)
        # Two peers: a warning (max-response-delay not above heartbeat-delay) and both blocks.
        make_peer(relationship, s2, 'standby')
        page = self.client.get(relationship.get_absolute_url()).content.decode()
        self.assertNotIn('standby server required', page)
        self.assertEqual(page.count('ha.response-delay-not-above-heartbeat'), 1, 'shown once, not again per block')
        self.assertIn('&quot;this-server-name&quot;: &quot;s2&quot;', page)

    def test_blocks_holding_what_the_user_may_not_view_are_withheld(self):
        hub, s2, s3 = (make_server(f's{i}', f'192.0.2.{i}/24') for i in (1, 2, 3))
        visible, hidden = make_relationship('visible'), make_relationship('hidden-rel')
        make_peer(visible, hub, 'primary')
        make_peer(visible, s2, 'standby')
        make_peer(hidden, hub, 'primary', name='hub-in-hidden')
        make_peer(hidden, s3, 'standby', url='http://192.0.2.3:8123/')
        self.add_permissions(
            'netbox_kea_ha.view_harelationship', 'netbox_kea_ha.view_keaserver', 'netbox_kea_ha.view_hapeer'
        )
        ObjectPermission.objects.filter(actions=['view'], object_types__model='harelationship').update(
            constraints={'name': 'visible'}
        )
        page = self.client.get(visible.get_absolute_url()).content.decode()
        self.assertIn('not shown: the server is also in an HA relationship you may not view', page)
        self.assertIn('findings about the whole HA list of this server are not shown', page)
        self.assertIn('&quot;this-server-name&quot;: &quot;s2&quot;', page)  # s2 is only in "visible"
        for secret in ('hidden-rel', 'hub-in-hidden', '8123'):
            self.assertNotIn(secret, page)
        self.assertHttpStatus(self.client.get(hidden.get_absolute_url()), 404)


class HostTabTest(TestCase):
    """The Kea HA tab of devices and virtual machines."""

    model = KeaServer

    def test_device_tab_lists_servers_and_roles_and_hides_when_empty(self):
        device = create_test_device('dhcp1')
        other = create_test_device('empty')
        server = make_server('kea-on-device', '192.0.2.1/24', device=device)
        relationship = make_relationship('r')
        make_peer(relationship, server, 'primary')
        self.add_permissions('dcim.view_device', 'netbox_kea_ha.view_keaserver', 'netbox_kea_ha.view_hapeer')
        url = reverse('dcim:device_kea_ha', kwargs={'pk': device.pk})
        page = self.client.get(url).content.decode()
        self.assertIn('kea-on-device', page)
        self.assertIn('Primary', page)
        self.assertRegex(page, rf'server_id={server.pk}">\s*1\s*<')  # its peer count
        self.assertIn('>r<', page)
        self.assertIn(url, self.client.get(device.get_absolute_url()).content.decode())
        self.assertNotIn(
            reverse('dcim:device_kea_ha', kwargs={'pk': other.pk}),
            self.client.get(other.get_absolute_url()).content.decode(),
        )

    def test_vm_tab(self):
        vm = create_test_virtualmachine('vm-dhcp')
        make_server('kea-on-vm', '192.0.2.1/24', virtual_machine=vm)
        self.add_permissions('virtualization.view_virtualmachine', 'netbox_kea_ha.view_keaserver')
        url = reverse('virtualization:virtualmachine_kea_ha', kwargs={'pk': vm.pk})
        self.assertIn('kea-on-vm', self.client.get(url).content.decode())

    def test_tab_needs_the_view_permission(self):
        device = create_test_device('dhcp1')
        make_server('kea-on-device', '192.0.2.1/24', device=device)
        self.add_permissions('dcim.view_device')
        url = reverse('dcim:device_kea_ha', kwargs={'pk': device.pk})
        self.assertNotIn(url, self.client.get(device.get_absolute_url()).content.decode())


@override_settings(EXEMPT_VIEW_PERMISSIONS=['*'])
class BulkImportErrorTest(TestCase):
    """A bulk import with one bad row imports nothing and names the row and the field."""

    model = HARelationship

    def _import(self, model_name, data, fmt=ImportFormatChoices.CSV):
        return self.client.post(
            reverse(f'plugins:netbox_kea_ha:{model_name}_bulk_import'),
            {'data': data, 'format': fmt, 'csv_delimiter': CSVDelimiterChoices.AUTO},
        )

    def test_csv_relationships(self):
        self.add_permissions('netbox_kea_ha.add_harelationship')
        data = 'name,mode,heartbeat_delay\nok1,hot-standby,1000\nbad,hot-standby,70000\nok2,load-balancing,\n'
        response = self._import('harelationship', data)
        self.assertHttpStatus(response, 200)
        self.assertIn(
            'Record 2 heartbeat_delay: Ensure this value is less than or equal to 65535.', response.content.decode()
        )
        self.assertEqual(HARelationship.objects.count(), 0)

    def test_yaml_peers_kea_rule(self):
        self.add_permissions('netbox_kea_ha.add_hapeer')
        make_server('s1', '192.0.2.1/24')
        make_server('s2', '192.0.2.2/24')
        make_relationship('r')
        data = '- relationship: r\n  server: s1\n  role: primary\n- relationship: r\n  server: s2\n  role: primary\n'
        response = self._import('hapeer', data, ImportFormatChoices.YAML)
        self.assertHttpStatus(response, 200)
        self.assertIn('Record 2 role: multiple primary servers specified', response.content.decode())
        self.assertEqual(HAPeer.objects.count(), 0)

    def test_json_servers_unknown_device(self):
        self.add_permissions('netbox_kea_ha.add_keaserver')
        make_ip('192.0.2.1/24')
        data = (
            '[{"name": "s1", "address": "192.0.2.1/24"}, {"name": "s2", "address": "192.0.2.1/24", "device": "nope"}]'
        )
        response = self._import('keaserver', data, ImportFormatChoices.JSON)
        self.assertHttpStatus(response, 200)
        self.assertIn('Record 2 device', response.content.decode())
        self.assertEqual(KeaServer.objects.count(), 0)

    def test_yaml_and_json_imports_of_every_model(self):
        self.add_permissions(
            'netbox_kea_ha.add_keaserver', 'netbox_kea_ha.add_harelationship', 'netbox_kea_ha.add_hapeer'
        )
        make_ip('192.0.2.1/24')
        make_ip('192.0.2.2/24')
        servers = (
            f'[{{"name": "s1", "address": "192.0.2.1/24", "username": "api", "password": "{PASSWORD}"}},'
            ' {"name": "s2", "address": "192.0.2.2/24", "control_port": 18002, "replicate_config": "off"}]'
        )
        self.assertHttpStatus(self._import('keaserver', servers, ImportFormatChoices.JSON), 302)
        relationships = (
            '- name: r\n  mode: load-balancing\n  heartbeat_delay: 2000\n  mt_enable: false\n'
            '  state_machine:\n    - {state: waiting, pause: once}\n  extra_parameters: {future-knob: 1}\n'
        )
        self.assertHttpStatus(self._import('harelationship', relationships, ImportFormatChoices.YAML), 302)
        peers = (
            '- {relationship: r, server: s1, role: primary, basic_auth_user: ha,'
            f' basic_auth_password: "{PEER_PASSWORD}"}}\n'
            '- relationship: r\n  server: s2\n  role: secondary\n  auto_failover: false\n'
            '  extra_parameters: {basic-auth-password-file: /etc/kea/ha-password}\n'
        )
        self.assertHttpStatus(self._import('hapeer', peers, ImportFormatChoices.YAML), 302)

        s1, s2 = KeaServer.objects.get(name='s1'), KeaServer.objects.get(name='s2')
        self.assertEqual((s1.get_password(), s2.control_port, s2.replicate_config), (PASSWORD, 18002, 'off'))
        relationship = HARelationship.objects.get(name='r')
        self.assertEqual(
            (relationship.heartbeat_delay, relationship.mt_enable, relationship.state_machine),
            (2000, False, [{'state': 'waiting', 'pause': 'once'}]),
        )
        self.assertEqual(relationship.extra_parameters, {'future-knob': 1})
        primary, secondary = relationship.peers.order_by('pk')
        self.assertEqual((primary.server, primary.get_basic_auth_password()), (s1, PEER_PASSWORD))
        self.assertEqual(
            (secondary.auto_failover, secondary.extra_parameters),
            (False, {'basic-auth-password-file': '/etc/kea/ha-password'}),
        )

    def test_csv_update_error_on_a_column_not_given_is_still_named(self):
        self.add_permissions('netbox_kea_ha.add_harelationship', 'netbox_kea_ha.change_harelationship')
        relationship = make_relationship('r')
        make_peer(relationship, make_server('s1', '192.0.2.1/24'), 'primary')
        make_peer(relationship, make_server('s2', '192.0.2.2/24'), 'standby')
        response = self._import('harelationship', f'id,trust_anchor\n{relationship.pk},/etc/kea/ca.pem\n')
        self.assertHttpStatus(response, 200)
        self.assertIn('cert_file: bad TLS config for server', response.content.decode())
        relationship.refresh_from_db()
        self.assertIsNone(relationship.trust_anchor)


@override_settings(EXEMPT_VIEW_PERMISSIONS=['*'])
class GlobalSearchTest(TestCase):
    def test_servers_relationships_and_peers_are_found(self):
        server = make_server('kea-findme', '192.0.2.1/24', server_tag='tag-findme')
        relationship = make_relationship('rel-findme', description='site findme')
        make_peer(relationship, server, 'primary', name='peer-findme')
        page = self.client.get(reverse('search') + '?q=findme').content.decode()
        self.assertIn(server.get_absolute_url(), page)
        self.assertIn(relationship.get_absolute_url(), page)
        self.assertIn(HAPeer.objects.get().get_absolute_url(), page)


class MenuTest(TestCase):
    def test_top_level_menu_links_every_list(self):
        self.add_permissions(
            'netbox_kea_ha.view_keaserver', 'netbox_kea_ha.view_harelationship', 'netbox_kea_ha.view_hapeer'
        )
        page = self.client.get(reverse('home')).content.decode()
        self.assertIn('Kea HA', page)
        for model in ('keaserver', 'harelationship', 'hapeer'):
            self.assertIn(reverse(f'plugins:netbox_kea_ha:{model}_list'), page)
