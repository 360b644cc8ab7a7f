"""`manage.py kea_ha_sync [<relationship> ...|--all] [--dry-run] [--allow-disruptive] [--wait]`."""

from django.core.management.base import CommandError

from ...jobs import SyncRelationshipJob
from ...models import HARelationship
from ._jobs import JobCommand, find_by_name

__all__ = ('Command',)


class Command(JobCommand):
    """Sync HA relationships to Kea: one SyncRelationshipJob each (--dry-run: plan only, nothing sent)."""

    help = __doc__

    def add_arguments(self, parser):
        """Relationships by name or id, or --all."""
        parser.add_argument('relationships', nargs='*', help='HA relationship name(s) or id(s)')
        parser.add_argument('--all', action='store_true', help='Every relationship')
        parser.add_argument('--dry-run', action='store_true', help='Plan only: every check, nothing sent')
        parser.add_argument(
            '--allow-disruptive',
            action='store_true',
            help='Push changes no peer can take alone (mode, roles, peer names or URLs)',
        )
        super().add_arguments(parser)

    def handle(self, *args, **options):
        """Enqueue one sync job per relationship, and wait with --wait."""
        if options['all'] == bool(options['relationships']):
            raise CommandError('name the relationships to sync, or give --all (not both)')
        if options['all']:
            relationships = list(HARelationship.objects.all())
            if not relationships:
                self.stdout.write('no HA relationship to sync')
                return
        else:
            relationships = [find_by_name(HARelationship, value) for value in options['relationships']]
        jobs = [
            self.enqueue(
                SyncRelationshipJob,
                options,
                instance=relationship,
                dry_run=options['dry_run'],
                allow_disruptive=options['allow_disruptive'],
            )
            for relationship in relationships
        ]
        self.wait(jobs, options)
