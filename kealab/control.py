"""The lab's own minimal way to send a Kea command, independent of the client under test.

`http_command` posts to a Control Agent (or a server's HTTP control socket); `unix_command` talks to a server's
unix control socket directly. Both return the first answer map (`{"result": 0, "text": ..., "arguments": ...}`).
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

__all__ = ('http_command', 'unix_command')


def http_command(
    url: str,
    command: str,
    arguments: Mapping[str, Any] | None = None,
    *,
    service: str | None = None,
    auth: tuple[str, str] | None = None,
    verify: ssl.SSLContext | bool = True,
    timeout: float = 5.0,
) -> dict[str, Any]:
    """Post one command and return the first answer. Raises httpx errors and ValueError for odd answers."""
    body: dict[str, Any] = {'command': command}
    if service:
        body['service'] = [service]
    if arguments is not None:
        body['arguments'] = dict(arguments)
    response = httpx.post(url, json=body, auth=auth, verify=verify, timeout=timeout)
    answer = response.json()
    if isinstance(answer, list):
        if not answer:
            raise ValueError(f'{url}: empty answer to {command}')
        answer = answer[0]
    if not isinstance(answer, dict):
        raise ValueError(f'{url}: unexpected answer to {command}: {answer!r:.200}')
    return answer


def unix_command(
    path: Path | str, command: str, arguments: Mapping[str, Any] | None = None, *, timeout: float = 5.0
) -> dict[str, Any]:
    """Send one command over a Kea unix control socket and return the answer map."""
    body: dict[str, Any] = {'command': command}
    if arguments is not None:
        body['arguments'] = dict(arguments)
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(json.dumps(body).encode())
        data = b''
        while True:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            if chunk:
                data += chunk
                try:
                    answer = json.loads(data)
                except ValueError:
                    continue
                break
            answer = json.loads(data)  # EOF: what came must be the whole answer
            break
    if isinstance(answer, list):
        answer = answer[0]
    if not isinstance(answer, dict):
        raise ValueError(f'{path}: unexpected answer to {command}: {answer!r:.200}')
    return answer
