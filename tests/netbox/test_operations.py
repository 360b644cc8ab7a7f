"""
HA operations from the outside, without Kea: the REST action, the confirmation pages, the menus and the management
command check the `operate` permission on the peer (written as the attack: a user without it tries and is refused),
refuse what the mode, role or options make pointless before anything is queued, and queue one job bound to the
relationship. tests/e2e/test_operations.py runs the jobs against real Kea.
"""

from io import StringIO

from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from rest_framework import status

from core.models import Job
from utilities.testing import APITestCase, TestCase, create_test_device, create_test_virtualmachine

from .base import grant, make_peer, make_relationship, make_server
from netbox_kea_ha.jobs import OperatePeerJob
from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer

API = 'plugins-api:netbox_kea_ha-api'
MENU = 'HA operations'


def objects():
    """A load-balancing trio (s1 primary on a device, s2 secondary on a VM, s3 backup) and a passive-backup pair
    (s1, s4)."""
    device = create_test_device('dhcp1')
    s1 = make_server('s1', '192.0.2.1/24', device=device)
    s2 = make_server('s2', '192.0.2.2/24', virtual_machine=create_test_virtualmachine('vm-dhcp2'))
    s3 = make_server('s3', '192.0.2.3/24')
    s4 = make_server('s4', '192.0.2.4/24')
    lb = make_relationship('lb', mode='load-balancing')
    peers = {
        'p1': make_peer(lb, s1, 'primary'),
        'p2': make_peer(lb, s2, 'secondary'),
        'p3': make_peer(lb, s3, 'backup'),
    }
    pb = make_relationship('pb', mode='passive-backup')
    peers['pb1'] = make_peer(pb, s1, 'primary', name='s1-pb')
    peers['pb4'] = make_peer(pb, s4, 'backup')
    return device, lb, peers


class OperateAPITest(APITestCase):
    model = HAPeer

    def setUp(self):
        super().setUp()
        self.device, self.relationship, self.peers = objects()

    def url(self, peer):
        return reverse(f'{API}:hapeer-operate', args=[peer.pk])

    def test_a_user_without_the_operate_permission_is_refused(self):
        peer = self.peers['p2']
        body = {'operation': 'maintenance-start'}
        # Cannot even see the peer: 404.
        self.assertHttpStatus(self.client.post(self.url(peer), body, format='json', **self.header), 404)
        grant(self.user, HAPeer, 'view')
        denied = self.client.post(self.url(peer), body, format='json', **self.header)
        self.assertHttpStatus(denied, status.HTTP_403_FORBIDDEN)
        self.assertIn('operate permission', denied.data['detail'])
        # Operate on another peer only: still refused for this one.
        grant(self.user, HAPeer, 'operate', constraints={'pk': self.peers['p1'].pk})
        self.assertHttpStatus(self.client.post(self.url(peer), body, format='json', **self.header), 403)
        # The relationship's sync permission is not the operate permission.
        grant(self.user, HARelationship, 'view', 'sync', 'status')
        self.assertHttpStatus(self.client.post(self.url(peer), body, format='json', **self.header), 403)
        self.assertFalse(Job.objects.exists())

        grant(self.user, HAPeer, 'operate', constraints={'pk': peer.pk})
        response = self.client.post(self.url(peer), body, format='json', **self.header)

        self.assertHttpStatus(response, status.HTTP_202_ACCEPTED)
        job = Job.objects.get(pk=response.data['id'])
        self.assertEqual((job.object_id, job.user, job.name), (self.relationship.pk, self.user, 'Maintenance: s2 (s2)'))
        self.assertEqual(job.object_type.model_class(), HARelationship)

    def test_a_read_only_token_cannot_operate(self):
        grant(self.user, HAPeer, 'view', 'operate')
        self.token.write_enabled = False
        self.token.save()
        response = self.client.post(self.url(self.peers['p2']), {'operation': 'reset'}, format='json', **self.header)
        self.assertHttpStatus(response, status.HTTP_403_FORBIDDEN)
        self.assertFalse(Job.objects.exists())

    def test_bad_or_pointless_requests_are_refused_before_anything_is_queued(self):
        grant(self.user, HAPeer, 'view', 'operate')
        p2, backup, pb1 = self.peers['p2'], self.peers['p3'], self.peers['pb1']
        cases = [
            (p2, {}, 'operation', 'required'),
            (p2, {'operation': 'failover'}, 'operation', 'not a valid choice'),
            (p2, {'operation': 'reset', 'dry_run': True}, 'dry_run', 'unknown option'),
            (p2, {'operation': 'maintenance-start', 'max_period': 30}, 'max_period', 'applies to sync only'),
            (p2, {'operation': 'sync', 'max_period': 0}, 'max_period', 'greater than or equal to 1'),
            (p2, {'operation': 'sync', 'source': 'nosuch'}, 'operation', 'nosuch is not a peer'),
            (p2, {'operation': 'sync', 'source': 's2'}, 'operation', 'cannot resync its leases from itself'),
            (p2, {'operation': 'scopes'}, 'scopes', 'choose partner'),
            (backup, {'operation': 'scopes', 'scopes': 'partner'}, 'operation', 'is a backup: it serves no scope'),
            (backup, {'operation': 'maintenance-start'}, 'operation', 'Kea has no maintenance for backups'),
            (pb1, {'operation': 'maintenance-start'}, 'operation', 'passive-backup has no partner'),
            (pb1, {'operation': 'scopes', 'scopes': 'own'}, 'operation', 'passive-backup has no scopes'),
            (pb1, {'operation': 'sync'}, 'operation', 'choose the peer whose leases'),
        ]
        for peer, body, field, text in cases:
            with self.subTest(body=body, peer=str(peer)):
                response = self.client.post(self.url(peer), body, format='json', **self.header)
                self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
                self.assertIn(text, str(response.data[field]))
        self.assertFalse(Job.objects.exists())

    def test_options_reach_the_job(self):
        grant(self.user, HAPeer, 'view', 'operate')
        body = {'operation': 'sync', 'source': 's1', 'max_period': 20}
        response = self.client.post(self.url(self.peers['p3']), body, format='json', **self.header)
        self.assertHttpStatus(response, status.HTTP_202_ACCEPTED)
        job = Job.objects.get()
        self.assertEqual(job.name, 'Resync leases: s3 (s3)')


class OperatePageTest(TestCase):
    model = HAPeer

    def setUp(self):
        super().setUp()
        self.device, self.relationship, self.peers = objects()

    def page(self, peer, operation):
        return reverse('plugins:netbox_kea_ha:hapeer_operate', args=[peer.pk]) + f'?operation={operation}'

    def test_a_user_without_the_operate_permission_gets_no_page_and_queues_nothing(self):
        peer = self.peers['p2']
        url = self.page(peer, 'maintenance-start')
        grant(self.user, HAPeer, 'view')
        self.assertHttpStatus(self.client.get(url), 403)
        self.assertHttpStatus(self.client.post(url, {'operation': 'maintenance-start'}), 403)
        grant(self.user, HAPeer, 'operate', constraints={'pk': self.peers['p1'].pk})
        self.assertHttpStatus(self.client.get(url), 404)  # outside the constraint
        self.assertHttpStatus(self.client.post(url, {'operation': 'maintenance-start'}), 404)
        self.assertFalse(Job.objects.exists())

    def test_the_page_says_what_happens_and_the_post_queues_the_job(self):
        grant(self.user, HAPeer, 'view', 'operate')
        grant(self.user, KeaServer, 'view')
        grant(self.user, HARelationship, 'view')
        peer = self.peers['p2']
        page = self.client.get(self.page(peer, 'maintenance-start'))
        self.assertHttpStatus(page, 200)
        text = page.content.decode()
        for expected in ('ha-maintenance-start to s1', 'What DHCP clients notice', 'partner-in-maintenance'):
            self.assertIn(expected, text)
        self.assertFalse(Job.objects.exists())  # a GET queues nothing

        response = self.client.post(self.page(peer, 'maintenance-start'), {'operation': 'maintenance-start'})

        self.assertHttpStatus(response, 302)
        job = Job.objects.get()
        self.assertEqual((job.object_id, job.user, job.name), (self.relationship.pk, self.user, 'Maintenance: s2 (s2)'))

    def test_sync_page_states_the_interruption_and_passes_its_options(self):
        grant(self.user, HAPeer, 'view', 'operate')
        peer = self.peers['p2']
        text = self.client.get(self.page(peer, 'sync')).content.decode()
        self.assertIn('An interruption', text)
        self.assertIn('answers no DHCP query while', text)
        response = self.client.post(self.page(peer, 'sync'), {'operation': 'sync', 'source': 's3', 'max_period': 15})
        self.assertHttpStatus(response, 302)
        self.assertEqual(Job.objects.get().name, 'Resync leases: s2 (s2)')

    def test_pointless_operations_are_refused_on_the_page(self):
        grant(self.user, HAPeer, 'view', 'operate')
        backup = self.peers['p3']
        page = self.client.get(self.page(backup, 'maintenance-start')).content.decode()
        self.assertIn('Refused, nothing will be sent', page)
        self.assertNotIn('Start: Maintenance', page)
        response = self.client.post(self.page(backup, 'maintenance-start'), {'operation': 'maintenance-start'})
        self.assertHttpStatus(response, 400)
        bad = self.client.post(self.page(self.peers['p2'], 'sync'), {'operation': 'sync', 'max_period': 'soon'})
        self.assertHttpStatus(bad, 400)
        self.assertFalse(Job.objects.exists())

    @override_settings(EXEMPT_VIEW_PERMISSIONS=['*'])
    def test_the_menu_shows_only_to_users_who_may_operate(self):
        pages = {
            'peer': reverse('plugins:netbox_kea_ha:hapeer', args=[self.peers['p2'].pk]),
            'relationship': reverse('plugins:netbox_kea_ha:harelationship', args=[self.relationship.pk]),
            'server': reverse('plugins:netbox_kea_ha:keaserver', args=[self.peers['p1'].server.pk]),
            'device tab': reverse('dcim:device_kea_ha', args=[self.device.pk]),
            'VM tab': reverse(
                'virtualization:virtualmachine_kea_ha', args=[self.peers['p2'].server.virtual_machine.pk]
            ),
        }
        for name, url in pages.items():
            with self.subTest(page=name):
                self.assertNotIn(MENU, self.client.get(url).content.decode())
        grant(self.user, HAPeer, 'operate', constraints={'pk': self.peers['p1'].pk})
        for name, url in pages.items():
            with self.subTest(page=name):
                text = self.client.get(url).content.decode()
                if name in ('peer', 'VM tab'):  # the user may operate p1 only, not p2 (on the VM)
                    self.assertNotIn(MENU, text)
                    continue
                self.assertIn(MENU, text)
                self.assertIn(self.page(self.peers['p1'], 'maintenance-start'), text)
                self.assertNotIn(self.page(self.peers['p2'], 'maintenance-start'), text)
        grant(self.user, HAPeer, 'operate', constraints={'pk': self.peers['p2'].pk})
        for name in ('peer', 'VM tab'):
            with self.subTest(page=name, operate='p2'):
                text = self.client.get(pages[name]).content.decode()
                self.assertIn(MENU, text)
                self.assertIn(self.page(self.peers['p2'], 'maintenance-cancel'), text)


class OperateCommandTest(TestCase):
    def setUp(self):
        super().setUp()
        self.device, self.relationship, self.peers = objects()

    def test_the_command_finds_the_peer_and_refuses_before_queueing(self):
        out = StringIO()
        with self.assertRaisesMessage(CommandError, 'several relationships (lb, pb): give --relationship'):
            call_command('kea_ha_operate', 's1', 'reset', stdout=out)
        with self.assertRaisesMessage(CommandError, 'no Kea server or HA peer named'):
            call_command('kea_ha_operate', 'nosuch', 'reset', stdout=out)
        with self.assertRaisesMessage(CommandError, 'refused, nothing was sent: s3 is a backup'):
            call_command('kea_ha_operate', 's3', 'maintenance-start', stdout=out)
        with self.assertRaisesMessage(CommandError, 'max_period applies to sync only'):
            call_command('kea_ha_operate', 's2', 'reset', '--max-period', '5', stdout=out)
        self.assertFalse(Job.objects.exists())

        call_command('kea_ha_operate', 's1', 'maintenance-start', '--relationship', 'lb', stdout=out)

        job = Job.objects.get()
        self.assertEqual((job.object_id, job.name, job.user), (self.relationship.pk, 'Maintenance: s1 (s1)', None))
        self.assertIn(f'queued job {job.pk}', out.getvalue())


class OperateJobTest(TestCase):
    def setUp(self):
        super().setUp()
        self.device, self.relationship, self.peers = objects()

    def test_the_job_kwargs_name_the_operation_and_the_peer(self):
        kwargs = OperatePeerJob.operation_kwargs(self.peers['p2'], 'scopes', {'scopes': 'partner', 'source': None})
        self.assertEqual(kwargs['instance'], self.relationship)
        self.assertEqual(kwargs['name'], 'Serve scopes: s2 (s2)')
        self.assertEqual((kwargs['peer_id'], kwargs['operation']), (self.peers['p2'].pk, 'scopes'))
        self.assertEqual(kwargs['arguments'], {'scopes': 'partner'})
