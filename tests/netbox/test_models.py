"""Models: one field per HA parameter, migrations in step, effective values, constraints, write-only passwords."""

import os
import tempfile
import uuid
from unittest import mock

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, models, transaction
from django.template import Context, Template
from django.test import RequestFactory, override_settings
from jinja2.exceptions import SecurityError

from core.models import ObjectChange
from netbox.context_managers import event_tracking
from utilities.jinja2 import render_jinja2
from utilities.testing import TestCase, create_test_device, create_test_virtualmachine

from .base import PASSWORD, PEER_PASSWORD, make_peer, make_relationship, make_server
from netbox_kea_ha.kea.ha import HA_PARAMETERS, KeaVersion
from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer


class HAParameterFieldTest(TestCase):
    def test_every_ha_parameter_has_its_field_and_column(self):
        relationship = make_relationship('r')
        for parameter in HA_PARAMETERS:
            with self.subTest(parameter=parameter.key):
                field = HARelationship._meta.get_field(parameter.attr)
                self.assertTrue(field.null, 'null means "Kea\'s default"')
                if parameter.type is bool:
                    self.assertIsInstance(field, models.BooleanField)
                elif parameter.type is int:
                    self.assertIsInstance(field, models.PositiveIntegerField | models.PositiveBigIntegerField)
                    if parameter.maximum is not None:
                        with self.assertRaises(ValidationError):
                            field.run_validators(parameter.maximum + 1)
                        field.run_validators(parameter.maximum)
                else:
                    self.assertIsInstance(field, models.CharField)
                # The column exists (the migrations created it) and starts out unset.
                self.assertIsNone(HARelationship.objects.filter(pk=relationship.pk).values_list(parameter.attr)[0][0])

    def test_parameters_maps_set_values_by_kea_key(self):
        relationship = make_relationship('r', heartbeat_delay=1000, mt_enable=False, trust_anchor=None)
        self.assertEqual(
            relationship.parameters, {'heartbeat-delay': 1000, 'multi-threading.enable-multi-threading': False}
        )

    def test_migrations_are_up_to_date(self):
        call_command('makemigrations', 'netbox_kea_ha', check=True, dry_run=True, verbosity=0)


class PushProcedureTest(TestCase):
    def test_a_relationship_follows_the_setting_unless_it_says_otherwise(self):
        relationship = make_relationship('r')
        self.assertEqual((relationship.push_procedure, relationship.effective_push_procedure), ('', 'least-loss'))
        plugins = {'netbox_kea_ha': {**settings.PLUGINS_CONFIG['netbox_kea_ha'], 'push_procedure': 'rolling'}}
        with override_settings(PLUGINS_CONFIG=plugins):
            self.assertEqual(relationship.effective_push_procedure, 'rolling')
            relationship.push_procedure = 'least-loss'
            self.assertEqual(relationship.effective_push_procedure, 'least-loss')

    def test_an_unknown_procedure_is_refused_by_name(self):
        relationship = make_relationship('r')
        relationship.push_procedure = 'fast'
        with self.assertRaises(ValidationError) as raised:
            relationship.full_clean()
        self.assertIn("Value 'fast' is not a valid choice", str(raised.exception.message_dict['push_procedure']))


class KeaServerTest(TestCase):
    def test_effective_values_fall_back_to_settings(self):
        server = make_server('s1', '192.0.2.10/24')
        self.assertEqual(server.control_url, 'http://192.0.2.10:8000/')
        self.assertEqual(server.service, ['dhcp4'])
        self.assertEqual(server.effective_server_tag, 's1')
        self.assertEqual(server.effective_hooks_dir, '/usr/lib/x86_64-linux-gnu/kea/hooks')
        self.assertTrue(server.effective_tls_verify)
        self.assertTrue(server.effective_replicate_config)
        self.assertIsNone(server.version)

    def test_own_values_win(self):
        server = make_server(
            's1',
            '192.0.2.10/24',
            control_host='127.0.0.1',
            control_port=18001,
            control_scheme='https',
            control_kind='server',
            server_tag='kea-a',
            hooks_dir='/opt/kea/hooks',
            tls_verify=False,
            replicate_config='off',
            kea_version='2.6.3',
        )
        self.assertEqual(server.control_url, 'https://127.0.0.1:18001/')
        self.assertIsNone(server.service)
        self.assertEqual(server.effective_server_tag, 'kea-a')
        self.assertEqual(server.effective_hooks_dir, '/opt/kea/hooks')
        self.assertIs(server.tls_verify_value, False)
        self.assertFalse(server.effective_replicate_config)
        self.assertEqual(server.version, KeaVersion(2, 6, 3))

    def test_settings_are_used_when_the_server_leaves_them_blank(self):
        server = make_server('s1', '2001:db8::10/64', ca_file='/etc/ssl/kea-ca.pem')
        config = {'encryption_key': 'x', 'control_agent_host': 'fd00::1', 'control_agent_port': 8443,
                  'verify_tls': True, 'replicate_config': False}  # fmt: skip
        with self.settings(PLUGINS_CONFIG={'netbox_kea_ha': config}):
            self.assertEqual(server.control_url, 'http://[fd00::1]:8443/')
            self.assertEqual(server.tls_verify_value, '/etc/ssl/kea-ca.pem')
            self.assertFalse(server.effective_replicate_config)

    def test_ipv6_address_is_bracketed(self):
        server = make_server('s1', '2001:db8::10/64')
        self.assertEqual(server.control_url, 'http://[2001:db8::10]:8000/')

    def test_device_and_vm_together_are_refused(self):
        server = make_server('s1', '192.0.2.10/24')
        server.device = create_test_device('d1')
        server.virtual_machine = create_test_virtualmachine('vm1')
        with self.assertRaises(ValidationError) as info:
            server.full_clean()
        self.assertIn('device', info.exception.message_dict)
        self.assertIn('virtual_machine', info.exception.message_dict)
        with self.assertRaises(IntegrityError), transaction.atomic():
            server.save()

    def test_certificate_needs_its_key(self):
        server = make_server('s1', '192.0.2.10/24', cert_file='/etc/kea/client.pem')
        with self.assertRaises(ValidationError) as info:
            server.full_clean()
        self.assertIn('key_file', info.exception.message_dict)

    def test_bad_password_reference_is_named(self):
        server = make_server('s1', '192.0.2.10/24', password_ref='vault:x')
        with self.assertRaises(ValidationError) as info:
            server.full_clean()
        self.assertIn('env:VARIABLE or file:/absolute/path', str(info.exception.message_dict['password_ref']))

    def test_family_cannot_split_a_relationship(self):
        s1 = make_server('s1', '192.0.2.1/24')
        s2 = make_server('s2', '192.0.2.2/24')
        relationship = make_relationship('r')
        make_peer(relationship, s1, 'primary')
        make_peer(relationship, s2, 'standby')
        s1.family = 'dhcp6'
        with self.assertRaises(ValidationError) as info:
            s1.full_clean()
        self.assertIn('s2', str(info.exception.message_dict['family']))


class PasswordStorageTest(TestCase):
    def test_password_is_stored_encrypted_and_read_back(self):
        server = KeaServer(name='s1', address=make_server('x', '192.0.2.9/24').address, password=PASSWORD)
        server.address = make_server('y', '192.0.2.10/24').address
        server.save()
        with connection.cursor() as cursor:
            cursor.execute('SELECT * FROM netbox_kea_ha_keaserver WHERE id = %s', [server.pk])
            row = cursor.fetchone()
        self.assertFalse(any(PASSWORD in str(value) for value in row))
        server = KeaServer.objects.get(pk=server.pk)
        self.assertTrue(server.has_password)
        self.assertEqual(server.get_password(), PASSWORD)

    def test_password_attribute_is_write_only(self):
        server = make_server('s1', '192.0.2.10/24')
        server.password = PASSWORD
        with self.assertRaises(AttributeError):
            _ = server.password
        self.assertFalse(hasattr(server, 'password'))
        server.password = ''
        self.assertFalse(server.has_password)

    def test_reference_replaces_a_stored_password(self):
        server = make_server('s1', '192.0.2.10/24')
        server.set_password(PASSWORD)
        server.set_secret_reference('password', 'env:KEA_HA_PW')
        self.assertEqual(server._password, '')
        self.assertTrue(server.has_password)
        with mock.patch.dict(os.environ, {'KEA_HA_PW': 'from-env'}):
            self.assertEqual(server.get_password(), 'from-env')

    def test_a_reference_set_alone_drops_the_stored_password_on_clean(self):
        # What a REST PATCH or a bulk edit of password_ref does: the field alone, then full_clean().
        server = make_server('s1', '192.0.2.10/24')
        server.set_password(PASSWORD)
        server.save()
        server.password_ref = ' env:KEA_HA_PW '
        server.full_clean()
        self.assertEqual((server._password, server.password_ref), ('', 'env:KEA_HA_PW'))
        peer = make_peer(make_relationship('r'), server, 'primary')
        peer.set_basic_auth_password(PEER_PASSWORD)
        peer.basic_auth_password_ref = f'file:{tempfile.gettempdir()}/kea/ha-password'  # an allowed folder
        peer.full_clean()
        self.assertEqual(peer._basic_auth_password, '')
        self.assertTrue(peer.has_basic_auth_password)

    def test_wrong_key_names_the_server(self):
        server = make_server('s1', '192.0.2.10/24')
        server.set_password(PASSWORD)
        server.save()
        config = {'encryption_key': 'another key'}
        with self.settings(PLUGINS_CONFIG={'netbox_kea_ha': config}):
            with self.assertRaisesMessage(Exception, "the password of Kea server 's1' cannot be decrypted"):
                server.get_password()

    def test_change_log_never_holds_the_password_but_sees_a_change(self):
        server = make_server('s1', '192.0.2.10/24')
        server.snapshot()
        server.set_password(PASSWORD)
        before = server._prechange_snapshot
        after = server.serialize_object()
        self.assertNotIn('_password', after)
        self.assertTrue(after['password'].startswith('<encrypted '))
        self.assertIsNone(before['password'])
        server.set_password(PASSWORD)
        self.assertNotEqual(server.serialize_object()['password'], after['password'])
        self.assertNotIn(PASSWORD, str(after))
        self.assertNotIn(server._password, str(after))

    def test_sandboxed_jinja_cannot_reach_the_password(self):
        server = make_server('s1', '192.0.2.10/24')
        server.set_password(PASSWORD)
        server.save()
        peer = make_peer(make_relationship('r'), server, 'primary')
        peer.set_basic_auth_password(PEER_PASSWORD)
        peer.save()
        for template in (
            '{{ obj._password }}',
            '{{ obj.password }}',
            '{{ obj.serializable_value("_password") }}',
        ):
            with self.subTest(template=template):
                try:
                    output = render_jinja2(template, {'obj': server})
                except Exception:  # noqa: BLE001 - refused is as good as empty
                    output = ''
                self.assertNotIn(PASSWORD, output)
                self.assertNotIn(server._password, output)
        for template in ('{{ obj.get_password() }}', '{{ obj.get_secret("password") }}'):
            with self.subTest(template=template), self.assertRaises(SecurityError):
                render_jinja2(template, {'obj': server})
        with self.assertRaises(SecurityError):
            render_jinja2('{{ obj.get_basic_auth_password() }}', {'obj': peer})

    def test_django_templates_cannot_call_the_revealing_methods(self):
        server = make_server('s1', '192.0.2.10/24')
        server.set_password(PASSWORD)
        output = Template('{{ obj.get_password }}|{{ obj.get_secret }}|{{ obj.has_password }}').render(
            Context({'obj': server})
        )
        self.assertNotIn(PASSWORD, output)
        self.assertTrue(output.endswith('|True'))

    def test_object_change_of_a_peer_hides_its_password(self):
        server = make_server('s1', '192.0.2.10/24')
        relationship = make_relationship('r')
        peer = HAPeer(relationship=relationship, server=server, role='primary', basic_auth_password=PEER_PASSWORD)
        with event_tracking(self._request()):
            peer.save()
        change = ObjectChange.objects.get(changed_object_id=peer.pk, changed_object_type__model='hapeer')
        self.assertNotIn(PEER_PASSWORD, str(change.postchange_data))
        self.assertTrue(change.postchange_data['basic_auth_password'].startswith('<encrypted '))

    def _request(self):
        request = RequestFactory().get('/')
        request.user = self.user
        request.id = uuid.uuid4()
        return request


def test_peer_effective_values(db):
    server = make_server('s1', '192.0.2.10/24', server_tag='kea-a', control_port=18001)
    peer = make_peer(make_relationship('r'), server, 'primary')
    assert peer.effective_name == 'kea-a'
    assert peer.effective_url == 'http://192.0.2.10:18001/'
    assert str(peer) == 'r: kea-a'
    peer.name, peer.url = 'hub1', 'http://192.0.2.10:8001/'
    assert (peer.effective_name, peer.effective_url) == ('hub1', 'http://192.0.2.10:8001/')


@pytest.mark.parametrize('extra, message', [
    ({'name': 'x'}, "'name' has its own field"),
    ({'basic-auth-password': 'x'}, r'own \(write-only\) field'),
])  # fmt: skip
def test_peer_extra_parameters_cannot_shadow_fields(db, extra, message):
    peer = HAPeer(relationship=make_relationship('r'), server=make_server('s', '192.0.2.1/24'), role='primary',
                  extra_parameters=extra)  # fmt: skip
    with pytest.raises(ValidationError, match=message):
        peer.full_clean()
