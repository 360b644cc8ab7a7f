"""
Validation of relationships as NetBox holds them: Kea's rules (`kea.validate`) applied to the relationship with
unsaved changes, and the `check_*` functions `Model.clean()` calls. No network I/O.

The rules run on the relationship once per Kea version among its servers, and on each server's whole
`high-availability` list (hub and spoke). A server whose Kea version is not known yet is checked against Kea 2.2
and Kea 3.0: an error both refuse stays an error, an error only one of them refuses becomes a warning that says so.
A save is refused only for errors the change brings in, that say more than "something is still missing"; each
lands on the field it concerns.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from ..kea.ha import HA_PARAMETERS, KeaVersion, Relationship
from .values import ordered_peers, relationship_value, saved_peers, server_relationships

__all__ = (
    'PROBE_VERSIONS',
    'FindingView',
    'check_peer',
    'check_relationship',
    'check_server',
    'finding_view',
    'relationship_findings',
)

#: The oldest and newest Kea a server of unknown version is checked against.
PROBE_VERSIONS = (KeaVersion(2, 2, 0), KeaVersion(3, 0, 0))

_PARAMETER_ATTRS = {p.key: p.attr for p in HA_PARAMETERS}
_PEER_FIELDS = {
    'name': 'name',
    'url': 'url',
    'role': 'role',
    'auto-failover': 'auto_failover',
    'basic-auth-user': 'basic_auth_user',
}


@dataclass(frozen=True)
class FindingView:
    """
    A validation finding as the NetBox layer shows and stores it. `field` is a Kea path relative to the
    relationship; `peer` names the peer it concerns; `server` and `relationship` are set for a finding about a
    server's whole HA list (`relationship` only when it concerns another relationship of that server).
    """

    severity: str
    field: str
    message: str
    code: str
    incomplete: bool = False
    peer: str | None = None
    server: str | None = None
    relationship: str | None = None

    @property
    def is_error(self) -> bool:
        """True for an error (Kea would refuse the config), False for a warning."""
        return self.severity == 'error'

    @property
    def blocking(self) -> bool:
        """True when the finding stops a save: an error that does not only say something is still missing."""
        return self.is_error and not self.incomplete

    @property
    def text(self) -> str:
        """The message with where it applies, for a form error or a log line."""
        where = [
            f'server {self.server!r}' if self.server else '',
            f'relationship {self.relationship!r}' if self.relationship else '',
            f'peer {self.peer!r}' if self.peer else '',
            f'Kea: {self.field}' if self.field else '',
        ]
        where_text = ', '.join(w for w in where if w)
        return f'{self.message} ({where_text})' if where_text else self.message

    def as_dict(self) -> dict[str, Any]:
        """The finding as JSON (the `findings` field, REST, GraphQL)."""
        return asdict(self)


def _peer_of(field: str, names: Sequence[str]) -> str | None:
    if field.startswith('peers[') and ']' in field:
        index = field[len('peers[') : field.index(']')]
        if index.isdigit() and int(index) < len(names):
            return names[int(index)]
    return None


def finding_view(finding: Any, names: Sequence[str] = (), **extra: Any) -> FindingView:
    """A `kea.validate` Finding as a FindingView (`names`: the peer names, to say which peer a path concerns)."""
    field = str(finding.field or '')
    return FindingView(
        severity=str(getattr(finding.severity, 'value', finding.severity)),
        field=field,
        message=str(finding.message),
        code=str(finding.code or ''),
        incomplete=bool(finding.incomplete),
        peer=_peer_of(field, names),
        **extra,
    )


def _at_version(run: Callable[[KeaVersion], list[FindingView]], version: KeaVersion | None) -> list[FindingView]:
    """`run` for a known version; for an unknown one, merged over PROBE_VERSIONS (see the module docstring)."""
    if version is not None:
        return run(version)
    results = [(probe, run(probe)) for probe in PROBE_VERSIONS]
    error_keys = [{(v.code, v.field) for v in views if v.is_error} for _, views in results]
    common_errors = set.intersection(*error_keys)
    seen: set[tuple[str, str, str]] = set()
    merged = []
    for probe, views in results:
        for view in views:
            if view.is_error and (view.code, view.field) not in common_errors:
                view = replace(
                    view,
                    severity='warning',
                    message=f"{view.message} [an error with Kea {probe.major}.{probe.minor}; the server's Kea "
                    'version is not known yet]',
                )
            key = (view.severity, view.code, view.field)
            if key not in seen:
                seen.add(key)
                merged.append(view)
    return merged


def _relationship_rules(relationship: Any, peers: list[Any]) -> list[FindingView]:
    from ..kea.validate import validate_relationship

    names = [p.effective_name for p in peers]
    perspectives: dict[KeaVersion | None, str | None] = {}
    for peer in peers:
        perspectives.setdefault(peer.server.version, peer.effective_name)
    if not perspectives:
        perspectives[None] = None
    findings: list[FindingView] = []
    seen: set[tuple[str, str, str, str]] = set()
    for version, this_server_name in perspectives.items():
        value = relationship_value(relationship, peers, this_server_name)

        def run(probe: KeaVersion, value: Relationship = value) -> list[FindingView]:
            return [finding_view(f, names) for f in validate_relationship(value, version=probe)]

        for view in _at_version(run, version):
            if not peers and view.field == 'this-server-name':
                # No peer yet: nobody to be. That is "not finished", not wrong.
                view = replace(view, incomplete=True)
            key = (view.severity, view.field, view.code, view.message)
            if key not in seen:
                seen.add(key)
                findings.append(view)
    return findings


def _strip_index(field: str) -> tuple[int, str] | None:
    prefix = 'high-availability['
    if not field.startswith(prefix) or ']' not in field:
        return None
    index, rest = field[len(prefix) :].split(']', 1)
    return (int(index), rest.lstrip('.')) if index.isdigit() else None


def _server_rules(server: Any, relationship: Any, peers: list[Any]) -> list[FindingView]:
    """Findings about a server's whole HA list (hub and spoke) when `relationship` has `peers`; none for one entry."""
    from ..kea.validate import validate_relationship, validate_relationships
    from ..models import HAPeer

    others = HAPeer.objects.filter(server=server)
    if relationship.pk:
        others = others.exclude(relationship_id=relationship.pk)
    if not others.exists():
        return []
    relationships = [r for r in server_relationships(server) if r.pk != relationship.pk]
    relationships.append(relationship)
    relationships.sort(key=lambda r: (str(r.name), r.pk or 0))
    entries = []
    for rel in relationships:
        rel_peers = ordered_peers(peers if rel is relationship else rel.peers.all())
        me = next((p for p in rel_peers if p.server_id == server.pk), None)
        value = relationship_value(rel, rel_peers, me.effective_name if me else None)
        entries.append((rel, [p.effective_name for p in rel_peers], value))

    def run(probe: KeaVersion) -> list[FindingView]:
        single = set()
        for i, (_, _, value) in enumerate(entries):
            for f in validate_relationship(value, version=probe):
                single.add((f.code, f'high-availability[{i}]' + (f'.{f.field}' if f.field else '')))
        views = []
        for f in validate_relationships([value for _, _, value in entries], version=probe):
            if (f.code, f.field) in single:
                continue
            where = _strip_index(f.field)
            if where is None:
                views.append(finding_view(f, (), server=str(server)))
                continue
            index, field = where
            rel, names, _ = entries[index]
            other = None if rel is relationship else str(rel)
            view = finding_view(f, names, server=str(server), relationship=other)
            views.append(replace(view, field=field, peer=_peer_of(field, names)))
        return views

    return _at_version(run, server.version)


def relationship_findings(relationship: Any, peers: Iterable[Any] | None = None) -> list[FindingView]:
    """
    Every finding for a relationship with these peers (default: the saved ones): Kea's rules on the relationship,
    then on the whole HA list of each server that is also in other relationships.
    """
    peers = ordered_peers(saved_peers(relationship) if peers is None else peers)
    findings = _relationship_rules(relationship, peers)
    for peer in peers:
        findings.extend(_server_rules(peer.server, relationship, peers))
    return findings


def _error_key(view: FindingView) -> tuple[str, str, str | None]:
    return view.code, view.message, view.relationship


def _new_blocking(after: list[FindingView], before: list[FindingView]) -> list[FindingView]:
    """Blocking errors that the change brings in (errors already present before do not stop an unrelated edit)."""
    known = {_error_key(v) for v in before}
    return [v for v in after if v.blocking and _error_key(v) not in known]


def _relationship_field(view: FindingView, mode_changed: bool) -> str:
    field = view.field
    if view.relationship is not None:
        return NON_FIELD_ERRORS
    if field in _PARAMETER_ATTRS:
        return _PARAMETER_ATTRS[field]
    if field == 'mode' or (field.startswith('peers') and mode_changed):
        return 'mode'
    if field.startswith('state-machine'):
        return 'state_machine'
    if field.startswith('peers[') and '].' in field:
        key = field.split('].', 1)[1]
        if key in _PARAMETER_ATTRS:
            # A relationship-level value a peer inherits (TLS files): the relationship's field.
            return _PARAMETER_ATTRS[key]
    head = field.split('.', 1)[0].split('[', 1)[0]
    if head and head not in ('peers', 'this-server-name'):
        return 'extra_parameters'
    return NON_FIELD_ERRORS


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def check_relationship(relationship: Any) -> None:
    """
    Raise ValidationError for the errors this version of the relationship brings in, each on the field it
    concerns. Errors that only say something is still missing (`incomplete`) and warnings never stop a save.
    """
    from ..models import HARelationship

    peers = saved_peers(relationship)
    after = relationship_findings(relationship, peers)
    before: list[FindingView] = []
    mode_changed = False
    if relationship.pk:
        saved = HARelationship.objects.filter(pk=relationship.pk).first()
        if saved is not None:
            before = relationship_findings(saved, peers)
            mode_changed = saved.mode != relationship.mode
    errors: dict[str, list[str]] = {}
    for view in _new_blocking(after, before):
        field = _relationship_field(view, mode_changed)
        if field in _PARAMETER_ATTRS.values() and _field_invalid(relationship, field):
            continue  # The field's own validators already say it (e.g. above the maximum).
        errors.setdefault(field, []).append(view.text)
    _raise(errors)


def _field_invalid(instance: Any, name: str) -> bool:
    field = instance._meta.get_field(name)
    try:
        field.run_validators(getattr(instance, name))
    except ValidationError:
        return True
    return False


def _peer_field(view: FindingView, index: int) -> str:
    prefix = f'peers[{index}].'
    if view.relationship is not None:
        return NON_FIELD_ERRORS
    if view.field == 'peers':
        # Errors about the list as a whole (two primaries, a secondary in hot-standby, ...) are about roles.
        return 'role'
    if not view.field.startswith(prefix):
        return NON_FIELD_ERRORS
    key = view.field[len(prefix) :]
    if key in _PEER_FIELDS:
        return _PEER_FIELDS[key]
    if key.startswith('basic-auth-password'):
        return NON_FIELD_ERRORS
    return 'extra_parameters'


def check_peer(peer: Any) -> None:
    """
    Raise ValidationError when this version of the peer breaks its relationship: another DHCP family than the
    other peers, a peer name already used in the relationship or in another relationship of the same servers, or
    new errors from Kea's rules, each on the field it concerns.
    """
    relationship = peer.relationship
    saved = saved_peers(relationship)
    others = [p for p in saved if p.pk != peer.pk]
    errors: dict[str, list[str]] = {}

    families = {p.server.family for p in others}
    if families and peer.server.family not in families:
        errors['server'] = [
            f'{peer.server} serves {peer.server.family}; the other peers of {relationship} serve '
            f'{", ".join(sorted(families))}.'
        ]
    name = peer.effective_name
    clash = next((p for p in others if p.effective_name == name), None)
    if clash is not None:
        errors['name'] = [f'{relationship} already has a peer named {name!r} ({clash.server}); give this peer a name.']
    elif message := _name_used_elsewhere(peer, others):
        errors['name'] = [message]
    _raise(errors)

    after_peers = ordered_peers([*others, peer])
    after = relationship_findings(relationship, after_peers)
    before = relationship_findings(relationship, saved)
    index = next(i for i, p in enumerate(after_peers) if p is peer)
    for view in _new_blocking(after, before):
        errors.setdefault(_peer_field(view, index), []).append(view.text)
    _raise(errors)


def _server_field(view: FindingView, index: int | None, server: Any, saved: Any) -> str:
    """Where an error a server change brings in belongs: its tag for a peer name, what changed for a peer URL."""
    if index is not None and view.relationship is None:
        if view.field == f'peers[{index}].name':
            return 'server_tag'
        if view.field == f'peers[{index}].url':
            for name in ('control_scheme', 'control_port'):
                if getattr(server, name) != getattr(saved, name):
                    return name
            return 'address'
    return NON_FIELD_ERRORS


def check_server(server: Any) -> None:
    """
    Raise ValidationError when this version of a server (its tag, address, port, scheme, version) brings new
    errors into a relationship it is a peer of: its tag then clashes with another peer name, its derived peer URL
    is no longer valid, ... The error names the relationship.
    """
    from ..models import KeaServer

    if not server.pk:
        return
    saved = KeaServer.objects.filter(pk=server.pk).first()
    if saved is None:
        return
    errors: dict[str, list[str]] = {}
    for relationship in server_relationships(server):
        before_peers = ordered_peers(relationship.peers.all())
        after_peers = ordered_peers(_with_server(p, server) for p in before_peers)
        index = next((i for i, p in enumerate(after_peers) if p.server_id == server.pk), None)
        before = relationship_findings(relationship, before_peers)
        after = relationship_findings(relationship, after_peers)
        for view in _new_blocking(after, before):
            text = view.text if view.relationship else f'{view.text} [relationship {relationship}]'
            errors.setdefault(_server_field(view, index, server, saved), []).append(text)
    _raise(errors)


def _with_server(peer: Any, server: Any) -> Any:
    """The peer as it would be with this (unsaved) version of its server."""
    if peer.server_id != server.pk:
        return peer
    copy = type(peer).objects.model(**{f.attname: getattr(peer, f.attname) for f in peer._meta.concrete_fields})
    copy.relationship = peer.relationship
    copy.server = server
    return copy


def _name_used_elsewhere(peer: Any, others: list[Any]) -> str | None:
    """Kea needs peer names unique across all relationships of a server (hub and spoke), whatever its version."""
    from ..models import HAPeer

    servers = {peer.server_id, *(p.server_id for p in others)}
    elsewhere = (
        HAPeer.objects.filter(relationship__peers__server_id__in=servers)
        .exclude(relationship_id=peer.relationship_id)
        .select_related('relationship', 'server')
        .distinct()
    )
    for other in elsewhere:
        if other.effective_name == peer.effective_name:
            return (
                f'peer name {peer.effective_name!r} is already used in relationship {other.relationship} '
                f'({other.server}); Kea needs peer names unique across all relationships of a server.'
            )
    return None
