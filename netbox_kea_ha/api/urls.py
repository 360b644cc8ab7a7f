"""REST URLs: /api/plugins/kea-ha/{servers,relationships,peers,snapshots}/ and the job actions (api/actions.py)."""

from django.urls import path

from netbox.api.routers import NetBoxRouter

from . import actions, views

__all__ = ('urlpatterns',)

router = NetBoxRouter()
router.APIRootView = views.KeaHARootView
router.register('servers', views.KeaServerViewSet)
router.register('relationships', views.HARelationshipViewSet)
router.register('peers', views.HAPeerViewSet)
router.register('snapshots', views.ConfigSnapshotViewSet)

urlpatterns = [
    path('servers/<int:pk>/import/', actions.ServerImportAPIView.as_view(), name='keaserver-import'),
    path('servers/<int:pk>/status/', actions.ServerStatusAPIView.as_view(), name='keaserver-status'),
    path('relationships/<int:pk>/sync/', actions.RelationshipSyncAPIView.as_view(), name='harelationship-sync'),
    path('relationships/<int:pk>/status/', actions.RelationshipStatusAPIView.as_view(), name='harelationship-status'),
    path('snapshots/<int:pk>/restore/', actions.SnapshotRestoreAPIView.as_view(), name='configsnapshot-restore'),
    path('status/', actions.FleetStatusAPIView.as_view(), name='status'),
    *router.urls,
]
