"""`manage.py kea_ha_operate <peer or server> <operation> [--relationship R] [--source P] [--max-period S]
[--scopes partner|own] [--wait]`."""

from django.core.management.base import CommandError

from ...jobs import OperatePeerJob
from ...kea.operations import MAX_PERIOD_LIMIT, Operation, Options, ScopeChoice
from ...models import HAPeer, KeaServer
from ...services.operations import plan_operation
from ._jobs import JobCommand, find_by_name

__all__ = ('Command',)


class Command(JobCommand):
    """An HA operation on one peer (an OperatePeerJob): maintenance-start, maintenance-cancel, sync, scopes, continue,
    reset. The peer is named by its server (name or id; --relationship when the server is in several) or by its
    peer name."""

    help = __doc__

    def add_arguments(self, parser):
        """The peer (or its server), the operation and its options."""
        parser.add_argument('peer', help='Kea server (name or id), or peer name')
        parser.add_argument('operation', choices=[o.value for o in Operation])
        parser.add_argument('--relationship', help='HA relationship (name or id) when the server is in several')
        parser.add_argument('--source', help='sync: the peer whose leases are pulled (default: the partner)')
        parser.add_argument(
            '--max-period',
            type=int,
            help=f"sync: seconds the source's DHCP service stays disabled at most (1-{MAX_PERIOD_LIMIT}, default 60)",
        )
        parser.add_argument(
            '--scopes',
            choices=[c.value for c in ScopeChoice],
            help="scopes: 'partner' (its own and its partner's scope) or 'own' (its own again)",
        )
        super().add_arguments(parser)

    def handle(self, *args, **options):
        """Find the peer, refuse what its mode, role or options make pointless, enqueue; wait with --wait."""
        from ...models import HARelationship

        relationship = find_by_name(HARelationship, options['relationship']) if options['relationship'] else None
        peer = self.find_peer(options['peer'], relationship)
        operation = Operation(options['operation'])
        values = Options(source=options['source'], max_period=options['max_period'], scopes=options['scopes'])
        plan = plan_operation(peer, operation, values)
        if plan.problem:
            raise CommandError(f'refused, nothing was sent: {plan.problem}')
        kwargs = OperatePeerJob.operation_kwargs(
            peer, operation, {'source': values.source, 'max_period': values.max_period, 'scopes': values.scopes}
        )
        self.wait([self.enqueue(OperatePeerJob, options, **kwargs)], options)

    def find_peer(self, value, relationship=None):
        """The peer named `value`: a server's (name or id) only peer, or the one in `relationship`; else a peer by
        its name in its relationship. CommandError naming what is ambiguous or unknown."""
        peers = HAPeer.objects.select_related('relationship', 'server')
        if relationship is not None:
            peers = peers.filter(relationship=relationship)
        server = KeaServer.objects.filter(name=value).first()
        if server is None and value.isdigit():
            server = KeaServer.objects.filter(pk=int(value)).first()
        if server is not None:
            found = list(peers.filter(server=server))
        else:
            found = [peer for peer in peers if peer.effective_name == value]
        if len(found) == 1:
            return found[0]
        where = f' of relationship {relationship}' if relationship is not None else ''
        if not found:
            raise CommandError(f'no Kea server or HA peer{where} named {value!r}')
        names = ', '.join(str(peer.relationship) for peer in found)
        raise CommandError(f'{value!r} is a peer of several relationships ({names}): give --relationship')
