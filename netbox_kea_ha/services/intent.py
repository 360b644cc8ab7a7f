"""
NetBox models -> Kea values: each relationship as one server sees it, render contexts, validation findings.

No network I/O here: this runs inside `Model.clean()`, forms, views and API calls. Passwords stay encrypted unless a
caller asks for them (`reveal=True`, for a job that pushes to Kea); otherwise they are replaced by `REDACTED`.

Validation runs the Kea layer's rules (`kea.validate`) on the relationship, once per Kea version among its
servers, and on each server's whole `high-availability` list (hub and spoke). A server whose Kea version is not
known yet is checked against Kea 2.2 and Kea 3.0: an error both refuse stays an error, an error only one of them
refuses becomes a warning that says so.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from ..crypto import SecretError
from ..kea.ha import HA_PARAMETERS, PEER_KEYS, KeaVersion, Peer, Relationship
from ..plugin_settings import get_setting

__all__ = (
    'PROBE_VERSIONS',
    'REDACTED',
    'FindingView',
    'RenderedBlock',
    'check_peer',
    'check_relationship',
    'check_server',
    'ordered_peers',
    'peer_value',
    'relationship_findings',
    'relationship_value',
    'render_context',
    'render_relationship',
    'render_server',
    'server_relationships',
)

#: What stands in for a password that is set but not revealed (the same text as `kea.redact.REDACTED`).
REDACTED = '********'

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


@dataclass(frozen=True)
class RenderedBlock:
    """One server's rendered `hooks-libraries` block (redacted unless revealed), or why it could not be rendered."""

    server: Any
    hooks_libraries: list[dict[str, Any]] | None
    error: str | None = None
    #: What validation says about the rendered block (paths relative to `hooks-libraries`).
    findings: tuple[FindingView, ...] = ()

    @property
    def text(self) -> str:
        """The block as indented JSON, keys in the order they were rendered."""
        return json.dumps(self.hooks_libraries, indent=2) if self.hooks_libraries is not None else ''


def ordered_peers(peers: Iterable[Any]) -> list[Any]:
    """Peers in the order they are rendered: primary, secondary, standby, backups; then by creation."""
    return sorted(peers, key=lambda p: (p.role_rank, p.pk is None, p.pk or 0))


def peer_value(peer: Any, reveal: bool = False) -> Peer:
    """The Kea value of one peer. Keys in `extra_parameters` that Kea knows (TLS files, ...) become fields."""
    password = None
    if peer.has_basic_auth_password:
        password = peer.get_basic_auth_password() if reveal else REDACTED
    extra = dict(peer.extra_parameters or {})
    known = {key.replace('-', '_'): extra.pop(key) for key in PEER_KEYS if key in extra}
    return Peer(
        name=peer.effective_name,
        url=peer.effective_url,
        role=peer.role,
        auto_failover=peer.auto_failover,
        basic_auth_user=peer.basic_auth_user or None,
        basic_auth_password=password,
        **known,
        extra=extra,
    )


def _saved_peers(relationship: Any) -> list[Any]:
    if not relationship.pk:
        return []
    return list(relationship.peers.select_related('server__address'))


def relationship_value(
    relationship: Any, peers: Iterable[Any] | None = None, this_server_name: str | None = None, reveal: bool = False
) -> Relationship:
    """
    The Kea value of a relationship as the server named `this_server_name` sees it. `peers` defaults to the saved
    peers; pass a list to see the relationship with unsaved changes (what `clean()` does).
    """
    if peers is None:
        peers = _saved_peers(relationship)
    state_machine = {'states': list(relationship.state_machine)} if relationship.state_machine else None
    return Relationship(
        this_server_name=this_server_name,
        mode=relationship.mode,
        peers=tuple(peer_value(p, reveal) for p in ordered_peers(peers)),
        parameters=relationship.parameters,
        state_machine=state_machine,
        extra=dict(relationship.extra_parameters or {}),
    )


#
# Validation
#


def _peer_of(field: str, names: Sequence[str]) -> str | None:
    if field.startswith('peers[') and ']' in field:
        index = field[len('peers[') : field.index(']')]
        if index.isdigit() and int(index) < len(names):
            return names[int(index)]
    return None


def _view(finding: Any, names: Sequence[str], **extra: Any) -> FindingView:
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
            return [_view(f, names) for f in validate_relationship(value, version=probe)]

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
                views.append(_view(f, (), server=str(server)))
                continue
            index, field = where
            rel, names, _ = entries[index]
            other = None if rel is relationship else str(rel)
            view = _view(f, names, server=str(server), relationship=other)
            views.append(replace(view, field=field, peer=_peer_of(field, names)))
        return views

    return _at_version(run, server.version)


def relationship_findings(relationship: Any, peers: Iterable[Any] | None = None) -> list[FindingView]:
    """
    Every finding for a relationship with these peers (default: the saved ones): Kea's rules on the relationship,
    then on the whole HA list of each server that is also in other relationships.
    """
    peers = ordered_peers(_saved_peers(relationship) if peers is None else peers)
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

    peers = _saved_peers(relationship)
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
    saved_peers = _saved_peers(relationship)
    others = [p for p in saved_peers if p.pk != peer.pk]
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
    before = relationship_findings(relationship, saved_peers)
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


#
# Rendering
#


def server_relationships(server: Any) -> list[Any]:
    """The relationships a server is a peer of, with their peers and servers loaded."""
    from ..models import HARelationship

    return list(
        HARelationship.objects.filter(peers__server=server).distinct().prefetch_related('peers__server__address')
    )


def render_context(server: Any, relationships: Iterable[Any] | None = None, reveal: bool = False) -> Any:
    """
    The RenderContext of a server: its this-server-name, hooks dir, family, version, and every relationship it is
    a peer of (each as the server sees it). Passwords are REDACTED unless `reveal` is true.
    """
    from ..kea.render import RenderContext

    if relationships is None:
        relationships = server_relationships(server)
    values = []
    for relationship in relationships:
        peers = ordered_peers(relationship.peers.all())
        me = next((p for p in peers if p.server_id == server.pk), None)
        values.append(relationship_value(relationship, peers, me.effective_name if me else None, reveal=reveal))
    server_tag = values[0].this_server_name if values and values[0].this_server_name else server.effective_server_tag
    return RenderContext(
        server_tag=server_tag,
        hooks_dir=server.effective_hooks_dir,
        family=server.family,
        relationships=tuple(values),
        kea_version=server.version,
    )


def _template_dirs() -> tuple[str, ...]:
    templates_dir = get_setting('templates_dir')
    return (templates_dir,) if templates_dir else ()


def render_server(server: Any, relationships: Iterable[Any] | None = None) -> RenderedBlock:
    """
    A server's `hooks-libraries` block for display, with the findings on it: passwords never revealed, and
    redacted once more. Rendering errors (a template problem, nothing to render) come back as `error`.
    """
    from ..kea.redact import redact_secrets
    from ..kea.render import RenderError, render_hooks_block

    try:
        block = render_hooks_block(render_context(server, relationships), template_dirs=_template_dirs())
    except (RenderError, SecretError) as exc:
        return RenderedBlock(server, None, str(exc))
    findings = tuple(_view(f, (), server=str(server)) for f in block.findings)
    return RenderedBlock(server, redact_secrets(block.hooks_libraries), None, findings)


def render_relationship(relationship: Any) -> list[RenderedBlock]:
    """The rendered block of each peer's server (each with all the relationships that server is in)."""
    return [render_server(peer.server) for peer in ordered_peers(_saved_peers(relationship))]
