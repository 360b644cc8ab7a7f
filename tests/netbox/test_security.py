"""
The security review's findings, each written as the attack (docs/security.md): where a password may be read from,
what a change of destination does to a stored password, what a user may see of a relationship, secrets and bounds
in JSON fields, strict values, what an export template can reach, and the actions' bodies. Everything here runs
without Kea: the refusals happen before anything is sent. The attacks that need a listener and real Kea are in
tests/e2e/test_security.py.
"""

import os
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse
from rest_framework import status

from core.models import ObjectChange, ObjectType
from extras.models import ExportTemplate
from ipam.models import IPAddress
from users.models import ObjectPermission
from utilities.testing import APITestCase, TestCase

from .base import PASSWORD, PEER_PASSWORD, make_ip, make_peer, make_relationship, make_server
from netbox_kea_ha.crypto import SecretError, read_reference, validate_reference
from netbox_kea_ha.kea.detect import detect
from netbox_kea_ha.kea.ha import KeaVersion
from netbox_kea_ha.kea.redact import REDACTED
from netbox_kea_ha.models import HAPeer, HARelationship, KeaServer
from netbox_kea_ha.plugin_settings import get_setting, validate_settings
from netbox_kea_ha.services.endpoints import EndpointError, server_endpoint
from netbox_kea_ha.services.importer import apply_detection
from netbox_kea_ha.services.intent import relationship_intent
from netbox_kea_ha.services.sync import SyncFailed, restore_snapshot, sync_relationship
from netbox_kea_ha.validators import JSON_MAX_DEPTH

API = '/api/plugins/kea-ha'
PROBE = 'Pr0be-SECRET-123'


def _plugin_settings(**changes):
    """PLUGINS_CONFIG with these plugin settings changed (the rest as configured)."""
    from django.conf import settings

    config = dict(settings.PLUGINS_CONFIG['netbox_kea_ha'])
    config.update(changes)
    return {**settings.PLUGINS_CONFIG, 'netbox_kea_ha': config}


class _Api(APITestCase):
    def patch(self, path, data):
        return self.client.patch(f'{API}/{path}', data, format='json', **self.header)

    def post(self, path, data=None):
        return self.client.post(f'{API}/{path}', data if data is not None else {}, format='json', **self.header)


# --- 1. where a password is read from ---------------------------------------------------------------------------


class ReferenceTest(_Api):
    """A user who may only change servers and peers cannot make NetBox read a file or a variable of its host."""

    def setUp(self):
        super().setUp()
        self.server = make_server('kea-1', '127.0.0.91/32', username='api', password=PASSWORD)
        self.peer = make_peer(make_relationship('r'), self.server, 'primary')
        self.add_permissions(
            'netbox_kea_ha.view_keaserver',
            'netbox_kea_ha.change_keaserver',
            'netbox_kea_ha.view_hapeer',
            'netbox_kea_ha.change_hapeer',
        )

    def test_change_alone_cannot_set_a_reference(self):
        for path, field in (
            (f'servers/{self.server.pk}/', 'password_ref'),
            (f'peers/{self.peer.pk}/', 'basic_auth_password_ref'),
        ):
            for reference in ('file:/etc/passwd', f'file:{tempfile.gettempdir()}/kea.pw', 'env:KEA_PW'):
                with self.subTest(path=path, reference=reference):
                    response = self.patch(path, {field: reference})
                    self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
                    self.assertIn(field, response.data)
        self.server.refresh_from_db()
        self.assertEqual((self.server.password_ref, self.server.get_password()), ('', PASSWORD))

    def test_even_with_the_reference_permission_only_allowed_places_are_read(self):
        self.add_permissions('netbox_kea_ha.reference_keaserver')
        refused = (
            'file:/etc/passwd',
            'file:/proc/self/environ',
            'file:/sys/kernel/hostname',
            f'file:{tempfile.gettempdir()}/../etc/passwd',
            'file:relative/path',
            'env:SECRET_KEY',
            'env:DB_PASSWORD',
            'env:PATH',
        )
        for reference in refused:
            with self.subTest(reference=reference):
                response = self.patch(f'servers/{self.server.pk}/', {'password_ref': reference})
                self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
                self.assertIn('password_ref', response.data)
        allowed = self.patch(f'servers/{self.server.pk}/', {'password_ref': 'env:KEA_PW'})
        self.assertHttpStatus(allowed, status.HTTP_200_OK)

    def test_netbox_secrets_stay_out_whatever_the_settings_allow(self):
        config_dir = str(Path(__import__('netbox.configuration').configuration.__file__).resolve().parent)
        with self.settings(PLUGINS_CONFIG=_plugin_settings(secret_reference_dirs=['/proc', config_dir],
                                                           secret_reference_env_prefixes=['S', 'D', 'A'])):  # fmt: skip
            for reference in ('file:/proc/self/environ', f'file:{config_dir}/configuration.py', 'env:SECRET_KEY',
                              'env:DB_PASSWORD', 'env:API_TOKEN_PEPPERS'):  # fmt: skip
                with self.subTest(reference=reference), self.assertRaises(SecretError):
                    validate_reference(reference)

    def test_a_symbolic_link_out_of_the_allowed_folder_is_refused_when_read(self):
        folder = Path(tempfile.mkdtemp())
        link = folder / 'kea.pw'
        (folder / 'real.pw').write_text('fine\n')
        link.symlink_to(folder / 'real.pw')
        self.assertEqual(read_reference(f'file:{link}'), 'fine')
        link.unlink()
        link.symlink_to('/etc/passwd')  # swapped after the reference was saved
        with self.assertRaisesMessage(SecretError, 'outside the directories'):
            read_reference(f'file:{link}')

    def test_a_file_that_is_no_password_is_not_read(self):
        folder = Path(tempfile.mkdtemp())
        (folder / 'big').write_text('x' * 5000)
        os.mkfifo(folder / 'fifo')
        for name, message in (('big', 'larger than 4096 bytes'), ('fifo', 'not a regular file')):
            with self.subTest(name=name), self.assertRaisesMessage(SecretError, message):
                read_reference(f'file:{folder / name}')

    def test_errors_never_quote_the_value_typed(self):
        self.add_permissions('netbox_kea_ha.reference_keaserver')
        for typed in (PROBE, f'env:{PROBE}', f'file:{PROBE}', f'env:KEA{PROBE}x!'):
            with self.subTest(typed=typed):
                response = self.patch(f'servers/{self.server.pk}/', {'password_ref': typed})
                self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
                self.assertNotIn(PROBE, str(response.data))

    def test_settings_refuse_folders_that_would_expose_the_host(self):
        for setting, value in (
            ('secret_reference_dirs', ['/']),
            ('secret_reference_dirs', ['/proc/1']),
            ('secret_reference_dirs', ['relative']),
            ('secret_reference_dirs', ['/etc/../proc']),
            ('secret_reference_env_prefixes', ['']),
            ('secret_reference_env_prefixes', ['KEA-']),
        ):
            with self.subTest(setting=setting, value=value), self.assertRaisesMessage(ImproperlyConfigured, setting):
                validate_settings({setting: value})
        self.assertEqual((get_setting('secret_reference_dirs'), get_setting('secret_reference_env_prefixes')), (
            [tempfile.gettempdir()], ['KEA_']))  # fmt: skip

    @override_settings(EXEMPT_VIEW_PERMISSIONS=['*'])
    def test_the_edit_form_asks_for_the_permission_too(self):
        self.client.force_login(self.user)
        data = {'name': 'kea-1', 'address': self.server.address.pk, 'family': 'dhcp4', 'control_kind': 'agent',
                'control_scheme': 'http', 'replicate_config': 'inherit', 'tls_verify': 'unknown',
                'password_ref': 'env:KEA_PW'}  # fmt: skip
        response = self.client.post(reverse('plugins:netbox_kea_ha:keaserver_edit', args=[self.server.pk]), data)
        self.assertHttpStatus(response, 200)
        self.assertIn('needs the &quot;reference&quot; permission', response.content.decode())


# --- 2. a password is bound to where it goes --------------------------------------------------------------------


class BindingTest(_Api):
    """A password follows its destination: moved without being given again, it is withdrawn; never sent elsewhere."""

    def setUp(self):
        super().setUp()
        self.server = make_server('kea-1', '127.0.0.91/32', username='api', password=PASSWORD)
        self.add_permissions('netbox_kea_ha.view_keaserver', 'netbox_kea_ha.change_keaserver')

    def _url(self):
        return f'servers/{self.server.pk}/'

    def test_moving_the_endpoint_withdraws_the_password(self):
        for change in ({'control_host': '127.0.0.93'}, {'control_port': 18993}, {'control_scheme': 'https'},
                       {'control_kind': 'server'}, {'tls_verify': False, 'control_scheme': 'https'}):  # fmt: skip
            with self.subTest(change=change):
                self.server.refresh_from_db()
                self.server.set_password(PASSWORD)
                self.server.save()
                response = self.patch(self._url(), change)
                self.assertHttpStatus(response, status.HTTP_200_OK)
                self.assertFalse(response.data['has_password'])
                self.server.refresh_from_db()
                self.assertTrue(self.server.secret_withdrawn('password'))
                with self.assertRaisesMessage(EndpointError, 'was withdrawn when where it goes changed'):
                    server_endpoint(self.server)
                KeaServer.objects.filter(pk=self.server.pk).update(
                    control_host='', control_port=None, control_scheme='http', control_kind='agent', tls_verify=None
                )

    def test_given_again_in_the_same_request_it_stays(self):
        response = self.patch(self._url(), {'control_port': 18993, 'password': PASSWORD + '2'})
        self.assertTrue(response.data['has_password'])
        self.server.refresh_from_db()
        self.assertEqual(server_endpoint(self.server).password, PASSWORD + '2')
        self.add_permissions('netbox_kea_ha.reference_keaserver')
        self.patch(self._url(), {'password_ref': 'env:KEA_PW'})
        response = self.patch(self._url(), {'control_port': 18994, 'password_ref': 'env:KEA_PW'})
        self.assertTrue(response.data['has_password'])
        self.server.refresh_from_db()
        self.assertIsNone(self.server.secret_problem('password'))

    def test_an_unrelated_change_keeps_it(self):
        self.patch(self._url(), {'description': 'patched', 'username': 'other'})
        self.server.refresh_from_db()
        self.assertEqual(server_endpoint(self.server).password, PASSWORD)

    def test_an_address_edited_in_ipam_is_not_where_it_was_set_for(self):
        IPAddress.objects.filter(pk=self.server.address_id).update(address='127.0.0.94/32')
        server = KeaServer.objects.get(pk=self.server.pk)
        with self.assertRaisesMessage(EndpointError, 'it would now go to agent http://127.0.0.94:8000/'):
            server_endpoint(server)

    def test_the_change_log_says_withdrawn_and_never_where_or_what(self):
        self.patch(self._url(), {'control_port': 18993})
        change = ObjectChange.objects.filter(changed_object_id=self.server.pk).latest('pk')
        self.assertEqual((change.prechange_data['password'][:10], change.postchange_data['password']), (
            '<encrypted', '<withdrawn>'))  # fmt: skip
        self.assertNotIn('_password_destination', change.postchange_data)

    def test_a_peer_url_change_withdraws_the_basic_auth_password(self):
        relationship = make_relationship('r')
        peer = make_peer(relationship, self.server, 'primary', basic_auth_user='ha', basic_auth_password=PEER_PASSWORD)
        self.add_permissions('netbox_kea_ha.view_hapeer', 'netbox_kea_ha.change_hapeer')
        response = self.patch(f'peers/{peer.pk}/', {'peer_url': 'http://127.0.0.93:18993/'})
        self.assertHttpStatus(response, status.HTTP_200_OK)
        self.assertFalse(response.data['has_basic_auth_password'])
        peer.refresh_from_db()
        with self.assertRaisesMessage(SecretError, 'withdrawn'):
            relationship_intent(relationship, relationship.peers.all(), reveal=True).value

    def test_a_push_goes_only_to_endpoints_the_relationship_confirmed(self):
        # No control password to withdraw: the relationship's passwords would go to the new endpoint in a push.
        server = make_server('kea-2', '127.0.0.92/32')
        relationship = make_relationship('r2')
        make_peer(relationship, server, 'primary', basic_auth_user='ha', basic_auth_password=PEER_PASSWORD)
        self.assertHttpStatus(self.patch(f'servers/{server.pk}/', {'control_port': 18993}), status.HTTP_200_OK)
        with self.assertRaisesMessage(SyncFailed, 'is not confirmed for relationship r2'):
            sync_relationship(relationship)  # refused before any read: nothing reaches 127.0.0.92:18993
        self.add_permissions('netbox_kea_ha.view_harelationship', 'netbox_kea_ha.view_hapeer')
        page = self.client.get(f'{API}/relationships/{relationship.pk}/render/', **self.header).json()
        self.assertIn('netbox.endpoint-unconfirmed', [f['code'] for f in page['findings']])
        # Someone who may change the peer confirms it by saving the server (or the peer).
        self.add_permissions('netbox_kea_ha.change_hapeer')
        self.patch(f'servers/{server.pk}/', {'description': 'checked'})
        self.assertTrue(HAPeer.objects.get(server=server).endpoint_confirmed)

    def test_a_restore_sends_a_snapshots_secrets_only_where_they_came_from(self):
        from netbox_kea_ha.services.snapshots import take_snapshot

        snapshot = take_snapshot(self.server, {'Dhcp4': {'lease-database': {'type': 'memfile', 'password': 'db'}}})
        self.patch(self._url(), {'control_port': 18993, 'password': PASSWORD})
        with self.assertRaisesMessage(SyncFailed, 'they are not sent there'):
            restore_snapshot(KeaServer.objects.get(pk=self.server.pk).config_snapshots.get(pk=snapshot.pk))


# --- 3/4. what a user may see of a relationship --------------------------------------------------------------------


class VisibilityTest(_Api):
    """A user whose server permission is constrained to kea-1 sees nothing of kea-2, whichever surface they use."""

    def setUp(self):
        super().setUp()
        self.kea1 = make_server('kea-1', '127.0.0.91/32')
        self.kea2 = make_server('kea-2', '127.0.0.92/32')
        self.relationship = make_relationship('r', mode='hot-standby')
        make_peer(self.relationship, self.kea1, 'primary', name='visible-peer')
        make_peer(self.relationship, self.kea2, 'standby', name='hidden-peer', basic_auth_user='hidden-user')
        self.add_permissions('netbox_kea_ha.view_harelationship', 'netbox_kea_ha.view_keaserver')
        ObjectPermission.objects.filter(object_types__model='keaserver').update(constraints={'name': 'kea-1'})

    def _surfaces(self):
        detail = self.client.get(f'{API}/relationships/{self.relationship.pk}/', **self.header)
        listing = self.client.get(f'{API}/relationships/', **self.header)
        render = self.client.get(f'{API}/relationships/{self.relationship.pk}/render/', **self.header)
        graphql = self.client.post(
            reverse('graphql'),
            {'query': '{ kea_ha_relationship_list { name peers { name } } }'},
            format='json',
            **self.header,
        )
        self.client.force_login(self.user)
        page = self.client.get(self.relationship.get_absolute_url())
        return detail, listing, render, graphql, page

    def test_without_view_on_peers_no_peer_shows(self):
        detail, listing, render, graphql, page = self._surfaces()
        self.assertEqual(detail.data['peers'], [])
        self.assertEqual(listing.data['results'][0]['peers'], [])
        self.assertEqual(render.data['servers'], [])
        self.assertEqual(graphql.json()['data']['kea_ha_relationship_list'][0]['peers'], [])
        for response in (detail, listing, render, graphql, page):
            for hidden in ('kea-2', 'hidden-peer', 'hidden-user', '127.0.0.92'):
                self.assertNotIn(hidden, response.content.decode())

    def test_with_view_on_peers_the_peer_of_a_hidden_server_stays_hidden(self):
        self.add_permissions('netbox_kea_ha.view_hapeer')
        detail, listing, render, graphql, page = self._surfaces()
        self.assertEqual([p['effective_name'] for p in detail.data['peers']], ['visible-peer'])
        self.assertEqual([p['effective_name'] for p in listing.data['results'][0]['peers']], ['visible-peer'])
        # kea-1's block names the hidden peer (its URL and user): withheld, with the reason.
        [block] = render.data['servers']
        self.assertEqual((block['server']['name'], block['hooks_libraries'], block['withheld']), ('kea-1', None, True))
        for response in (detail, listing, render, page):
            for hidden in ('kea-2', 'hidden-user', '127.0.0.92'):
                self.assertNotIn(hidden, response.content.decode())

    def test_nested_peers_stay_restricted_after_a_write(self):
        self.add_permissions('netbox_kea_ha.view_hapeer', 'netbox_kea_ha.change_harelationship')
        response = self.patch(f'relationships/{self.relationship.pk}/', {'description': 'patched'})
        self.assertHttpStatus(response, status.HTTP_200_OK)
        self.assertEqual([p['effective_name'] for p in response.data['peers']], ['visible-peer'])

    def test_the_relationship_in_a_peer_has_the_choice_shape(self):
        self.add_permissions('netbox_kea_ha.view_hapeer')
        peer = self.client.get(f'{API}/peers/?name=visible-peer', **self.header).data['results'][0]
        self.assertEqual(peer['relationship']['mode'], {'value': 'hot-standby', 'label': 'Hot standby'})


# --- 5/6. secrets and bounds in JSON fields ----------------------------------------------------------------------


def _nested(depth):
    value = 'leaf'
    for _ in range(depth):
        value = {'k': value}
    return value


class JsonFieldTest(_Api):
    """extra_parameters and state_machine keep no secret in clear and hold nothing a page cannot show."""

    def setUp(self):
        super().setUp()
        self.server = make_server('kea-1', '127.0.0.91/32')
        self.relationship = make_relationship('r')
        self.peer = make_peer(self.relationship, self.server, 'primary')
        self.add_permissions(
            'netbox_kea_ha.view_harelationship',
            'netbox_kea_ha.change_harelationship',
            'netbox_kea_ha.view_hapeer',
            'netbox_kea_ha.change_hapeer',
        )

    def test_a_secret_typed_into_extra_parameters_is_refused_naming_the_key(self):
        for path, value, named in (
            (f'relationships/{self.relationship.pk}/', {'basic-auth-password': PROBE}, 'basic-auth-password'),
            (f'relationships/{self.relationship.pk}/', {'x': {'db-password': PROBE}}, 'x.db-password'),
            (f'relationships/{self.relationship.pk}/', {'token': PROBE}, 'token'),
            (f'peers/{self.peer.pk}/', {'basic-auth-password': PROBE}, 'basic-auth password'),
            (f'peers/{self.peer.pk}/', {'secret': PROBE}, 'secret'),
            (f'peers/{self.peer.pk}/', {'api-token': PROBE}, 'api-token'),
            (f'peers/{self.peer.pk}/', {'password': REDACTED}, 'password'),  # a placeholder with nothing kept
        ):
            with self.subTest(path=path, value=value):
                response = self.patch(path, {'extra_parameters': value})
                self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
                self.assertIn(named, str(response.data['extra_parameters']))
                self.assertNotIn(PROBE, str(response.data))

    def test_an_import_keeps_secret_extra_keys_encrypted(self):
        config = {'Dhcp4': {'hooks-libraries': [
            {'library': '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so'},
            {'library': '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so', 'parameters': {'high-availability': [{
                'this-server-name': 'kea-1', 'mode': 'hot-standby', 'x-secret': PROBE,
                'peers': [
                    {'name': 'kea-1', 'url': 'http://127.0.0.91:8000/', 'role': 'primary', 'password': PROBE + 'p'},
                    {'name': 'kea-2', 'url': 'http://127.0.0.92:8000/', 'role': 'standby'},
                ],
            }]}},
        ]}}  # fmt: skip
        apply_detection(self.server, detect(config, version=KeaVersion(2, 2, 0)), '2.2.0')
        relationship = HARelationship.objects.get(peers__server=self.server)
        peer = HAPeer.objects.get(server=self.server)
        self.assertEqual((relationship.extra_parameters, peer.extra_parameters), (
            {'x-secret': REDACTED}, {'password': REDACTED}))  # fmt: skip
        shown = [
            self.client.get(f'{API}/relationships/{relationship.pk}/', **self.header),
            self.client.get(f'{API}/peers/{peer.pk}/', **self.header),
            self.client.post(
                reverse('graphql'), {'query': '{ kea_ha_peer_list { extra_parameters } }'}, format='json', **self.header
            ),  # fmt: skip
        ]
        changes = ObjectChange.objects.all()
        for text in [r.content.decode() for r in shown] + [f'{c.prechange_data}{c.postchange_data}' for c in changes]:
            self.assertNotIn(PROBE, text)
        # A push gets them back; an edit may keep the placeholder.
        value = relationship_intent(relationship, relationship.peers.all(), reveal=True).value
        self.assertEqual(value.extra['x-secret'], PROBE)
        self.assertEqual(next(p for p in value.peers if p.name == 'kea-1').extra['password'], PROBE + 'p')
        response = self.patch(f'peers/{peer.pk}/', {'extra_parameters': {'password': REDACTED, 'note': 1}})
        self.assertHttpStatus(response, status.HTTP_200_OK)

    def test_json_values_are_bounded(self):
        wide = {f'k{i}': i for i in range(20000)}
        big = {'blob': 'x' * (5 * 1024 * 1024)}
        for field, value, message in (
            ('extra_parameters', _nested(900), f'more than {JSON_MAX_DEPTH} levels'),
            ('extra_parameters', _nested(JSON_MAX_DEPTH + 1), f'more than {JSON_MAX_DEPTH} levels'),
            ('extra_parameters', wide, 'keys and list items'),
            ('extra_parameters', big, 'bytes as JSON'),
            ('state_machine', [_nested(900)], f'more than {JSON_MAX_DEPTH} levels'),
        ):
            with self.subTest(field=field, message=message):
                response = self.patch(f'relationships/{self.relationship.pk}/', {field: value})
                self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
                self.assertIn(message, str(response.data[field]))
        response = self.patch(f'peers/{self.peer.pk}/', {'extra_parameters': _nested(900)})
        self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
        self.assertIn('extra_parameters', response.data)
        self.client.force_login(self.user)
        for url in (self.relationship.get_absolute_url(), self.peer.get_absolute_url(),
                    self.relationship.get_absolute_url() + 'edit/'):  # fmt: skip
            self.assertHttpStatus(self.client.get(url), 200)


# --- 7. strict values --------------------------------------------------------------------------------------------


class StrictValuesTest(_Api):
    """Every value found accepted by the review is refused, with an error on its field that does not echo it."""

    def setUp(self):
        super().setUp()
        self.server = make_server('kea-1', '127.0.0.91/32')
        self.peer = make_peer(make_relationship('r'), self.server, 'primary')
        self.add_permissions(
            'netbox_kea_ha.view_keaserver', 'netbox_kea_ha.change_keaserver', 'netbox_kea_ha.add_keaserver',
            'netbox_kea_ha.view_hapeer', 'netbox_kea_ha.change_hapeer', 'ipam.view_ipaddress',
        )  # fmt: skip

    def test_bad_values_are_refused(self):
        server, peer = f'servers/{self.server.pk}/', f'peers/{self.peer.pk}/'
        for path, data, field in (
            (server, {'control_host': 'a b'}, 'control_host'),
            (server, {'control_host': 'http://x'}, 'control_host'),
            (server, {'control_host': '127.0.0.1:9999/path'}, 'control_host'),
            (server, {'control_host': 'user:pw@127.0.0.1'}, 'control_host'),
            (server, {'control_host': '127.0.0.1#@evil'}, 'control_host'),
            (server, {'control_host': '[::1]'}, 'control_host'),
            (server, {'username': 'a:b'}, 'username'),
            (server, {'username': 'a\nb'}, 'username'),
            (server, {'ca_file': 'relative/ca.pem'}, 'ca_file'),
            (server, {'hooks_dir': '../../tmp'}, 'hooks_dir'),
            (server, {'hooks_dir': '/usr/lib/../../tmp'}, 'hooks_dir'),
            (server, {'username': 'u', 'password': 1234}, 'password'),
            (server, {'username': 'u', 'password': {'a': 1}}, 'password'),
            (peer, {'peer_url': 'http://127.0.0.94:8000/\nX-Injected: 1'}, 'url'),
            (peer, {'peer_url': 'http://user:pw@127.0.0.94:8000/'}, 'url'),
            (peer, {'basic_auth_user': 'a:b'}, 'basic_auth_user'),
        ):
            with self.subTest(data=data):
                response = self.patch(path, data)
                self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
                self.assertTrue({field, 'peer_url'} & set(response.data), response.data)

    def test_good_values_pass_and_paths_are_normalised(self):
        for host in ('127.0.0.1', '::1', 'kea-1.example.net', 'KEA1'):
            with self.subTest(host=host):
                self.assertHttpStatus(self.patch(f'servers/{self.server.pk}/', {'control_host': host}), 200)
        response = self.patch(f'servers/{self.server.pk}/', {'hooks_dir': '/usr/lib//kea/./hooks/'})
        self.assertEqual(response.data['hooks_dir'], '/usr/lib/kea/hooks')

    @override_settings(EXEMPT_VIEW_PERMISSIONS=['*'])
    def test_a_yaml_import_takes_a_password_only_as_text(self):
        self.client.force_login(self.user)
        address = make_ip('127.0.0.95/32')
        data = {'data': f'name: kea-9\naddress: {address.address}\nusername: u\npassword: {{a: 1}}\n',
                'format': 'yaml'}  # fmt: skip
        response = self.client.post(reverse('plugins:netbox_kea_ha:keaserver_bulk_import'), data)
        self.assertHttpStatus(response, 200)
        self.assertIn('Must be text, not dict', response.content.decode())
        self.assertFalse(KeaServer.objects.filter(name='kea-9').exists())


# --- 8. export templates ------------------------------------------------------------------------------------------


@override_settings(EXEMPT_VIEW_PERMISSIONS=['*'])
class ExportTemplateTest(TestCase):
    """
    What an export-template author can reach (docs/security.md): NetBox renders export templates in a Jinja sandbox
    but lets them call QuerySet methods, raw SQL included, so the stored tokens (ciphertext) are within reach of
    whoever may write export templates. A password never is: the key is not in the database.
    """

    def test_only_ciphertext_is_reachable(self):
        self.user.is_superuser = True
        self.user.save()
        server = make_server('kea-1', '127.0.0.91/32', username='api', password=PASSWORD)
        token = server._password
        probes = (
            "{{ queryset.values_list('_password', flat=True)|list }}",
            '{% for o in queryset.raw("SELECT id, _password AS name FROM netbox_kea_ha_keaserver") %}'
            '{{ o.name }}{% endfor %}',
            '{% for o in queryset %}{{ o._password }}{{ o.get_password() }}{% endfor %}',
        )
        object_type = ObjectType.objects.get_for_model(KeaServer)
        seen = []
        for i, code in enumerate(probes):
            template = ExportTemplate.objects.create(name=f'probe{i}', template_code=code)
            template.object_types.set([object_type])
            text = self.client.get(reverse('plugins:netbox_kea_ha:keaserver_list') + f'?export=probe{i}').content
            seen.append(token in text.decode())
            self.assertNotIn(PASSWORD, text.decode())
        self.assertEqual(seen, [True, True, False], 'the docs say what an export template can see; keep them true')


# --- 9. the actions' bodies --------------------------------------------------------------------------------------


class ActionBodyTest(_Api):
    """Every action refuses a body key it does not know, before it enqueues anything."""

    def test_unknown_keys_are_refused_everywhere(self):
        server = make_server('kea-1', '127.0.0.91/32')
        relationship = make_relationship('r')
        make_peer(relationship, server, 'primary')
        for model in ('keaserver', 'harelationship'):
            for action in ('view', 'status', 'sync', 'import'):
                if (model, action) not in (('harelationship', 'import'), ('keaserver', 'sync')):
                    self.add_permissions(f'netbox_kea_ha.{action}_{model}')
        for path in (f'servers/{server.pk}/import/', f'servers/{server.pk}/status/', 'status/',
                     f'relationships/{relationship.pk}/status/', f'relationships/{relationship.pk}/sync/'):  # fmt: skip
            with self.subTest(path=path):
                response = self.post(path, {'junk': 1})
                self.assertHttpStatus(response, status.HTTP_400_BAD_REQUEST)
                self.assertIn('junk', response.data)
