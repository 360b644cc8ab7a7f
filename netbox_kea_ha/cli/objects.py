"""The plugin's objects by name (or id), with errors that name what was asked and what NetBox knows."""

from __future__ import annotations

from itertools import islice
from typing import Any

from .errors import UsageError
from .session import Session

__all__ = (
    'find_peer',
    'find_relationship',
    'find_server',
    'find_snapshot',
    'known_names',
)


def known_names(endpoint: Any, limit: int = 10) -> str:
    """Up to `limit` names of `endpoint`'s objects, for an error message ('none' when there are none)."""
    names = [str(record) for record in islice(endpoint.filter(brief=1), limit)]
    return ', '.join(names) or 'none'


def _by_name_or_id(session: Session, endpoint: Any, kind: str, value: str) -> Any:
    with session.asking(f'{kind} {value!r}'):
        found = list(endpoint.filter(name=value))
        if not found and value.isdigit():
            record = endpoint.get(int(value))
            found = [record] if record is not None else []
        if len(found) == 1:
            return found[0]
        if found:
            raise UsageError(f'several {kind}s are named {value!r}: give the id')
        raise UsageError(f'no {kind} named {value!r} in NetBox (known: {known_names(endpoint)})')


def find_server(session: Session, value: str) -> Any:
    """A Kea server by name or id."""
    return _by_name_or_id(session, session.kea_ha.servers, 'Kea server', value)


def find_relationship(session: Session, value: str) -> Any:
    """An HA relationship by name or id."""
    return _by_name_or_id(session, session.kea_ha.relationships, 'HA relationship', value)


def find_snapshot(session: Session, value: str) -> Any:
    """A config snapshot by id."""
    if not value.isdigit():
        raise UsageError(f'a config snapshot is named by its id (a number), not {value!r}')
    with session.asking(f'config snapshot {value}'):
        record = session.kea_ha.snapshots.get(int(value))
    if record is None:
        raise UsageError(f'no config snapshot {value} in NetBox')
    return record


def find_peer(session: Session, value: str, relationship: Any = None) -> Any:
    """
    The HA peer `value` names: the only peer of the Kea server of that name or id (in `relationship` when given),
    else a peer by its name in its relationship. UsageError naming what is unknown or ambiguous.
    """
    peers = session.kea_ha.peers
    where = f' of relationship {relationship}' if relationship is not None else ''
    filters = {'relationship_id': relationship.id} if relationship is not None else {}
    with session.asking(f'HA peer {value!r}{where}'):
        servers = list(session.kea_ha.servers.filter(name=value))
        if not servers and value.isdigit():
            server = session.kea_ha.servers.get(int(value))
            servers = [server] if server is not None else []
        if servers:
            found = list(peers.filter(server_id=servers[0].id, **filters))
        else:
            found = [p for p in peers.filter(**filters) if str(getattr(p, 'effective_name', '')) == value]
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(f'no Kea server or HA peer{where} named {value!r}')
    names = ', '.join(str(getattr(p, 'relationship', '')) for p in found)
    raise UsageError(f'{value!r} is a peer of several relationships ({names}): give --relationship')
