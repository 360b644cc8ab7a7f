"""REST viewsets under /api/plugins/kea-ha/; `relationships/{id}/render/` shows what each peer's server would get."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import APIRootView

from netbox.api.viewsets import NetBoxModelViewSet, NetBoxReadOnlyModelViewSet

from .. import filtersets
from ..models import ConfigSnapshot, HAPeer, HARelationship, KeaServer, ServedPrefix
from ..services.display import shown_relationship
from ..visibility import visible_peers_prefetch
from . import serializers

__all__ = (
    'ConfigSnapshotViewSet',
    'HAPeerViewSet',
    'HARelationshipViewSet',
    'KeaHARootView',
    'KeaServerViewSet',
    'ServedPrefixViewSet',
)


class KeaHARootView(APIRootView):
    """Kea HA API root."""

    def get_view_name(self):
        """Title of the API root page."""
        return 'Kea HA'


class KeaServerViewSet(NetBoxModelViewSet):
    """Kea servers."""

    queryset = KeaServer.objects.select_related('device', 'virtual_machine', 'address')
    serializer_class = serializers.KeaServerSerializer
    filterset_class = filtersets.KeaServerFilterSet


class HARelationshipViewSet(NetBoxModelViewSet):
    """HA relationships, with their peers nested (read-only)."""

    queryset = HARelationship.objects.all()
    serializer_class = serializers.HARelationshipSerializer
    filterset_class = filtersets.HARelationshipFilterSet

    def initial(self, request, *args, **kwargs):
        """NetBox's checks, then the peers the user may see (`visibility`) prefetched: before the lookups NetBox adds
        for the nested serializers (`peers__server`, ...), which then follow these."""
        super().initial(request, *args, **kwargs)
        if not self.brief:
            self.queryset = self.queryset.prefetch_related(visible_peers_prefetch(request.user))

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=['get'], url_path='render')
    def render(self, request, pk):
        """
        The `hooks-libraries` block each peer's server would get (passwords redacted), or why it cannot be rendered
        or is not shown (the server is also in a relationship the user may not view), and the validation findings.
        Computed from NetBox's data; nothing is sent to Kea.
        """
        relationship = self.get_object()
        context = {'request': request}
        blocks, findings = shown_relationship(relationship, request.user)
        return Response(
            {
                'relationship': serializers.HARelationshipSerializer(relationship, nested=True, context=context).data,
                'findings': [finding.as_dict() for finding in findings],
                'servers': [
                    {
                        'server': serializers.KeaServerSerializer(block.server, nested=True, context=context).data,
                        'hooks_libraries': block.hooks_libraries,
                        'error': block.error,
                        'withheld': block.withheld,
                        'findings': [finding.as_dict() for finding in block.findings],
                    }
                    for block in blocks
                ],
            }
        )


class HAPeerViewSet(NetBoxModelViewSet):
    """Peers of HA relationships."""

    queryset = HAPeer.objects.select_related('relationship', 'server', 'server__address')
    serializer_class = serializers.HAPeerSerializer
    filterset_class = filtersets.HAPeerFilterSet


class ConfigSnapshotViewSet(NetBoxReadOnlyModelViewSet):
    """Config snapshots (read-only: jobs write them; configs redacted)."""

    queryset = ConfigSnapshot.objects.select_related('server', 'relationship', 'user', 'job', 'restored_from')
    serializer_class = serializers.ConfigSnapshotSerializer
    filterset_class = filtersets.ConfigSnapshotFilterSet


class ServedPrefixViewSet(NetBoxModelViewSet):
    """Prefixes served by relationships whose DHCP data comes from NetBox IPAM."""

    queryset = ServedPrefix.objects.select_related('relationship', 'prefix', 'prefix__vrf')
    serializer_class = serializers.ServedPrefixSerializer
    filterset_class = filtersets.ServedPrefixFilterSet
