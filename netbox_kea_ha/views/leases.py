"""
The "Leases" tab of relationships and servers, the delete confirmation, and the "who holds this address" panel's
content (docs/leases.md).

These views talk to Kea during the request (a person is waiting for a lease): each call is bounded by the
`lease_timeout` setting, and a request reads at most one page of leases. The tab needs the `leases` permission on
the object (and `view`); the delete needs `delete_lease` on the relationship. Nothing here shows a password: the
errors name servers and reasons only.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from django_tables2 import RequestConfig

from netbox.views import generic
from utilities.htmx import htmx_partial
from utilities.views import (
    ConditionalLoginRequiredMixin,
    ObjectPermissionRequiredMixin,
    ViewTab,
    register_model_view,
)

from ..jobs import LeaseExportJob
from ..models import HARelationship, KeaServer
from ..services.leases import (
    DEFAULT_PAGE_SIZE,
    EXPORT_JOB_NAME,
    MAX_PAGE_SIZE,
    SEARCH_KEYS,
    LeaseLookupError,
    delete_lease,
    export_file,
    lease_family,
    lease_sources,
    prepare_search,
    prepare_subnet_page,
    prepare_utilisation,
    who_holds,
)
from ..tables.leases import LeaseTable, PoolUtilisationTable, UtilisationTable, delete_url, lease_rows, leases_csv
from ..template_content import readable_relationships

__all__ = (
    'HARelationshipLeaseDeleteView',
    'HARelationshipLeaseExportView',
    'HARelationshipLeasesView',
    'IPAddressLeaseView',
    'KeaServerLeasesView',
)

#: Relationships the "who holds this address" panel asks at most (concurrently); beyond that it says so.
WHO_HOLDS_MAX = 16
#: Threads that ask Kea while the tab around the answer is rendered (the Kea half of a look-up touches no database).
_ASKING = ThreadPoolExecutor(max_workers=8, thread_name_prefix='kea-ha-leases')
#: How long the tab waits for its request to Kea to be sent before it renders the page (a connection that takes
#: longer is waited for with the rest of the answer).
SEND_WAIT = 0.25
RESULTS_TEMPLATE = 'netbox_kea_ha/inc/leases_results.html'

_KEY_LABELS = {
    'ip-address': _('IP address'),
    'hw-address': _('MAC address'),
    'client-id': _('Client ID'),
    'duid': _('DUID'),
    'hostname': _('Hostname'),
    'subnet': _('Subnet (prefix)'),
}


def _per_page(value):
    try:
        return max(1, min(int(value), MAX_PAGE_SIZE))
    except (TypeError, ValueError):
        return DEFAULT_PAGE_SIZE


class _LeasesTab(generic.ObjectView):
    """Search (by IP, MAC / DUID, client-id, hostname, subnet), one page of a subnet's leases, utilisation."""

    template_name = 'netbox_kea_ha/leases.html'
    tab = None

    def get_required_permission(self):
        """The `leases` custom action on this model."""
        return f'netbox_kea_ha.leases_{self.queryset.model._meta.model_name}'

    def get(self, request, **kwargs):
        """The tab (or `?export=csv`: the page shown, as CSV). On the whole tab, Kea is asked in another thread as
        soon as the servers are read, while NetBox renders the page around the results, which wait for the answer
        where they stand (`{{ results }}`). (Rendering the whole page first and putting the results in afterwards
        measured the same: the thread reading Kea's answer then waits for the interpreter lock at its reads.)"""
        instance = get_object_or_404(self.queryset.restrict(request.user, 'view'), **kwargs)
        context = self.leases_context(request, instance)
        fetch = context.pop('fetch')
        export, partial = request.GET.get('export') == 'csv', htmx_partial(request)
        if fetch is not None and (export or partial):
            self.answer(request, instance, context, fetch)
            fetch = None
        if export and context['leases'] is not None:
            response = HttpResponse(leases_csv(context['leases']), content_type='text/csv')
            response['Content-Disposition'] = f'attachment; filename="leases-{instance.pk}.csv"'
            return response
        if partial:
            # The next page or a sort (htmx): only the results; the tab around them is already on the screen.
            return render(request, RESULTS_TEMPLATE, {'object': instance, **context})
        answer = self.ask(fetch) if fetch is not None else None
        context |= self.page_context(request, instance)
        context['results'] = lazy(lambda: self.results(request, instance, context, answer), SafeString)()
        actions = self.get_permitted_actions(request.user, model=instance)
        return render(
            request, self.get_template_name(), {'object': instance, 'actions': actions, 'tab': self.tab, **context}
        )

    @staticmethod
    def ask(fetch):
        """Start `fetch` in another thread; once its request is on its way (at most SEND_WAIT seconds), the function
        that waits for its answer. Rendering meanwhile would slow the request down: the two threads would take turns
        at the interpreter lock for every step of the connection."""
        sent = threading.Event()
        asking = _ASKING.submit(fetch, on_sent=sent.set)
        asking.add_done_callback(lambda _: sent.set())
        sent.wait(SEND_WAIT)
        return asking.result

    def results(self, request, instance, context, answer):
        """The results part, once `answer()` (the look-up's Kea half, if any is left) has answered."""
        if answer is not None:
            self.answer(request, instance, context, answer)
        return render_to_string(RESULTS_TEMPLATE, {'object': instance, **context}, request)

    def page_context(self, request, instance):
        """What the whole tab shows besides the search and its results (asked for after Kea is)."""
        return {}

    def deletes(self, request, instance):
        """The delete view's URL when the user may delete this object's leases, else None."""
        return

    def leases_context(self, request, instance):
        """What the template shows: the form's values, errors, and `fetch`: the Kea half of the look-up (search,
        page or utilisation; None after a bad value), which `answer` turns into the results."""
        servers = lease_sources(instance)
        family = lease_family(servers)
        params = request.GET
        key = params.get('key') or 'ip-address'
        value = (params.get('q') or '').strip()
        compare = params.get('compare') == 'on'
        per_page = _per_page(params.get('per_page'))
        context = {
            'keys': [(k, _KEY_LABELS[k]) for k in SEARCH_KEYS[family]],
            'key': key,
            'q': value,
            'compare': compare,
            'per_page': per_page,
            'family': family,
            'error': None,
            'answered': None,
            'leases': None,
            'table': None,
            'next_url': None,
            'differences': [],
            'utilisation': None,
            'utilisation_table': None,
            'pool_table': None,
            'fetch': None,
        }
        try:
            if value and key == 'subnet':
                start = params.get('from') or None
                context['fetch'] = prepare_subnet_page(
                    instance, value, start=start, limit=per_page, compare=compare, servers=servers
                )
            elif value:
                context['fetch'] = prepare_search(
                    instance, key, value, compare=compare, limit=per_page, servers=servers
                )
            else:
                context['fetch'] = prepare_utilisation(instance, servers=servers)
        except ValueError as exc:
            context['error'] = str(exc)
        return context

    def answer(self, request, instance, context, fetch):
        """Fill the context with what `fetch()` answered (or why no server did)."""
        try:
            answered = fetch()
        except LeaseLookupError as exc:
            context['error'] = str(exc)
            return
        params = request.GET
        context['answered'] = answered
        if not context['q']:
            table = UtilisationTable([s.as_dict() for s in answered.subnets])
            RequestConfig(request, paginate=False).configure(table)
            pools = PoolUtilisationTable([p.as_dict() for p in answered.pools], prefix='pools_')
            RequestConfig(request, paginate=False).configure(pools)
            context['utilisation'], context['utilisation_table'] = answered, table
            context['pool_table'] = pools
            return
        context['differences'] = answered.differences
        if context['key'] == 'subnet' and answered.next_from:
            query = params.copy()
            query['from'] = answered.next_from
            query.pop('export', None)
            context['next_url'] = '?' + query.urlencode()
        context['leases'] = answered.leases
        rows = lease_rows(answered.leases, answered.source)
        context['table'] = LeaseTable(rows, query=params, delete_url=self.deletes(request, instance))
        export = params.copy()
        export['export'] = 'csv'
        context['export_url'] = '?' + export.urlencode()


@register_model_view(HARelationship, 'leases', path='leases')
class HARelationshipLeasesView(_LeasesTab):
    """The "Leases" tab of a relationship: read from one reachable peer (which one is shown), compared on demand."""

    queryset = HARelationship.objects.all()
    tab = ViewTab(label=_('Leases'), permission='netbox_kea_ha.leases_harelationship', weight=650)

    def deletes(self, request, instance):
        """The delete view, for users with `delete_lease` on this relationship."""
        if request.user.has_perm('netbox_kea_ha.delete_lease_harelationship', instance):
            return delete_url(instance)
        return None

    def page_context(self, request, instance):
        """The last completed exports of this relationship (their download links)."""
        from django.contrib.contenttypes.models import ContentType

        from core.choices import JobStatusChoices
        from core.models import Job

        exports = Job.objects.filter(
            object_type=ContentType.objects.get_for_model(HARelationship),
            object_id=instance.pk,
            name=EXPORT_JOB_NAME,
            status=JobStatusChoices.STATUS_COMPLETED,
        ).order_by('-completed')[:5]
        return {'exports': exports}


@register_model_view(KeaServer, 'leases', path='leases')
class KeaServerLeasesView(_LeasesTab):
    """The "Leases" tab of a server: what this one server holds."""

    queryset = KeaServer.objects.all()
    tab = ViewTab(label=_('Leases'), permission='netbox_kea_ha.leases_keaserver', weight=650)


@register_model_view(HARelationship, 'lease_delete', path='leases/delete')
class HARelationshipLeaseDeleteView(ObjectPermissionRequiredMixin, View):
    """GET: confirm deleting the lease of `?address=` (nothing is sent). POST: delete it on every peer (HA does not
    copy lease_cmds changes to partners), journal it on the relationship, and go back to the Leases tab."""

    queryset = HARelationship.objects.all()

    def get_required_permission(self):
        """The `delete_lease` custom action."""
        return 'netbox_kea_ha.delete_lease_harelationship'

    def _object(self, request, pk):
        return get_object_or_404(self.queryset.restrict(request.user, 'view'), pk=pk)

    def get(self, request, pk):
        """The confirmation page."""
        relationship = self._object(request, pk)
        return render(
            request,
            'netbox_kea_ha/lease_delete.html',
            {
                'object': relationship,
                'address': request.GET.get('address', ''),
                'servers': [peer.server for peer in relationship.peers.select_related('server')],
                'return_url': reverse('plugins:netbox_kea_ha:harelationship_leases', kwargs={'pk': pk}),
            },
        )

    def post(self, request, pk):
        """Delete and go back to the tab, searching for the address."""
        relationship = self._object(request, pk)
        address = request.POST.get('address', '')
        tab = reverse('plugins:netbox_kea_ha:harelationship_leases', kwargs={'pk': pk})
        try:
            deletion = delete_lease(relationship, address, user=request.user)
        except (ValueError, LeaseLookupError) as exc:
            messages.error(request, str(exc))
            return redirect(tab)
        outcome = ', '.join(f'{name}: {text}' for name, text in deletion.outcomes.items())
        if deletion.deleted:
            messages.success(
                request, _('Lease {address} deleted ({outcome}).').format(address=address, outcome=outcome)
            )
        else:
            messages.warning(
                request, _('No lease deleted for {address} ({outcome}).').format(address=address, outcome=outcome)
            )
        return redirect(tab + '?' + urlencode({'key': 'ip-address', 'q': deletion.ip_address}))


@register_model_view(HARelationship, 'lease_export', path='leases/export')
class HARelationshipLeaseExportView(ObjectPermissionRequiredMixin, View):
    """POST: enqueue a LeaseExportJob (every lease, or those of `prefix`) and show the job. GET `?job=<id>`: that
    completed export's CSV file. Both need the `leases` permission on the relationship."""

    queryset = HARelationship.objects.all()

    def get_required_permission(self):
        """The `leases` custom action."""
        return 'netbox_kea_ha.leases_harelationship'

    def get(self, request, pk):
        """The CSV of a completed export."""
        relationship = get_object_or_404(self.queryset.restrict(request.user, 'view'), pk=pk)
        found = export_file(relationship, request.GET.get('job'))
        if found is None:
            raise Http404('no completed lease export of this relationship with that job id')
        name, storage = found
        return FileResponse(storage.open(name, 'rb'), as_attachment=True, filename=f'leases-{relationship.pk}.csv')

    def post(self, request, pk):
        """Enqueue the export."""
        relationship = get_object_or_404(self.queryset.restrict(request.user, 'view'), pk=pk)
        prefix = (request.POST.get('prefix') or '').strip() or None
        job = LeaseExportJob.enqueue(instance=relationship, user=request.user, prefix=prefix)
        messages.success(request, _('Lease export of {obj}: queued as job {job}.').format(obj=relationship, job=job.pk))
        return redirect(job.get_absolute_url())


class IPAddressLeaseView(ConditionalLoginRequiredMixin, View):
    """The content of the "DHCP lease" panel of an IP address (loaded by htmx after the page): the lease of
    `?address=` in every relationship of its family the user may read leases of (at most WHO_HOLDS_MAX), except those
    whose served prefixes NetBox knows (DHCP data from IPAM) when none of them holds the address."""

    def get(self, request):
        """The panel's body."""
        import ipaddress

        try:
            address = ipaddress.ip_interface(request.GET.get('address', '')).ip
        except ValueError:
            return HttpResponse(status=400)
        family = f'dhcp{address.version}'
        relationships = list(readable_relationships(request.user, family, address)[: WHO_HOLDS_MAX + 1])
        too_many = len(relationships) > WHO_HOLDS_MAX
        results = who_holds(str(address), relationships[:WHO_HOLDS_MAX]) if relationships else []
        found = [
            (relationship, lease, result)
            for relationship, result in results
            if not isinstance(result, LeaseLookupError)
            for lease in result.leases
        ]
        errors = [
            (relationship, str(result)) for relationship, result in results if isinstance(result, LeaseLookupError)
        ]
        return render(
            request,
            'netbox_kea_ha/inc/who_holds.html',
            {
                'address': str(address),
                'found': found,
                'errors': errors,
                'asked': len(results),
                'too_many': too_many,
            },
        )
