"""The `kea-ha` command line without a NetBox: the connection settings, TLS verification on by default, the exit
codes and messages of expected failures (no traceback), and no option that puts a password on the command line."""

import subprocess
import sys

import pytest

from netbox_kea_ha.cli.connection import connect, connection_from
from netbox_kea_ha.cli.errors import EXIT_UNREACHABLE, EXIT_USAGE, UsageError
from netbox_kea_ha.cli.main import build_parser, main


@pytest.fixture
def no_netbox_env(monkeypatch):
    monkeypatch.delenv('NETBOX_URL', raising=False)
    monkeypatch.delenv('NETBOX_TOKEN', raising=False)


def test_the_connection_comes_from_options_or_the_environment_and_verifies_tls(monkeypatch, no_netbox_env):
    with pytest.raises(UsageError, match='give --url or set NETBOX_URL'):
        connection_from(None, 'token', None, False, 30)
    with pytest.raises(UsageError, match='give --token or set NETBOX_TOKEN'):
        connection_from('https://netbox.example.net', None, None, False, 30)
    with pytest.raises(UsageError, match='must start with http:// or https://'):
        connection_from('netbox.example.net', 'token', None, False, 30)
    monkeypatch.setenv('NETBOX_URL', 'https://netbox.example.net')
    monkeypatch.setenv('NETBOX_TOKEN', 'nbt_a.b')
    connection = connection_from(None, None, None, False, 30)
    assert (connection.url, connection.token, connection.verify) == ('https://netbox.example.net/', 'nbt_a.b', True)
    assert connect(connection).http_session.verify is True
    assert connection_from(None, None, '/etc/ssl/ca.pem', False, 30).verify == '/etc/ssl/ca.pem'
    assert connection_from(None, None, None, True, 30).verify is False
    assert connection_from('http://127.0.0.1:8080', 'other', None, False, 30).url == 'http://127.0.0.1:8080/'


def test_no_option_takes_a_password():
    parser = build_parser()
    options = {option for action in parser._actions for option in action.option_strings}
    subparsers = next(a for a in parser._actions if a.dest == 'command').choices
    for sub in subparsers.values():
        options |= {option for action in sub._actions for option in action.option_strings}
    assert '--password-file' in options
    assert not [o for o in options if 'password' in o and o not in ('--password-file', '--update-password')]


def test_expected_failures_exit_with_their_code_and_one_line(capsys, no_netbox_env):
    assert main(['status']) == EXIT_USAGE
    assert (
        capsys.readouterr().err
        == 'kea-ha: error: no NetBox URL: give --url or set NETBOX_URL (e.g. https://netbox.example.com/)\n'
    )

    closed = 'http://127.0.0.1:1/'
    assert main(['--url', closed, '--token', 'nbt_a.b', 'import', 'kea-1']) == EXIT_UNREACHABLE
    err = capsys.readouterr().err
    assert err.startswith(f"kea-ha: error: cannot reach NetBox at {closed} (Kea server 'kea-1'): ")
    assert 'Traceback' not in err and err.count('\n') == 1

    with pytest.raises(SystemExit) as exited:
        main(['plan'])
    assert exited.value.code == EXIT_USAGE  # argparse: bad usage is 2 too


def test_the_console_script_runs_without_django(no_netbox_env):
    """`python -m netbox_kea_ha.cli.main` in a fresh interpreter where Django cannot be imported."""
    code = (
        "import sys; sys.modules['django'] = None\n"
        'from netbox_kea_ha.cli.main import main\n'
        "sys.exit(main(['--url', 'http://127.0.0.1:1/', '--token', 'x', 'status']))\n"
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert result.returncode == EXIT_UNREACHABLE, result.stderr
    assert result.stderr.startswith('kea-ha: error: cannot reach NetBox at http://127.0.0.1:1/')
