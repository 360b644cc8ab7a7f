"""REST URLs: /api/plugins/kea-ha/{servers,relationships,peers}/."""

from netbox.api.routers import NetBoxRouter

from . import views

__all__ = ('urlpatterns',)

router = NetBoxRouter()
router.APIRootView = views.KeaHARootView
router.register('servers', views.KeaServerViewSet)
router.register('relationships', views.HARelationshipViewSet)
router.register('peers', views.HAPeerViewSet)

urlpatterns = router.urls
