"""
HA operations on one peer of a relationship: maintenance and the return from it, lease resync, scopes, continue,
reset. Each is refused, with the reason in words, before anything is sent when the states make it unsafe or
pointless, and verified afterwards by the HA states it should lead to. See `procedure` and docs/operations.md.

    from netbox_kea_ha.kea.operations import Operation, OperationPeer, operate
    report = operate(Operation.MAINTENANCE_START, 'server2', peers, endpoints, 'load-balancing')
"""

from .checks import continue_problem, entry_of, outcome_problem, paused_states, state_problem
from .kinds import (
    DEFAULT_MAX_PERIOD,
    LABELS,
    MAX_PERIOD_LIMIT,
    Operation,
    OperationPeer,
    Options,
    Preview,
    Resolved,
    ScopeChoice,
    option_problems,
    partner_of,
    preview,
    resolve,
    static_problem,
)
from .procedure import CANCEL_ATTEMPTS, RECHECK_SECONDS, ClientFactory, operate
from .report import OperationReport

__all__ = (
    'CANCEL_ATTEMPTS',
    'DEFAULT_MAX_PERIOD',
    'LABELS',
    'MAX_PERIOD_LIMIT',
    'RECHECK_SECONDS',
    'ClientFactory',
    'Operation',
    'OperationPeer',
    'OperationReport',
    'Options',
    'Preview',
    'Resolved',
    'ScopeChoice',
    'continue_problem',
    'entry_of',
    'operate',
    'option_problems',
    'outcome_problem',
    'partner_of',
    'paused_states',
    'preview',
    'resolve',
    'state_problem',
    'static_problem',
)
