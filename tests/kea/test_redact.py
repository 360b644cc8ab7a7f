"""redact_secrets: every secret value hidden, at any depth, in maps, lists, tuples and ha.py's values."""

from __future__ import annotations

import copy

from netbox_kea_ha.kea.ha import SECRET_KEYS, Peer, Relationship
from netbox_kea_ha.kea.redact import REDACTED, is_secret_key, redact_secrets


def test_nested_config() -> None:
    """Passwords of HA peers, Control Agent / control-socket clients, databases and TSIG keys; nothing else."""
    config = {
        'Dhcp4': {
            'lease-database': {'type': 'postgresql', 'user': 'kea', 'password': 'db-pw'},
            'control-sockets': [
                {'socket-type': 'http', 'authentication': {'clients': [{'user': 'api', 'password': 'api-pw'}]}}
            ],
            'hooks-libraries': [
                {
                    'library': 'libdhcp_ha.so',
                    'parameters': {
                        'high-availability': [
                            {
                                'this-server-name': 'server1',
                                'peers': [
                                    {'name': 'server1', 'basic-auth-user': 'ha', 'basic-auth-password': 'ha-pw'},
                                    {'name': 'server2', 'basic-auth-password-file': '/etc/kea/peer.pw'},
                                ],
                            }
                        ]
                    },
                }
            ],
        },
        'DhcpDdns': {'tsig-keys': [{'name': 'k', 'algorithm': 'HMAC-SHA256', 'secret': 'tsig-secret'}]},
    }
    original = copy.deepcopy(config)
    shown = redact_secrets(config)
    assert config == original, 'the input must not change'
    text = repr(shown)
    for secret in ('db-pw', 'api-pw', 'ha-pw', 'tsig-secret'):
        assert secret not in text
    assert shown['Dhcp4']['lease-database'] == {'type': 'postgresql', 'user': 'kea', 'password': REDACTED}
    rel = shown['Dhcp4']['hooks-libraries'][0]['parameters']['high-availability'][0]
    assert rel['peers'][0] == {'name': 'server1', 'basic-auth-user': 'ha', 'basic-auth-password': REDACTED}
    assert rel['peers'][1] == {'name': 'server2', 'basic-auth-password-file': '/etc/kea/peer.pw'}
    assert shown['DhcpDdns']['tsig-keys'][0]['secret'] == REDACTED


def test_lists_tuples_scalars_and_none() -> None:
    """Tuples stay tuples, scalars pass through, a secret that is None stays None (nothing to hide)."""
    assert redact_secrets(({'password': 'x'}, [{'password': None}], 5, 'text')) == (
        {'password': REDACTED},
        [{'password': None}],
        5,
        'text',
    )
    assert redact_secrets('password') == 'password'


def test_relationship_and_peer_values() -> None:
    """ha.py's frozen values: a new value with the password replaced; the original keeps it."""
    peer = Peer('server2', 'http://127.0.0.1:8001/', 'secondary', basic_auth_user='ha', basic_auth_password='pw')
    rel = Relationship('server1', 'load-balancing', (peer,), {'heartbeat-delay': 1000})
    shown = redact_secrets(rel)
    assert isinstance(shown, Relationship)
    assert shown.peers[0].basic_auth_password == REDACTED
    assert shown.peers[0].basic_auth_user == 'ha'
    assert shown.to_kea()['peers'][0]['basic-auth-password'] == REDACTED
    assert rel.peers[0].basic_auth_password == 'pw'
    assert shown.parameters == {'heartbeat-delay': 1000}


def test_secret_keys() -> None:
    """Map keys and attribute spellings of every SECRET_KEYS entry count; look-alikes do not."""
    for key in SECRET_KEYS:
        assert is_secret_key(key) and is_secret_key(key.replace('-', '_').upper())
    for key in ('basic-auth-password-file', 'password-file', 'user', 'secret-file', None, 5):
        assert not is_secret_key(key)
