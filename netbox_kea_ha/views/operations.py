"""
HA operations in the UI: the "HA operations" menu (on peer, relationship and server pages and the device/VM Kea HA
tab: one entry per operation of each peer the user may operate) and the confirmation page behind each entry.

GET `peers/<pk>/operate/?operation=<operation>` shows what will happen, what DHCP clients will notice, the states
NetBox last recorded, and the operation's options; POST enqueues an `OperatePeerJob` (bound to the relationship)
and shows the job. Both need `netbox_kea_ha.operate_hapeer` on the peer (constraints honoured: a peer outside them
is a 404). Nothing here talks to Kea: the job reads the states again and refuses what they make unsafe.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dcim.models import Device
from netbox.views import generic
from utilities.views import register_model_view
from virtualization.models import VirtualMachine

from ..forms.operations import OperationForm
from ..jobs import OperatePeerJob
from ..kea.ha import HAMode, HARole
from ..kea.operations import LABELS, Operation, Options, ScopeChoice, partner_of
from ..models import HAPeer, HARelationship, KeaServer
from ..object_actions import KeaHAAction, register_action
from ..services.operations import plan_operation

__all__ = (
    'HAPeerOperateView',
    'OperationsMenu',
    'operations_for',
)

#: The operations whose confirmation button is red: they interrupt DHCP service or take a server out of it.
_DISRUPTIVE = (Operation.MAINTENANCE_START, Operation.SYNC, Operation.RESET)


def operations_for(peer):
    """The operations that can apply to a peer by its mode and role (the job checks the states)."""
    mode, role = peer.relationship.mode, peer.role
    out = []
    if mode != HAMode.PASSIVE_BACKUP and role != HARole.BACKUP:
        out += [Operation.MAINTENANCE_START, Operation.MAINTENANCE_CANCEL]
    out.append(Operation.SYNC)
    if mode != HAMode.PASSIVE_BACKUP and role != HARole.BACKUP:
        out.append(Operation.SCOPES)
    out += [Operation.CONTINUE, Operation.RESET]
    return out


def _default_plan(peer, operation):
    """The plan with the options the page starts with (serve scopes: its partner's too, where that can be)."""
    if operation is Operation.SCOPES:
        plans = [plan_operation(peer, operation, Options(scopes=choice.value)) for choice in ScopeChoice]
        return next((plan for plan in plans if plan.problem is None), plans[0])
    return plan_operation(peer, operation)


def _operation(value):
    try:
        return Operation(value)
    except ValueError:
        return None


@register_model_view(HAPeer, 'operate', path='operate')
class HAPeerOperateView(generic.ObjectView):
    """The confirmation page of an HA operation on a peer (GET), and its start (POST)."""

    queryset = HAPeer.objects.select_related('relationship', 'server')
    template_name = 'netbox_kea_ha/hapeer_operate.html'

    def get_required_permission(self):
        """Every operation needs the `operate` permission on the peer."""
        return 'netbox_kea_ha.operate_hapeer'

    def _form(self, peer, operation, plan, data=None):
        sources = [p.name for p in plan.peers if p.name != peer.effective_name]
        partner = partner_of(plan.peer, plan.peers, plan.mode)
        form = OperationForm(
            data, operation=operation, sources=sources, default_source=partner.name if partner else None
        )
        if 'scopes' in form.fields and plan.options.scopes:
            form.fields['scopes'].initial = plan.options.scopes
        return form

    def get_extra_context(self, request, instance, form=None, problem=None):
        """The operation (`?operation=`), its plan in words, its options form, the peers' recorded states."""
        operation = _operation(request.GET.get('operation') or request.POST.get('operation'))
        context = {
            'tab': None,
            'operation': operation,
            'operations': [(op, LABELS[op]) for op in operations_for(instance)],
            'peers': list(
                instance.relationship.peers.select_related('server').order_by('pk') if operation is not None else []
            ),
        }
        if operation is None:
            return context
        plan = _default_plan(instance, operation)
        context.update(
            {
                'label': LABELS[operation],
                'plan': plan,
                'preview': plan.preview,
                'problem': problem or (plan.problem if operation is not Operation.SYNC else None),
                'form': form or self._form(instance, operation, plan),
                'disruptive': operation in _DISRUPTIVE,
            }
        )
        return context

    def post(self, request, pk):
        """Check the options and enqueue the operation; back to the page (with the reason) when refused."""
        peer = get_object_or_404(self.queryset, pk=pk)
        operation = _operation(request.POST.get('operation'))
        if operation is None:
            messages.error(request, _('Choose an operation.'))
            return redirect(reverse('plugins:netbox_kea_ha:hapeer_operate', args=[peer.pk]))
        form = self._form(peer, operation, _default_plan(peer, operation), data=request.POST)
        problem = None
        if form.is_valid():
            plan = plan_operation(peer, operation, form.options())
            if plan.problem is None:
                options = form.options()
                job = OperatePeerJob.enqueue_operation(
                    peer,
                    operation,
                    user=request.user,
                    options={'source': options.source, 'max_period': options.max_period, 'scopes': options.scopes},
                )
                messages.success(
                    request,
                    _('{label} of {peer}: queued as job {job}.').format(label=LABELS[operation], peer=peer, job=job.pk),
                )
                return redirect(job.get_absolute_url())
            problem = plan.problem
        context = {
            'object': peer,
            'actions': self.get_permitted_actions(request.user, model=peer),
            **self.get_extra_context(request, peer, form=form, problem=problem),
        }
        return render(request, self.get_template_name(), context, status=400)


# --- the menu -------------------------------------------------------------------------------------------------------


class OperationsMenu(KeaHAAction):
    """
    "HA operations": a menu with an entry per operation of each peer the user may operate, on a peer's page (that
    peer), a relationship's (its peers), a server's (its peers in every relationship) and the device/VM Kea HA tab
    (the peers of the servers there). Hidden when the user may operate none of them.
    """

    name = 'operate'
    label = _('HA operations')
    icon = 'mdi-cog-play'
    color = 'warning'
    method = 'get'
    template_name = 'netbox_kea_ha/buttons/operations.html'
    # Checked per peer in `render` (the page's object is not always a peer).
    permissions_required = set()

    @classmethod
    def peers(cls, obj, user):
        """The peers of `obj` the user may operate, with their relationship and server."""
        peers = HAPeer.objects.restrict(user, 'operate').select_related('relationship', 'server').order_by('pk')
        if isinstance(obj, HAPeer):
            return list(peers.filter(pk=obj.pk))
        if isinstance(obj, HARelationship):
            return list(peers.filter(relationship=obj))
        if isinstance(obj, KeaServer):
            return list(peers.filter(server=obj))
        if isinstance(obj, Device):
            return list(peers.filter(server__device=obj))
        if isinstance(obj, VirtualMachine):
            return list(peers.filter(server__virtual_machine=obj))
        return []

    @classmethod
    def render(cls, context, obj, **kwargs):
        """The menu, or nothing when the user may operate no peer of `obj`."""
        request = context['request']
        groups = []
        for peer in cls.peers(obj, request.user):
            url = reverse('plugins:netbox_kea_ha:hapeer_operate', args=[peer.pk])
            header = '' if isinstance(obj, HAPeer) else f'{peer.server} ({peer.effective_name}, {peer.relationship})'
            items = [{'label': LABELS[op], 'url': f'{url}?operation={op.value}'} for op in operations_for(peer)]
            groups.append({'header': header, 'items': items})
        if not groups:
            return ''
        return loader.render_to_string(
            cls.template_name,
            {'label': cls.label, 'icon': cls.icon, 'color': cls.color, 'groups': groups, 'request': request},
        )


register_action('hapeer', OperationsMenu)
register_action('harelationship', OperationsMenu)
register_action('keaserver', OperationsMenu)
register_action('host', OperationsMenu)
