"""
The `kea-ha` command: NetBox's Kea HA plugin from anywhere, through NetBox's REST API (pynetbox).

It never imports Django or NetBox (tests/test_layers.py checks it): it runs on a Kea host, an automation host or
a laptop with only `pip install netbox-kea-ha[cli]`. `main.main` is the console script; docs/cli.md describes it.
"""

__all__ = ()
