"""
A distinctive password, set through the UI and the REST API, never appears on any surface: pages, forms, CSV and
YAML exports, export templates, REST (incl. brief, render and object changes), GraphQL (incl. change log), the change
log rows, or the log records written while all this happened. Neither does its stored (encrypted) token.
"""

import logging

from django.contrib.contenttypes.models import ContentType
from django.test import override_settings
from django.urls import reverse

from core.models import ObjectChange, ObjectType
from extras.models import ExportTemplate
from users.constants import TOKEN_PREFIX
from users.models import Token
from utilities.testing import TestCase, create_test_device

from .base import PASSWORD, PEER_PASSWORD, make_ip
from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer

EXPORT_TEMPLATE = """{% for o in queryset %}{{ o.name }}|{{ o.password_ref }}|{{ o.has_password }}|
{{ o.serialize_object() }}|{% endfor %}"""
PROBING_TEMPLATES = (
    '{% for o in queryset %}{{ o._password }}{% endfor %}',
    '{% for o in queryset %}{{ o.get_password() }}{% endfor %}',
    '{% for o in queryset %}{{ o.password }}{% endfor %}',
    '{% for o in queryset %}{{ o.serializable_value("_password") }}{% endfor %}',
)


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage() + ' ' + str(record.args))


@override_settings(EXEMPT_VIEW_PERMISSIONS=['*'], LOGGING_CONFIG=None)
class PasswordNeverShownTest(TestCase):
    def setUp(self):
        super().setUp()
        self.user.is_superuser = True
        self.user.save()
        token = Token.objects.create(user=self.user)
        self.header = {'HTTP_AUTHORIZATION': f'Bearer {TOKEN_PREFIX}{token.key}.{token.token}'}
        self.capture = _Capture()
        logging.getLogger().addHandler(self.capture)
        previous = logging.getLogger().level
        logging.getLogger().setLevel(logging.DEBUG)
        self.addCleanup(logging.getLogger().setLevel, previous)
        self.addCleanup(logging.getLogger().removeHandler, self.capture)

    def _create_everything(self):
        device = create_test_device('dhcp1')
        a1, a2 = make_ip('192.0.2.1/24'), make_ip('192.0.2.2/24')
        # A server through the UI form, another through the REST API.
        response = self.client.post(
            reverse('plugins:netbox_kea_ha:keaserver_add'),
            {'name': 's1', 'family': 'dhcp4', 'address': a1.pk, 'device': device.pk, 'control_kind': 'agent',
             'control_scheme': 'http', 'replicate_config': 'inherit', 'username': 'api', 'password': PASSWORD},
        )  # fmt: skip
        self.assertEqual(response.status_code, 302)
        response = self.client.post(
            reverse('plugins-api:netbox_kea_ha-api:keaserver-list'),
            {'name': 's2', 'address': a2.pk, 'username': 'api', 'password': PASSWORD},
            format='json',
            content_type='application/json',
            **self.header,
        )
        self.assertEqual(response.status_code, 201, response.content)
        relationship = HARelationship.objects.create(name='r', mode='hot-standby')
        s1, s2 = KeaServer.objects.get(name='s1'), KeaServer.objects.get(name='s2')
        response = self.client.post(
            reverse('plugins:netbox_kea_ha:hapeer_add'),
            {'relationship': relationship.pk, 'server': s1.pk, 'role': 'primary', 'basic_auth_user': 'ha',
             'basic_auth_password': PEER_PASSWORD, 'auto_failover': 'unknown', 'extra_parameters': '{}'},
        )  # fmt: skip
        self.assertEqual(response.status_code, 302)
        response = self.client.post(
            reverse('plugins-api:netbox_kea_ha-api:hapeer-list'),
            {'relationship': relationship.pk, 'server': s2.pk, 'role': 'standby', 'basic_auth_user': 'ha',
             'basic_auth_password': PEER_PASSWORD},
            content_type='application/json',
            **self.header,
        )  # fmt: skip
        self.assertEqual(response.status_code, 201, response.content)
        # Change the passwords once more, so the change log has updates too.
        response = self.client.patch(
            reverse('plugins-api:netbox_kea_ha-api:keaserver-detail', kwargs={'pk': s2.pk}),
            {'password': PASSWORD + '!'},
            content_type='application/json',
            **self.header,
        )
        self.assertEqual(response.status_code, 200)
        return device, relationship

    def _secrets(self):
        tokens = [s._password for s in KeaServer.objects.all()] + [p._basic_auth_password for p in HAPeer.objects.all()]
        self.assertTrue(all(tokens))
        return [PASSWORD, PEER_PASSWORD, *tokens]

    def _assert_clean(self, where, text):
        for secret in self._secrets():
            self.assertNotIn(secret, text, f'a password (or its token) shows in {where}')

    def test_no_surface_shows_a_password(self):
        device, relationship = self._create_everything()
        objects = [*KeaServer.objects.all(), relationship, *HAPeer.objects.all()]
        self.assertTrue(KeaServer.objects.get(name='s2').get_password() == PASSWORD + '!')

        pages = [device.get_absolute_url(), reverse('dcim:device_kea_ha', kwargs={'pk': device.pk}), '/search/?q=s1']
        for obj in objects:
            pages += [obj.get_absolute_url(), obj.get_absolute_url() + 'edit/', obj.get_absolute_url() + 'changelog/']
        for model in ('keaserver', 'harelationship', 'hapeer'):
            base = reverse(f'plugins:netbox_kea_ha:{model}_list')
            pages += [
                base,
                base + '?export=table',
                base + '?export',
                reverse(f'plugins:netbox_kea_ha:{model}_bulk_import'),
            ]
            api = reverse(f'plugins-api:netbox_kea_ha-api:{model}-list')
            pages += [api, api + '?brief=1']
        pages += [
            reverse('plugins-api:netbox_kea_ha-api:harelationship-render', kwargs={'pk': relationship.pk}),
            reverse('core-api:objectchange-list'),
            reverse('core:objectchange_list'),
        ]
        pages += [reverse('core:objectchange', kwargs={'pk': oc.pk}) for oc in ObjectChange.objects.all()]
        for url in pages:
            response = self.client.get(url, **self.header)
            self.assertEqual(response.status_code, 200, url)
            self._assert_clean(url, response.content.decode())

        # Bulk edit and delete confirmation pages list the objects.
        for model, cls in (('keaserver', KeaServer), ('hapeer', HAPeer)):
            pks = list(cls.objects.values_list('pk', flat=True))
            for action in ('bulk_edit', 'bulk_delete'):
                response = self.client.post(reverse(f'plugins:netbox_kea_ha:{model}_{action}'), {'pk': pks})
                self._assert_clean(f'{model} {action}', response.content.decode())

        # GraphQL, every field of every type, with the change log.
        query = """{
          kea_ha_server_list { id name username password_ref has_password changelog { prechange_data postchange_data } }
          kea_ha_peer_list { id basic_auth_user basic_auth_password_ref has_basic_auth_password extra_parameters
                             changelog { prechange_data postchange_data } }
          kea_ha_relationship_list { id peers { id } changelog { postchange_data } }
        }"""
        response = self.client.post(
            reverse('graphql'), {'query': query}, content_type='application/json', **self.header
        )
        self.assertNotIn('errors', response.json())
        self._assert_clean('GraphQL', response.content.decode())

        # Export templates: what they may read shows no password; what would reveal one is refused.
        object_type = ObjectType.objects.get_for_model(KeaServer)
        url = reverse('plugins:netbox_kea_ha:keaserver_list')
        template = ExportTemplate.objects.create(name='servers', template_code=EXPORT_TEMPLATE)
        template.object_types.set([object_type])
        response = self.client.get(url + '?export=servers')
        text = response.content.decode()
        self.assertIn('s1||True|', text)
        self.assertIn('<encrypted ', text)
        self._assert_clean('an export template', text)
        for i, code in enumerate(PROBING_TEMPLATES):
            template = ExportTemplate.objects.create(name=f'probe{i}', template_code=code)
            template.object_types.set([object_type])
            response = self.client.get(url + f'?export=probe{i}', follow=True)
            self._assert_clean(f'export template {code}', response.content.decode())

        # The change log rows themselves.
        changes = ObjectChange.objects.filter(
            changed_object_type__in=ContentType.objects.get_for_models(KeaServer, HAPeer).values()
        )
        self.assertGreaterEqual(changes.count(), 5)
        for change in changes:
            self._assert_clean(f'object change {change.pk}', f'{change.prechange_data} {change.postchange_data}')

        # Nothing logged while all this ran.
        self.assertTrue(self.capture.lines)
        self._assert_clean('the log', '\n'.join(self.capture.lines))
