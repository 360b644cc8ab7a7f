"""FilterSets with NetBox's ChangeLoggedFilterSetTests (every model field has a filter) and per-filter checks."""

from utilities.testing import TestCase, create_test_device, create_test_virtualmachine

from .base import PASSWORD, FilterSetTests, make_peer, make_relationship, make_server
from netbox_kea_ha.filtersets import HAPeerFilterSet, HARelationshipFilterSet, KeaServerFilterSet
from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer


class KeaServerFilterSetTest(TestCase, FilterSetTests):
    queryset = KeaServer.objects.all()
    filterset = KeaServerFilterSet
    ignore_fields = ('jobs',)

    @classmethod
    def setUpTestData(cls):
        cls.device = create_test_device('dhcp1')
        cls.vm = create_test_virtualmachine('vm1')
        s1 = make_server('server1', '192.0.2.1/24', device=cls.device, kea_version='2.2.0', ha_state='hot-standby')
        s1.set_password(PASSWORD)
        s1.save()
        make_server('server2', '192.0.2.2/24', virtual_machine=cls.vm, family='dhcp6', control_port=18002,
                    password_ref='env:X', config_drift='drifted')  # fmt: skip
        make_server('server3', '2001:db8::3/64', control_kind='server', server_tag='hub', replicate_config='off')
        relationship = make_relationship('r')
        make_peer(relationship, s1, 'primary')

    def test_q(self):
        self.assertEqual(self.filterset({'q': 'hub'}, self.queryset).qs.count(), 1)
        self.assertEqual(self.filterset({'q': '2.2.0'}, self.queryset).qs.count(), 1)

    def test_name(self):
        self.assertEqual(self.filterset({'name': ['server1', 'server2']}, self.queryset).qs.count(), 2)

    def test_device_and_vm(self):
        self.assertEqual(self.filterset({'device_id': [self.device.pk]}, self.queryset).qs.get().name, 'server1')
        self.assertEqual(self.filterset({'device': ['dhcp1']}, self.queryset).qs.count(), 1)
        self.assertEqual(self.filterset({'virtual_machine_id': [self.vm.pk]}, self.queryset).qs.get().name, 'server2')

    def test_address(self):
        self.assertEqual(self.filterset({'address': '192.0.2.2'}, self.queryset).qs.get().name, 'server2')
        self.assertEqual(self.filterset({'address': '2001:db8::3/64'}, self.queryset).qs.get().name, 'server3')

    def test_family_kind_state(self):
        self.assertEqual(self.filterset({'family': ['dhcp6']}, self.queryset).qs.count(), 1)
        self.assertEqual(self.filterset({'control_kind': ['server']}, self.queryset).qs.count(), 1)
        self.assertEqual(self.filterset({'ha_state': ['hot-standby']}, self.queryset).qs.count(), 1)
        self.assertEqual(self.filterset({'config_drift': ['unknown']}, self.queryset).qs.count(), 2)
        self.assertEqual(self.filterset({'replicate_config': ['off']}, self.queryset).qs.count(), 1)

    def test_has_password(self):
        self.assertEqual(self.filterset({'has_password': True}, self.queryset).qs.count(), 2)
        self.assertEqual(self.filterset({'has_password': False}, self.queryset).qs.get().name, 'server3')

    def test_relationship(self):
        relationship = HARelationship.objects.get()
        self.assertEqual(self.filterset({'relationship_id': [relationship.pk]}, self.queryset).qs.get().name, 'server1')
        self.assertEqual(self.filterset({'relationship': ['r']}, self.queryset).qs.count(), 1)


class HARelationshipFilterSetTest(TestCase, FilterSetTests):
    queryset = HARelationship.objects.all()
    filterset = HARelationshipFilterSet
    ignore_fields = ('state_machine', 'extra_parameters', 'findings')

    @classmethod
    def setUpTestData(cls):
        make_relationship('r1', heartbeat_delay=1000, mt_enable=True)
        make_relationship('r2', mode='load-balancing', heartbeat_delay=2000)
        make_relationship('r3', mode='passive-backup', description='backup site')
        make_peer(HARelationship.objects.get(name='r1'), make_server('s1', '192.0.2.1/24'), 'primary')

    def test_q(self):
        self.assertEqual(self.filterset({'q': 'backup site'}, self.queryset).qs.get().name, 'r3')

    def test_mode(self):
        self.assertEqual(self.filterset({'mode': ['hot-standby', 'load-balancing']}, self.queryset).qs.count(), 2)

    def test_parameters(self):
        self.assertEqual(self.filterset({'heartbeat_delay': [1000, 2000]}, self.queryset).qs.count(), 2)
        self.assertEqual(self.filterset({'mt_enable': True}, self.queryset).qs.get().name, 'r1')

    def test_server(self):
        server = KeaServer.objects.get()
        self.assertEqual(self.filterset({'server_id': [server.pk]}, self.queryset).qs.get().name, 'r1')
        self.assertEqual(self.filterset({'server': ['s1']}, self.queryset).qs.count(), 1)


class HAPeerFilterSetTest(TestCase, FilterSetTests):
    queryset = HAPeer.objects.all()
    filterset = HAPeerFilterSet
    ignore_fields = ('extra_parameters', 'scopes', 'partner_scopes')  # JSON lists: the scope filters

    @classmethod
    def setUpTestData(cls):
        cls.device = create_test_device('dhcp1')
        s1 = make_server('s1', '192.0.2.1/24', device=cls.device)
        s2 = make_server('s2', '192.0.2.2/24')
        s3 = make_server('s3', '192.0.2.3/24')
        r1, r2 = make_relationship('r1'), make_relationship('r2')
        make_peer(r1, s1, 'primary', basic_auth_user='ha')
        make_peer(r1, s2, 'standby', auto_failover=False)
        make_peer(r2, s3, 'primary', url='http://192.0.2.3:8003/')
        HAPeer.objects.filter(server=s2).update(ha_state='partner-down', reachable=False)

    def test_relationship_and_server(self):
        r1 = HARelationship.objects.get(name='r1')
        self.assertEqual(self.filterset({'relationship_id': [r1.pk]}, self.queryset).qs.count(), 2)
        self.assertEqual(self.filterset({'relationship': ['r2']}, self.queryset).qs.count(), 1)
        self.assertEqual(self.filterset({'server': ['s3']}, self.queryset).qs.count(), 1)
        self.assertEqual(self.filterset({'device_id': [self.device.pk]}, self.queryset).qs.get().server.name, 's1')

    def test_role_state(self):
        self.assertEqual(self.filterset({'role': ['primary']}, self.queryset).qs.count(), 2)
        self.assertEqual(self.filterset({'ha_state': ['partner-down']}, self.queryset).qs.count(), 1)
        self.assertEqual(self.filterset({'reachable': False}, self.queryset).qs.count(), 1)
        self.assertEqual(self.filterset({'auto_failover': False}, self.queryset).qs.count(), 1)

    def test_q(self):
        self.assertEqual(self.filterset({'q': '8003'}, self.queryset).qs.count(), 1)
        self.assertEqual(self.filterset({'q': 'r1'}, self.queryset).qs.count(), 2)
