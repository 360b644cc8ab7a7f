"""`manage.py kea_ha_status [<server> ...] [--no-drift] [--wait]`: read HA state and drift (one StatusJob)."""

from ...jobs import StatusJob
from ...models import KeaServer
from ._jobs import JobCommand, find_by_name

__all__ = ('Command',)


class Command(JobCommand):
    """Read the HA state and config drift of every Kea server (or of the servers named, with their partners)."""

    help = __doc__

    def add_arguments(self, parser):
        """Optional servers; --no-drift skips the config comparison."""
        parser.add_argument('servers', nargs='*', help='Kea server name(s) or id(s); default: every HA peer')
        parser.add_argument('--no-drift', action='store_true', help='Read HA state only, not the running configs')
        super().add_arguments(parser)

    def handle(self, *args, **options):
        """Enqueue the status job(s), and wait with --wait."""
        drift = not options['no_drift']
        if options['servers']:
            servers = [find_by_name(KeaServer, value) for value in options['servers']]
            jobs = [self.enqueue(StatusJob, options, instance=server, drift=drift) for server in servers]
        else:
            jobs = [self.enqueue(StatusJob, options, drift=drift)]
        self.wait(jobs, options)
