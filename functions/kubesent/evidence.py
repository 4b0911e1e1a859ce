"""Evidence: the facts that diagnosis needs and nothing else, gathered from the cluster and redacted.

Reads through the ``cluster.Reader`` protocol only (the real API or a bundle's objects); never writes.
Env values, Secret data and managedFields never enter Evidence. Called by the pipeline.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from typing import Any

from kubesent import errors, redaction, workloads
from kubesent.cluster_api import Reader
from kubesent.diagnosis.schema import Category
from kubesent.events import PodEvent

# Events on the pod considered: enough to see a pattern (pull → back-off → failed), few enough to read.
MAX_POD_EVENTS = 20


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
    """Runtime heap flags (``-Xmx512m``, ``--max-old-space-size=256``) from command, args and the
    well-known options env vars; only the flag tokens are kept, never the rest of an env value."""


@dataclass(frozen=True)
class EventFacts:
    reason: str
    type: str
    message: str
    count: int
    field_path: str
    annotations: dict[str, str]


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
    node: dict[str, Any] | None = None
    config_objects: dict[str, bool] = field(default_factory=dict)
    """``Kind/name`` → exists, for every ConfigMap/Secret the pod references (metadata only)."""
    config_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """``Kind/name`` → its keys (names only, never values), for objects that exist."""

    def container(self, name: str | None) -> ContainerFacts | None:
        for facts in self.containers:
            if facts.name == name:
                return facts
        return None

    @property
    def focus(self) -> ContainerFacts | None:
        return self.container(self.focus_container)


# --- gathering --------------------------------------------------------------------------------------

_IMAGE_WAITING = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
                            "RegistryUnavailable", "SignatureValidationFailed"})
_CREATE_WAITING = frozenset({"CreateContainerError", "RunContainerError", "PreStartHookError",
                             "PostStartHookError", "ContainerCannotRun"})
# Kubelet's image messages: `Failed to pull image "I"`, `Error: ErrImagePull`, `Error: ImagePullBackOff`,
# `Failed to apply default image tag`, `Error: InvalidImageName`, `Container image "I" is not present with pull policy of Never`.
_IMAGE_MESSAGE = re.compile(r"(?:pull(?:ing)? image|ErrImage|ImagePull|InvalidImageName|default image tag|"
                            r"image \S+ is not present|Container image .{0,300} is not present)", re.IGNORECASE)
_NON_ROOT_MESSAGE = re.compile(r"container has runAsNonRoot and image")
_START_FAILURES = frozenset({"StartError", "ContainerCannotRun"})
_CONFIG_MESSAGE = re.compile(r'(?:configmap|secret) "[^"]+" not found|couldn.t find key \S+ in (?:ConfigMap|Secret)',
                             re.IGNORECASE)
_HEAP_FLAG = re.compile(r"(?:-Xmx[0-9]{1,9}[kKmMgG]?|-XX:MaxRAMPercentage=[0-9.]{1,6}|--max-old-space-size=[0-9]{1,9})")
# Env vars whose values carry runtime options; only heap flags are ever taken out of them.
_HEAP_ENV_NAMES = frozenset({"JAVA_OPTS", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "NODE_OPTIONS",
                             "CATALINA_OPTS", "ES_JAVA_OPTS", "KAFKA_HEAP_OPTS", "JVM_OPTS"})
# Logs are read only when a container has run; pull and config failures never started one.
_LOG_CATEGORIES = frozenset({Category.OOM_KILLED, Category.CRASH_LOOP, Category.PROBE_FAILURE,
                             Category.CONTAINER_CREATE, Category.OTHER, Category.EVICTED})


def identify(reader: Reader, event: PodEvent, *, cluster: str) -> Evidence:
    """The cheap first phase: pod, owner chain and category, enough for the incident key.

    Raises NotFound if the pod is gone or was replaced. Events, logs and config come in ``complete``,
    after the ledger has admitted the incident, so duplicates cost only these reads.
    """
    namespace, pod_name = event.namespace, event.involved_object.name
    pod = reader.read(api_version="v1", kind="Pod", namespace=namespace, name=pod_name)
    pod_uid = str(pod.get("metadata", {}).get("uid", ""))
    containers = _containers(pod)
    if event.involved_object.uid and pod_uid and event.involved_object.uid != pod_uid \
            and not any(_failing(c) for c in containers):
        # A StatefulSet recreates a pod under the same name; if the new one is healthy, all is well.
        raise errors.NotFound(f"pod {namespace}/{pod_name} was replaced by a healthy one (uid {pod_uid}, event "
                              f"for {event.involved_object.uid})")
    chain, top, unfollowed = workloads.resolve_owner(reader, pod)
    focus = _focus(event, containers)
    status = pod.get("status") or {}
    return Evidence(
        event=event, cluster=cluster, namespace=namespace, pod_name=pod_name, pod_uid=pod_uid,
        phase=str(status.get("phase", "")), pod_reason=str(status.get("reason", "")),
        pod_message=redaction.redact(str(status.get("message", ""))[:2000]),
        node_name=str((pod.get("spec") or {}).get("nodeName", "")),
        conditions=tuple({k: redaction.redact(str(v)[:500]) for k, v in c.items()
                          if k in ("type", "status", "reason", "message")}
                         for c in status.get("conditions") or [] if isinstance(c, dict)),
        containers=containers, owner_chain=tuple(chain), owner=_owner_facts(top, unfollowed),
        template_hash=workloads.template_hash(pod, top), events=(),
        event_message=redaction.redact(event.message[:4000]), focus_container=focus,
        category=classify(event, containers, focus, pod))


def complete(reader: Reader, evidence: Evidence, *, log_tail_lines: int, log_limit_bytes: int,
             log_max_chars: int) -> Evidence:
    """The second phase: the pod's recent events, log tails of the failing container, config state."""
    raw_events = reader.pod_events(namespace=evidence.namespace, pod_name=evidence.pod_name, pod_uid=evidence.pod_uid)
    containers = evidence.containers
    if evidence.category in _LOG_CATEGORIES:
        containers = tuple(_with_logs(reader, facts, namespace=evidence.namespace, pod=evidence.pod_name,
                                      wanted=facts.name == evidence.focus_container, tail_lines=log_tail_lines,
                                      limit_bytes=log_limit_bytes, max_chars=log_max_chars) for facts in containers)
    config_objects, config_keys = _config_state(reader, evidence.namespace, containers, evidence.category)
    return replace(evidence, containers=containers,
                   events=tuple(_event_facts(item) for item in _newest(raw_events)[:MAX_POD_EVENTS]),
                   config_objects=config_objects, config_keys=config_keys)


def classify(event: PodEvent, containers: tuple[ContainerFacts, ...], focus: str | None,
             pod: dict[str, Any]) -> Category:
    """The failure category: the most fundamental failure the pod shows, not just the event's reason.

    An OOM kill comes first: the readiness failures and back-offs of a restarted container are its
    consequences (kubelet's back-off entry expires after 10 minutes, so a container that ran for
    hours shows up through its probes, not a BackOff). Then the event reason, then container state.
    """
    reason, message = event.reason, event.message[:4000]
    facts = next((c for c in containers if c.name == focus), None)
    waiting = facts.waiting_reason if facts else None
    last = (facts.last_terminated or facts.terminated) if facts else None
    if reason == "Evicted" or (pod.get("status") or {}).get("reason") == "Evicted":
        return Category.EVICTED
    if reason == "FailedScheduling":
        return Category.UNSCHEDULABLE
    if reason in ("FailedMount", "FailedAttachVolume"):
        return Category.MOUNT_FAILURE
    if last is not None and last.reason == "OOMKilled" and reason in ("BackOff", "Unhealthy", "Killing", "Failed"):
        return Category.OOM_KILLED
    if reason == "Unhealthy":
        return Category.PROBE_FAILURE
    if waiting in _IMAGE_WAITING or (reason in ("Failed", "InspectFailed") and _IMAGE_MESSAGE.search(message)):
        return Category.IMAGE_PULL
    if waiting == "CreateContainerConfigError" and _NON_ROOT_MESSAGE.search(
            message + " " + (facts.waiting_message if facts else "")):
        return Category.CONTAINER_CREATE
    if waiting == "CreateContainerConfigError" or _CONFIG_MESSAGE.search(message):
        return Category.CONFIG_MISSING
    if waiting in _CREATE_WAITING or reason in ("FailedPostStartHook", "FailedPreStopHook"):
        return Category.CONTAINER_CREATE
    if last is not None and last.reason in _START_FAILURES:
        # The runtime could not start the process (runc: executable not found, exec format error).
        return Category.CONTAINER_CREATE
    if reason == "BackOff" or waiting == "CrashLoopBackOff":
        return Category.CRASH_LOOP
    for other in containers:
        other_last = other.last_terminated or other.terminated
        if other_last is not None and other_last.reason == "OOMKilled":
            return Category.OOM_KILLED
    return Category.OTHER


def _newest(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def stamp(item: dict[str, Any]) -> str:
        return str(item.get("lastTimestamp") or item.get("eventTime") or
                   (item.get("metadata") or {}).get("creationTimestamp") or "")
    return sorted(items, key=stamp, reverse=True)


def _event_facts(item: dict[str, Any]) -> EventFacts:
    annotations = (item.get("metadata") or {}).get("annotations") or {}
    return EventFacts(
        reason=str(item.get("reason", ""))[:64], type=str(item.get("type", ""))[:16],
        message=redaction.redact(str(item.get("message", ""))[:2000]), count=int(item.get("count") or 1),
        field_path=str((item.get("involvedObject") or {}).get("fieldPath", ""))[:300],
        annotations=redaction.redact_mapping({str(k): str(v)[:500] for k, v in annotations.items()}))


def _owner_facts(top: dict[str, Any], unfollowed: dict[str, Any] | None) -> Owner:
    meta = top.get("metadata") or {}
    template = copy.deepcopy(workloads.template_of(top))
    for section in ("containers", "initContainers"):
        for container in (template.get("spec") or {}).get(section) or []:
            container.pop("env", None)  # values may be secrets; names are in ContainerFacts
    annotations = {str(k): str(v) for k, v in (meta.get("annotations") or {}).items()}
    if unfollowed is not None:
        # The top object is run by a controller KubeSent cannot follow (an operator, a CRD).
        annotations["kubesent.dev/unfollowed-controller"] = f"{unfollowed.get('kind')}/{unfollowed.get('name')}"
    return Owner(
        api_version=str(top.get("apiVersion", "")), kind=str(top.get("kind", "")),
        namespace=str(meta.get("namespace", "")), name=str(meta.get("name", "")), uid=str(meta.get("uid", "")),
        resource_version=str(meta.get("resourceVersion", "")),
        labels={str(k): str(v) for k, v in (meta.get("labels") or {}).items()},
        annotations=annotations, managers=workloads.template_managers(top), template=template)


def _termination(state: dict[str, Any] | None) -> Termination | None:
    terminated = (state or {}).get("terminated")
    if not isinstance(terminated, dict):
        return None
    code = terminated.get("exitCode")
    return Termination(reason=str(terminated.get("reason", "")), exit_code=int(code) if code is not None else None,
                       message=redaction.redact(str(terminated.get("message", ""))[:2000]),
                       started_at=terminated.get("startedAt"), finished_at=terminated.get("finishedAt"))


def _probe(name: str, probe: dict[str, Any] | None) -> ProbeFacts | None:
    if not isinstance(probe, dict):
        return None
    handler, port, path = "none", None, None
    for kind in ("httpGet", "tcpSocket", "grpc", "exec"):
        if isinstance(probe.get(kind), dict):
            handler = kind
            port = probe[kind].get("port")
            path = probe[kind].get("path")
    return ProbeFacts(name=name, handler=handler, port=port, path=str(path) if path is not None else None,
                      initial_delay_seconds=int(probe.get("initialDelaySeconds") or 0),
                      timeout_seconds=int(probe.get("timeoutSeconds") or 1),
                      period_seconds=int(probe.get("periodSeconds") or 10),
                      failure_threshold=int(probe.get("failureThreshold") or 3))


def _config_refs(container: dict[str, Any], volumes: list[dict[str, Any]]) -> tuple[ConfigRef, ...]:
    refs: list[ConfigRef] = []
    for env in container.get("env") or []:
        source = (env or {}).get("valueFrom") or {}
        for field_name, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
            ref = source.get(field_name)
            if isinstance(ref, dict) and ref.get("name"):
                refs.append(ConfigRef(kind, str(ref["name"]), ref.get("key"), bool(ref.get("optional")), "env"))
    for env_from in container.get("envFrom") or []:
        for field_name, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = (env_from or {}).get(field_name)
            if isinstance(ref, dict) and ref.get("name"):
                refs.append(ConfigRef(kind, str(ref["name"]), None, bool(ref.get("optional")), "envFrom"))
    mounted = {m.get("name") for m in container.get("volumeMounts") or [] if isinstance(m, dict)}
    for volume in volumes:
        if volume.get("name") not in mounted:
            continue
        if isinstance(volume.get("configMap"), dict):
            ref = volume["configMap"]
            refs.append(ConfigRef("ConfigMap", str(ref.get("name", "")), None, bool(ref.get("optional")), "volume"))
        if isinstance(volume.get("secret"), dict):
            ref = volume["secret"]
            refs.append(ConfigRef("Secret", str(ref.get("secretName", "")), None, bool(ref.get("optional")), "volume"))
    return tuple(refs)


def _containers(pod: dict[str, Any]) -> tuple[ContainerFacts, ...]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    volumes = [v for v in spec.get("volumes") or [] if isinstance(v, dict)]
    statuses = {s.get("name"): s for s in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])
                if isinstance(s, dict)}
    result = []
    for section, init in (("initContainers", True), ("containers", False)):
        for container in spec.get(section) or []:
            if not isinstance(container, dict):
                continue
            name = str(container.get("name", ""))
            state = statuses.get(name) or {}
            waiting = (state.get("state") or {}).get("waiting") or {}
            resources = container.get("resources") or {}
            env = [e for e in container.get("env") or [] if isinstance(e, dict)]
            result.append(ContainerFacts(
                name=name, init=init, image=str(container.get("image", "")),
                command=tuple(redaction.redact(str(part)) for part in container.get("command") or []),
                args=tuple(redaction.redact(str(part)) for part in container.get("args") or []),
                env_names=tuple(str(e.get("name", "")) for e in env),
                secret_env_names=tuple(str(e.get("name", "")) for e in env
                                       if isinstance((e.get("valueFrom") or {}).get("secretKeyRef"), dict)),
                config_refs=_config_refs(container, volumes),
                ports=tuple((str(p.get("name", "")), int(p["containerPort"])) for p in container.get("ports") or []
                            if isinstance(p, dict) and isinstance(p.get("containerPort"), int)),
                requests={str(k): str(v) for k, v in (resources.get("requests") or {}).items()},
                limits={str(k): str(v) for k, v in (resources.get("limits") or {}).items()},
                probes=tuple(p for p in (_probe("liveness", container.get("livenessProbe")),
                                         _probe("readiness", container.get("readinessProbe")),
                                         _probe("startup", container.get("startupProbe"))) if p is not None),
                security_context=dict(container.get("securityContext") or {}),
                waiting_reason=str(waiting["reason"]) if waiting.get("reason") else None,
                waiting_message=redaction.redact(str(waiting.get("message", ""))[:2000]),
                running=isinstance((state.get("state") or {}).get("running"), dict),
                terminated=_termination(state.get("state")), last_terminated=_termination(state.get("lastState")),
                restart_count=int(state.get("restartCount") or 0), ready=bool(state.get("ready")),
                logs_current="", logs_previous="", heap_flags=_heap_flags(container, env)))
    return tuple(result)


def _failing(facts: ContainerFacts) -> bool:
    last = facts.last_terminated or facts.terminated
    return bool(facts.waiting_reason) or facts.restart_count > 0 or (
        last is not None and last.exit_code not in (None, 0))


def _heap_flags(container: dict[str, Any], env: list[dict[str, Any]]) -> tuple[str, ...]:
    texts = [str(part)[:4096] for part in (container.get("command") or []) + (container.get("args") or [])]
    texts += [str(e.get("value", ""))[:4096] for e in env if e.get("name") in _HEAP_ENV_NAMES]
    return tuple(flag for text in texts for flag in _HEAP_FLAG.findall(text))


def _focus(event: PodEvent, containers: tuple[ContainerFacts, ...]) -> str | None:
    named = event.container
    if named and any(c.name == named for c in containers):
        return named
    for facts in containers:
        if facts.waiting_reason or (facts.last_terminated and facts.last_terminated.exit_code not in (None, 0)):
            return facts.name
    regular = [c for c in containers if not c.init] or list(containers)
    return regular[0].name if regular else None


def _with_logs(reader: Reader, facts: ContainerFacts, *, namespace: str, pod: str, wanted: bool,
               tail_lines: int, limit_bytes: int, max_chars: int) -> ContainerFacts:
    if not wanted:
        return facts
    previous = ""
    if facts.restart_count > 0 or facts.last_terminated is not None:
        previous = reader.read_log(namespace=namespace, pod=pod, container=facts.name, previous=True,
                                   tail_lines=tail_lines, limit_bytes=limit_bytes)
    current = ""
    if facts.running or facts.terminated is not None or not previous:
        current = reader.read_log(namespace=namespace, pod=pod, container=facts.name, previous=False,
                                  tail_lines=tail_lines, limit_bytes=limit_bytes)
    return replace(facts, logs_previous=redaction.redact_log(previous, max_chars=max_chars),
                   logs_current=redaction.redact_log(current, max_chars=max_chars))


def _config_state(reader: Reader, namespace: str, containers: tuple[ContainerFacts, ...],
                  category: Category) -> tuple[dict[str, bool], dict[str, tuple[str, ...]]]:
    """Which referenced ConfigMaps exist, and their key names. Secrets are never read (RBAC has none)."""
    if category not in (Category.CONFIG_MISSING, Category.MOUNT_FAILURE):
        return {}, {}
    exists: dict[str, bool] = {}
    keys: dict[str, tuple[str, ...]] = {}
    for ref in {r for c in containers for r in c.config_refs if r.kind == "ConfigMap"}:
        label = f"ConfigMap/{ref.name}"
        if label in exists:
            continue
        try:
            found = reader.read(api_version="v1", kind="ConfigMap", namespace=namespace, name=ref.name)
        except errors.NotFound:
            exists[label] = False
            continue
        except errors.ClusterRefused:
            continue  # no permission to read ConfigMaps: the event message still names what is missing
        exists[label] = True
        keys[label] = tuple(sorted(list((found.get("data") or {}).keys()) + list((found.get("binaryData") or {}).keys())))
    return exists, keys
