"""
Import: read what a Kea server runs and make NetBox say the same.

`import_server` reads the server's running config (`config-get`) and version through its control endpoint,
detects its HA relationship(s) (`kea.detect`), and creates or updates, in one transaction:

* the server itself: its server tag (`this-server-name`), Kea version and hooks directory;
* each relationship: mode, every HA parameter that differs from Kea's default for the detected version and mode
  (so the form shows what was chosen), `state-machine`, unknown keys in `extra_parameters`, and every validation
  finding of the detected config;
* each peer, and each partner server: matched first by the peer already in NetBox, then by the host of its peer
  URL to an `ipam.IPAddress` (and through the address's interface to its device or virtual machine). An address
  NetBox does not know is created; a partner whose address is not assigned to a device or VM is tagged
  `kea-ha-unassigned` and reported. A partner's control port is its peer URL's port when the peers talk through
  Control Agents (Kea 2.2's default), and its control credentials come from the peer's basic-auth entry when it
  has none.

Only what changed is saved (each object is snapshotted first), so the change log shows exactly what changed and
importing twice writes nothing.

An import started by a user changes only what that user may change (NetBox's object permissions, constraints
included): it creates objects with `add`, changes them with `change`, deletes stale peers with `delete`, and links an
existing partner server into a relationship only when the user may change that server. What it may not do is left
alone and listed in the report (`left_alone`, with the reason); a relationship it cannot complete (a partner or
peer it may not create) is left alone as a whole. An import never changes the control endpoint (scheme, port) or
the credentials of a server that already exists, whoever starts it: a running config is written by whoever
controls that Kea server, and must not move another server's credentials. It reports the difference instead.
Secrets in keys no field models (Kea keeps unknown keys) are kept encrypted, never in `extra_parameters`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from logging import Logger
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from dcim.models import Device
from extras.models import Tag
from ipam.models import IPAddress
from virtualization.models import VirtualMachine

from ..choices import ControlSchemeChoices, HARoleChoices
from ..crypto import SecretError
from ..kea.answers import VersionInfo
from ..kea.client import KeaClient
from ..kea.detect import Detection, DetectionError, detect
from ..kea.exceptions import KeaError
from ..kea.ha import HA_PARAMETERS, PEER_KEYS, KeaVersion, Peer, Relationship
from ..kea.kea_url import parse_kea_url
from ..models import HAPeer, HARelationship, KeaServer
from ..models.peers import MODELLED_PEER_KEYS
from ..plugin_settings import get_setting
from ..validators import json_bounds_error
from .endpoints import EndpointError, server_endpoint
from .locks import relationship_locks

if TYPE_CHECKING:
    from django.db.models import Model

__all__ = (
    'UNASSIGNED_TAG',
    'ImportFailed',
    'ImportReport',
    'apply_detection',
    'import_server',
    'read_server',
)

#: Slug of the tag that flags partner servers whose address is not assigned to a device or VM.
UNASSIGNED_TAG = 'kea-ha-unassigned'


class ImportFailed(Exception):
    """The import cannot be done; the message says why (nothing was changed)."""


class _Denied(Exception):
    """The user may not make a change the import needs; the message says which."""


class _Access:
    """What the user who started the import may do (everything without a user: a command run from the shell)."""

    def __init__(self, user: Any = None) -> None:
        self.user = user

    def may(self, obj: Model, action: str) -> bool:
        """Whether the user may `action` (`change`, `delete`) the saved object `obj`."""
        if self.user is None:
            return True
        return bool(type(obj).objects.restrict(self.user, action).filter(pk=obj.pk).exists())

    def check_add(self, obj: Model, saved: bool = False) -> None:
        """Raise _Denied unless the user may add `obj` (before the save: the permission; after: its constraints)."""
        if self.user is None:
            return
        meta = obj._meta
        allowed = (
            type(obj).objects.restrict(self.user, 'add').filter(pk=obj.pk).exists()
            if saved
            else self.user.has_perm(f'{meta.app_label}.add_{meta.model_name}')
        )
        if not allowed:
            raise _Denied(f'you may not add the {meta.verbose_name} {obj}')


@dataclass
class ImportReport:
    """What an import did: the server and its role(s), and the objects created, updated and left unchanged."""

    server: str
    this_server_names: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    kea_version: str = ''
    relationships: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unassigned: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    #: What the import did not change, and why (permissions; endpoints and credentials of existing servers).
    left_alone: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the import created, updated or deleted anything."""
        return bool(self.created or self.updated or self.deleted)

    def as_dict(self) -> dict[str, Any]:
        """The report as job data."""
        return {
            'server': self.server,
            'this_server_names': self.this_server_names,
            'roles': self.roles,
            'kea_version': self.kea_version,
            'relationships': self.relationships,
            'created': self.created,
            'updated': self.updated,
            'unchanged': self.unchanged,
            'deleted': self.deleted,
            'unassigned': self.unassigned,
            'findings': self.findings,
            'left_alone': self.left_alone,
        }

    def note(self, outcome: str, label: str) -> None:
        """Record `created` / `updated` / `unchanged` for an object label."""
        getattr(self, outcome).append(label)

    def mark(self) -> dict[str, int]:
        """Where each list stands now (to `rewind` to when the changes since are rolled back)."""
        names = ('created', 'updated', 'unchanged', 'deleted', 'unassigned', 'relationships', 'findings')
        return {name: len(getattr(self, name)) for name in names}

    def rewind(self, mark: dict[str, int]) -> None:
        """Forget what was recorded since `mark` (those changes were rolled back)."""
        for name, length in mark.items():
            del getattr(self, name)[length:]


def read_server(server: KeaServer, timeout: float | None = None) -> tuple[dict[str, Any], VersionInfo]:
    """(config-get arguments, Kea version) of a server. Raises ImportFailed naming the server."""
    try:
        endpoint = server_endpoint(server, timeout=timeout)
        with KeaClient(endpoint) as kea:
            running = kea.config_get()
            version = kea.version_get()
    except (EndpointError, KeaError) as exc:
        raise ImportFailed(f'cannot read the running config of {server}: {exc}') from None
    config = dict(running.config)
    if running.hash:
        config['hash'] = running.hash
    return config, version


def import_server(
    server: KeaServer, logger: Logger | None = None, timeout: float | None = None, user: Any = None
) -> ImportReport:
    """Read `server`'s running config and import its HA relationships as `user` may (see the module docstring)."""
    if logger:
        logger.info(f'reading the running config of {server} at {server.control_url}')
    config, version = read_server(server, timeout=timeout)
    if logger:
        logger.info(f'{server} runs Kea {version.version}')
    try:
        detection = detect(config, version=version.version)
    except DetectionError as exc:
        raise ImportFailed(f'the running config of {server} cannot be read as a Kea server config: {exc}') from None
    return apply_detection(server, detection, str(version.version), logger=logger, user=user)


# --- helpers ----------------------------------------------------------------------------------------------------


def _label(obj: Model) -> str:
    return f'{obj._meta.verbose_name} {obj}'


def _extra_differs(obj: HAPeer | HARelationship, extra: dict[str, Any]) -> bool:
    try:
        return obj.revealed_extra_parameters() != extra
    except SecretError:  # kept for another destination, or unreadable: keep them again
        return True


def _secret_differs(obj: KeaServer | HAPeer, name: str, value: str) -> bool:
    if not value:
        return obj.has_secret(name)
    try:
        return obj.get_secret(name) != value
    except SecretError:  # unreadable (another encryption key, a reference that no longer resolves): set it again
        return True


def _url_ip(url: Any) -> str | None:
    """The IP of a peer URL's host, or None when it is not an IP literal."""
    try:
        parsed = parse_kea_url(str(url))
    except ValueError:
        return None
    address = parsed.address()
    return str(address) if address is not None else None


def _url_port(url: Any) -> int | None:
    try:
        return parse_kea_url(str(url)).port or None
    except ValueError:
        return None


def _host_of(ip: IPAddress) -> Device | VirtualMachine | None:
    """The device or VM an IPAddress belongs to: through its interface, or as a primary/OOB IP."""
    assigned = ip.assigned_object
    if assigned is not None:
        parent = getattr(assigned, 'parent_object', None)
        if isinstance(parent, Device | VirtualMachine):
            return parent
    for model in (Device, VirtualMachine):
        found = model.objects.filter(primary_ip4=ip).first() or model.objects.filter(primary_ip6=ip).first()
        if found is not None:
            return found
    return Device.objects.filter(oob_ip=ip).first()


def _find_address(host: str) -> IPAddress | None:
    """The IPAddress of a host IP: one assigned to an interface first; None when NetBox does not know it."""
    candidates = list(IPAddress.objects.filter(address__net_host=host).order_by('pk'))
    assigned = [ip for ip in candidates if ip.assigned_object_id]
    return (assigned or candidates or [None])[0]


def _host_fields(host: Device | VirtualMachine | None) -> dict[str, Any]:
    if isinstance(host, Device):
        return {'device': host, 'virtual_machine': None}
    if isinstance(host, VirtualMachine):
        return {'device': None, 'virtual_machine': host}
    return {}


def _free_name(candidate: str, family: str) -> str:
    names = [candidate, f'{candidate}-{family}'] + [f'{candidate}-{i}' for i in range(2, 100)]
    for name in names:
        if not KeaServer.objects.filter(name=name).exists():
            return name
    raise ImportFailed(f'no free Kea server name for {candidate!r}')


def _relationship_findings(detection: Detection, index: int, rel: Relationship) -> list[dict[str, Any]]:
    """
    The detection's findings that concern relationship `index`, as the relationship stores them. Findings of one
    relationship are located in it (`Finding.relationship_index`; cross-relationship rules of a hub too) and go to
    it alone, with their path relative to it; the others describe the server's hooks or its HA list as a whole
    (lease_cmds missing, the HA hook twice, the number of relationships), name no peer, and go to every relationship
    of the server.
    """
    names = [str(p.name) for p in rel.peers]
    out = []
    for finding in detection.findings:
        at = finding.relationship_index
        if at is not None:
            if detection.ha_library is None or at != index:
                continue
            finding = finding.in_relationship()
        out.append(finding.named(names).as_dict())
    return out


def _parameters(rel: Relationship, version: KeaVersion | None, mode: Any) -> dict[str, Any]:
    """Model field values of the HA parameters: set only where they differ from Kea's default."""
    values = {}
    for parameter in HA_PARAMETERS:
        value = rel.parameters.get(parameter.key)
        if value is not None and value == parameter.default_for(version, mode) and type(value) is parameter.type:
            value = None
        values[parameter.attr] = value
    return values


def _state_machine(rel: Relationship) -> list[Any]:
    machine = rel.state_machine
    if isinstance(machine, dict) and isinstance(machine.get('states'), list):
        return list(machine['states'])
    return []


def _match_relationship(server: KeaServer, rel: Relationship) -> HARelationship | None:
    """The NetBox relationship this detected one is: the server's relationship sharing the most peer names."""
    names = {str(p.name) for p in rel.peers}
    best, best_overlap = None, 0
    for candidate in HARelationship.objects.filter(peers__server=server).distinct().prefetch_related('peers__server'):
        overlap = len(names & {p.effective_name for p in candidate.peers.all()})
        if overlap > best_overlap:
            best, best_overlap = candidate, overlap
    return best


def _new_relationship_name(rel: Relationship) -> str:
    base = ' / '.join(str(p.name) for p in rel.peers) or 'imported'
    name = base[:100]
    suffix = 2
    while HARelationship.objects.filter(name=name).exists():
        name = f'{base[:90]} ({suffix})'
        suffix += 1
    return name


def _peer_extra(peer: Peer) -> dict[str, Any]:
    extra = {key: getattr(peer, key.replace('-', '_')) for key in PEER_KEYS if key not in MODELLED_PEER_KEYS}
    extra = {key: value for key, value in extra.items() if value is not None}
    return extra | dict(peer.extra)


def _partner_endpoint(partner: KeaServer, rel: Relationship, peer: Peer, version: KeaVersion | None) -> dict[str, Any]:
    """Control scheme, port and user a partner's peer entry says (a new partner takes them)."""
    values: dict[str, Any] = {}
    url = urlsplit(str(peer.url))
    if url.scheme in ControlSchemeChoices.values():
        values['control_scheme'] = url.scheme
    if not rel.dedicated_listener(version):
        port = _url_port(peer.url)
        default = get_setting('control_agent_port')
        if port and port != (partner.control_port or default):
            values['control_port'] = port if port != default else None
    if not partner.username and peer.basic_auth_user:
        values['username'] = str(peer.basic_auth_user)
    return values


def _partner_values(partner: KeaServer, peer: Peer) -> tuple[dict[str, Any], dict[str, str]]:
    """The tag (and, for a new partner, the password) a partner takes from its peer entry."""
    values = {}
    if str(peer.name) != partner.name:
        if partner.server_tag != str(peer.name):
            values['server_tag'] = str(peer.name)
    elif partner.server_tag:
        values['server_tag'] = ''
    secrets = {}
    if partner.pk is None and peer.basic_auth_user and peer.basic_auth_password:
        secrets['password'] = str(peer.basic_auth_password)
    return values, secrets


def _unassigned_tag(access: _Access) -> Tag | None:
    """The tag of unassigned partners (created on first use, if the user may add tags), or None."""
    tag = Tag.objects.filter(slug=UNASSIGNED_TAG).first()
    if tag is None:
        if access.user is not None and not access.user.has_perm('extras.add_tag'):
            return None
        tag = Tag(
            name='Kea HA: unassigned',
            slug=UNASSIGNED_TAG,
            color='ff9800',
            description='A Kea server found by an import whose address is not assigned to a device or VM',
        )
        tag.save()
    return tag


# --- the import ---------------------------------------------------------------------------------------------------


def apply_detection(
    server: KeaServer,
    detection: Detection,
    kea_version: str = '',
    logger: Logger | None = None,
    user: Any = None,
) -> ImportReport:
    """
    Make NetBox match a `Detection` of `server`'s running config, as far as `user` may (None: a command run from
    the shell, which may do everything); an ImportReport. One transaction, and a savepoint per relationship.
    """
    if detection.family != server.family:
        raise ImportFailed(
            f'{server} is a {server.family} server in NetBox, but its running config is a {detection.family} config'
        )
    if not detection.has_ha:
        raise ImportFailed(
            f'{server} runs no HA relationship: its running config has no {"libdhcp_ha.so"} entry with a '
            'high-availability list in hooks-libraries'
        )
    # Not while a sync or restore of one of the server's relationships pushes (RelationshipBusy, at once).
    with relationship_locks(HARelationship.objects.filter(peers__server=server)), transaction.atomic():
        work = _Import(
            KeaServer.objects.select_for_update().get(pk=server.pk),
            detection,
            ImportReport(server=str(server), kea_version=kea_version),
            _Access(user),
            logger,
        )
        work.run(kea_version)
    return work.report


@dataclass
class _Import:
    """One import: the server, what its running config says, what the user may do, and what was done."""

    server: KeaServer
    detection: Detection
    report: ImportReport
    access: _Access
    logger: Logger | None = None

    @property
    def version(self) -> KeaVersion | None:
        """The Kea version the running config was detected for."""
        return self.detection.kea_version

    def log(self, message: str, level: str = 'info') -> None:
        """A line of the job log."""
        if self.logger:
            getattr(self.logger, level)(message)

    def run(self, kea_version: str) -> None:
        """The whole import (inside the transaction)."""
        server, detection, report = self.server, self.detection, self.report
        entries = list(zip(detection.relationships, detection.this_server_names, detection.roles, strict=True))
        for index, (rel, name, role) in enumerate(entries):
            if role is None:
                raise ImportFailed(
                    f'{server}: this-server-name {name!r} names no peer of relationship {index + 1} '
                    f'(peers: {", ".join(str(p.name) for p in rel.peers)}); Kea refuses such a config'
                )
            for what, value in (('relationship', rel.extra), *((f'peer {p.name}', _peer_extra(p)) for p in rel.peers)):
                if message := json_bounds_error(value):
                    raise ImportFailed(
                        f'{server}: the unmodelled keys of {what} in relationship {index + 1} {message}: '
                        'too large to store'
                    )
            report.this_server_names.append(name)
            report.roles.append(role)
        self.import_server_fields(kea_version)
        for index, (rel, name, role) in enumerate(entries):
            self.log(f'{server} is peer {name!r} ({role}) of a {rel.mode} relationship')
            mark = report.mark()
            try:
                with transaction.atomic():
                    self.import_relationship(index, rel, name)
            except _Denied as exc:
                report.rewind(mark)
                peers = ' / '.join(str(p.name) for p in rel.peers)
                report.left_alone.append(f'relationship {index + 1} ({peers}): {exc}; nothing of it was imported')
        for line in report.left_alone:
            self.log(f'left alone: {line}', 'warning')
        self.log(
            f'created {len(report.created)}, updated {len(report.updated)}, deleted {len(report.deleted)}, '
            f'unchanged {len(report.unchanged)}, left alone {len(report.left_alone)}'
        )

    def import_server_fields(self, kea_version: str) -> None:
        """The server first: its tag decides how its peers are named."""
        server = self.server
        values: dict[str, Any] = {'kea_version': kea_version or server.kea_version}
        tags = set(self.report.this_server_names)
        if len(tags) == 1:
            tag = tags.pop()
            values['server_tag'] = '' if tag == server.name and not server.server_tag else tag
        hooks_dir = self.detection.hooks_dir
        if hooks_dir and server.hooks_dir != hooks_dir:
            # Blank follows the hooks_dir setting: keep it blank when the setting already says the same.
            values['hooks_dir'] = '' if hooks_dir == get_setting('hooks_dir') else hooks_dir
        seen: dict[str, Any] = {'last_seen': timezone.now()}
        if not self.access.may(server, 'change'):
            # What the server runs is recorded (like its state); what NetBox intends for it is left alone.
            seen['kea_version'] = values.pop('kea_version')
        self.save(server, values)
        KeaServer.objects.filter(pk=server.pk).update(**seen)

    def save(
        self,
        obj: Any,
        values: dict[str, Any],
        secrets: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> bool:
        """
        Create, or update only what differs (snapshot first, so the change log shows the change), as the user may:
        a creation they may not make raises _Denied; a change they may not make is left alone and reported. Without
        `full_clean()`: an import records what Kea runs, even a config the relationship rules would refuse in a
        form (its findings are stored with it and shown on the relationship). `extra`: the `extra_parameters` Kea
        runs, whose secrets are kept encrypted.
        """
        secrets = secrets or {}
        report = self.report
        if obj.pk is None:
            self.access.check_add(obj)
            for name, value in values.items():
                setattr(obj, name, value)
            if extra is not None:
                obj.keep_extra_secrets(extra)
            for name, value in secrets.items():
                obj.set_secret(name, value)
            obj.save()
            self.access.check_add(obj, saved=True)
            report.note('created', _label(obj))
            return True
        changed = {name: value for name, value in values.items() if getattr(obj, name) != value}
        secret_changes = {name: value for name, value in secrets.items() if _secret_differs(obj, name, value)}
        extra_changed = extra is not None and _extra_differs(obj, extra)
        if not changed and not secret_changes and not extra_changed:
            report.note('unchanged', _label(obj))
            return False
        if not self.access.may(obj, 'change'):
            names = [*changed, *secret_changes, *(['extra_parameters'] if extra_changed else [])]
            report.left_alone.append(
                f'{_label(obj)}: {", ".join(names)} differ from the running config, but you may not change it'
            )
            return False
        obj.snapshot()
        if extra_changed:
            obj.keep_extra_secrets(extra)
        for name, value in changed.items():
            setattr(obj, name, value)
        for name, value in secret_changes.items():
            obj.set_secret(name, value)
        obj.save()
        report.note('updated', _label(obj))
        return True

    def import_relationship(self, index: int, rel: Relationship, this_name: str) -> None:
        """One relationship of the running config: the relationship, its partners and its peers."""
        server, report = self.server, self.report
        relationship = _match_relationship(server, rel)
        me = rel.peer(this_name)
        if relationship is not None and me is not None and me.role != HARoleChoices.PRIMARY:
            mine = relationship.peers.filter(server=server).first()
            if mine is not None and mine.role == HARoleChoices.PRIMARY:
                raise ImportFailed(
                    f'{server} is the primary of {relationship} in NetBox, but its this-server-name {this_name!r} '
                    f"names the peer whose role is {me.role}: the primary's this-server-name must name the primary "
                    'peer'
                )
        if relationship is None:
            relationship = HARelationship(name=_new_relationship_name(rel))
        values = {
            'mode': str(rel.mode),
            'state_machine': _state_machine(rel),
            'findings': _relationship_findings(self.detection, index, rel),
            **_parameters(rel, self.version, rel.mode),
        }
        self.save(relationship, values, extra=dict(rel.extra))
        report.relationships.append(relationship.name)
        report.findings.extend(
            f'{relationship}: {f["severity"]}: {f["message"]}' + (f' ({f["field"]})' if f['field'] else '')
            for f in values['findings']
        )

        existing = {p.effective_name: p for p in relationship.peers.select_related('server__address')}
        plan: list[tuple[Peer, KeaServer | None]] = []
        for peer in rel.peers:
            if str(peer.name) == this_name:
                plan.append((peer, server))
            elif str(peer.name) in existing:
                plan.append((peer, existing[str(peer.name)].server))
            else:
                plan.append((peer, None))
        used = {t.pk for _, t in plan if t is not None}
        resolved = []
        for peer, target in plan:
            if target is None:
                target = self.partner(rel, peer, exclude=used)
                used.add(target.pk)
            elif target.pk != server.pk:
                self.update_partner(target, rel, peer)
            resolved.append((peer, target))

        wanted = {target.pk for _, target in resolved}
        for stale in relationship.peers.exclude(server__in=wanted):
            label = _label(stale)
            if not self.access.may(stale, 'delete'):
                report.left_alone.append(f'{label}: not in the running config any more, but you may not delete it')
                continue
            stale.snapshot()
            stale.delete()
            report.deleted.append(label)
        for peer, target in resolved:
            self.import_peer(relationship, peer, target)

    def partner(self, rel: Relationship, peer: Peer, exclude: set[int]) -> KeaServer:
        """The KeaServer of a partner peer: found by its URL's host, or created (with the address, if need be)."""
        server, report = self.server, self.report
        host = _url_ip(peer.url)
        if host is None:
            raise ImportFailed(
                f'peer {peer.name!r} has no IP literal in its URL {peer.url!r}; Kea refuses such a config'
            )
        known: KeaServer | None = (
            KeaServer.objects.filter(address__address__net_host=host, family=server.family)
            .exclude(pk__in=exclude)
            .order_by('pk')
            .first()
        )
        if known is not None:
            if not self.access.may(known, 'change'):
                raise _Denied(
                    f'the running config names Kea server {known} (at {host}) as peer {str(peer.name)!r}, and you '
                    'may not change that server: it is not linked into a relationship'
                )
            self.update_partner(known, rel, peer)
            return known
        address = _find_address(host)
        if address is None:
            prefix = 32 if ipaddress.ip_address(host).version == 4 else 128
            address = IPAddress(
                address=f'{host}/{prefix}',
                description=f'Kea HA peer {peer.name}, created by an import of {server}',
            )
            address.full_clean()
            self.access.check_add(address)
            address.save()
            self.access.check_add(address, saved=True)
            report.note('created', _label(address))
        host_obj = _host_of(address)
        partner = KeaServer(
            name=_free_name(host_obj.name if host_obj is not None else str(peer.name), server.family),
            address=address,
            family=server.family,
            control_kind=server.control_kind,
            **_host_fields(host_obj),
        )
        values, secrets = _partner_values(partner, peer)
        self.save(partner, values | _partner_endpoint(partner, rel, peer, self.version), secrets=secrets)
        self.flag(partner, host_obj is None)
        where = f'on {host_obj}' if host_obj is not None else 'not assigned to a device or VM'
        self.log(f'partner {peer.name!r} ({peer.role}) is {partner} at {host}, {where}')
        return partner

    def update_partner(self, partner: KeaServer, rel: Relationship, peer: Peer) -> None:
        """An existing partner: its tag and host as the config says, never its control endpoint or credentials."""
        values, _ = _partner_values(partner, peer)
        if not partner.device_id and not partner.virtual_machine_id and partner.address_id:
            values.update(_host_fields(_host_of(partner.address)))
        endpoint = {
            name: value
            for name, value in _partner_endpoint(partner, rel, peer, self.version).items()
            if name != 'username'
        }
        if endpoint:
            said = ', '.join(
                f'{name} {"(the setting)" if value is None else value}' for name, value in endpoint.items()
            )
            self.report.left_alone.append(
                f'{_label(partner)}: the running config reaches it with {said}; an import never changes the control '
                'endpoint or credentials of an existing server (change them on the server if they are right)'
            )
        self.save(partner, values)
        self.flag(partner, not (partner.device_id or partner.virtual_machine_id))

    def flag(self, partner: KeaServer, unassigned: bool) -> None:
        """Tag (or untag) a partner whose address is on no device or VM."""
        tagged = partner.tags.filter(slug=UNASSIGNED_TAG).exists()
        if unassigned:
            self.report.unassigned.append(str(partner))
        if unassigned == tagged:
            return
        if not self.access.may(partner, 'change'):
            self.report.left_alone.append(f'{_label(partner)}: tag {UNASSIGNED_TAG} not updated: you may not change it')
            return
        tag = _unassigned_tag(self.access)
        if tag is None:
            self.report.left_alone.append(f'{_label(partner)}: not tagged {UNASSIGNED_TAG}: you may not add that tag')
            return
        partner.snapshot()
        if unassigned:
            partner.tags.add(tag)
        else:
            partner.tags.remove(tag)

    def import_peer(self, relationship: HARelationship, peer: Peer, target: KeaServer) -> None:
        """The peer `target` is in `relationship`, as the config says."""
        record = HAPeer.objects.filter(relationship=relationship, server=target).first()
        if record is None:
            record = HAPeer(relationship=relationship, server=target)
        record.server = target
        name = '' if str(peer.name) == target.effective_server_tag else str(peer.name)
        values = {
            'name': name,
            'role': str(peer.role),
            'auto_failover': peer.auto_failover if isinstance(peer.auto_failover, bool) else None,
            'basic_auth_user': str(peer.basic_auth_user) if peer.basic_auth_user else '',
        }
        probe = HAPeer(relationship=relationship, server=target, name=name)
        values['url'] = '' if str(peer.url) == probe.derived_url else str(peer.url)
        secrets = {'basic_auth_password': str(peer.basic_auth_password) if peer.basic_auth_password else ''}
        self.save(record, values, secrets=secrets, extra=_peer_extra(peer))
