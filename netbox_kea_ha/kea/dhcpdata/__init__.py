"""
The DHCP data of a relationship when NetBox IPAM is its source: served prefixes, their IP ranges (pools) and
reserved addresses as plain values (`values`), the load-balancing split of a range between the peers (`split`),
the checks before any push (`checks`), stable subnet ids (`subnet_ids`), the `subnet4`/`subnet6` list rendered
from Jinja2 templates (`render`) and the way back: a running config's subnets as the same values, for the import
into IPAM (`from_config`). Nothing here knows Django. docs/ipam.md describes the mapping.
"""
