"""REST URLs: /api/plugins/kea-ha/{servers,relationships,peers,snapshots}/, the job actions (api/actions.py) and the
lease look-ups (api/leases.py)."""

from django.urls import path

from netbox.api.routers import NetBoxRouter

from . import actions, leases, views

__all__ = ('urlpatterns',)

router = NetBoxRouter()
router.APIRootView = views.KeaHARootView
router.register('servers', views.KeaServerViewSet)
router.register('relationships', views.HARelationshipViewSet)
router.register('peers', views.HAPeerViewSet)
router.register('snapshots', views.ConfigSnapshotViewSet)
router.register('served-prefixes', views.ServedPrefixViewSet)

urlpatterns = [
    path('servers/<int:pk>/import/', actions.ServerImportAPIView.as_view(), name='keaserver-import'),
    path('servers/<int:pk>/status/', actions.ServerStatusAPIView.as_view(), name='keaserver-status'),
    path('relationships/<int:pk>/sync/', actions.RelationshipSyncAPIView.as_view(), name='harelationship-sync'),
    path(
        'relationships/<int:pk>/import-ipam/',
        actions.RelationshipImportIpamAPIView.as_view(),
        name='harelationship-import-ipam',
    ),
    path('relationships/<int:pk>/status/', actions.RelationshipStatusAPIView.as_view(), name='harelationship-status'),
    path('peers/<int:pk>/operate/', actions.PeerOperateAPIView.as_view(), name='hapeer-operate'),
    path('snapshots/<int:pk>/restore/', actions.SnapshotRestoreAPIView.as_view(), name='configsnapshot-restore'),
    path('status/', actions.FleetStatusAPIView.as_view(), name='status'),
    path('relationships/<int:pk>/leases/', leases.RelationshipLeasesAPIView.as_view(), name='harelationship-leases'),
    path(
        'relationships/<int:pk>/leases/subnet/',
        leases.RelationshipSubnetLeasesAPIView.as_view(),
        name='harelationship-leases-subnet',
    ),
    path(
        'relationships/<int:pk>/leases/delete/',
        leases.RelationshipLeaseDeleteAPIView.as_view(),
        name='harelationship-leases-delete',
    ),
    path(
        'relationships/<int:pk>/leases/export/',
        leases.RelationshipLeaseExportAPIView.as_view(),
        name='harelationship-leases-export',
    ),
    path(
        'relationships/<int:pk>/utilisation/',
        leases.RelationshipUtilisationAPIView.as_view(),
        name='harelationship-utilisation',
    ),
    path('servers/<int:pk>/leases/', leases.ServerLeasesAPIView.as_view(), name='keaserver-leases'),
    path('servers/<int:pk>/leases/subnet/', leases.ServerSubnetLeasesAPIView.as_view(), name='keaserver-leases-subnet'),
    path('servers/<int:pk>/utilisation/', leases.ServerUtilisationAPIView.as_view(), name='keaserver-utilisation'),
    *router.urls,
]
