"""
The action buttons: Import from Kea, Read status, Sync, Plan, Restore. Each view only checks the custom permission
(`Meta.permissions`, object constraints honoured) and enqueues a job; nothing here talks to Kea.

| button | where | permission | job |
|---|---|---|---|
| Import from Kea | server page, device/VM "Kea HA" tab | `import_keaserver` | ImportServerJob per server |
| Read status | server, relationship, device/VM tab | `status_keaserver` / `status_harelationship` | StatusJob |
| Sync | relationship page | `sync_harelationship` | SyncRelationshipJob |
| Plan | relationship page | `sync_harelationship` | SyncRelationshipJob(dry_run) -> the plan page |
| Restore | config snapshot page | `restore_configsnapshot` | RestoreSnapshotJob, bound to the snapshot's server |
"""

from django.contrib import messages
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import View

from core.choices import JobStatusChoices
from dcim.models import Device
from netbox.views import generic
from utilities.views import ConditionalLoginRequiredMixin, ObjectPermissionRequiredMixin, register_model_view
from virtualization.models import VirtualMachine

from ..jobs import ImportServerJob, RestoreSnapshotJob, StatusJob, SyncRelationshipJob
from ..models import ConfigSnapshot, HARelationship, KeaServer
from ..object_actions import KeaHAAction, register_action

__all__ = (
    'ConfigSnapshotRestoreView',
    'DeviceKeaHAImportView',
    'DeviceKeaHAStatusView',
    'HARelationshipPlanView',
    'HARelationshipStatusView',
    'HARelationshipSyncView',
    'KeaServerImportView',
    'KeaServerStatusView',
    'RestoreSnapshot',
    'VirtualMachineKeaHAImportView',
    'VirtualMachineKeaHAStatusView',
)


class _JobView(ObjectPermissionRequiredMixin, View):
    """POST only: check the permission on the object, enqueue the job, show its page."""

    http_method_names = ['post']
    permission = None
    job_class = None
    verb = ''

    def get_required_permission(self):
        """The custom action this button needs."""
        return self.permission

    def enqueue(self, request, obj):
        """Enqueue the job for `obj`."""
        return self.job_class.enqueue(instance=obj, user=request.user)

    def post(self, request, pk):
        """Enqueue and redirect to the job."""
        obj = get_object_or_404(self.queryset, pk=pk)
        job = self.enqueue(request, obj)
        messages.success(request, _('{verb} {obj}: queued as job {job}.').format(verb=self.verb, obj=obj, job=job.pk))
        return redirect(job.get_absolute_url())


@register_model_view(KeaServer, 'kea_import', path='import-from-kea')
class KeaServerImportView(_JobView):
    """Import what the server runs (ImportServerJob)."""

    queryset = KeaServer.objects.all()
    permission = 'netbox_kea_ha.import_keaserver'
    job_class = ImportServerJob
    verb = _('Import from')


@register_model_view(KeaServer, 'status', path='status')
class KeaServerStatusView(_JobView):
    """Read the HA state of the server and its partners (StatusJob)."""

    queryset = KeaServer.objects.all()
    permission = 'netbox_kea_ha.status_keaserver'
    job_class = StatusJob
    verb = _('Read the status of')


@register_model_view(HARelationship, 'status', path='status')
class HARelationshipStatusView(_JobView):
    """Read the HA state of every peer of the relationship (StatusJob)."""

    queryset = HARelationship.objects.all()
    permission = 'netbox_kea_ha.status_harelationship'
    job_class = StatusJob
    verb = _('Read the status of')


@register_model_view(HARelationship, 'sync', path='sync')
class HARelationshipSyncView(_JobView):
    """Replicate and push the relationship (SyncRelationshipJob); `allow_disruptive=true` (the Plan page's "Sync
    anyway" button) lets changes through that no peer can take alone."""

    queryset = HARelationship.objects.all()
    permission = 'netbox_kea_ha.sync_harelationship'
    job_class = SyncRelationshipJob
    verb = _('Sync')

    def enqueue(self, request, obj):
        """Enqueue the sync, with `allow_disruptive` when the form asks for it."""
        allow = request.POST.get('allow_disruptive') == 'true'
        return self.job_class.enqueue(instance=obj, user=request.user, allow_disruptive=allow)


@register_model_view(ConfigSnapshot, 'restore')
class ConfigSnapshotRestoreView(_JobView):
    """Push the snapshot's `before` config back to its server (RestoreSnapshotJob, bound to the server)."""

    queryset = ConfigSnapshot.objects.select_related('server')
    permission = 'netbox_kea_ha.restore_configsnapshot'
    job_class = RestoreSnapshotJob
    verb = _('Restore')

    def enqueue(self, request, obj):
        """Enqueue the restore of the snapshot."""
        return self.job_class.enqueue_restore(obj, request.user)


@register_model_view(HARelationship, 'plan', path='plan')
class HARelationshipPlanView(generic.ObjectView):
    """
    GET: the plan page (with `?job=<id>`: that plan's result, per peer what would change). POST: enqueue a dry-run
    sync and come back here to watch it. Both need the `sync` permission: a plan reads the servers' configs.
    """

    queryset = HARelationship.objects.all()
    template_name = 'netbox_kea_ha/harelationship_plan.html'

    def get_required_permission(self):
        """Plan needs the `sync` permission."""
        return 'netbox_kea_ha.sync_harelationship'

    def get_extra_context(self, request, instance):
        """The plan job named by `?job=` (only a plan of this relationship), and whether it is still running."""
        job = None
        if request.GET.get('job', '').isdigit():
            job = instance.jobs.filter(pk=int(request.GET['job'])).first()
        running = job is not None and job.status not in JobStatusChoices.TERMINAL_STATE_CHOICES
        return {
            'job': job,
            'running': running,
            'plan': job.data if job is not None and isinstance(job.data, dict) else None,
            'tab': None,
        }

    def post(self, request, pk):
        """Enqueue a dry-run sync and show it."""
        relationship = get_object_or_404(self.queryset, pk=pk)
        job = SyncRelationshipJob.enqueue(instance=relationship, user=request.user, dry_run=True)
        return redirect(f'{reverse("plugins:netbox_kea_ha:harelationship_plan", args=[relationship.pk])}?job={job.pk}')


class _HostJobView(ConditionalLoginRequiredMixin, View):
    """POST on a device or VM: enqueue the job for every Kea server there that the user may act on."""

    http_method_names = ['post']
    host_model = None
    host_field = None
    action = None
    job_class = None

    def post(self, request, pk):
        """Enqueue one job per permitted server on the host; redirect to the job (one) or the host's tab."""
        host = get_object_or_404(self.host_model.objects.restrict(request.user, 'view'), pk=pk)
        servers = list(KeaServer.objects.restrict(request.user, self.action).filter(**{self.host_field: host}))
        if not servers:
            return HttpResponseForbidden(
                _('You may not {action} any Kea server on {host}.').format(action=self.action, host=host)
            )
        jobs = [self.job_class.enqueue(instance=server, user=request.user) for server in servers]
        for server, job in zip(servers, jobs, strict=True):
            messages.success(request, _('{server}: queued as job {job}.').format(server=server, job=job.pk))
        if len(jobs) == 1:
            return redirect(jobs[0].get_absolute_url())
        meta = self.host_model._meta
        return redirect(reverse(f'{meta.app_label}:{meta.model_name}_kea_ha', args=[pk]))


@register_model_view(Device, 'kea_ha_import', path='kea-ha/import')
class DeviceKeaHAImportView(_HostJobView):
    """Import from Kea, for every Kea server on a device."""

    host_model, host_field, action, job_class = Device, 'device', 'import', ImportServerJob


@register_model_view(VirtualMachine, 'kea_ha_import', path='kea-ha/import')
class VirtualMachineKeaHAImportView(_HostJobView):
    """Import from Kea, for every Kea server on a virtual machine."""

    host_model, host_field, action, job_class = VirtualMachine, 'virtual_machine', 'import', ImportServerJob


@register_model_view(Device, 'kea_ha_status', path='kea-ha/status')
class DeviceKeaHAStatusView(_HostJobView):
    """Read status, for every Kea server on a device."""

    host_model, host_field, action, job_class = Device, 'device', 'status', StatusJob


@register_model_view(VirtualMachine, 'kea_ha_status', path='kea-ha/status')
class VirtualMachineKeaHAStatusView(_HostJobView):
    """Read status, for every Kea server on a virtual machine."""

    host_model, host_field, action, job_class = VirtualMachine, 'virtual_machine', 'status', StatusJob


# --- the buttons ---------------------------------------------------------------------------------------------------


class ImportFromKea(KeaHAAction):
    """Import from Kea (server page)."""

    name = 'kea_import'
    label = _('Import from Kea')
    icon = 'mdi-database-import'
    permissions_required = {'import'}


class ReadStatus(KeaHAAction):
    """Read status (server and relationship pages)."""

    name = 'status'
    label = _('Read status')
    icon = 'mdi-heart-pulse'
    color = 'info'
    permissions_required = {'status'}


class Sync(KeaHAAction):
    """Sync (relationship page)."""

    name = 'sync'
    label = _('Sync')
    icon = 'mdi-sync'
    color = 'success'
    permissions_required = {'sync'}


class Plan(KeaHAAction):
    """Plan: what a sync would change (relationship page)."""

    name = 'plan'
    label = _('Plan')
    icon = 'mdi-file-compare'
    color = 'secondary'
    permissions_required = {'sync'}


class RestoreSnapshot(KeaHAAction):
    """Restore (config snapshot page): push the snapshot's `before` config back through the safe push."""

    name = 'restore'
    label = _('Restore')
    icon = 'mdi-backup-restore'
    color = 'warning'
    permissions_required = {'restore'}


class HostImportFromKea(ImportFromKea):
    """Import from Kea (device/VM tab): every server on the host."""

    name = 'kea_ha_import'


class HostReadStatus(ReadStatus):
    """Read status (device/VM tab): every server on the host."""

    name = 'kea_ha_status'


register_action('keaserver', ImportFromKea)
register_action('keaserver', ReadStatus)
register_action('harelationship', Plan)
register_action('harelationship', Sync)
register_action('harelationship', ReadStatus)
register_action('host', HostImportFromKea)
register_action('host', HostReadStatus)
