"""
Rendering a relationship's `subnet4` / `subnet6` list from NetBox IPAM's data with the `subnets.json.j2` template
(overridable like the HA block's: a file of the same name in a template directory wins). The values are checked
first (`checks.check_dhcp_data`: an error stops the rendering), the output is parsed back and checked again (what a
changed template produced must still be a list of subnets with the ids and prefixes asked for), so what
`render_subnets` returns is what every peer of the relationship will run.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from ..findings import errors
from ..ha import KeaVersion
from ..normalise import respell
from ..render import RenderError, template_environment
from .checks import check_dhcp_data
from .split import pools_of
from .values import DhcpData, Reservation, ServedSubnet

__all__ = (
    'SUBNETS_TEMPLATE',
    'render_subnets',
    'reservation_entry',
    'subnet_context',
    'subnets_key',
)

#: The template of the subnet list.
SUBNETS_TEMPLATE = 'subnets.json.j2'

#: Lists a subnet's `extra` keys may add to (what an import kept as Kea had it), after NetBox's own items.
_MERGED_LISTS = {'pools': 'pools', 'reservations': 'reservations', 'option-data': 'option_data'}


def subnets_key(family: str) -> str:
    """The config key of the subnet list: `subnet4` or `subnet6`."""
    return 'subnet4' if family == 'dhcp4' else 'subnet6'


def reservation_entry(res: Reservation, family: str) -> dict[str, Any]:
    """A reservation as Kea's map (`ip-address` for DHCPv4, `ip-addresses` for DHCPv6)."""
    out: dict[str, Any] = {'hw-address': res.hw_address}
    if family == 'dhcp4':
        out['ip-address'] = str(res.ip_address)
    else:
        out['ip-addresses'] = [str(res.ip_address)]
    if res.hostname:
        out['hostname'] = res.hostname
    return out


def subnet_context(subnet: ServedSubnet, data: DhcpData, version: KeaVersion | None = None) -> dict[str, Any]:
    """What the template sees of one subnet (plain JSON values, pools split and spelled for `version`)."""
    context: dict[str, Any] = {
        'id': subnet.subnet_id,
        'subnet': str(subnet.prefix),
        'lifetimes': dict(subnet.lifetimes),
        'interface': subnet.interface,
        'relay_addresses': [str(a) for a in subnet.relay_addresses],
        'option_data': [o.to_kea() for o in subnet.options],
        'pools': [dict(respell('pool', p, version)) for p in pools_of(subnet, data)],
        'reservations': [reservation_entry(r, data.family) for r in sorted(subnet.reservations, key=_address_order)],
    }
    extra = dict(respell('subnet', subnet.extra, version)) if subnet.extra else {}
    for key, name in _MERGED_LISTS.items():
        if isinstance(extra.get(key), list):
            context[name] = context[name] + extra.pop(key)
    for key in ('id', 'subnet', 'interface', 'relay', *subnet.lifetimes):
        if key in extra and (key in ('id', 'subnet') or context.get(key) or key in subnet.lifetimes):
            extra.pop(key)
    context['extra'] = extra
    return context


def _address_order(res: Reservation) -> int:
    return int(res.ip_address)


def render_subnets(
    data: DhcpData, *, version: KeaVersion | None = None, template_dirs: Sequence[str | Path] = ()
) -> list[dict[str, Any]]:
    """The relationship's subnet list, checked, rendered, parsed and checked again; RenderError on any error (its
    `findings` are the checks' findings when the data is at fault)."""
    found = check_dhcp_data(data)
    if errors(found):
        listed = '; '.join(f'{f.field}: {f.message}' for f in errors(found))
        raise RenderError(f'the DHCP data cannot be rendered: {listed}', findings=found)
    values = {'family': data.family, 'subnets': [subnet_context(s, data, version) for s in data.subnets]}
    try:
        text = template_environment(template_dirs).get_template(SUBNETS_TEMPLATE).render(values)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(
            f'template {SUBNETS_TEMPLATE!r}, line {exc.lineno}: syntax error: {exc.message}',
            template=SUBNETS_TEMPLATE,
            line=exc.lineno,
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f'template {str(exc.name)!r} not found', template=str(exc.name)) from None
    except Exception as exc:  # anything a template can raise: undefined, sandbox security, type errors, ...
        raise RenderError(
            f'template {SUBNETS_TEMPLATE!r}: {type(exc).__name__}: {exc}', template=SUBNETS_TEMPLATE
        ) from None
    try:
        rendered = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RenderError(
            f'template {SUBNETS_TEMPLATE!r} did not produce JSON: {exc.msg} at line {exc.lineno}, '
            f'column {exc.colno} of its output',
            template=SUBNETS_TEMPLATE,
        ) from None
    _check_output(rendered, data)
    return rendered  # type: ignore[no-any-return]


def _check_output(rendered: Any, data: DhcpData) -> None:
    """The output is a list of subnet maps with the ids and prefixes of the data, in its order."""
    where = f'template {SUBNETS_TEMPLATE!r}'
    if not isinstance(rendered, list) or not all(isinstance(s, Mapping) for s in rendered):
        raise RenderError(f'{where} must produce a JSON list of subnet maps', template=SUBNETS_TEMPLATE)
    if len(rendered) != len(data.subnets):
        raise RenderError(
            f'{where} produced {len(rendered)} subnets for {len(data.subnets)} served prefixes',
            template=SUBNETS_TEMPLATE,
        )
    for i, (entry, subnet) in enumerate(zip(rendered, data.subnets, strict=True)):
        try:
            prefix = ipaddress.ip_network(str(entry.get('subnet')))
        except ValueError:
            prefix = None
        if entry.get('id') != subnet.subnet_id or prefix != subnet.prefix:
            raise RenderError(
                f'{where}: subnet [{i}] must be {subnet.prefix} with id {subnet.subnet_id}, got '
                f'{entry.get("subnet")!r} with id {entry.get("id")!r}',
                template=SUBNETS_TEMPLATE,
            )
        if not isinstance(entry.get('pools', []), list) or not isinstance(entry.get('reservations', []), list):
            raise RenderError(
                f'{where}: the pools and reservations of {subnet.prefix} must be lists', template=SUBNETS_TEMPLATE
            )
