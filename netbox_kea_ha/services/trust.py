"""
Where a relationship's secrets may go: the checks a push makes before it sends anything, and the same facts as
findings for the relationship page (docs/security.md).

A pushed config carries the passwords of every relationship of the server it goes to (its peers'
`basic-auth-password`s, the secrets replicated from the primary). It goes to the server's control endpoint, so a
push needs that endpoint to be confirmed in each of those relationships (`HAPeer.endpoint_confirmed`); each
password must still be bound to where it goes (`SecretsMixin.secret_problem`). No network I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..kea.findings import Finding, Severity
from .intent import Loaded

if TYPE_CHECKING:
    from ..models import HAPeer

__all__ = (
    'secret_findings',
    'unconfirmed_endpoints',
)


def _unconfirmed_text(peer: HAPeer) -> str:
    return (
        f'the control endpoint of {peer.server} ({peer.server.control_destination}) is not confirmed for '
        f'relationship {peer.relationship}: it changed since peer {peer.effective_name!r} was last saved. Check it, '
        'then save the peer (or the server) as a user who may change the peer'
    )


def unconfirmed_endpoints(loaded: Loaded, servers: Iterable[int]) -> list[str]:
    """Why a push to `servers` (keys) must not start: for each server, each of its relationships whose peer for that
    server has not confirmed its control endpoint. `loaded` holds every relationship of those servers."""
    problems = []
    for server in servers:
        for rel in loaded.intent.servers[server].relationships:
            peer = loaded.peers[(rel, server)]
            if not peer.endpoint_confirmed:
                problems.append(_unconfirmed_text(peer))
    return problems


def secret_findings(peers: Iterable[HAPeer]) -> list[Finding]:
    """Errors that stop a sync until someone acts: passwords withdrawn or bound elsewhere, control endpoints not
    confirmed. Reads nothing secret."""
    findings = []
    for peer in peers:
        name = peer.effective_name
        for problem in (peer.secret_problem('basic_auth_password'), peer.server.secret_problem('password')):
            if problem:
                findings.append(_finding('netbox.secret-unbound', problem, name))
        if not peer.endpoint_confirmed:
            findings.append(_finding('netbox.endpoint-unconfirmed', _unconfirmed_text(peer), name))
    return findings


def _finding(code: str, message: str, peer: str) -> Finding:
    return Finding(Severity.ERROR, (), f'{message} (a sync refuses until then)', code, peer=peer)
