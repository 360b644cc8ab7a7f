"""`manage.py kea_ha_import <server> [...] [--wait]`: import what Kea servers run (one ImportServerJob each)."""

from django.core.management.base import CommandError

from ...jobs import ImportServerJob
from ...models import KeaServer
from ._jobs import JobCommand

__all__ = ('Command',)


def find_server(value):
    """A KeaServer by name, or by id; CommandError naming what was not found."""
    server = KeaServer.objects.filter(name=value).first()
    if server is None and value.isdigit():
        server = KeaServer.objects.filter(pk=int(value)).first()
    if server is None:
        known = ', '.join(KeaServer.objects.values_list('name', flat=True)[:20]) or 'none'
        raise CommandError(f'no Kea server named {value!r} (known: {known})')
    return server


class Command(JobCommand):
    """Import from Kea: read each server's running config and create or update its HA relationships in NetBox."""

    help = __doc__

    def add_arguments(self, parser):
        """Servers by name or id."""
        parser.add_argument('servers', nargs='+', help='Kea server name(s) or id(s)')
        super().add_arguments(parser)

    def handle(self, *args, **options):
        """Enqueue one import job per server, and wait with --wait."""
        servers = [find_server(value) for value in options['servers']]
        jobs = [self.enqueue(ImportServerJob, options, instance=server) for server in servers]
        self.wait(jobs, options)
