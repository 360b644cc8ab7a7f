"""`kea-ha` verifies NetBox's TLS certificate by default: against a self-signed HTTPS server on 127.0.0.1 it refuses
(exit 3, naming the failure and the way out), `--ca-file` with that certificate trusts it, `--insecure` skips the
check with a warning. The server answers every request as NetBox does a refused token (403)."""

import json
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from netbox_kea_ha.cli.errors import EXIT_UNREACHABLE
from netbox_kea_ha.cli.main import main


class _Refusing(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = json.dumps({'detail': 'Invalid v2 token'}).encode()
        self.send_response(403)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def https_server(tmp_path_factory):
    """An HTTPS server on a free 127.0.0.1 port with a self-signed certificate for 127.0.0.1: (url, cert path)."""
    folder = tmp_path_factory.mktemp('tls')
    cert, key = folder / 'cert.pem', folder / 'key.pem'
    subprocess.run(
        ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
         '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', str(key), '-out', str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = HTTPServer(('127.0.0.1', 0), _Refusing)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f'https://127.0.0.1:{server.server_address[1]}/', cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_tls_is_verified_unless_told_otherwise(https_server, capsys, monkeypatch):
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)
    url, cert = https_server
    command = ['--url', url, '--token', 'nbt_a.b', 'import', 'kea-1']

    assert main(command) == EXIT_UNREACHABLE
    err = capsys.readouterr().err
    assert err.startswith(f'kea-ha: error: TLS verification of NetBox at {url} failed: ')
    assert err.rstrip().endswith('(give --ca-file with its CA bundle, or --insecure)')

    assert main(['--ca-file', str(cert), *command]) == EXIT_UNREACHABLE
    err = capsys.readouterr().err
    assert err == "kea-ha: error: NetBox refused the request (Kea server 'kea-1'): Invalid v2 token (HTTP 403)\n"

    assert main(['--insecure', *command]) == EXIT_UNREACHABLE
    err = capsys.readouterr().err
    assert f"kea-ha: warning: not verifying NetBox's TLS certificate ({url})" in err
    assert 'Invalid v2 token (HTTP 403)' in err
