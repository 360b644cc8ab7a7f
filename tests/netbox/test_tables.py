"""Tables: NetBox's ordering smoke test for every orderable column, and the colour badges."""

from django.test import RequestFactory

from utilities.testing import TableTestCases, TestCase

from .base import make_peer, make_relationship, make_server
from netbox_kea_ha.models import HAPeer, KeaServer
from netbox_kea_ha.tables import HAPeerTable, HARelationshipTable, KeaServerTable


class KeaServerTableTest(TableTestCases.StandardTableTestCase):
    table = KeaServerTable


class HARelationshipTableTest(TableTestCases.StandardTableTestCase):
    table = HARelationshipTable


class HAPeerTableTest(TableTestCases.StandardTableTestCase):
    table = HAPeerTable


class BadgeTest(TestCase):
    def test_state_and_drift_badges_are_coloured(self):
        make_server('s1', '192.0.2.1/24')
        KeaServer.objects.update(ha_state='partner-down', config_drift='drifted')
        request = RequestFactory().get('/')
        request.user = self.user
        html = KeaServerTable(KeaServer.objects.all()).as_html(request)
        self.assertIn('text-bg-orange">partner-down<', html)
        self.assertIn('text-bg-red">Drifted<', html)

    def test_peer_roles_and_states(self):
        peer = make_peer(make_relationship('r'), make_server('s1', '192.0.2.1/24'), 'primary')
        HAPeer.objects.filter(pk=peer.pk).update(ha_state='hot-standby', partner_state='terminated')
        request = RequestFactory().get('/')
        request.user = self.user
        table = HAPeerTable(HAPeer.objects.all())
        table.columns.show('partner_state')
        html = table.as_html(request)
        self.assertIn('text-bg-blue">Primary<', html)
        self.assertIn('text-bg-green">hot-standby<', html)
        self.assertIn('text-bg-red">terminated<', html)
