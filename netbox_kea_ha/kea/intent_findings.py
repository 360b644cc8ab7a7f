"""
Every finding for a relationship as NetBox intends it (`relationship_findings`), from the `Intent` values alone:

* Kea's rules on the relationship (`validate.validate_relationship`), once per Kea version among its servers, each
  time as the first server of that version sees it;
* Kea's rules on the whole `high-availability` list of each of its servers that is also in other relationships
  (hub and spoke: `validate.validate_relationships`), less what the single-relationship rules already say.

A server whose Kea version is not known yet is checked against Kea 2.2 and Kea 3.0 (`PROBE_VERSIONS`): an error
both refuse stays an error; an error only one of them refuses becomes a warning that says so. Each finding names
the peer it concerns, and, for a hub's list, the server and the other relationship.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .findings import Finding, Severity
from .ha import KeaVersion, Relationship
from .intent import Intent, RelationshipIntent
from .validate import validate_relationship, validate_relationships

__all__ = (
    'PROBE_VERSIONS',
    'relationship_findings',
)

#: The oldest and newest Kea a server of unknown version is checked against.
PROBE_VERSIONS = (KeaVersion(2, 2, 0), KeaVersion(3, 0, 0))

type _Run = Callable[[KeaVersion], list[Finding]]


def _at_version(run: _Run, version: KeaVersion | None) -> list[Finding]:
    """`run` for a known version; for an unknown one, merged over PROBE_VERSIONS (see the module docstring)."""
    if version is not None:
        return run(version)
    results = [(probe, run(probe)) for probe in PROBE_VERSIONS]
    error_keys = [{(f.code, f.path) for f in found if f.is_error} for _, found in results]
    common_errors = set.intersection(*error_keys)
    seen: set[tuple[Severity, str, tuple[str | int, ...]]] = set()
    merged = []
    for probe, found in results:
        for finding in found:
            if finding.is_error and (finding.code, finding.path) not in common_errors:
                finding = replace(
                    finding,
                    severity=Severity.WARNING,
                    message=f"{finding.message} [an error with Kea {probe.major}.{probe.minor}; the server's Kea "
                    'version is not known yet]',
                )
            key = (finding.severity, finding.code, finding.path)
            if key not in seen:
                seen.add(key)
                merged.append(finding)
    return merged


def _relationship_rules(intent: Intent, rel: RelationshipIntent) -> list[Finding]:
    perspectives: dict[KeaVersion | None, int | None] = {}
    for server in rel.servers:
        perspectives.setdefault(intent.servers[server].version, server)
    if not perspectives:
        perspectives[None] = None
    names = rel.peer_names
    findings: list[Finding] = []
    seen: set[tuple[Severity, tuple[str | int, ...], str, str]] = set()
    for version, perspective in perspectives.items():
        value = rel.value if perspective is None else rel.seen_by(perspective)

        def run(probe: KeaVersion, value: Relationship = value) -> list[Finding]:
            return [f.named(names) for f in validate_relationship(value, version=probe)]

        for finding in _at_version(run, version):
            if not rel.servers and finding.path == ('this-server-name',):
                # No peer yet: nobody to be. That is "not finished", not wrong.
                finding = replace(finding, incomplete=True)
            key = (finding.severity, finding.path, finding.code, finding.message)
            if key not in seen:
                seen.add(key)
                findings.append(finding)
    return findings


def _server_rules(intent: Intent, rel: RelationshipIntent, server: int) -> list[Finding]:
    """Findings about `server`'s whole HA list when it is in other relationships too; none for one entry."""
    entries = intent.of_server(server)
    if len(entries) < 2:
        return []
    values = [entry.seen_by(server) for entry in entries]
    name = intent.servers[server].name

    def run(probe: KeaVersion) -> list[Finding]:
        single = {
            (f.code, (i, f.path)) for i, value in enumerate(values) for f in validate_relationship(value, version=probe)
        }
        out = []
        for finding in validate_relationships(values, version=probe):
            index = finding.relationship_index
            inner = finding.in_relationship()
            if index is not None and (finding.code, (index, inner.path)) in single:
                continue
            if index is None:
                out.append(finding.named(server=name))
                continue
            entry = entries[index]
            other = None if entry.key == rel.key else entry.name
            out.append(inner.named(entry.peer_names, server=name, relationship=other))
        return out

    return _at_version(run, intent.servers[server].version)


def relationship_findings(intent: Intent, key: int) -> list[Finding]:
    """Every finding for the relationship `key` of `intent` (see the module docstring)."""
    rel = intent.relationships[key]
    findings = _relationship_rules(intent, rel)
    for server in rel.servers:
        findings.extend(_server_rules(intent, rel, server))
    return findings
