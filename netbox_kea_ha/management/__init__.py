"""Management commands of netbox-kea-ha."""
