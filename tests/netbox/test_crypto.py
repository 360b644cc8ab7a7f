"""Password encryption and references (netbox_kea_ha.crypto): round trips, and clear errors that leak nothing."""

import pytest

from .base import PASSWORD
from netbox_kea_ha.crypto import SecretError, configured_key, decrypt, encrypt, read_reference, validate_reference


def test_round_trip_with_a_given_key():
    token = encrypt(PASSWORD, key='key one')
    assert PASSWORD not in token
    assert decrypt(token, key='key one') == PASSWORD


def test_each_encryption_is_salted():
    assert encrypt(PASSWORD, key='k') != encrypt(PASSWORD, key='k')


def test_wrong_key_is_a_clear_error_without_the_password():
    token = encrypt(PASSWORD, key='key one')
    with pytest.raises(SecretError) as info:
        decrypt(token, key='key two', what="the password of Kea server 's1'")
    message = str(info.value)
    assert "the password of Kea server 's1' cannot be decrypted" in message
    assert 'encryption_key' in message
    assert PASSWORD not in message and token not in message


def test_damaged_token_is_a_clear_error():
    with pytest.raises(SecretError, match='cannot be decrypted'):
        decrypt('not-a-token', key='k')


def test_non_text_password_is_refused():
    with pytest.raises(SecretError, match='must be text'):
        encrypt(1234, key='k')


def test_configured_key_is_the_plugin_setting(settings):
    assert configured_key() == settings.PLUGINS_CONFIG['netbox_kea_ha']['encryption_key']
    token = encrypt(PASSWORD)
    assert decrypt(token, key=settings.PLUGINS_CONFIG['netbox_kea_ha']['encryption_key']) == PASSWORD


def test_configured_key_falls_back_to_secret_key(settings):
    settings.PLUGINS_CONFIG = {**settings.PLUGINS_CONFIG, 'netbox_kea_ha': {'encryption_key': None}}
    assert configured_key() == settings.SECRET_KEY


@pytest.mark.parametrize(
    'reference, message',
    [
        ('env:', 'needs an environment variable name'),
        ('env:1BAD', 'needs an environment variable name'),
        ('file:relative/path', 'needs an absolute path'),
        ('vault:kea', 'env:VARIABLE or file:/absolute/path'),
        ('plain-password', 'env:VARIABLE or file:/absolute/path'),
    ],
)
def test_bad_references_are_named(reference, message):
    with pytest.raises(SecretError, match=message):
        validate_reference(reference)


def test_a_password_typed_as_a_reference_is_not_shown_back():
    with pytest.raises(SecretError) as error:
        validate_reference(PASSWORD)
    assert PASSWORD not in str(error.value)
    assert 'not shown back' in str(error.value)


def test_env_reference(monkeypatch):
    monkeypatch.setenv('KEA_HA_TEST_PW', PASSWORD)
    assert read_reference(' env:KEA_HA_TEST_PW ') == PASSWORD


def test_missing_env_variable_is_named(monkeypatch):
    monkeypatch.delenv('KEA_HA_TEST_MISSING', raising=False)
    with pytest.raises(SecretError, match='KEA_HA_TEST_MISSING .* is not set on the NetBox host'):
        read_reference('env:KEA_HA_TEST_MISSING')


def test_file_reference_drops_one_line_break(tmp_path):
    path = tmp_path / 'kea.pw'
    path.write_text(PASSWORD + '\n')
    assert read_reference(f'file:{path}') == PASSWORD


def test_missing_file_is_named(tmp_path):
    missing = tmp_path / 'nope.pw'
    with pytest.raises(SecretError) as info:
        read_reference(f'file:{missing}')
    assert str(missing) in str(info.value) and 'No such file' in str(info.value)
