"""What a finished job found, in a few lines, from its data (the job log has the rest): an import's objects, a
plan's or sync's outcome per peer (a plan with its diffs), a status run's servers, an operation's states."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .jobs import JobView

__all__ = ('summarise',)


def summarise(job: JobView) -> list[str]:
    """Lines describing the job's data (none when it has none the command knows)."""
    data = job.data if isinstance(job.data, dict) else {}
    if 'this_server_names' in data:
        return _import(data)
    if 'dry_run' in data and 'peers' in data:
        return _sync(data)
    if 'servers' in data and 'changed' in data:
        return [f'  {line}' for line in data.get('servers') or []]
    if 'operation' in data and 'states' in data:
        states = ', '.join(f'{name} {state}' for name, state in (data.get('states') or {}).items())
        return [f'  {data.get("operation")} of {data.get("peer")}: ' + (states or 'no states read')]
    return []


def _import(data: dict[str, Any]) -> list[str]:
    lines = []
    for key in ('created', 'updated', 'unchanged', 'deleted', 'unassigned', 'left_alone', 'findings'):
        items = data.get(key) or []
        if items:
            lines.append(f'  {key.replace("_", " ")}: {", ".join(str(i) for i in items)}')
    return lines


def _sync(data: dict[str, Any]) -> list[str]:
    lines = []
    if data.get('message'):
        lines.append(f'  {data["message"]}')
    refused = (data.get('rollout') or {}).get('refused')
    if refused:
        lines.append(f'  refused: {refused}')
    for peer in data.get('peers') or []:
        how = f', {peer["method"]}' if peer.get('method') else ''
        lines.append(f'  {peer.get("name")} ({peer.get("server")}, {peer.get("role")}): {peer.get("outcome")}{how}')
        if peer.get('error'):
            lines.append(f'    error: {peer["error"]}')
        if data.get('dry_run') and peer.get('diff'):
            lines.extend(f'    {line}' for line in str(peer['diff']).splitlines())
    return lines
