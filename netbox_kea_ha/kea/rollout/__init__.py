"""
The safe rolling push: validate, read, diff, check health, test, then one peer at a time set, verify the hooks,
wait for HA to settle and write; roll back on failure. See `procedure` and docs/push.md.

    from netbox_kea_ha.kea.rollout import Target, rollout
    report = rollout([Target('server1', endpoint1, desired1), Target('server2', endpoint2, desired2)],
                     progress=lambda event: job.logger.info(str(event)))
    report.ok, report.summary(), report.peer('server2').outcome
"""

from .checks import (
    CONFIG_TEST_BUG,
    config_test_is_unsafe,
    disruptive_changes,
    health_problem,
    missing_hooks,
    operational_state,
    push_rank,
    settle_problem,
)
from .procedure import ClientFactory, RolloutError, Target, plan, rollout
from .report import PeerOutcome, PeerReport, Progress, ProgressCallback, RolloutReport, Step

__all__ = (
    'CONFIG_TEST_BUG',
    'ClientFactory',
    'PeerOutcome',
    'PeerReport',
    'Progress',
    'ProgressCallback',
    'RolloutError',
    'RolloutReport',
    'Step',
    'Target',
    'config_test_is_unsafe',
    'disruptive_changes',
    'health_problem',
    'missing_hooks',
    'operational_state',
    'plan',
    'push_rank',
    'rollout',
    'settle_problem',
)
