"""One peer of a rollout: the `Target` a caller gives, and the working state the procedure keeps for it (its
desired and running relationships as this server takes part in them, its states before the push, its report)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..client import Endpoint, KeaClient, KeaConfig
from ..detect import Detection, DetectionError, detect
from ..ha import HAState, KeaVersion
from ..normalise import family_of
from ..replicate import config_root
from ..status import ServerStatus
from .checks import named_relationship, settle_problem
from .report import PeerReport
from .runtime import RuntimePlan

__all__ = ('PeerState', 'Target', 'View', 'relationship_state', 'settled_text', 'unsettled', 'views')


@dataclass(frozen=True)
class Target:
    """One peer to push: its name in the relationship (`this-server-name`), how to reach it, what it should run.

    `version`: the Kea version NetBox knows for it, used to validate before anything is read; the version the
    server reports is used from then on. `running`: what it runs, when the caller has just read it (the rollout
    then does not read it again).
    """

    name: str
    endpoint: Endpoint
    desired: Mapping[str, Any] = field(repr=False)
    version: KeaVersion | None = None
    running: KeaConfig | None = field(default=None, repr=False)


class PeerState:
    """Working state of one peer during a rollout."""

    def __init__(self, target: Target, client: KeaClient) -> None:
        self.target = target
        self.name = target.name
        self.client = client
        self.report = PeerReport(name=target.name, url=target.endpoint.url, version=target.version)
        self.desired_detection: Detection | None = None
        self.running: KeaConfig | None = None
        self._running_detection: Detection | None = None
        self._running_detected = False
        self.read_error: str | None = None
        self.version: KeaVersion | None = target.version
        self.family = family_of(config_root(target.desired)[0])
        #: The local HA state of each of its relationships (by this server's name in it) before the push.
        self.states_before: dict[str, str] = {}
        #: After a rollback: whether it is back on its previous config with its hooks loaded and HA settled.
        self.recovered = False
        #: The commands that apply its change without a reload, when Kea has them (`runtime.runtime_plan`).
        self.runtime: RuntimePlan | None = None

    @property
    def running_detection(self) -> Detection | None:
        """The HA relationships of the running config (detected when first needed: a peer whose config does
        not differ never needs them); None when it has no readable HA block."""
        if not self._running_detected and self.running is not None:
            self._running_detected = True
            try:
                self._running_detection = detect(self.running.config, version=self.version)
            except DetectionError:
                self._running_detection = None
        return self._running_detection

    @property
    def role(self) -> str | None:
        """Its role in the relationship being pushed (the one that names it, on a hub)."""
        view = self._own_view
        return view[2] if view else None

    @property
    def mode(self) -> Any:
        """The mode of the relationship being pushed."""
        view = self._own_view
        return view[1] if view else None

    @property
    def sync_leases(self) -> bool | None:
        """Whether the relationship being pushed syncs leases when HA restarts (its `sync-leases`, Kea's default
        when not set), or None when the desired config names no relationship for this peer."""
        detection = self.desired_detection
        index = named_relationship(detection, self.name) if detection else None
        if detection is None or index is None:
            return None
        value = detection.relationships[index].effective('sync-leases', self.version)
        return value if isinstance(value, bool) else None

    @property
    def _own_view(self) -> View | None:
        detection = self.desired_detection
        index = named_relationship(detection, self.name) if detection else None
        return None if index is None else self.desired_views[index]

    @property
    def desired_views(self) -> list[View]:
        """Each relationship of the desired config as this server takes part in it (a hub has several)."""
        return views(self.desired_detection)

    @property
    def running_views(self) -> list[View]:
        """Each relationship of the running config (the desired ones when the running config has none)."""
        return views(self.running_detection) or self.desired_views

    def accepted(self, name: str) -> frozenset[str]:
        """States besides the operational one that count as settled for its relationship `name`: partner-down,
        when it was in partner-down before the push (a forced push while its partner is away)."""
        return _PARTNER_DOWN if self.states_before.get(name) == HAState.PARTNER_DOWN else frozenset()


#: This server's name, the mode and this server's role in one relationship.
View = tuple[str, Any, Any]
_PARTNER_DOWN = frozenset({HAState.PARTNER_DOWN})


def views(detection: Detection | None) -> list[View]:
    """Each relationship of a detection as this server takes part in it: (its name there, mode, its role)."""
    if detection is None:
        return []
    return [
        (name, rel.mode, role)
        for name, rel, role in zip(detection.this_server_names, detection.relationships, detection.roles, strict=True)
    ]


def relationship_state(status: ServerStatus, name: str) -> str | None:
    """The local HA state of this server's relationship `name` (the first one when names are not reported)."""
    rel = status.relationship(name) or status.ha
    return rel.local.state if rel else None


def unsettled(status: ServerStatus, peer: PeerState, relationships: Sequence[View]) -> str | None:
    """Why the peer has not settled in one of its relationships yet (None once it has in every one)."""
    for name, mode, role in relationships:
        problem = settle_problem(status, name, mode, role, accept=peer.accepted(name))
        if problem:
            return f'{name}: {problem}' if len(relationships) > 1 else problem
    return None


def settled_text(status: ServerStatus, relationships: Sequence[View]) -> str:
    """What a settled peer's step says: the state of each of its relationships."""
    states = [relationship_state(status, name) or '?' for name, _mode, _role in relationships]
    return ', '.join(states) + (', partner in touch' if all(s != HAState.PARTNER_DOWN for s in states) else '')
