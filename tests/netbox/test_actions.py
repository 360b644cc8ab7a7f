"""
Every action (REST and UI) checks its custom permission on the object, constraints included, and only records a
job: nothing is sent to Kea here (a TestCase never commits, so no job reaches Redis). tests/e2e runs the jobs.
"""

from django.test import override_settings
from django.urls import reverse
from rest_framework import status

from core.models import Job, ObjectType
from dcim.models import Device
from users.models import ObjectPermission
from utilities.testing import APITestCase, TestCase, create_test_device

from .base import grant, make_peer, make_relationship, make_server
from netbox_kea_ha.models import ConfigSnapshot, HARelationship, KeaServer

API = 'plugins-api:netbox_kea_ha-api'


def objects():
    """Two servers (one on a device), a relationship of both, and a snapshot of the first."""
    device = create_test_device('dhcp1')
    s1 = make_server('s1', '192.0.2.1/24', device=device)
    s2 = make_server('s2', '192.0.2.2/24')
    relationship = make_relationship('r')
    make_peer(relationship, s1, 'primary')
    make_peer(relationship, s2, 'standby')
    snapshot = ConfigSnapshot.objects.create(server=s1, relationship=relationship, before={'Dhcp4': {}})
    return device, s1, s2, relationship, snapshot


class ActionAPITest(APITestCase):
    model = KeaServer

    def setUp(self):
        super().setUp()
        self.device, self.s1, self.s2, self.relationship, self.snapshot = objects()

    def _endpoints(self):
        """(the object acted on, action, url, the object the job is bound to) of every object action."""
        s1, relationship, snapshot = self.s1, self.relationship, self.snapshot
        return [
            (s1, 'import', reverse(f'{API}:keaserver-import', args=[s1.pk]), s1),
            (s1, 'status', reverse(f'{API}:keaserver-status', args=[s1.pk]), s1),
            (relationship, 'sync', reverse(f'{API}:harelationship-sync', args=[relationship.pk]), relationship),
            (relationship, 'status', reverse(f'{API}:harelationship-status', args=[relationship.pk]), relationship),
            (snapshot, 'restore', reverse(f'{API}:configsnapshot-restore', args=[snapshot.pk]), s1),
        ]

    def test_each_action_needs_its_permission_on_the_object(self):
        for obj, action, url, bound in self._endpoints():
            model = type(obj)
            with self.subTest(action=action, model=model._meta.model_name):
                ObjectPermission.objects.all().delete()
                self.assertHttpStatus(self.client.post(url, **self.header), status.HTTP_404_NOT_FOUND)
                grant(self.user, model, 'view')
                denied = self.client.post(url, **self.header)
                self.assertHttpStatus(denied, status.HTTP_403_FORBIDDEN)
                self.assertIn(f'{action} permission', denied.data['detail'])
                grant(self.user, model, action, constraints={'pk': 0})  # covers no object
                self.assertHttpStatus(self.client.post(url, **self.header), status.HTTP_403_FORBIDDEN)
                self.assertFalse(Job.objects.exists())

                grant(self.user, model, action, constraints={'pk': obj.pk})
                response = self.client.post(url, **self.header)
                self.assertHttpStatus(response, status.HTTP_202_ACCEPTED)
                job = Job.objects.get(pk=response.data['id'])
                self.assertEqual(job.user, self.user)
                self.assertEqual((job.object_type.model_class(), job.object_id), (type(bound), bound.pk))
                Job.objects.all().delete()

    def test_a_read_only_token_cannot_start_a_job(self):
        grant(self.user, KeaServer, 'view', 'import')
        self.token.write_enabled = False
        self.token.save()
        url = reverse(f'{API}:keaserver-import', args=[self.s1.pk])
        self.assertHttpStatus(self.client.post(url, **self.header), status.HTTP_403_FORBIDDEN)
        self.assertFalse(Job.objects.exists())

    def test_fleet_status_needs_the_status_permission_on_every_server(self):
        url = reverse(f'{API}:status')
        self.assertHttpStatus(self.client.post(url, **self.header), status.HTTP_403_FORBIDDEN)
        grant(self.user, KeaServer, 'status', constraints={'name': 's1'})
        denied = self.client.post(url, **self.header)
        self.assertHttpStatus(denied, status.HTTP_403_FORBIDDEN)
        self.assertIn('does not cover every Kea server', denied.data['detail'])
        self.assertFalse(Job.objects.exists())
        grant(self.user, KeaServer, 'status')
        response = self.client.post(url, **self.header)
        self.assertHttpStatus(response, status.HTTP_202_ACCEPTED)
        self.assertIsNone(Job.objects.get(pk=response.data['id']).object_id)

    def test_sync_options_are_checked_and_passed(self):
        grant(self.user, HARelationship, 'view', 'sync')
        url = reverse(f'{API}:harelationship-sync', args=[self.relationship.pk])
        bad = self.client.post(url, {'dry_run': 'perhaps'}, format='json', **self.header)
        self.assertHttpStatus(bad, status.HTTP_400_BAD_REQUEST)
        self.assertIn('dry_run', bad.data)
        typo = self.client.post(url, {'dry-run': True}, format='json', **self.header)  # must not push
        self.assertHttpStatus(typo, status.HTTP_400_BAD_REQUEST)
        self.assertIn('unknown option', str(typo.data['dry-run']))
        listed = self.client.post(url, [{'dry_run': True}], format='json', **self.header)
        self.assertHttpStatus(listed, status.HTTP_400_BAD_REQUEST)
        self.assertFalse(Job.objects.exists())
        response = self.client.post(url, {'dry_run': True}, format='json', **self.header)
        self.assertHttpStatus(response, status.HTTP_202_ACCEPTED)
        self.assertEqual(response.data['name'], 'Sync to Kea (plan)')
        self.assertHttpStatus(self.client.post(url, **self.header), status.HTTP_202_ACCEPTED)  # no body: a sync


class ActionViewTest(TestCase):
    model = KeaServer

    def setUp(self):
        super().setUp()
        self.device, self.s1, self.s2, self.relationship, self.snapshot = objects()

    def _views(self):
        """(the object acted on, action, url, the object the job is bound to) of every button."""
        s1, relationship, snapshot = self.s1, self.relationship, self.snapshot

        def url(name, obj):
            return reverse(f'plugins:netbox_kea_ha:{name}', args=[obj.pk])

        return [
            (s1, 'import', url('keaserver_kea_import', s1), s1),
            (s1, 'status', url('keaserver_status', s1), s1),
            (relationship, 'sync', url('harelationship_sync', relationship), relationship),
            (relationship, 'sync', url('harelationship_plan', relationship), relationship),
            (relationship, 'status', url('harelationship_status', relationship), relationship),
            (snapshot, 'restore', url('configsnapshot_restore', snapshot), s1),
        ]

    def test_each_button_needs_its_permission_on_the_object(self):
        for obj, action, url, bound in self._views():
            model = type(obj)
            with self.subTest(url=url):
                ObjectPermission.objects.all().delete()
                grant(self.user, model, 'view')
                self.assertHttpStatus(self.client.post(url), 403)
                grant(self.user, model, action, constraints={'pk': 0})
                self.assertHttpStatus(self.client.post(url), 404)  # the object is outside the constraint
                self.assertFalse(Job.objects.exists())
                grant(self.user, model, action)
                response = self.client.post(url)
                self.assertHttpStatus(response, 302)
                job = Job.objects.get()
                self.assertEqual((job.object_id, job.user), (bound.pk, self.user))
                Job.objects.all().delete()

    def test_job_buttons_never_act_on_get(self):
        grant(self.user, KeaServer, 'view', 'import', 'status')
        for url in (
            reverse('plugins:netbox_kea_ha:keaserver_kea_import', args=[self.s1.pk]),
            reverse('dcim:device_kea_ha_import', args=[self.device.pk]),
        ):
            self.assertHttpStatus(self.client.get(url), 405)
        self.assertFalse(Job.objects.exists())

    def test_host_buttons_act_on_the_permitted_servers_only(self):
        other = make_server('s3', '192.0.2.3/24', device=self.device)
        url = reverse('dcim:device_kea_ha_import', args=[self.device.pk])
        grant(self.user, Device, 'view')
        self.assertHttpStatus(self.client.post(url), 403)
        grant(self.user, KeaServer, 'import', constraints={'name': 's3'})
        response = self.client.post(url)
        self.assertHttpStatus(response, 302)
        self.assertEqual(list(Job.objects.values_list('object_id', flat=True)), [other.pk])

    @override_settings(EXEMPT_VIEW_PERMISSIONS=['*'])
    def test_plan_page_shows_only_plans_of_its_relationship(self):
        grant(self.user, HARelationship, 'sync')
        other = make_relationship('other')
        foreign = Job.objects.create(name='Sync to Kea (plan)', object_type=ObjectType.objects.get_for_model(other),
                                     object_id=other.pk, job_id='00000000-0000-0000-0000-000000000001',
                                     data={'message': 'foreign plan'})  # fmt: skip
        url = reverse('plugins:netbox_kea_ha:harelationship_plan', args=[self.relationship.pk])
        page = self.client.get(f'{url}?job={foreign.pk}').content.decode()
        self.assertNotIn('foreign plan', page)
        self.assertIn('Plan now', page)
