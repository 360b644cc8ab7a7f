"""
REST actions: each checks the custom permission on the object (constraints honoured) and enqueues a NetBox job,
answering 202 with the job; nothing here talks to Kea.

    POST /api/plugins/kea-ha/servers/{id}/import/          import_keaserver          ImportServerJob
    POST /api/plugins/kea-ha/servers/{id}/status/          status_keaserver          StatusJob
    POST /api/plugins/kea-ha/relationships/{id}/sync/      sync_harelationship       SyncRelationshipJob
         {"dry_run": true} plans only; {"allow_disruptive": true} lets a mode/role/name/URL change through
    POST /api/plugins/kea-ha/relationships/{id}/status/    status_harelationship     StatusJob
    POST /api/plugins/kea-ha/relationships/{id}/import-ipam/ sync_harelationship    ImportIpamJob
         {"vrf": <VRF id>} puts the Prefixes, IP ranges and addresses in that VRF (default: none); needs the user's
         ipam add permissions for what it creates
    POST /api/plugins/kea-ha/status/                       status_keaserver (all)    StatusJob, every server
    POST /api/plugins/kea-ha/snapshots/{id}/restore/       restore_configsnapshot    RestoreSnapshotJob
         {"which": "after"} pushes the snapshot's pushed config instead of the one it replaced
    POST /api/plugins/kea-ha/peers/{id}/operate/           operate_hapeer            OperatePeerJob, on the relationship
         {"operation": "maintenance-start" | "maintenance-cancel" | "sync" | "scopes" | "continue" | "reset",
          "source": <peer name>, "max_period": <seconds> (sync), "scopes": "partner" | "own" (scopes)}; an option the
         operation does not take, or one its mode and role make pointless, is a 400 naming why

The snapshots themselves are read at GET /api/plugins/kea-ha/snapshots/ (api/views.py: read-only, redacted).
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import JobSerializer
from users.models import Token

from ..jobs import ImportIpamJob, ImportServerJob, OperatePeerJob, RestoreSnapshotJob, StatusJob, SyncRelationshipJob
from ..kea.operations import MAX_PERIOD_LIMIT, Operation, Options, ScopeChoice, option_problems
from ..models import ConfigSnapshot, HAPeer, HARelationship, KeaServer
from ..services.operations import plan_operation

__all__ = (
    'ActionPermission',
    'FleetStatusAPIView',
    'PeerOperateAPIView',
    'RelationshipImportIpamAPIView',
    'RelationshipStatusAPIView',
    'RelationshipSyncAPIView',
    'ServerImportAPIView',
    'ServerStatusAPIView',
    'SnapshotRestoreAPIView',
)


class SyncOptions(serializers.Serializer):
    """Options of a sync."""

    dry_run = serializers.BooleanField(default=False, help_text='Plan only: every check, nothing sent')
    allow_disruptive = serializers.BooleanField(
        default=False, help_text='Push changes no peer can take alone (mode, roles, peer names or URLs)'
    )


class NoOptions(serializers.Serializer):
    """An action without options: the body is empty or `{}`."""


class RestoreOptions(serializers.Serializer):
    """Options of a restore."""

    which = serializers.ChoiceField(choices=('before', 'after'), default='before')


class OperateOptions(serializers.Serializer):
    """An HA operation on a peer and its options (docs/operations.md)."""

    operation = serializers.ChoiceField(choices=[o.value for o in Operation])
    source = serializers.CharField(
        required=False, help_text='sync: the peer (its name in the relationship) whose leases are pulled'
    )
    max_period = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PERIOD_LIMIT,
        help_text="sync: seconds the source's DHCP service may stay disabled at most (default 60)",
    )
    scopes = serializers.ChoiceField(
        required=False,
        choices=[c.value for c in ScopeChoice],
        help_text="scopes: 'partner' (its own and its partner's scope) or 'own' (its own again)",
    )


def _options(serializer_class, request):
    """The request's options, checked: an unknown key is refused (a mistyped `dry_run` must not push)."""
    data = request.data or {}
    if not isinstance(data, dict):
        raise ValidationError({'non_field_errors': ['the body must be a JSON object of options']})
    serializer = serializer_class(data=data)
    known = set(serializer.fields)
    unknown = sorted(key for key in data if key not in known)
    if unknown:
        raise ValidationError({key: [f'unknown option (known: {", ".join(sorted(known))})'] for key in unknown})
    if not serializer.is_valid():
        raise ValidationError(serializer.errors)
    return serializer.validated_data


class ActionPermission(BasePermission):
    """An authenticated user, with a write-enabled token if a token is used; the action's own permission is checked
    on the object by the view."""

    def has_permission(self, request, view):
        """Authenticated, and a token (if any) allows writes."""
        if not (request.user and request.user.is_authenticated):
            return False
        return not (isinstance(request.auth, Token) and not request.auth.write_enabled)


class _JobAPIView(APIView):
    """POST: check `permission` on the object `pk` of `model`, enqueue the job, answer 202 with it."""

    permission_classes = (ActionPermission,)
    model = None
    action = None

    def get_object(self, request, pk):
        """The object, if the user may see it (404 otherwise) and may do the action on it (403 otherwise)."""
        obj = get_object_or_404(self.model.objects.restrict(request.user, 'view'), pk=pk)
        if not self.model.objects.restrict(request.user, self.action).filter(pk=pk).exists():
            raise PermissionDenied(
                f'You do not have the {self.action} permission on {self.model._meta.verbose_name} {obj}.'
            )
        return obj

    def accepted(self, request, job):
        """202 with the job."""
        data = JobSerializer(job, context={'request': request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED)

    def get_view_name(self):
        """Title in the browsable API."""
        return self.__class__.__doc__.splitlines()[0].rstrip('.')


class ServerImportAPIView(_JobAPIView):
    """Import from Kea: read the server's running config and create or update its HA relationships."""

    model, action = KeaServer, 'import'

    @extend_schema(request=NoOptions, responses={202: JobSerializer})
    def post(self, request, pk):
        """Enqueue an ImportServerJob."""
        server = self.get_object(request, pk)
        _options(NoOptions, request)
        return self.accepted(request, ImportServerJob.enqueue(instance=server, user=request.user))


class ServerStatusAPIView(_JobAPIView):
    """Read the HA state and drift of a server and its partners."""

    model, action = KeaServer, 'status'

    @extend_schema(request=NoOptions, responses={202: JobSerializer})
    def post(self, request, pk):
        """Enqueue a StatusJob for the server."""
        server = self.get_object(request, pk)
        _options(NoOptions, request)
        return self.accepted(request, StatusJob.enqueue(instance=server, user=request.user))


class RelationshipSyncAPIView(_JobAPIView):
    """Sync a relationship: replicate and push each peer's desired config (dry_run: plan only)."""

    model, action = HARelationship, 'sync'

    @extend_schema(request=SyncOptions, responses={202: JobSerializer})
    def post(self, request, pk):
        """Enqueue a SyncRelationshipJob."""
        relationship = self.get_object(request, pk)
        options = _options(SyncOptions, request)
        return self.accepted(request, SyncRelationshipJob.enqueue(instance=relationship, user=request.user, **options))


class IpamImportOptions(serializers.Serializer):
    """Options of an import into IPAM."""

    vrf = serializers.IntegerField(required=False, min_value=1, help_text='The VRF (ID) of what is created')


class RelationshipImportIpamAPIView(_JobAPIView):
    """Import into IPAM: what the relationship's primary runs becomes served prefixes, IP ranges and addresses."""

    model, action = HARelationship, 'sync'

    @extend_schema(request=IpamImportOptions, responses={202: JobSerializer})
    def post(self, request, pk):
        """Enqueue an ImportIpamJob."""
        from ipam.models import VRF

        relationship = self.get_object(request, pk)
        options = _options(IpamImportOptions, request)
        vrf_id = options.get('vrf')
        if vrf_id and not VRF.objects.restrict(request.user, 'view').filter(pk=vrf_id).exists():
            raise ValidationError({'vrf': [f'no VRF {vrf_id} you may see']})
        job = ImportIpamJob.enqueue(instance=relationship, user=request.user, vrf_id=vrf_id)
        return self.accepted(request, job)


class RelationshipStatusAPIView(_JobAPIView):
    """Read the HA state and drift of every peer of a relationship."""

    model, action = HARelationship, 'status'

    @extend_schema(request=NoOptions, responses={202: JobSerializer})
    def post(self, request, pk):
        """Enqueue a StatusJob for the relationship."""
        relationship = self.get_object(request, pk)
        _options(NoOptions, request)
        return self.accepted(request, StatusJob.enqueue(instance=relationship, user=request.user))


class FleetStatusAPIView(_JobAPIView):
    """Read the HA state and drift of every Kea server that is an HA peer."""

    @extend_schema(request=NoOptions, responses={202: JobSerializer})
    def post(self, request):
        """Enqueue a StatusJob for every server (needs the status permission on every Kea server)."""
        if not request.user.has_perm('netbox_kea_ha.status_keaserver'):
            raise PermissionDenied('You do not have the status permission on Kea servers.')
        _options(NoOptions, request)
        servers = KeaServer.objects.all()
        if servers.exclude(pk__in=servers.restrict(request.user, 'status').values('pk')).exists():
            raise PermissionDenied(
                'Your status permission does not cover every Kea server: read the status of each server instead '
                '(POST servers/{id}/status/).'
            )
        return self.accepted(request, StatusJob.enqueue(user=request.user))


class SnapshotRestoreAPIView(_JobAPIView):
    """Restore a config snapshot: push its config back to its server through the safe push."""

    model, action = ConfigSnapshot, 'restore'

    @extend_schema(request=RestoreOptions, responses={202: JobSerializer})
    def post(self, request, pk):
        """Enqueue a RestoreSnapshotJob."""
        snapshot = self.get_object(request, pk)
        options = _options(RestoreOptions, request)
        return self.accepted(request, RestoreSnapshotJob.enqueue_restore(snapshot, request.user, options['which']))


class PeerOperateAPIView(_JobAPIView):
    """HA operation on a peer: maintenance and the return from it, lease resync, scopes, continue or reset."""

    model, action = HAPeer, 'operate'

    @extend_schema(request=OperateOptions, responses={202: JobSerializer})
    def post(self, request, pk):
        """Enqueue an OperatePeerJob (bound to the peer's relationship); 400 when its mode, role or options make it
        pointless whatever the states (the job checks the states)."""
        peer = self.get_object(request, pk)
        data = _options(OperateOptions, request)
        operation = Operation(data.pop('operation'))
        options = Options(**data)
        if problems := option_problems(operation, options):
            raise ValidationError({name: [text] for name, text in problems.items()})
        plan = plan_operation(peer, operation, options)
        if plan.problem:
            raise ValidationError({'operation': [f'refused, nothing was sent: {plan.problem}']})
        return self.accepted(request, OperatePeerJob.enqueue_operation(peer, operation, request.user, options=data))
