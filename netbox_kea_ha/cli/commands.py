"""The subcommands that start the plugin's jobs (import, plan, sync, status, restore, operate), `render` and
`leases` (a look-up NetBox makes while you wait)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .connection import request_error_text
from .errors import CLIError, NetBoxRefused, UsageError
from .jobs import JobView, enqueue_action, enqueue_fleet_status, finish, follow
from .objects import find_peer, find_relationship, find_server, find_snapshot
from .output import plain
from .session import Session

__all__ = (
    'LEASE_KEYS',
    'import_server',
    'leases',
    'operate',
    'plan',
    'render',
    'restore',
    'status',
    'sync',
)


def _run(
    session: Session, jobs: list[JobView], wait: bool, after: Callable[[], dict[str, Any]] | None = None
) -> list[JobView]:
    """Follow each job with `wait`, then print the results (and what `after` adds to them); JobFailedError when a
    job did not complete."""
    if wait:
        jobs = [follow(session, job) for job in jobs]
    finish(session, jobs, wait, after() if after is not None else None)
    return jobs


def import_server(session: Session, args: Any) -> None:
    """`kea-ha import SERVER`: read what the server runs and create or update its relationships in NetBox."""
    server = find_server(session, args.server)
    job = enqueue_action(session, server, 'import', {}, f'import of Kea server {server}')
    _run(session, [job], args.wait)


def plan(session: Session, args: Any) -> None:
    """`kea-ha plan RELATIONSHIP`: a dry-run sync: what each peer would get; nothing is sent."""
    relationship = find_relationship(session, args.relationship)
    body = {'dry_run': True, 'allow_disruptive': bool(args.allow_disruptive)}
    job = enqueue_action(session, relationship, 'sync', body, f'plan of HA relationship {relationship}')
    _run(session, [job], args.wait)


def sync(session: Session, args: Any) -> None:
    """`kea-ha sync RELATIONSHIP... | --all`: push each relationship's desired configs safely."""
    if bool(args.relationships) == bool(args.all):
        raise UsageError('name the relationships to sync, or give --all (not both)')
    if args.all:
        with session.asking('the HA relationships'):
            relationships = list(session.kea_ha.relationships.all())
        if not relationships:
            raise UsageError('NetBox has no HA relationship to sync')
    else:
        relationships = [find_relationship(session, value) for value in args.relationships]
    body = {'dry_run': False, 'allow_disruptive': bool(args.allow_disruptive)}
    jobs = [enqueue_action(session, r, 'sync', body, f'sync of HA relationship {r}') for r in relationships]
    _run(session, jobs, args.wait)


def _peer_states(session: Session, relationship_ids: list[int] | None) -> list[dict[str, Any]]:
    """Every peer of the relationships (all with None) with its HA state as NetBox recorded it."""
    with session.asking('the HA peers'):
        if relationship_ids is None:
            records = list(session.kea_ha.peers.all())
        elif relationship_ids:
            records = list(session.kea_ha.peers.filter(relationship_id=relationship_ids))
        else:
            records = []
    rows = []
    for record in records:
        peer = plain(record)

        def value(key: str, peer: dict[str, Any] = peer) -> Any:
            item = peer.get(key)
            return item.get('value') if isinstance(item, dict) else item

        rows.append(
            {
                'relationship': (peer.get('relationship') or {}).get('name'),
                'peer': peer.get('effective_name'),
                'server': (peer.get('server') or {}).get('name'),
                'role': value('role'),
                'ha_state': value('ha_state') or None,
                'partner_state': value('partner_state') or None,
                'reachable': peer.get('reachable'),
                'scopes': peer.get('scopes'),
            }
        )
    return sorted(rows, key=lambda r: (str(r['relationship']), str(r['peer'])))


def status(session: Session, args: Any) -> None:
    """`kea-ha status [SERVER...] [--relationship R...]`: read the HA state and drift (every server by default),
    then show each peer's state."""
    jobs: list[JobView] = []
    ids: list[int] | None = None
    if args.servers or args.relationship:
        ids = []
        for value in args.servers:
            server = find_server(session, value)
            jobs.append(enqueue_action(session, server, 'status', {}, f'status of Kea server {server}'))
            with session.asking(f'the relationships of Kea server {server}'):
                ids += [r.id for r in session.kea_ha.relationships.filter(server_id=server.id)]
        for value in args.relationship:
            relationship = find_relationship(session, value)
            jobs.append(enqueue_action(session, relationship, 'status', {}, f'status of {relationship}'))
            ids.append(relationship.id)
    else:
        jobs.append(enqueue_fleet_status(session))

    def after() -> dict[str, Any]:
        if not args.wait:
            return {}
        rows = _peer_states(session, sorted(set(ids)) if ids is not None else None)
        for row in rows:
            session.out.line(
                f'{row["relationship"]}: {row["peer"]} ({row["server"]}, {row["role"]}): {row["ha_state"] or "unknown"}'
                + (f', partner {row["partner_state"]}' if row['partner_state'] else '')
            )
        return {'peers': rows}

    _run(session, jobs, args.wait, after)


def restore(session: Session, args: Any) -> None:
    """`kea-ha restore SNAPSHOT`: push a config snapshot back (its `before` config, or `--after`)."""
    snapshot = find_snapshot(session, args.snapshot)
    body = {'which': 'after' if args.after else 'before'}
    job = enqueue_action(session, snapshot, 'restore', body, f'restore of config snapshot {snapshot.id}')
    _run(session, [job], args.wait)


def operate(session: Session, args: Any) -> None:
    """`kea-ha operate PEER OPERATION`: an HA operation on a peer (maintenance, resync, scopes, continue, reset)."""
    relationship = find_relationship(session, args.relationship) if args.relationship else None
    peer = find_peer(session, args.peer, relationship)
    body: dict[str, Any] = {'operation': args.operation}
    for key in ('source', 'max_period', 'scopes'):
        if getattr(args, key) is not None:
            body[key] = getattr(args, key)
    job = enqueue_action(session, peer, 'operate', body, f'{args.operation} of HA peer {args.peer}')
    _run(session, [job], args.wait)


def render(session: Session, args: Any) -> None:
    """`kea-ha render RELATIONSHIP`: each peer's rendered `hooks-libraries` block (redacted) and the findings."""
    from pynetbox.core.endpoint import DetailEndpoint

    relationship = find_relationship(session, args.relationship)
    with session.asking(f'the rendered blocks of HA relationship {relationship}'):
        answer: dict[str, Any] = next(iter(DetailEndpoint(relationship, 'render').list()), {})
    out = session.out
    if out.json_mode:
        out.result(answer)
        return
    for finding in answer.get('findings') or []:
        out.line(f'{finding.get("severity")}: {finding.get("field")}: {finding.get("message")}')
    for entry in answer.get('servers') or []:
        server = (entry.get('server') or {}).get('name')
        out.line(f'# {server}')
        if entry.get('error'):
            out.line(f'  not rendered: {entry["error"]}')
            continue
        out.line(json.dumps({'hooks-libraries': entry.get('hooks_libraries')}, indent=2))
        for finding in entry.get('findings') or []:
            out.line(f'  {finding.get("severity")}: {finding.get("field")}: {finding.get("message")}')


#: `kea-ha leases` options and the search key each stands for (docs/leases.md).
LEASE_KEYS = {'ip': 'ip-address', 'mac': 'hw-address', 'client_id': 'client-id', 'hostname': 'hostname', 'duid': 'duid'}


def leases(session: Session, args: Any) -> None:
    """`kea-ha leases RELATIONSHIP --ip/--mac/--client-id/--hostname/--duid VALUE [--compare]`: who holds what, read
    from whichever peer answers (NetBox asks Kea while you wait, each server bounded by its lease_timeout)."""
    import pynetbox
    from pynetbox.core.endpoint import DetailEndpoint

    given = [(option, getattr(args, option)) for option in LEASE_KEYS if getattr(args, option)]
    if len(given) != 1:
        raise UsageError('give exactly one of --ip, --mac, --client-id, --hostname, --duid')
    option, value = given[0]
    relationship = find_relationship(session, args.relationship)
    query = {'key': LEASE_KEYS[option], 'value': value, 'compare': 'true' if args.compare else 'false'}
    what = f'the leases of HA relationship {relationship} by {LEASE_KEYS[option]} {value}'
    try:
        with session.asking(what):
            answer: dict[str, Any] = next(iter(DetailEndpoint(relationship, 'leases').list(**query)), {})
    except NetBoxRefused as exc:
        cause = exc.__context__
        if isinstance(cause, pynetbox.RequestError) and cause.req.status_code == 503:
            raise CLIError(
                f'no Kea server of HA relationship {relationship} answered: {request_error_text(cause)}'
            ) from None
        raise
    out = session.out
    if out.json_mode:
        out.result(answer)
        return
    found = answer.get('leases') or []
    out.line(f'{len(found)} lease(s), from {answer.get("source")}')
    for lease in found:
        holder = lease.get('hw-address') or lease.get('duid') or lease.get('client-id') or ''
        out.line(
            f'{lease.get("ip-address")}  {holder}  {lease.get("hostname") or "-"}  {lease.get("state-label")}  '
            f'expires {lease.get("expires")}'
        )
    for item in answer.get('unanswered') or []:
        out.line(f'not asked or did not answer: {item}')
    for diff in answer.get('differences') or []:
        out.line(f'differs on {diff.get("partner")}: {diff.get("ip_address")} ({diff.get("kind")})')
