"""
NetBox IPAM as the source of a relationship's DHCP data, without Kea: served prefixes and their subnet ids, what is
read from IPAM (ranges by status and VRF, reserved addresses with a MAC on their interface), in a bounded number of
queries, the desired config every peer gets, the checks on the forms, REST and the page. tests/e2e/test_ipam_source.py
pushes it to real Kea.
"""

from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from netaddr import IPNetwork
from rest_framework import status

from dcim.models import Interface, MACAddress
from extras.models import Tag
from ipam.models import VRF, IPAddress, IPRange, Prefix
from utilities.testing import APITestCase, APIViewTestCases, TestCase, ViewTestCases, create_tags, create_test_device

from .base import PluginViewTestCase, grant, make_peer, make_relationship, make_server
from netbox_kea_ha.graphql.types import ServedPrefixType
from netbox_kea_ha.models import HARelationship, ServedPrefix
from netbox_kea_ha.services.desired import desired_config
from netbox_kea_ha.services.dhcp_preview import relationship_dhcp
from netbox_kea_ha.services.intent import load_intent

API = 'plugins-api:netbox_kea_ha-api'
RUNNING = {'Dhcp4': {'interfaces-config': {'interfaces': []}, 'subnet4': [{'id': 9, 'subnet': '10.9.0.0/16'}]}}


def pair(mode='load-balancing', source='ipam'):
    """A relationship of two servers (peer names server1, server2)."""
    rel = make_relationship('lb', mode=mode, dhcp_source=source)
    s1, s2 = make_server('s1', '127.0.0.1/8'), make_server('s2', '127.0.0.2/8')
    make_peer(rel, s1, 'primary', name='server1', url='http://127.0.0.1:8001/')
    make_peer(
        rel, s2, 'secondary' if mode != 'passive-backup' else 'backup', name='server2', url='http://127.0.0.2:8001/'
    )
    return rel, s1, s2


def reserved_host(address, mac, name='printer', status='reserved', vrf=None):
    """An IP address on a device interface whose primary MAC is `mac`."""
    device = create_test_device(f'host-{address.split("/")[0]}')
    interface = Interface.objects.create(device=device, name='eth0', type='1000base-t')
    if mac:
        mac_object = MACAddress.objects.create(mac_address=mac, assigned_object=interface)
        interface.primary_mac_address = mac_object
        interface.save()
    return IPAddress.objects.create(address=address, status=status, dns_name=name, assigned_object=interface, vrf=vrf)


def make_range(start, end, **fields):
    """An IPRange (NetBox's save() wants netaddr values)."""
    return IPRange.objects.create(start_address=IPNetwork(start), end_address=IPNetwork(end), **fields)


def serve(rel, prefix, **fields):
    served = ServedPrefix(relationship=rel, prefix=prefix, **fields)
    served.full_clean()
    served.save()
    return served


class SubnetIdTests(TestCase):
    def test_ids_are_given_once_and_never_again(self):
        rel, _, _ = pair()
        prefixes = [Prefix.objects.create(prefix=f'10.{i}.0.0/24') for i in range(4)]
        first = [serve(rel, p) for p in prefixes[:3]]
        self.assertEqual([s.subnet_id for s in first], [1, 2, 3])
        first[2].delete()
        self.assertEqual(serve(rel, prefixes[3]).subnet_id, 4)  # 3 is not given again
        first[0].routers = '10.0.0.1'
        first[0].full_clean()
        first[0].save()
        first[0].refresh_from_db()
        self.assertEqual(first[0].subnet_id, 1)
        own = serve(rel, Prefix.objects.create(prefix='10.9.0.0/24'), subnet_id=100)
        self.assertEqual(own.subnet_id, 100)
        self.assertEqual(serve(rel, Prefix.objects.create(prefix='10.10.0.0/24')).subnet_id, 101)


class LoadTests(TestCase):
    def setUp(self):
        self.rel, self.s1, self.s2 = pair()
        self.vrf = VRF.objects.create(name='other')
        self.prefix = Prefix.objects.create(prefix='192.0.2.0/24')
        make_range('192.0.2.100/24', '192.0.2.199/24', status='active')
        make_range('192.0.2.200/24', '192.0.2.209/24', status='deprecated')
        make_range('192.0.2.210/24', '192.0.2.219/24', vrf=self.vrf)
        reserved_host('192.0.2.20/24', '00:11:22:33:44:55', 'printer')
        reserved_host('192.0.2.21/24', '', 'no-mac')
        reserved_host('192.0.2.22/24', '00:11:22:33:44:66', 'active-one', status='active')
        reserved_host('192.0.2.23/24', '00:11:22:33:44:77', 'other-vrf', vrf=self.vrf)
        self.tagged = reserved_host('192.0.2.24/24', '00:11:22:33:44:88', 'tagged', status='active')
        self.tagged.tags.add(Tag.objects.create(name='dhcp', slug='dhcp'))
        self.served = serve(self.rel, self.prefix, routers='192.0.2.1', valid_lifetime=600)

    def test_ranges_and_reservations_come_from_ipam_by_status_vrf_and_mac(self):
        data = relationship_dhcp(self.rel)
        self.assertEqual((data.family, data.mode, data.peers), ('dhcp4', 'load-balancing', ('server1', 'server2')))
        (subnet,) = data.subnets
        self.assertEqual(str(subnet.prefix), '192.0.2.0/24')
        self.assertEqual([r.text for r in subnet.ranges], ['192.0.2.100 - 192.0.2.199'])
        self.assertEqual(
            [(str(r.ip_address), r.hw_address, r.hostname) for r in subnet.reservations],
            [('192.0.2.20', '00:11:22:33:44:55', 'printer')],
        )
        with override_settings(PLUGINS_CONFIG={'netbox_kea_ha': {'dhcp_reservation_tag': 'dhcp'}}):
            tagged = relationship_dhcp(self.rel).subnets[0].reservations
        self.assertEqual([r.hostname for r in tagged], ['printer', 'tagged'])

    def test_every_peer_gets_the_subnets_from_ipam_split_between_them(self):
        loaded = load_intent(relationships=[self.rel])
        config = desired_config(loaded.intent, self.s1.pk, RUNNING, hooks=[])
        (entry,) = config['Dhcp4']['subnet4']
        self.assertEqual(entry['id'], self.served.subnet_id)
        self.assertEqual(entry['valid-lifetime'], 600)
        self.assertEqual(entry['option-data'], [{'name': 'routers', 'data': '192.0.2.1'}])
        self.assertEqual(
            entry['pools'],
            [
                {'pool': '192.0.2.100 - 192.0.2.149', 'client-class': 'HA_server1'},
                {'pool': '192.0.2.150 - 192.0.2.199', 'client-class': 'HA_server2'},
            ],
        )
        self.assertEqual(
            entry['reservations'],
            [{'hw-address': '00:11:22:33:44:55', 'ip-address': '192.0.2.20', 'hostname': 'printer'}],
        )
        self.assertEqual(config['Dhcp4']['interfaces-config'], RUNNING['Dhcp4']['interfaces-config'])
        self.assertEqual(desired_config(loaded.intent, self.s2.pk, RUNNING, hooks=[])['Dhcp4']['subnet4'], [entry])

    def test_the_primarys_config_stays_the_source_until_the_switch(self):
        self.rel.dhcp_source = 'primary'
        self.rel.save()
        loaded = load_intent(relationships=[self.rel])
        config = desired_config(loaded.intent, self.s1.pk, RUNNING, hooks=[])
        self.assertEqual(config['Dhcp4']['subnet4'], RUNNING['Dhcp4']['subnet4'])

    def test_the_queries_do_not_grow_with_the_number_of_objects(self):
        def count():
            with CaptureQueriesContext(connection) as queries:
                load_intent(relationships=[self.rel])
            return len(queries)

        before = count()
        for i in range(3, 23):
            prefix = Prefix.objects.create(prefix=f'10.{i}.0.0/24')
            make_range(f'10.{i}.0.10/24', f'10.{i}.0.99/24', status='active')
            reserved_host(f'10.{i}.0.5/24', f'02:00:00:00:{i:02x}:01', f'h{i}')
            serve(self.rel, prefix)
        self.assertEqual(count(), before)
        self.assertEqual(len(relationship_dhcp(self.rel).subnets), 21)


class CheckTests(TestCase):
    def test_an_overlapping_prefix_is_refused_on_the_form_with_the_reason(self):
        rel, _, _ = pair()
        serve(rel, Prefix.objects.create(prefix='192.0.2.0/24'))
        inner = ServedPrefix(relationship=rel, prefix=Prefix.objects.create(prefix='192.0.2.128/25'))
        with self.assertRaises(ValidationError) as raised:
            inner.full_clean()
        self.assertIn('overlaps 192.0.2.0/24', str(raised.exception.message_dict['prefix']))

    def test_a_range_given_to_one_peer_leaves_the_other_without_a_pool(self):
        rel, _, _ = pair()
        prefix = Prefix.objects.create(prefix='192.0.2.0/24')
        make_range('192.0.2.100/24', '192.0.2.199/24', status='active')
        bad = ServedPrefix(
            relationship=rel, prefix=prefix, pool_splits={'192.0.2.100 - 192.0.2.199': {'peer': 'server1'}}
        )
        with self.assertRaises(ValidationError) as raised:
            bad.full_clean()
        self.assertIn('server2 has no pool in 192.0.2.0/24', str(raised.exception.message_dict['pool_splits']))

    def test_switching_to_ipam_is_refused_while_the_data_cannot_be_rendered(self):
        rel, _, _ = pair(source='primary')
        prefix = Prefix.objects.create(prefix='192.0.2.0/24')
        serve(rel, prefix)
        make_range('192.0.2.250/24', '192.0.3.5/24', status='active')
        rel.dhcp_source = 'ipam'
        with self.assertRaises(ValidationError) as raised:
            rel.full_clean()
        self.assertIn('is not inside 192.0.2.0/24', str(raised.exception.message_dict['dhcp_source']))

    def test_bad_json_is_named(self):
        rel, _, _ = pair()
        bad = ServedPrefix(
            relationship=rel, prefix=Prefix.objects.create(prefix='192.0.2.0/24'), options=[{'data': 'x'}], subnet_id=0
        )
        with self.assertRaises(ValidationError) as raised:
            bad.full_clean()
        self.assertIn('options', raised.exception.message_dict)
        self.assertIn('subnet_id', raised.exception.message_dict)


class ServedPrefixAPITests(APITestCase):
    def test_a_user_without_add_permission_cannot_serve_a_prefix_and_one_with_it_can(self):
        rel, _, _ = pair()
        prefix = Prefix.objects.create(prefix='192.0.2.0/24')
        url = reverse(f'{API}:servedprefix-list')
        body = {'relationship': rel.pk, 'prefix': prefix.pk, 'routers': '192.0.2.1'}
        grant(self.user, ServedPrefix, 'view')
        self.assertEqual(
            self.client.post(url, body, format='json', **self.header).status_code, status.HTTP_403_FORBIDDEN
        )
        self.assertFalse(ServedPrefix.objects.exists())
        grant(self.user, ServedPrefix, 'add')
        response = self.client.post(url, body, format='json', **self.header)
        self.assertEqual(response.status_code, status.HTTP_201_CREATED, response.data)
        self.assertEqual(response.data['subnet_id'], 1)
        listed = self.client.get(f'{url}?relationship_id={rel.pk}', **self.header)
        self.assertEqual([r['prefix']['prefix'] for r in listed.data['results']], ['192.0.2.0/24'])
        overlap = Prefix.objects.create(prefix='192.0.2.0/25')
        refused = self.client.post(url, {'relationship': rel.pk, 'prefix': overlap.pk}, format='json', **self.header)
        self.assertEqual(refused.status_code, status.HTTP_400_BAD_REQUEST)
        self.assertIn('overlaps', str(refused.data['prefix']))

    def test_the_relationship_says_where_its_data_comes_from(self):
        rel, _, _ = pair(source='primary')
        grant(self.user, HARelationship, 'view', 'change')
        url = reverse(f'{API}:harelationship-detail', args=[rel.pk])
        self.assertEqual(self.client.get(url, **self.header).data['dhcp_source']['value'], 'primary')
        response = self.client.patch(url, {'dhcp_source': 'ipam'}, format='json', **self.header)
        self.assertEqual(response.status_code, status.HTTP_200_OK, response.data)
        self.assertEqual(HARelationship.objects.get(pk=rel.pk).dhcp_source, 'ipam')


class ServedPrefixViewTests(TestCase):
    user_permissions = ['netbox_kea_ha.view_servedprefix', 'netbox_kea_ha.view_harelationship', 'ipam.view_prefix']

    def test_the_page_shows_what_kea_gets(self):
        rel, _, _ = pair()
        prefix = Prefix.objects.create(prefix='192.0.2.0/24')
        make_range('192.0.2.100/24', '192.0.2.199/24', status='active')
        served = serve(rel, prefix)
        response = self.client.get(served.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'What Kea gets')
        self.assertContains(response, '&quot;HA_server2&quot;')
        self.assertContains(response, '192.0.2.150 - 192.0.2.199')
        listed = self.client.get(reverse('plugins:netbox_kea_ha:servedprefix_list'))
        self.assertContains(listed, '192.0.2.0/24')


class ServedPrefixWithoutPermissionTests(TestCase):
    def test_without_view_permission_neither_page_nor_list_shows_it(self):
        rel, _, _ = pair()
        served = serve(rel, Prefix.objects.create(prefix='192.0.2.0/24'))
        self.assertEqual(self.client.get(served.get_absolute_url()).status_code, 403)
        self.assertEqual(self.client.get(reverse('plugins:netbox_kea_ha:servedprefix_list')).status_code, 403)


class ServedPrefixAPITestCase(APIViewTestCases.APIViewTestCase):
    model = ServedPrefix
    view_namespace = 'plugins-api:netbox_kea_ha'
    type_class = ServedPrefixType
    graphql_base_name = 'kea_ha_served_prefix'
    brief_fields = ['description', 'display', 'id', 'prefix', 'subnet_id', 'url']
    user_permissions = ('netbox_kea_ha.view_harelationship', 'ipam.view_prefix')

    @classmethod
    def setUpTestData(cls):
        rel = make_relationship('hs', mode='hot-standby', dhcp_source='ipam')
        prefixes = [Prefix.objects.create(prefix=f'10.{i}.0.0/24') for i in range(6)]
        for i, prefix in enumerate(prefixes[:3]):
            serve(rel, prefix, routers=f'10.{i}.0.1')
        cls.create_data = [
            {'relationship': rel.pk, 'prefix': prefixes[3].pk, 'valid_lifetime': 600},
            {'relationship': rel.pk, 'prefix': prefixes[4].pk, 'subnet_id': 40, 'domain_name': 'example.org'},
            {
                'relationship': rel.pk,
                'prefix': prefixes[5].pk,
                'options': [{'name': 'ntp-servers', 'data': '10.5.0.1'}],
            },
        ]
        cls.bulk_update_data = {'valid_lifetime': 7200, 'description': 'bulk'}


class ServedPrefixViewTestCase(PluginViewTestCase, ViewTestCases.PrimaryObjectViewTestCase):
    model = ServedPrefix

    @classmethod
    def setUpTestData(cls):
        rel = make_relationship('hs', mode='hot-standby', dhcp_source='ipam')
        prefixes = [Prefix.objects.create(prefix=f'10.{i}.0.0/24') for i in range(7)]
        for i, prefix in enumerate(prefixes[:3]):
            serve(rel, prefix, routers=f'10.{i}.0.1')
        tags = create_tags('Alpha', 'Bravo', 'Charlie')
        cls.form_data = {
            'relationship': rel.pk,
            'prefix': prefixes[3].pk,
            'routers': '10.3.0.1',
            'valid_lifetime': 600,
            'relay_addresses': '[]',
            'options': '[]',
            'pool_splits': '{}',
            'extra': '{}',
            'description': 'served',
            'tags': [t.pk for t in tags],
        }
        cls.csv_data = (
            'relationship,prefix,routers',
            'hs,10.4.0.0/24,10.4.0.1',
            'hs,10.5.0.0/24,10.5.0.1',
            'hs,10.6.0.0/24,10.6.0.1',
        )
        served = ServedPrefix.objects.order_by('pk')
        cls.csv_update_data = (
            'id,description,valid_lifetime',
            f'{served[0].pk},first,100',
            f'{served[1].pk},second,200',
            f'{served[2].pk},third,300',
        )
        cls.bulk_edit_data = {'description': 'bulk edited', 'valid_lifetime': 900}
