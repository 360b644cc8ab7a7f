"""
`kea-ha register` reads where a Kea server takes commands from Kea's own config files (netbox_kea_ha/cli/kea_files):
comments allowed, the Control Agent's or the Kea 3.0 socket's basic auth, passwords from files, errors naming the
file.
"""

import json

import pytest

from netbox_kea_ha.cli.errors import UsageError
from netbox_kea_ha.cli.kea_files import (
    endpoint_from_agent,
    endpoint_from_server,
    endpoint_from_url,
    read_password_file,
    strip_comments,
)

AGENT = """
// the Control Agent of kea-1
{
  "Control-agent": {
    "http-host": "192.0.2.10",   # its address
    "http-port": 8001,
    /* two clients */
    "authentication": {
      "type": "basic",
      "realm": "kea",
      "directory": "creds",
      "clients": [
        {"user": "kea-api", "password-file": "kea-api.pw"},
        {"user": "other", "password": "other-pw"}
      ]
    },
    "control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": "/run/kea/kea4-ctrl-socket"}}
  }
}
"""

DHCP4 = {
    'Dhcp4': {
        'hooks-libraries': [
            {
                'library': '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so',
                'parameters': {'high-availability': [{'this-server-name': 'server1', 'peers': []}]},
            }
        ],
        'control-sockets': [
            {'socket-type': 'unix', 'socket-name': '/run/kea/kea4-ctrl-socket'},
            {
                'socket-type': 'http',
                'socket-address': '192.0.2.20',
                'socket-port': 8004,
                'authentication': {'type': 'basic', 'clients': [{'user': 'api', 'password': 'socket-secret'}]},
            },
        ],
    }
}


@pytest.fixture
def agent(tmp_path):
    (tmp_path / 'creds').mkdir()
    (tmp_path / 'creds' / 'kea-api.pw').write_text('file-secret\n')
    path = tmp_path / 'kea-ctrl-agent.conf'
    path.write_text(AGENT)
    return path


def test_comments_go_strings_stay():
    text = '{"a": "x # not a comment // nor this /* */", # gone\n "b": 1 // gone\n /* gone */}'
    assert json.loads(strip_comments(text)) == {'a': 'x # not a comment // nor this /* */', 'b': 1}


def test_a_control_agent_config_gives_the_endpoint_and_the_first_client_with_its_password_file(agent):
    endpoint = endpoint_from_agent(agent)
    assert (endpoint.url, endpoint.kind, endpoint.family) == ('http://192.0.2.10:8001/', 'agent', 'dhcp4')
    assert (endpoint.user, endpoint.password) == ('kea-api', 'file-secret')
    assert 'file-secret' not in repr(endpoint)
    assert endpoint_from_agent(agent, user='other').password == 'other-pw'
    with pytest.raises(UsageError, match="has no authentication client 'nobody' \\(known: 'kea-api', 'other'\\)"):
        endpoint_from_agent(agent, user='nobody')
    with pytest.raises(UsageError, match='serves dhcp4, not dhcp6'):
        endpoint_from_agent(agent, family='dhcp6')


def test_the_dhcp_config_adds_the_ha_name_or_is_the_endpoint_on_kea_3(agent, tmp_path):
    config = tmp_path / 'kea-dhcp4.conf'
    config.write_text(json.dumps(DHCP4))
    both = endpoint_from_server(config, base=endpoint_from_agent(agent))
    assert (both.url, both.server_names, both.user) == ('http://192.0.2.10:8001/', ('server1',), 'kea-api')
    socket = endpoint_from_server(config)
    assert (socket.url, socket.kind, socket.user, socket.password) == (
        'http://192.0.2.20:8004/',
        'server',
        'api',
        'socket-secret',
    )


def test_files_that_cannot_serve_are_refused_naming_them(tmp_path):
    with pytest.raises(UsageError, match='cannot read the Kea config file /nonexistent.conf'):
        endpoint_from_agent('/nonexistent.conf')
    included = tmp_path / 'included.conf'
    included.write_text('{"Control-agent": <?include "/etc/kea/agent.json"?>}')
    with pytest.raises(UsageError, match=f'{included} uses <\\?include \\?>'):
        endpoint_from_agent(included)
    broken = tmp_path / 'broken.conf'
    broken.write_text('{"Control-agent": {')
    with pytest.raises(UsageError, match=f'{broken} is not a Kea config'):
        endpoint_from_agent(broken)
    dhcp = tmp_path / 'kea-dhcp4.conf'
    dhcp.write_text('{"Dhcp4": {}}')
    with pytest.raises(UsageError, match='has no Control-agent section'):
        endpoint_from_agent(dhcp)
    with pytest.raises(UsageError, match='has no HTTP control socket'):
        endpoint_from_server(dhcp)


def test_a_control_url_never_holds_credentials(tmp_path):
    assert endpoint_from_url('https://kea.example.net/').port == 443
    assert endpoint_from_url('http://[2001:db8::1]:8000/').url == 'http://[2001:db8::1]:8000/'
    with pytest.raises(UsageError, match='must not hold credentials'):
        endpoint_from_url('http://api:secret@192.0.2.1:8000/')
    with pytest.raises(UsageError, match='must be http'):
        endpoint_from_url('ftp://192.0.2.1/')
    empty = tmp_path / 'empty.pw'
    empty.write_text('\n')
    with pytest.raises(UsageError, match='is empty'):
        read_password_file(empty)
