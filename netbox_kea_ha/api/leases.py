"""
REST lease look-ups (docs/leases.md): these ask Kea during the request, each server bounded by the `lease_timeout`
setting, at most one page of leases per request.

    GET  /api/plugins/kea-ha/relationships/{id}/leases/?key=hw-address&value=0a:..&compare=true   leases_harelationship
    GET  /api/plugins/kea-ha/relationships/{id}/leases/subnet/?prefix=192.0.2.0/24&from=..&limit=100
    GET  /api/plugins/kea-ha/relationships/{id}/utilisation/
    POST /api/plugins/kea-ha/relationships/{id}/leases/export/ {"prefix": ...} -> 202 LeaseExportJob; GET ?job=<id>: CSV
    POST /api/plugins/kea-ha/relationships/{id}/leases/delete/ {"ip_address": "192.0.2.10"} delete_lease_harelationship
    GET  /api/plugins/kea-ha/servers/{id}/leases/ , .../leases/subnet/ , .../utilisation/      leases_keaserver

A user who may not see the object gets 404; one who may see it but lacks the action gets 403; nothing is sent to
Kea then. No server answered: 503 with every server's reason. A bad key or value: 400.
"""

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import JobSerializer

from ..jobs import LeaseExportJob
from ..models import HARelationship, KeaServer
from ..services.leases import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    LeaseLookupError,
    delete_lease,
    export_file,
    search_leases,
    subnet_page,
    utilisation,
)
from .actions import ActionPermission

__all__ = (
    'RelationshipLeaseDeleteAPIView',
    'RelationshipLeaseExportAPIView',
    'RelationshipLeasesAPIView',
    'RelationshipSubnetLeasesAPIView',
    'RelationshipUtilisationAPIView',
    'ServerLeasesAPIView',
    'ServerSubnetLeasesAPIView',
    'ServerUtilisationAPIView',
)


class LeaseDeleteOptions(serializers.Serializer):
    """The lease to delete."""

    ip_address = serializers.IPAddressField(help_text='The leased address; deleted on every peer')


def _answered(result):
    """Which server answered, when, and why others did not."""
    return {'source': result.source, 'at': result.at.isoformat(), 'unanswered': list(result.unanswered)}


def _compared(result):
    """The partners compared with and the leases that differ."""
    return {
        'compared_with': result.compared_with,
        'differences': [
            {
                'ip_address': d.ip_address,
                'partner': d.partner,
                'kind': d.kind,
                'source_lease': d.source_lease.as_dict() if d.source_lease else None,
                'partner_lease': d.partner_lease.as_dict() if d.partner_lease else None,
            }
            for d in result.differences
        ],
    }


def _flag(request, name):
    return request.query_params.get(name, '').lower() in ('1', 'true', 'yes', 'on')


class _LeaseAPIView(APIView):
    """Checks `view` (404) and the action (403) on the object `pk` of `model` before anything reaches Kea."""

    permission_classes = (IsAuthenticated,)
    model = None
    action = 'leases'

    def get_object(self, request, pk):
        """The object, if the user may see it and do the action on it."""
        obj = get_object_or_404(self.model.objects.restrict(request.user, 'view'), pk=pk)
        if not self.model.objects.restrict(request.user, self.action).filter(pk=pk).exists():
            raise PermissionDenied(
                f'You do not have the {self.action} permission on {self.model._meta.verbose_name} {obj}.'
            )
        return obj

    def get_view_name(self):
        """Title in the browsable API."""
        return self.__class__.__doc__.splitlines()[0].rstrip('.')

    def answer(self, call):
        """`call()`'s value as a 200; ValueError as a 400, LeaseLookupError as a 503."""
        try:
            return Response(call())
        except ValueError as exc:
            raise ValidationError({'detail': str(exc)}) from None
        except LeaseLookupError as exc:
            return Response({'detail': str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)


def _int(request, name, default):
    value = request.query_params.get(name)
    if value in (None, ''):
        return default
    try:
        return int(value)
    except ValueError:
        raise ValidationError({name: ['must be a whole number']}) from None


class _Search(_LeaseAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter('key', str, description='ip-address, hw-address, client-id, hostname, subnet; v6: duid'),
            OpenApiParameter('value', str, description='What to look for'),
            OpenApiParameter('compare', bool, description='Also ask the other peers and list the differences'),
            OpenApiParameter('limit', int, description=f'Leases at most (subnet), 1-{MAX_PAGE_SIZE}'),
        ],
        responses={200: dict},
    )
    def get(self, request, pk):
        """Search leases, from the first server that answers."""
        obj = self.get_object(request, pk)
        key = request.query_params.get('key', 'ip-address')
        value = request.query_params.get('value', '')
        compare = _flag(request, 'compare')
        limit = _int(request, 'limit', DEFAULT_PAGE_SIZE)

        def run():
            found = search_leases(obj, key, value, compare=compare, limit=limit)
            return (
                _answered(found)
                | {
                    'key': found.key,
                    'value': found.value,
                    'count': len(found.leases),
                    'leases': [lease.as_dict() for lease in found.leases],
                }
                | _compared(found)
            )

        return self.answer(run)


class _SubnetPage(_LeaseAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter('prefix', str, description='The subnet, e.g. 192.0.2.0/24'),
            OpenApiParameter('from', str, description="The previous page's next_from (leases after this address)"),
            OpenApiParameter('limit', int, description=f'Leases per page, 1-{MAX_PAGE_SIZE}'),
            OpenApiParameter('compare', bool, description="Also read every other peer's page; list the differences"),
        ],
        responses={200: dict},
    )
    def get(self, request, pk):
        """One page of a subnet's leases (address order); `next_from` is where the next page starts."""
        obj = self.get_object(request, pk)
        prefix = request.query_params.get('prefix', '')
        start = request.query_params.get('from') or None
        limit = _int(request, 'limit', DEFAULT_PAGE_SIZE)
        compare = _flag(request, 'compare')

        def run():
            page = subnet_page(obj, prefix, start=start, limit=limit, compare=compare)
            return (
                _answered(page)
                | {
                    'prefix': page.prefix,
                    'limit': page.limit,
                    'count': len(page.leases),
                    'next_from': page.next_from,
                    'leases': [lease.as_dict() for lease in page.leases],
                }
                | _compared(page)
            )

        return self.answer(run)


class _Utilisation(_LeaseAPIView):
    @extend_schema(responses={200: dict})
    def get(self, request, pk):
        """Lease counts per subnet and per pool, read from one server (counted once for a relationship)."""
        obj = self.get_object(request, pk)

        def run():
            found = utilisation(obj)
            return _answered(found) | {
                'method': found.method,
                'complete': found.complete,
                'subnets': [s.as_dict() for s in found.subnets],
                'pools': [p.as_dict() for p in found.pools],
                'pools_complete': found.pools_complete,
            }

        return self.answer(run)


class RelationshipLeasesAPIView(_Search):
    """Search the leases of a relationship."""

    model = HARelationship


class RelationshipSubnetLeasesAPIView(_SubnetPage):
    """One page of a subnet's leases in a relationship."""

    model = HARelationship


class RelationshipUtilisationAPIView(_Utilisation):
    """Lease counts per subnet of a relationship."""

    model = HARelationship


class ServerLeasesAPIView(_Search):
    """Search the leases of one server."""

    model = KeaServer


class ServerSubnetLeasesAPIView(_SubnetPage):
    """One page of a subnet's leases on one server."""

    model = KeaServer


class ServerUtilisationAPIView(_Utilisation):
    """Lease counts per subnet of one server."""

    model = KeaServer


class LeaseExportOptions(serializers.Serializer):
    """What to export."""

    prefix = serializers.CharField(required=False, help_text='Only the leases of this prefix (default: every lease)')


class RelationshipLeaseExportAPIView(_LeaseAPIView):
    """Export every lease of a relationship as a CSV file (a job)."""

    @property
    def permission_classes(self):
        """POST enqueues a job: a write-enabled token; GET reads the file."""
        return (ActionPermission,) if self.request.method == 'POST' else (IsAuthenticated,)

    model = HARelationship

    @extend_schema(request=LeaseExportOptions, responses={202: JobSerializer})
    def post(self, request, pk):
        """Enqueue a LeaseExportJob; 202 with the job. `GET ...?job=<id>` downloads the CSV once it completed."""
        relationship = self.get_object(request, pk)
        data = request.data if isinstance(request.data, dict) else {}
        unknown = sorted(set(data) - {'prefix'})
        if unknown:
            raise ValidationError({key: ['unknown option (known: prefix)'] for key in unknown})
        options = LeaseExportOptions(data=data)
        if not options.is_valid():
            raise ValidationError(options.errors)
        job = LeaseExportJob.enqueue(
            instance=relationship, user=request.user, prefix=options.validated_data.get('prefix')
        )
        return Response(JobSerializer(job, context={'request': request}).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(parameters=[OpenApiParameter('job', int, description='The export job')], responses={200: str})
    def get(self, request, pk):
        """The CSV of a completed export job of this relationship (404 otherwise)."""
        relationship = self.get_object(request, pk)
        found = export_file(relationship, request.query_params.get('job'))
        if found is None:
            raise NotFound('no completed lease export of this relationship with that job id')
        name, storage = found
        return FileResponse(storage.open(name, 'rb'), as_attachment=True, filename=f'leases-{relationship.pk}.csv')


class RelationshipLeaseDeleteAPIView(_LeaseAPIView):
    """Delete a lease on every peer of a relationship (journaled on the relationship)."""

    permission_classes = (ActionPermission,)
    model = HARelationship
    action = 'delete_lease'

    @extend_schema(request=LeaseDeleteOptions, responses={200: dict})
    def post(self, request, pk):
        """Delete the lease of `ip_address`: per server `deleted`, `not held` or why it failed."""
        relationship = self.get_object(request, pk)
        data = request.data if isinstance(request.data, dict) else {}
        unknown = sorted(set(data) - {'ip_address'})
        if unknown:
            raise ValidationError({key: ['unknown option (known: ip_address)'] for key in unknown})
        options = LeaseDeleteOptions(data=data)
        if not options.is_valid():
            raise ValidationError(options.errors)
        address = options.validated_data['ip_address']

        def run():
            deletion = delete_lease(relationship, address, user=request.user)
            return _answered(deletion) | {
                'ip_address': deletion.ip_address,
                'deleted': deletion.deleted,
                'servers': deletion.outcomes,
            }

        return self.answer(run)
