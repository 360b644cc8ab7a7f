"""`manage.py kea_ha_import`, `kea_ha_sync`, `kea_ha_status`: enqueue the plugin's jobs, optionally wait for them."""
