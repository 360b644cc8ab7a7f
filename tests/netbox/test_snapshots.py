"""
Config snapshots on the NetBox surfaces, with NetBox's own test classes: list, detail, delete and bulk delete pages,
the read-only REST API and GraphQL, the FilterSet and the table. Jobs write snapshots (tests/e2e); here they are
made directly. Also: every GraphQL root type of the plugin has a GraphQLTestCase.
"""

from datetime import UTC, datetime

from django.test import override_settings
from django.urls import reverse

from core.models import Job, ObjectType
from extras.models import ExportTemplate
from utilities.testing import APIViewTestCases, TableTestCases, TestCase, ViewTestCases

from .base import PluginViewTestCase, RecordFilterSetTests, make_relationship, make_server, make_snapshot
from netbox_kea_ha.filtersets import ConfigSnapshotFilterSet
from netbox_kea_ha.graphql.types import ConfigSnapshotType
from netbox_kea_ha.models import ConfigSnapshot
from netbox_kea_ha.tables import ConfigSnapshotTable

NAMESPACE = 'plugins-api:netbox_kea_ha'


def snapshots():
    """Three snapshots: two of s1 in relationship r (a sync, then a restore of it), one of s2 without one."""
    s1, s2 = make_server('s1', '192.0.2.1/24'), make_server('s2', '192.0.2.2/24')
    relationship = make_relationship('r')
    job = Job.objects.create(
        name='Sync to Kea',
        object_type=ObjectType.objects.get_for_model(relationship),
        object_id=relationship.pk,
        job_id='00000000-0000-0000-0000-0000000000a1',
    )
    first = make_snapshot(
        s1, relationship, job=job, after={'Dhcp4': {'valid-lifetime': 7200}}, result='applied', message='pushed'
    )
    make_snapshot(s1, relationship, action='restore', restored_from=first, result='rolled-back', message='undone')
    make_snapshot(s2, result='not-sent', message='nothing to change')


class ConfigSnapshotViewTestCase(
    PluginViewTestCase,
    ViewTestCases.GetObjectViewTestCase,
    ViewTestCases.DeleteObjectViewTestCase,
    ViewTestCases.ListObjectsViewTestCase,
    ViewTestCases.BulkDeleteObjectsViewTestCase,
):
    model = ConfigSnapshot

    @classmethod
    def setUpTestData(cls):
        snapshots()

    def test_detail_page_shows_the_diff_and_the_restores(self):
        self.add_permissions('netbox_kea_ha.view_configsnapshot')
        first = ConfigSnapshot.objects.get(message='pushed')
        page = self.client.get(first.get_absolute_url()).content.decode()
        self.assertIn('valid-lifetime', page)
        self.assertIn('7200', page)
        # The restores table (loaded by the page) lists the restore made from this snapshot, and only that.
        self.assertIn(f'restored_from_id={first.pk}', page)
        url = reverse('plugins:netbox_kea_ha:configsnapshot_list')
        restores = self.client.get(f'{url}?restored_from_id={first.pk}').content.decode()
        self.assertIn(ConfigSnapshot.objects.get(message='undone').get_absolute_url(), restores)
        self.assertNotIn(first.get_absolute_url() + '"', restores)

    def test_server_tab_lists_its_snapshots(self):
        self.add_permissions('netbox_kea_ha.view_configsnapshot', 'netbox_kea_ha.view_keaserver')
        s1 = ConfigSnapshot.objects.get(message='pushed').server
        page = self.client.get(reverse('plugins:netbox_kea_ha:keaserver_snapshots', args=[s1.pk])).content.decode()
        self.assertIn('pushed', page)
        self.assertIn('undone', page)
        self.assertNotIn('nothing to change', page)


class ConfigSnapshotAPITestCase(
    APIViewTestCases.GetObjectViewTestCase,
    APIViewTestCases.ListObjectsViewTestCase,
    APIViewTestCases.GraphQLTestCase,
):
    model = ConfigSnapshot
    view_namespace = NAMESPACE
    type_class = ConfigSnapshotType
    graphql_base_name = 'kea_ha_snapshot'
    brief_fields = ['created', 'display', 'id', 'result', 'url']
    user_permissions = ('netbox_kea_ha.view_keaserver', 'netbox_kea_ha.view_harelationship')

    @classmethod
    def setUpTestData(cls):
        snapshots()

    def test_no_write_methods(self):
        self.add_permissions('netbox_kea_ha.add_configsnapshot', 'netbox_kea_ha.change_configsnapshot')
        url = reverse(f'{NAMESPACE}-api:configsnapshot-list')
        response = self.client.post(url, {'server': ConfigSnapshot.objects.first().server_id}, **self.header)
        self.assertHttpStatus(response, 405)

    def test_nested_job_and_restored_from(self):
        self.add_permissions('netbox_kea_ha.view_configsnapshot')
        restore = ConfigSnapshot.objects.get(message='undone')
        data = self.client.get(self._get_detail_url(restore), **self.header).json()
        self.assertEqual(data['restored_from'], ConfigSnapshot.objects.get(message='pushed').pk)
        self.assertEqual((data['action']['value'], data['result']['value']), ('restore', 'rolled-back'))
        first = self.client.get(self._get_detail_url(restore.restored_from), **self.header).json()
        self.assertEqual(first['job']['url'].split('/')[-2], str(first_job_pk()))
        self.assertNotIn('_secrets', data)


def first_job_pk():
    return Job.objects.get(name='Sync to Kea').pk


class ConfigSnapshotFilterSetTest(TestCase, RecordFilterSetTests):
    queryset = ConfigSnapshot.objects.all()
    filterset = ConfigSnapshotFilterSet
    ignore_fields = ('before', 'after', 'restores')

    @classmethod
    def setUpTestData(cls):
        snapshots()

    def test_q(self):
        self.assertEqual(self.filterset({'q': 'undone'}, self.queryset).qs.count(), 1)
        self.assertEqual(self.filterset({'q': 's1'}, self.queryset).qs.count(), 2)

    def test_server_and_relationship(self):
        self.assertEqual(self.filterset({'server': ['s2']}, self.queryset).qs.count(), 1)
        self.assertEqual(self.filterset({'relationship': ['r']}, self.queryset).qs.count(), 2)

    def test_action_result_job_and_source(self):
        first = ConfigSnapshot.objects.get(message='pushed')
        self.assertEqual(self.filterset({'action': ['restore']}, self.queryset).qs.count(), 1)
        self.assertEqual(self.filterset({'result': ['applied', 'not-sent']}, self.queryset).qs.count(), 2)
        self.assertEqual(self.filterset({'job_id': [first.job_id]}, self.queryset).qs.get(), first)
        self.assertEqual(self.filterset({'restored_from_id': [first.pk]}, self.queryset).qs.get().message, 'undone')

    def test_created(self):
        first = ConfigSnapshot.objects.get(message='pushed')
        ConfigSnapshot.objects.filter(pk=first.pk).update(created=datetime(2021, 1, 1, tzinfo=UTC))
        self.assertEqual(self.filterset({'created__lt': ['2022-01-01T00:00:00']}, self.queryset).qs.get(), first)


class ConfigSnapshotTableTest(TableTestCases.StandardTableTestCase):
    table = ConfigSnapshotTable


class PluginGraphQLCoverageTest(APIViewTestCases.GraphQLSchemaCoverageTestCase):
    """Every root query type of the plugin (not NetBox's own) has a GraphQLTestCase here or in test_api."""

    def get_schema_type_classes(self):
        return {t: m for t, m in super().get_schema_type_classes().items() if m._meta.app_label == 'netbox_kea_ha'}

    def iter_test_module_names(self):
        yield from ('tests.netbox.test_api', 'tests.netbox.test_snapshots')


@override_settings(EXEMPT_VIEW_PERMISSIONS=['*'])
class SnapshotSecretsTest(TestCase):
    """A snapshot of a config holding passwords: no surface shows them, nor their encrypted token."""

    def test_no_surface_shows_a_config_secret(self):
        from netbox_kea_ha.services.snapshots import snapshot_config, take_snapshot

        secret = 'Qv4-Lease-Db-Pw-2718'
        config = {'Dhcp4': {'lease-database': {'type': 'postgresql', 'password': secret}, 'valid-lifetime': 60}}
        after = {'Dhcp4': {**config['Dhcp4'], 'valid-lifetime': 90}}
        snapshot = take_snapshot(make_server('s1', '192.0.2.1/24'), config, after)
        self.assertEqual(snapshot_config(snapshot)['Dhcp4']['lease-database']['password'], secret)
        self.user.is_superuser = True
        self.user.save()
        object_type = ObjectType.objects.get_for_model(ConfigSnapshot)
        probes = (
            '{% for o in queryset %}{{ o._secrets }}{{ o.before }}{% endfor %}',
            '{% for o in queryset %}{{ o.serializable_value("_secrets") }}{% endfor %}',
        )
        for i, code in enumerate(probes):
            template = ExportTemplate.objects.create(name=f'probe{i}', template_code=code)
            template.object_types.set([object_type])
        url = reverse('plugins:netbox_kea_ha:configsnapshot_list')
        pages = [url, f'{url}?export', f'{url}?export=table', f'{url}?export=probe0', f'{url}?export=probe1',
                 snapshot.get_absolute_url()]  # fmt: skip
        texts = [self.client.get(page, follow=True).content.decode() for page in pages]
        self.assertIn('valid-lifetime', texts[-1])
        self.assertIn('********', texts[3])  # the export template sees the redacted config
        for page, text in zip(pages, texts, strict=True):
            self.assertNotIn(secret, text, page)
            self.assertNotIn(snapshot._secrets, text, page)
