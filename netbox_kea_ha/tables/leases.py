"""Tables of leases (from Kea, not the database) and of per-subnet and per-pool utilisation, in NetBox's table look."""

import csv
import html as _html
import io
import ipaddress
from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import TextIO

import django_tables2 as tables
from django.http import QueryDict
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone
from django.utils.translation import gettext_lazy as _

from ..kea.leases import Lease

__all__ = (
    'CSV_COLUMNS',
    'LeaseTable',
    'PoolUtilisationTable',
    'UtilisationTable',
    'lease_rows',
    'leases_csv',
    'leases_csv_writer',
)

_ATTRS = {'class': 'table table-hover object-list'}

#: The columns of a CSV export: Kea's own keys, plus the state's name and the expiry time.
CSV_COLUMNS = (
    'ip-address',
    'subnet-id',
    'hw-address',
    'client-id',
    'duid',
    'iaid',
    'hostname',
    'state',
    'state-label',
    'cltt',
    'valid-lft',
    'expires',
)


def lease_rows(leases, server=None):
    """Table rows of `Lease` values: their fields, a numeric address to sort by, and who answered."""
    return [
        {
            'ip_address': lease.ip_address,
            'client': lease.client or '',
            'client_id': lease.client_id or '',
            'hostname': lease.hostname or '',
            'subnet_id': lease.subnet_id,
            'state': lease.state_label,
            'expires': lease.expires,
            'valid_lft': lease.valid_lft,
            'server': server or '',
        }
        for lease in leases
    ]


#: What a spreadsheet takes for the start of a formula: a client's hostname starting so gets a leading quote.
_FORMULA = ('=', '+', '-', '@', '\t', '\r')


def _cell(value):
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA) else value


def leases_csv_writer(out: TextIO) -> Callable[[Iterable[Lease]], None]:
    """Write the CSV header to the text stream `out`; a function that writes leases after it. Text a DHCP client
    chose (its hostname) that a spreadsheet would run as a formula is quoted."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction='ignore', lineterminator='\n')
    writer.writeheader()

    def write(leases: Iterable[Lease]) -> None:
        for lease in leases:
            writer.writerow({key: _cell(value) for key, value in lease.as_dict().items()})

    return write


def leases_csv(leases):
    """The leases as CSV text (one page: what the user sees)."""
    out = io.StringIO()
    leases_csv_writer(out)(leases)
    return out.getvalue()


def escape(value):
    """HTML-escaped text (the standard library's: Django's lazy-aware escape costs ten times more per cell); text
    with nothing to escape (most cells: addresses, MACs, numbers, dates) is returned as it is without copying."""
    text = str(value)
    if '&' in text or '<' in text or '>' in text or '"' in text or "'" in text:
        return _html.escape(text, quote=True)
    return text


def _address_key(row):
    """Sort key of a row's IP address (numeric; a text Kea sent that is not an address sorts first)."""
    try:
        return int(ipaddress.ip_address(row['ip_address']))
    except ValueError:
        return -1


class LeaseTable:
    """
    One page of leases in NetBox's table look, sortable within the page (`?sort=column`, `-column`: descending; Kea
    gives them in address order). Rendered straight to HTML (`html()`): a page of 1,000 leases through
    django-tables2's per-cell machinery took seconds. `delete_url`: the relationship's delete view (a delete button
    per row), or None. `query`: the request's GET parameters (kept in the sort links).
    """

    #: (row key, header, sort key)
    COLUMNS = (
        ('ip_address', _('IP address'), 'ip_address'),
        ('client', _('MAC / DUID'), 'client'),
        ('client_id', _('Client ID'), 'client_id'),
        ('hostname', _('Hostname'), 'hostname'),
        ('subnet_id', _('Subnet ID'), 'subnet_id'),
        ('state', _('State'), 'state'),
        ('expires', _('Expires'), 'expires'),
        ('valid_lft', _('Valid lifetime (s)'), 'valid_lft'),
    )

    def __init__(self, rows, *, query=None, delete_url=None):
        self.query = query.copy() if query is not None else QueryDict(mutable=True)
        self.sort = self.query.get('sort', '')
        self.delete_url = delete_url
        keys = {name: key for name, _label, key in self.COLUMNS}
        name = self.sort.removeprefix('-')
        self.rows = list(rows)
        if name in keys:
            key = keys[name]
            present = [row for row in self.rows if row[key] not in (None, '')]
            order = _address_key if name == 'ip_address' else itemgetter(key)
            present.sort(key=order, reverse=self.sort.startswith('-'))
            self.rows = present + [row for row in self.rows if row[key] in (None, '')]

    def _header(self, name, label):
        query = self.query.copy()
        query['sort'] = f'-{name}' if self.sort == name else name
        query.pop('export', None)
        marker = ' asc' if self.sort == name else ' desc' if self.sort == f'-{name}' else ''
        link = escape(f'?{query.urlencode()}')
        # htmx: a sort fetches only the results (views/leases.py), the page around them stays.
        attributes = f'href="{link}" hx-get="{link}" hx-target="#kea-ha-leases-results" hx-push-url="true"'
        return f'<th class="orderable{marker}"><a {attributes}>{escape(label)}</a></th>'

    def html(self):
        """The table as HTML."""
        out = ['<table class="table table-hover object-list"><thead><tr>']
        out.extend(self._header(name, label) for name, label, _key in self.COLUMNS)
        out.append('<th></th></tr></thead><tbody>' if self.delete_url else '</tr></thead><tbody>')
        title = escape(_('Delete this lease'))
        zone = get_current_timezone()  # once: localtime() looks it up again for every cell
        for row in self.rows:
            cells = [
                escape(row['ip_address']),
                escape(row['client']),
                escape(row['client_id']),
                escape(row['hostname']),
                escape('' if row['subnet_id'] is None else row['subnet_id']),
                escape(row['state']),
                row['expires'].astimezone(zone).isoformat(' ', 'seconds')[:19] if row['expires'] else '',
                escape('' if row['valid_lft'] is None else row['valid_lft']),
            ]
            out.append('<tr><td>' + '</td><td>'.join(cells) + '</td>')
            if self.delete_url:
                out.append(
                    f'<td><a href="{escape(self.delete_url)}?address={escape(row["ip_address"])}" '
                    f'class="btn btn-sm btn-red" title="{title}"><i class="mdi mdi-trash-can-outline"></i></a></td>'
                )
            out.append('</tr>')
        if not self.rows:
            out.append(
                f'<tr><td colspan="9" class="text-center text-muted">&mdash; {escape(_("No leases"))} &mdash;</td></tr>'
            )
        out.append('</tbody></table>')
        return mark_safe(''.join(out))  # noqa: S308 - every value above is escaped


class UtilisationTable(tables.Table):
    """Lease counts per subnet (counted once for the relationship); rows are `SubnetStats.as_dict()`."""

    subnet_id = tables.Column(accessor='subnet-id', verbose_name=_('Subnet ID'))
    total = tables.Column(verbose_name=_('Addresses'))
    assigned = tables.Column(verbose_name=_('Assigned'))
    declined = tables.Column(verbose_name=_('Declined'))
    free = tables.Column(verbose_name=_('Free'))
    utilisation = tables.Column(verbose_name=_('Utilisation'))

    class Meta:
        attrs = _ATTRS
        empty_text = _('No subnets')

    def render_utilisation(self, value):
        """A percentage."""
        return f'{value * 100:.1f} %'


class PoolUtilisationTable(UtilisationTable):
    """Lease counts per address pool (counted once for the relationship, from one server's leases); rows are
    `PoolStats.as_dict()`."""

    pool = tables.Column(verbose_name=_('Pool'))
    client_class = tables.Column(accessor='client-class', verbose_name=_('Client class'))
    complete = tables.BooleanColumn(verbose_name=_('Counted to its end'), yesno='✔,✘')

    class Meta(UtilisationTable.Meta):
        empty_text = _('No pools')
        sequence = ('subnet_id', 'pool', 'client_class', '...')


def delete_url(relationship):
    """The delete view of a relationship's leases."""
    return reverse('plugins:netbox_kea_ha:harelationship_lease_delete', kwargs={'pk': relationship.pk})
