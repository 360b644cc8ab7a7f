"""`manage.py kea_ha_import <server> [...] [--wait]`: import what Kea servers run (one ImportServerJob each)."""

from ...jobs import ImportServerJob
from ...models import KeaServer
from ._jobs import JobCommand, find_by_name

__all__ = ('Command',)


class Command(JobCommand):
    """Import from Kea: read each server's running config and create or update its HA relationships in NetBox."""

    help = __doc__

    def add_arguments(self, parser):
        """Servers by name or id."""
        parser.add_argument('servers', nargs='+', help='Kea server name(s) or id(s)')
        super().add_arguments(parser)

    def handle(self, *args, **options):
        """Enqueue one import job per server, and wait with --wait."""
        servers = [find_by_name(KeaServer, value) for value in options['servers']]
        jobs = [self.enqueue(ImportServerJob, options, instance=server) for server in servers]
        self.wait(jobs, options)
