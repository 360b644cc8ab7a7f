"""
Where a relationship's secrets may go: the checks a push makes before it sends anything, and the same facts as
findings for the relationship page (docs/security.md).

A pushed config carries the passwords of every relationship of the server it goes to (its peers'
`basic-auth-password`s, the secrets replicated from the primary). It goes to the server's control endpoint, so a
push needs that endpoint to be confirmed in each of those relationships (`HAPeer.endpoint_confirmed`); each
password must still be bound to where it goes (`SecretsMixin.secret_problem`). No network I/O.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from .validation import FindingView

__all__ = (
    'secret_findings',
    'unconfirmed_endpoints',
)


def _unconfirmed_text(peer: Any, relationship: Any) -> str:
    return (
        f'the control endpoint of {peer.server} ({peer.server.control_destination}) is not confirmed for '
        f'relationship {relationship}: it changed since peer {peer.effective_name!r} was last saved. Check it, then '
        'save the peer (or the server) as a user who may change the peer'
    )


def unconfirmed_endpoints(servers: Iterable[Any], relationships: Mapping[int, Iterable[Any]]) -> list[str]:
    """Why a push to `servers` must not start: for each server, each of its relationships (`relationships`: by
    server id, with their peers loaded) whose peer for that server has not confirmed its control endpoint."""
    problems = []
    for server in servers:
        for relationship in relationships.get(server.pk, ()):
            for peer in relationship.peers.all():
                if peer.server_id == server.pk and not peer.endpoint_confirmed:
                    problems.append(_unconfirmed_text(peer, relationship))
    return problems


def secret_findings(relationship: Any, peers: Iterable[Any]) -> list[FindingView]:
    """Errors that stop a sync of `relationship` until someone acts: passwords withdrawn or bound elsewhere, control
    endpoints not confirmed. Reads nothing secret."""
    findings = []
    for peer in peers:
        name = peer.effective_name
        if problem := peer.secret_problem('basic_auth_password'):
            findings.append(_finding('netbox.secret-unbound', problem, peer=name))
        if problem := peer.server.secret_problem('password'):
            findings.append(_finding('netbox.secret-unbound', problem, peer=name))
        if not peer.endpoint_confirmed:
            findings.append(_finding('netbox.endpoint-unconfirmed', _unconfirmed_text(peer, relationship), peer=name))
    return findings


def _finding(code: str, message: str, peer: str) -> FindingView:
    message = f'{message} (a sync refuses until then)'
    return FindingView(severity='error', field='', message=message, code=code, peer=peer)
