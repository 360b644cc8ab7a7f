"""
The import into NetBox IPAM: what a relationship's primary runs (its subnets, pools and reservations) becomes served
prefixes, Prefixes, IP ranges and reserved IP addresses, so that the relationship can switch its DHCP data source to
NetBox IPAM without retyping, and then renders what runs (docs/ipam.md).

Existing objects are matched, never changed (a Prefix by prefix and VRF, an IP range by its first and last address,
an IP address by address and VRF); a served prefix is created or brought up to date. A reservation becomes an IP
address (status: the first of `dhcp_reservation_statuses`) on the interface whose MAC address it names; with no such
interface in NetBox, it stays in the served prefix's Kea JSON and is listed. What NetBox cannot hold at all (shared
networks, global reservations) is listed and left out. It acts with the user's permissions: what the user may not
add is left alone and listed. A second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from logging import Logger
from typing import Any

from django.apps import apps
from django.db import transaction

from ..kea.dhcpdata.from_config import ImportedSubnets, subnets_from_config
from ..kea.dhcpdata.render import reservation_entry
from ..kea.dhcpdata.values import PoolRange, Reservation, ServedSubnet
from ..kea.ha import HAMode, HARole
from ..plugin_settings import get_setting
from .importer import read_server
from .intent import load_intent

__all__ = ('IpamImportFailed', 'IpamImportReport', 'import_into_ipam')

_PLAIN_OPTIONS = {
    'dhcp4': {'routers': 'routers', 'domain-name-servers': 'dns_servers', 'domain-name': 'domain_name'},
    'dhcp6': {'dns-servers': 'dns_servers', 'domain-search': 'domain_name'},
}
_LIFETIME_FIELDS = {'valid-lifetime': 'valid_lifetime', 'renew-timer': 'renew_timer', 'rebind-timer': 'rebind_timer'}
_SERVED_FIELDS = (
    'subnet_id', 'interface', 'relay_addresses', 'routers', 'dns_servers', 'domain_name', 'valid_lifetime',
    'renew_timer', 'rebind_timer', 'options', 'pool_splits', 'extra',
)  # fmt: skip


class IpamImportFailed(Exception):
    """The import cannot start (no primary, the primary cannot be read)."""


@dataclass
class IpamImportReport:
    """What the import did, object by object, and what it could not represent."""

    relationship: str
    server: str = ''
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The report as job data."""
        return {
            'relationship': self.relationship,
            'server': self.server,
            'created': self.created,
            'updated': self.updated,
            'unchanged': self.unchanged,
            'kept': self.kept,
            'left_out': self.left_out,
            'left_alone': self.left_alone,
        }


def _model(app: str, name: str) -> Any:
    return apps.get_model(app, name)


class _Importer:
    def __init__(self, relationship: Any, report: IpamImportReport, user: Any, vrf: Any, family: str) -> None:
        self.relationship = relationship
        self.report = report
        self.user = user
        self.vrf = vrf
        self.family = family

    def may_add(self, model: Any) -> bool:
        meta = model._meta
        return self.user is None or bool(self.user.has_perm(f'{meta.app_label}.add_{meta.model_name}'))

    def prefix(self, subnet: ServedSubnet) -> Any:
        model = _model('ipam', 'Prefix')
        found = model.objects.filter(prefix=str(subnet.prefix), vrf=self.vrf).first()
        if found is not None:
            self.report.unchanged.append(f'prefix {subnet.prefix}')
            return found
        if not self.may_add(model):
            self.report.left_alone.append(f'prefix {subnet.prefix}: you may not add prefixes; subnet not imported')
            return None
        created = model(prefix=str(subnet.prefix), vrf=self.vrf, status='active')
        created.full_clean()
        created.save()
        self.report.created.append(f'prefix {subnet.prefix}')
        return created

    def ip_range(self, subnet: ServedSubnet, rng: PoolRange) -> bool:
        model = _model('ipam', 'IPRange')
        length = subnet.prefix.prefixlen
        start, end = f'{rng.start}/{length}', f'{rng.end}/{length}'
        if model.objects.filter(vrf=self.vrf, start_address=start, end_address=end).exists():
            self.report.unchanged.append(f'IP range {rng.text}')
            return True
        if not self.may_add(model):
            self.report.left_alone.append(f'IP range {rng.text}: you may not add IP ranges')
            return False
        from netaddr import IPNetwork

        statuses = get_setting('dhcp_range_statuses')
        created = model(start_address=IPNetwork(start), end_address=IPNetwork(end), vrf=self.vrf, status=statuses[0])
        created.full_clean()
        created.save()
        self.report.created.append(f'IP range {rng.text}')
        return True

    def reservation(self, subnet: ServedSubnet, res: Reservation) -> bool:
        """True when the reservation is in NetBox (found or created) as a reserved IP address on its MAC's interface."""
        label = f'reservation {res.ip_address} ({res.hw_address})'
        macs = list(
            _model('dcim', 'MACAddress').objects.filter(mac_address=res.hw_address, assigned_object_id__isnull=False)
        )
        interfaces = [m.assigned_object for m in macs if m.assigned_object is not None]
        interfaces = [i for i in interfaces if getattr(i, 'primary_mac_address_id', None) in {m.pk for m in macs}]
        if len(interfaces) != 1:
            why = 'no interface in NetBox has it as its MAC address' if not interfaces else 'several interfaces have it'
            self.report.kept.append(f'{subnet.prefix}: {label}: {why}; kept as Kea JSON')
            return False
        interface = interfaces[0]
        model = _model('ipam', 'IPAddress')
        statuses = get_setting('dhcp_reservation_statuses')
        existing = model.objects.filter(address__net_host=str(res.ip_address), vrf=self.vrf).first()
        if existing is not None:
            if existing.assigned_object == interface and existing.status in statuses:
                self.report.unchanged.append(label)
                return True
            self.report.kept.append(
                f'{subnet.prefix}: {label}: the address exists in NetBox on another interface or with status '
                f'{existing.status}; left as it is and kept as Kea JSON'
            )
            return False
        if not self.may_add(model):
            self.report.left_alone.append(f'{label}: you may not add IP addresses; kept as Kea JSON')
            return False
        created = model(
            address=f'{res.ip_address}/{subnet.prefix.prefixlen}',
            vrf=self.vrf,
            status=statuses[0],
            dns_name=res.hostname,
            assigned_object=interface,
        )
        created.full_clean()
        created.save()
        self.report.created.append(label)
        return True

    def served(self, subnet: ServedSubnet, prefix: Any, values: dict[str, Any]) -> None:
        model = _model('netbox_kea_ha', 'ServedPrefix')
        found = model.objects.filter(relationship=self.relationship, prefix=prefix).first()
        label = f'served prefix {subnet.prefix} (subnet id {subnet.subnet_id})'
        if found is None:
            if not self.may_add(model):
                self.report.left_alone.append(f'{label}: you may not add served prefixes')
                return
            found = model(relationship=self.relationship, prefix=prefix, **values)
            found.full_clean()
            found.save()
            self.report.created.append(label)
            return
        if all(getattr(found, name) == value for name, value in values.items()):
            self.report.unchanged.append(label)
            return
        if self.user is not None and not model.objects.restrict(self.user, 'change').filter(pk=found.pk).exists():
            self.report.left_alone.append(f'{label}: differs from what runs, but you may not change it')
            return
        found.snapshot()
        for name, value in values.items():
            setattr(found, name, value)
        found.full_clean()
        found.save()
        self.report.updated.append(label)

    def subnet(self, subnet: ServedSubnet) -> None:
        prefix = self.prefix(subnet)
        if prefix is None:
            return
        splits: dict[str, Any] = {}
        extra_pools: list[dict[str, Any]] = []
        for rng in subnet.ranges:
            if not self.ip_range(subnet, rng):
                extra_pools.append(
                    {'pool': rng.text, **({'client-class': rng.client_class} if rng.client_class else {})}
                )
                continue
            spec: dict[str, Any] = {}
            if rng.client_class:
                spec['client_class'] = rng.client_class
            elif rng.peer:
                spec['peer'] = rng.peer
            elif rng.weights:
                spec['weights'] = list(rng.weights)
            elif not rng.split:
                spec['split'] = False
            if spec:
                splits[rng.text] = spec
        kept_reservations = [
            reservation_entry(res, self.family) for res in subnet.reservations if not self.reservation(subnet, res)
        ]
        extra = dict(subnet.extra)
        if kept_reservations:
            extra['reservations'] = kept_reservations + list(extra.get('reservations') or [])
        if extra_pools:
            extra['pools'] = extra_pools + list(extra.get('pools') or [])
        values: dict[str, Any] = {name: '' for name in ('routers', 'dns_servers', 'domain_name')}
        options: list[dict[str, Any]] = []
        plain = _PLAIN_OPTIONS[self.family]
        for option in subnet.options:
            name = plain.get(option.name)
            # The normal form names the standard option's code and space too: they follow from the name.
            standard = option.space in (None, self.family) and not option.always_send
            if name and standard and not values[name]:
                values[name] = option.data
            else:
                options.append(option.to_kea())
        for key, value in subnet.lifetimes.items():
            if key in _LIFETIME_FIELDS:
                values[_LIFETIME_FIELDS[key]] = value
            else:
                extra[key] = value
        values.update(
            subnet_id=subnet.subnet_id or None,
            interface=subnet.interface,
            relay_addresses=[str(a) for a in subnet.relay_addresses],
            options=options,
            pool_splits=splits,
            extra=extra,
        )
        for name in ('valid_lifetime', 'renew_timer', 'rebind_timer'):
            values.setdefault(name, None)
        self.served(subnet, prefix, values)


def import_into_ipam(
    relationship: Any, *, user: Any = None, logger: Logger | None = None, vrf: Any = None
) -> IpamImportReport:
    """Import what `relationship`'s primary runs into NetBox IPAM (Prefixes, IP ranges and reserved addresses in
    `vrf`, served prefixes of the relationship). Raises IpamImportFailed when the primary cannot be read."""
    report = IpamImportReport(str(relationship))
    loaded = load_intent(relationships=[relationship])
    rel = loaded.intent.relationships.get(relationship.pk)
    if rel is None or not rel.servers:
        raise IpamImportFailed(f'{relationship} has no peers: nothing runs to import')
    source = rel.primary or rel.servers[0]
    server = loaded.servers[source]
    report.server = str(server)
    if logger:
        logger.info(f'reading the subnets {server} runs')
    try:
        config, version = read_server(server)
    except Exception as exc:  # ImportFailed: names the server and the error
        raise IpamImportFailed(str(exc)) from None
    peers = ()
    if rel.value.mode == HAMode.LOAD_BALANCING:
        peers = tuple(p.name for p in rel.value.peers if p.role in (HARole.PRIMARY, HARole.SECONDARY))
    imported: ImportedSubnets = subnets_from_config(config, peers=peers, version=version.version)
    report.left_out += imported.left_out
    report.kept += imported.kept
    importer = _Importer(relationship, report, user, vrf, imported.family)
    with transaction.atomic():
        for subnet in imported.subnets:
            importer.subnet(subnet)
    if logger:
        for line in report.kept + report.left_out + report.left_alone:
            logger.warning(line)
        logger.info(
            f'{len(imported.subnets)} subnet(s): created {len(report.created)}, updated {len(report.updated)}, '
            f'unchanged {len(report.unchanged)}, left alone {len(report.left_alone)}'
        )
    return report
