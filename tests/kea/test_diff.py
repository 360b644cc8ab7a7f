"""The normalised diff on hand-written configs: paths, kinds, redaction, the text (no Kea needed)."""

import copy
import json

from netbox_kea_ha.kea.diff import ABSENT, REDACTED, Change, diff_configs

HA = '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so'


def config(**extra):
    inner = {
        'interfaces-config': {'interfaces': []},
        'valid-lifetime': 3600,
        'subnet4': [
            {
                'id': 1,
                'subnet': '192.0.2.0/24',
                'pools': [{'pool': '192.0.2.10 - 192.0.2.99'}, {'pool': '192.0.2.128/26'}],
                'option-data': [{'name': 'routers', 'data': '192.0.2.1'}],
            }
        ],
        'hooks-libraries': [
            {
                'library': HA,
                'parameters': {
                    'high-availability': [
                        {
                            'this-server-name': 'server1',
                            'mode': 'load-balancing',
                            'peers': [
                                {'name': 'server1', 'url': 'http://127.0.0.1:8001/', 'role': 'primary'},
                                {
                                    'name': 'server2',
                                    'url': 'http://127.0.0.1:8002/',
                                    'role': 'secondary',
                                    'basic-auth-user': 'ha',
                                    'basic-auth-password': 'secret-one',
                                },
                            ],
                        }
                    ]
                },
            }
        ],
    }
    inner.update(extra)
    return {'Dhcp4': inner}


def test_same_config_is_empty():
    diff = diff_configs(config(), copy.deepcopy(config()))
    assert diff.empty and not diff and len(diff) == 0
    assert diff.text() == ''


def test_timer_change_has_the_global_path():
    diff = diff_configs(config(), config(**{'valid-lifetime': 7200}))
    assert [c.as_dict() for c in diff] == [
        {'path': 'Dhcp4.valid-lifetime', 'kind': 'changed', 'old': 3600, 'new': 7200}
    ]


def test_subnet_added_and_removed_by_prefix():
    old = config()
    new = config()
    new['Dhcp4']['subnet4'] = [{'id': 2, 'subnet': '198.51.100.0/24'}]
    diff = diff_configs(old, new)
    kinds = {c.path: c.kind for c in diff}
    assert kinds == {'Dhcp4.subnet4[192.0.2.0/24]': 'removed', 'Dhcp4.subnet4[198.51.100.0/24]': 'added'}
    added = next(c for c in diff if c.kind == 'added')
    assert added.new == {'id': 2, 'subnet': '198.51.100.0/24'} and added.old is ABSENT


def test_option_value_and_removed_pool_paths():
    new = config()
    subnet = new['Dhcp4']['subnet4'][0]
    subnet['option-data'] = [{'code': 3, 'data': '192.0.2.254'}]
    subnet['pools'] = [{'pool': '192.0.2.10-192.0.2.99'}]
    diff = diff_configs(config(), new)
    assert {c.path: (c.old, c.new) for c in diff} == {
        'Dhcp4.subnet4[192.0.2.0/24].option-data[dhcp4:3].data': ('192.0.2.1', '192.0.2.254'),
        'Dhcp4.subnet4[192.0.2.0/24].pools[192.0.2.128/26]': ({'pool': '192.0.2.128/26'}, ABSENT),
    }


def test_password_change_is_detected_but_never_shown():
    new = config()
    peer = new['Dhcp4']['hooks-libraries'][0]['parameters']['high-availability'][0]['peers'][1]
    peer['basic-auth-password'] = 'secret-two'
    diff = diff_configs(config(), new)
    assert diff.paths == (
        'Dhcp4.hooks-libraries[libdhcp_ha.so].parameters.high-availability[server1].peers[server2].basic-auth-password',
    )
    assert (diff.changes[0].old, diff.changes[0].new) == (REDACTED, REDACTED)
    text = diff.text()
    everything = text + repr(diff) + str(diff.changes[0]) + json.dumps([c.as_dict() for c in diff])
    assert 'secret-one' not in everything and 'secret-two' not in everything
    assert REDACTED in text


def test_removed_peer_redacts_its_password():
    new = config()
    ha = new['Dhcp4']['hooks-libraries'][0]['parameters']['high-availability'][0]
    ha['peers'] = ha['peers'][:1]
    diff = diff_configs(config(), new)
    (change,) = diff.changes
    assert change.kind == 'removed'
    assert change.old['basic-auth-password'] == REDACTED
    assert 'secret-one' not in diff.text()


def test_text_is_a_unified_diff_of_just_the_changed_parts():
    new = config(**{'valid-lifetime': 7200})
    new['Dhcp4']['subnet4'].append({'id': 2, 'subnet': '198.51.100.0/24'})
    text = diff_configs(config(), new).text('server1 running', 'server1 desired')
    lines = text.splitlines()
    assert lines[0] == '--- server1 running' and lines[1] == '+++ server1 desired'
    assert '-    "valid-lifetime": 3600' in lines and '+    "valid-lifetime": 7200' in lines
    assert '+        "subnet": "198.51.100.0/24"' in lines
    # The unchanged subnet and the HA hook are not in the text.
    assert '192.0.2.0/24' not in text and 'libdhcp_ha.so' not in text


def test_order_of_client_classes_matters_but_subnet_order_does_not():
    classes = [{'name': 'a', 'test': "option[60].hex == 'a'"}, {'name': 'b', 'test': "option[60].hex == 'b'"}]
    old = config(**{'client-classes': classes})
    new = config(**{'client-classes': classes[::-1]})
    assert diff_configs(old, new).paths == ('Dhcp4.client-classes.(order)',)
    two = [{'id': 1, 'subnet': '192.0.2.0/24'}, {'id': 2, 'subnet': '198.51.100.0/24'}]
    assert diff_configs(config(subnet4=two), config(subnet4=two[::-1])).empty


def test_family_change_is_one_change():
    diff = diff_configs({'Dhcp4': {}}, {'Dhcp6': {}})
    assert [(c.old, c.new) for c in diff] == [('Dhcp4', 'Dhcp6')]


def test_change_str():
    assert str(Change('Dhcp4.valid-lifetime', 1, ABSENT)) == 'Dhcp4.valid-lifetime: 1 -> (absent)'
