"""Evidence: the facts that diagnosis needs and nothing else, as frozen dataclasses. Pure types.

Built by ``evidence.gather`` from the cluster (redacted on the way in); read by the rules, the prompt, the
policy and the pipeline. Env values, Secret data and managedFields never enter Evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubesent.events import PodEvent
from kubesent.evidence.category import Category
from kubesent.evidence.pullsecrets import PullSecretWitness
from kubesent.evidence.rollout import Rollout
from kubesent.evidence.trend import MemoryTrend


@dataclass(frozen=True)
class ProbeFacts:
    """One probe of a container, as configured in the template in effect."""

    name: str  # liveness | readiness | startup
    handler: str  # httpGet | tcpSocket | exec | grpc | none
    port: int | str | None
    path: str | None
    initial_delay_seconds: int
    timeout_seconds: int
    period_seconds: int
    failure_threshold: int


@dataclass(frozen=True)
class ConfigRef:
    """A ConfigMap or Secret the container depends on (by env, envFrom or volume)."""

    kind: str  # ConfigMap | Secret
    name: str
    key: str | None
    optional: bool
    via: str  # env | envFrom | volume


@dataclass(frozen=True)
class Termination:
    reason: str
    exit_code: int | None
    message: str
    started_at: str | None
    finished_at: str | None


@dataclass(frozen=True)
class ContainerFacts:
    """State and spec of one container of the failing pod. Text fields are redacted."""

    name: str
    init: bool
    image: str
    command: tuple[str, ...]
    args: tuple[str, ...]
    env_names: tuple[str, ...]
    secret_env_names: tuple[str, ...]
    config_refs: tuple[ConfigRef, ...]
    ports: tuple[tuple[str, int], ...]
    requests: dict[str, str]
    limits: dict[str, str]
    probes: tuple[ProbeFacts, ...]
    security_context: dict[str, Any]
    waiting_reason: str | None
    waiting_message: str
    running: bool
    terminated: Termination | None
    last_terminated: Termination | None
    restart_count: int
    ready: bool
    logs_current: str
    logs_previous: str
    heap_flags: tuple[str, ...] = ()
    """Runtime heap flags (``-Xmx512m``, ``-Xms1g``, ``-XX:InitialRAMPercentage=50``, ``--max-old-space-size=256``)
    from command, args and the well-known options env vars, in the order the runtime applies them, then the Go
    runtime's ``GOGC=…`` and ``GOMEMLIMIT=…``; only these tokens are kept, never the rest of an env value."""
    image_id: str = ""
    """``status.containerStatuses[].imageID``: the digest the kubelet ran for this container, when it ran one."""


@dataclass(frozen=True)
class EventFacts:
    reason: str
    type: str
    message: str
    count: int
    field_path: str
    annotations: dict[str, str]
    reporter: str = ""
    """Who reported it: ``source.component`` or ``reportingComponent`` (``kubelet`` for pod failures)."""


@dataclass(frozen=True)
class Owner:
    """The workload to patch (top of the owner chain), or the pod itself when it has no controller."""

    api_version: str
    kind: str
    namespace: str
    name: str
    uid: str
    resource_version: str
    labels: dict[str, str]
    annotations: dict[str, str]
    managers: tuple[str, ...]
    """Field managers that have written the pod template (from managedFields)."""
    template: dict[str, Any]
    """The pod template spec currently on the owner (what a patch changes), without env values."""
    selector: dict[str, str] = field(default_factory=dict)
    """The workload's ``spec.selector.matchLabels`` (what lists its ReplicaSets)."""
    appliers: tuple[str, ...] = ()
    """Of those managers, the ones that wrote it with server-side apply (``operation: Apply``): they own
    those fields and re-apply them, so a live patch is reverted or conflicts."""


@dataclass(frozen=True)
class SecretSource:
    """The operator's object that a missing Secret is made from: an ExternalSecret or a SealedSecret.

    Its status is text from the cluster: each condition is redacted and cut on the way in."""

    kind: str  # ExternalSecret | SealedSecret
    namespace: str
    name: str
    secret_name: str
    """The Secret it makes: the object's own name, or an ExternalSecret's ``spec.target.name``."""
    store: str
    """An ExternalSecret's ``spec.secretStoreRef`` (``vault-backend``, ``ClusterSecretStore/aws``); "" if none."""
    conditions: tuple[str, ...]
    """Its ``status.conditions`` as ``Type=Status Reason: message``, the operator's own word on the sync."""


@dataclass(frozen=True)
class Evidence:
    """Everything diagnosis and policy may look at for one incident."""

    event: PodEvent
    cluster: str
    namespace: str
    pod_name: str
    pod_uid: str
    phase: str
    pod_reason: str
    pod_message: str
    node_name: str
    conditions: tuple[dict[str, str], ...]
    containers: tuple[ContainerFacts, ...]
    owner_chain: tuple[str, ...]
    """``Kind/name`` from the pod upwards, e.g. ``("Pod/x", "ReplicaSet/y", "Deployment/z")``."""
    owner: Owner
    template_hash: str
    events: tuple[EventFacts, ...]
    event_message: str
    """The triggering event's message, redacted."""
    focus_container: str | None
    """The container the event names (fieldPath), else the failing one, else the first."""
    category: Category
    pod_spec: dict[str, Any] = field(default_factory=dict)
    """The pod spec pruned to scheduling, volumes and identity (no containers, no token volume)."""
    template_drift: str | None = None
    """Why the failing pod is not provably an instance of the owner's current template (a forged or
    unverifiable owner reference, a pod-level spec that differs), if it is not. Such incidents are
    proposed, never patched: the patch would be computed from the wrong facts."""
    pod_started_at: str | None = None
    """``status.startTime``: with the restart count, how long the container's runs lasted."""
    rollout: Rollout | None = None
    """For a Deployment's pod: its revision and the one before (from the Deployment's ReplicaSets)."""
    memory_trend: MemoryTrend | None = None
    """The focus container's memory over its last life, when a metrics provider is configured."""
    container_drifts: dict[str, str] = field(default_factory=dict)
    """Per container of the pod, why it differs from the owner's template (containers that match are absent)."""
    config_objects: dict[str, bool] = field(default_factory=dict)
    """``Kind/name`` → exists, for every ConfigMap/Secret the pod references (metadata only)."""
    config_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """``Kind/name`` → its keys (names only, never values), for objects that exist."""
    pull_secret: PullSecretWitness | None = None
    """After a pull refused for authorisation: the one pull secret that Ready pods of the namespace use for
    the same registry, and those pods (``evidence.pullsecrets``)."""
    secret_source: SecretSource | None = None
    """For a missing Secret: the operator object that makes it, when one was found (``evidence.secretsource``)."""

    def drift_for(self, container: str | None) -> str | None:
        """Why a patch of ``container`` (or of the pod template, for None) would rest on the wrong facts."""
        return self.template_drift or (self.container_drifts.get(container) if container else None)

    def container(self, name: str | None) -> ContainerFacts | None:
        for facts in self.containers:
            if facts.name == name:
                return facts
        return None

    @property
    def focus(self) -> ContainerFacts | None:
        return self.container(self.focus_container)
