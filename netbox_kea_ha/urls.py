"""UI URLs: every view is registered with register_model_view; importing `views` registers them."""

from django.urls import include, path

from utilities.urls import get_model_urls

from . import views  # noqa: F401 (registers the views, including the Device and VirtualMachine tabs)

__all__ = ('urlpatterns',)

urlpatterns = (
    path('servers/', include(get_model_urls('netbox_kea_ha', 'keaserver', detail=False))),
    path('servers/<int:pk>/', include(get_model_urls('netbox_kea_ha', 'keaserver'))),
    path('relationships/', include(get_model_urls('netbox_kea_ha', 'harelationship', detail=False))),
    path('relationships/<int:pk>/', include(get_model_urls('netbox_kea_ha', 'harelationship'))),
    path('peers/', include(get_model_urls('netbox_kea_ha', 'hapeer', detail=False))),
    path('peers/<int:pk>/', include(get_model_urls('netbox_kea_ha', 'hapeer'))),
    path('served-prefixes/', include(get_model_urls('netbox_kea_ha', 'servedprefix', detail=False))),
    path('served-prefixes/<int:pk>/', include(get_model_urls('netbox_kea_ha', 'servedprefix'))),
    path('snapshots/', include(get_model_urls('netbox_kea_ha', 'configsnapshot', detail=False))),
    path('snapshots/<int:pk>/', include(get_model_urls('netbox_kea_ha', 'configsnapshot'))),
    path('leases/who-holds/', views.IPAddressLeaseView.as_view(), name='ip_lease'),
)
