"""Model clean() runs Kea's relationship rules and puts each error on the field it concerns; no network I/O."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from utilities.testing import TestCase

from .base import make_peer, make_relationship, make_server
from netbox_kea_ha.models import HAPeer, HARelationship
from netbox_kea_ha.services.intent import relationship_findings


def _errors(obj):
    try:
        obj.full_clean()
    except ValidationError as exc:
        return exc.message_dict
    return {}


class RelationshipCleanTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.s1 = make_server('s1', '192.0.2.1/24')
        cls.s2 = make_server('s2', '192.0.2.2/24')

    def _pair(self, mode='hot-standby', **fields):
        relationship = make_relationship('r', mode=mode, **fields)
        make_peer(relationship, self.s1, 'primary')
        make_peer(relationship, self.s2, 'standby' if mode == 'hot-standby' else 'secondary')
        return relationship

    def test_a_parameter_error_lands_on_its_field_with_keas_text(self):
        relationship = self._pair()
        relationship.wait_backup_ack = True
        errors = _errors(relationship)
        self.assertEqual(list(errors), ['wait_backup_ack'])
        self.assertIn(
            "'wait-backup-ack' must be set to false in the hot standby configuration", errors['wait_backup_ack'][0]
        )

    def test_delayed_updates_only_in_load_balancing(self):
        relationship = self._pair()
        relationship.delayed_updates_limit = 5
        self.assertIn('delayed_updates_limit', _errors(relationship))
        lb = make_relationship('lb', mode='load-balancing', delayed_updates_limit=5)
        self.assertEqual(_errors(lb), {})

    def test_bounds_are_validators(self):
        relationship = make_relationship('r')
        relationship.heartbeat_delay = 65536
        errors = _errors(relationship)
        self.assertEqual(list(errors), ['heartbeat_delay'])
        self.assertEqual(len(errors['heartbeat_delay']), 1, 'the bound is reported once')

    def test_incomplete_tls_lands_on_the_relationship_field(self):
        relationship = self._pair()
        relationship.trust_anchor = '/etc/kea/ca.pem'
        errors = _errors(relationship)
        self.assertIn('cert_file', errors)
        self.assertIn('all or none of TLS parameters must be set', errors['cert_file'][0])

    def test_a_mode_change_that_breaks_the_roles_lands_on_mode(self):
        relationship = self._pair()
        relationship.mode = 'load-balancing'
        errors = _errors(relationship)
        self.assertIn('mode', errors)
        self.assertIn('standby servers not allowed in the load balancing configuration', ' '.join(errors['mode']))

    def test_bad_state_machine_is_named(self):
        relationship = make_relationship('r')
        relationship.state_machine = [{'state': 'waiting', 'pause': 'sometimes'}]
        self.assertIn('pause must be never, once or always', _errors(relationship)['state_machine'][0])
        relationship.state_machine = [{'state': 'nap'}]
        self.assertIn("unknown HA state 'nap'", _errors(relationship)['state_machine'][0])
        relationship.state_machine = [{'state': 'waiting', 'pause': 'once'}]
        self.assertEqual(_errors(relationship), {})

    def test_extra_parameters_cannot_shadow_a_field(self):
        relationship = make_relationship('r', extra_parameters={'heartbeat-delay': 5})
        self.assertIn("'heartbeat-delay' has its own field", _errors(relationship)['extra_parameters'][0])
        relationship.extra_parameters = {'multi-threading': {'http-client-threads': 2}}
        self.assertIn('multi-threading.http-client-threads', _errors(relationship)['extra_parameters'][0])
        relationship.extra_parameters = {'future-knob': 1}
        self.assertEqual(_errors(relationship), {})

    def test_a_relationship_without_peers_saves(self):
        relationship = HARelationship(name='new', mode='load-balancing')
        self.assertEqual(_errors(relationship), {})
        findings = relationship_findings(relationship)
        self.assertTrue(findings and all(f.incomplete for f in findings if f.is_error))


class PeerCleanTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.s1 = make_server('s1', '192.0.2.1/24')
        cls.s2 = make_server('s2', '192.0.2.2/24')
        cls.s3 = make_server('s3', '192.0.2.3/24')

    def test_one_peer_at_a_time_is_not_blocked(self):
        relationship = make_relationship('r')
        make_peer(relationship, self.s1, 'primary')
        findings = relationship_findings(relationship)
        errors = [f for f in findings if f.is_error]
        self.assertTrue(errors)
        self.assertTrue(all(f.incomplete for f in errors))
        self.assertIn('standby server required in the hot standby configuration', [f.message for f in errors])

    def test_a_second_primary_lands_on_role(self):
        relationship = make_relationship('r')
        make_peer(relationship, self.s1, 'primary')
        errors = _errors(HAPeer(relationship=relationship, server=self.s2, role='primary'))
        self.assertEqual(list(errors), ['role'])
        self.assertIn('multiple primary servers specified', errors['role'][0])

    def test_a_host_name_url_lands_on_url(self):
        relationship = make_relationship('r')
        errors = _errors(
            HAPeer(relationship=relationship, server=self.s1, role='primary', url='http://localhost:8000/')
        )
        self.assertEqual(list(errors), ['url'])
        self.assertIn("Failed to convert string to address 'localhost'", errors['url'][0])
        self.assertIn("peer 's1'", errors['url'][0])

    def test_basic_auth_user_with_colon(self):
        relationship = make_relationship('r')
        errors = _errors(HAPeer(relationship=relationship, server=self.s1, role='primary', basic_auth_user='a:b'))
        self.assertEqual(list(errors), ['basic_auth_user'])

    def test_effective_names_are_unique_in_a_relationship(self):
        self.s2.server_tag = 's1'
        self.s2.save()
        relationship = make_relationship('r')
        make_peer(relationship, self.s1, 'primary')
        errors = _errors(HAPeer(relationship=relationship, server=self.s2, role='standby'))
        self.assertEqual(list(errors), ['name'])
        self.assertIn("already has a peer named 's1'", errors['name'][0])
        self.assertEqual(_errors(HAPeer(relationship=relationship, server=self.s2, role='standby', name='b')), {})

    def test_a_server_is_a_peer_once(self):
        relationship = make_relationship('r')
        make_peer(relationship, self.s1, 'primary')
        errors = _errors(HAPeer(relationship=relationship, server=self.s1, role='standby', name='again'))
        self.assertIn(NON_FIELD_ERRORS, errors)

    def test_families_cannot_mix(self):
        self.s2.family = 'dhcp6'
        self.s2.save()
        relationship = make_relationship('r')
        make_peer(relationship, self.s1, 'primary')
        errors = _errors(HAPeer(relationship=relationship, server=self.s2, role='standby'))
        self.assertEqual(list(errors), ['server'])
        self.assertIn('serves dhcp6', errors['server'][0])

    def test_hub_peer_names_must_differ_across_relationships(self):
        r1 = make_relationship('r1')
        make_peer(r1, self.s1, 'primary')
        make_peer(r1, self.s2, 'standby')
        r2 = make_relationship('r2')
        make_peer(r2, self.s3, 'primary')
        errors = _errors(HAPeer(relationship=r2, server=self.s1, role='standby'))
        self.assertEqual(list(errors), ['name'])
        self.assertIn('unique across all relationships of a server', errors['name'][0])
        make_peer(r2, self.s1, 'standby', name='s1-hub')

    def test_hub_on_kea_2_2_is_refused_but_unknown_version_only_warns(self):
        r1 = make_relationship('r1')
        make_peer(r1, self.s1, 'primary')
        make_peer(r1, self.s2, 'standby')
        r2 = make_relationship('r2')
        make_peer(r2, self.s3, 'primary')
        # Version unknown: Kea >= 2.6 accepts a hot-standby hub, Kea 2.2 does not -> a warning that says so.
        make_peer(r2, self.s1, 'standby', name='s1-hub')
        hub = [f for f in relationship_findings(r2) if f.server == 's1' and f.code == 'ha.relationship-count']
        self.assertEqual([f.severity for f in hub], ['warning'])
        self.assertIn('an error with Kea 2.2', hub[0].message)
        # Known Kea 2.2: an error that blocks a change bringing it in.
        self.s1.kea_version = '2.2.0'
        self.s1.save()
        HAPeer.objects.filter(relationship=r2, server=self.s1).delete()
        errors = _errors(HAPeer(relationship=r2, server=self.s1, role='standby', name='s1-hub'))
        self.assertIn('Expected exactly one configuration', ' '.join(sum(errors.values(), [])))

    def test_errors_already_there_do_not_block_an_unrelated_edit(self):
        relationship = make_relationship('r')
        make_peer(relationship, self.s1, 'primary')
        # Two primaries written without validation (as an import of a broken live config could).
        broken = HAPeer.objects.create(relationship=relationship, server=self.s2, role='primary')
        broken.description = 'seen on the live servers'
        self.assertEqual(_errors(broken), {})
        relationship.description = 'needs fixing'
        self.assertEqual(_errors(relationship), {})
        self.assertIn('multiple primary servers specified', [f.message for f in relationship_findings(relationship)])
        # A change that brings in a new error is still refused.
        broken.url = 'http://localhost/'
        self.assertIn('url', _errors(broken))


class ServerCleanTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.s1 = make_server('s1', '192.0.2.1/24')
        cls.s2 = make_server('s2', '192.0.2.2/24')
        relationship = make_relationship('r')
        make_peer(relationship, cls.s1, 'primary')
        make_peer(relationship, cls.s2, 'standby')

    def test_a_tag_that_clashes_with_a_partner_is_refused_on_the_tag(self):
        self.s2.server_tag = 's1'
        errors = _errors(self.s2)
        self.assertEqual(list(errors), ['server_tag'])
        self.assertIn("peer with name 's1' already specified", errors['server_tag'][0])
        self.assertIn('relationship r', errors['server_tag'][0])

    def test_a_scheme_that_breaks_the_peer_url_is_refused_on_the_scheme(self):
        self.s1.control_scheme = 'https'
        errors = _errors(self.s1)
        self.assertEqual(list(errors), ['control_scheme'])
        self.assertIn('https scheme is not supported', errors['control_scheme'][0])

    def test_harmless_changes_pass(self):
        self.s1.server_tag = 'kea-a'
        self.s1.control_port = 18001
        self.assertEqual(_errors(self.s1), {})
