"""Gathering evidence from the cluster in two phases, through ``cluster.api.Reader`` only; never writes.

``identify`` reads the pod and its owners (enough for the incident key); ``complete`` reads the pod's
events, log tails and config state once the ledger has admitted the incident, so duplicates cost
only the first phase. Called by the pipeline.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kubesent import errors, metrics, objects, redaction
from kubesent.cluster.api import Reader
from kubesent.events import PodEvent
from kubesent.evidence import (
    classify,
    drift,
    missing,
    owners,
    podfacts,
    pullsecrets,
    rollout,
    secretsource,
    templates,
    trend,
)
from kubesent.evidence.category import Category
from kubesent.evidence.model import ContainerFacts, EventFacts, Evidence, SecretSource
from kubesent.metrics import MemoryMetrics

# What an event fact keeps of the API's Event: the kubelet's reasons and types are short; a message
# is a sentence or two (image pulls quote long digests), field paths and annotation values are bounded
# by the API but not small.
EVENT_REASON_CHARS = 64
EVENT_TYPE_CHARS = 16
EVENT_MESSAGE_CHARS = 2000
FIELD_PATH_CHARS = 300
ANNOTATION_VALUE_CHARS = 500
# Events on the pod considered: enough to see a pattern (pull → back-off → failed), few enough to read.
MAX_POD_EVENTS = 20
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
    containers = podfacts.containers(pod)
    if event.involved_object.uid and pod_uid and event.involved_object.uid != pod_uid:
        # A StatefulSet recreates a pod under the same name; the new pod reports its own failures.
        state = "a failing" if any(podfacts.failing(c) for c in containers) else "a healthy"
        raise errors.NotFound(f"pod {namespace}/{pod_name} was replaced by {state} one (uid {pod_uid}, event "
                              f"for {event.involved_object.uid}); the new pod's own events count")
    resolution = owners.resolve_owner(reader, pod)
    top = resolution.top
    focus = podfacts.focus(event, containers)
    status = objects.as_dict(pod.get("status"))
    return Evidence(
        event=event, cluster=cluster, namespace=namespace, pod_name=pod_name, pod_uid=pod_uid,
        phase=str(status.get("phase", "")), pod_reason=str(status.get("reason", "")),
        pod_message=redaction.redact(str(status.get("message", ""))[:2000]),
        node_name=str(objects.as_dict(pod.get("spec")).get("nodeName", "")),
        conditions=tuple({k: redaction.redact(str(v)[:500]) for k, v in c.items()
                          if k in ("type", "status", "reason", "message")}
                         for c in status.get("conditions") or [] if isinstance(c, dict)),
        containers=containers, owner_chain=tuple(resolution.chain),
        owner=podfacts.owner_facts(top, resolution.unfollowed),
        template_hash=templates.template_hash(pod, top, proven=resolution.template_hash), events=(),
        event_message=redaction.redact(event.message[:4000]), focus_container=focus,
        category=classify.category(event, containers, focus, pod),
        template_drift=resolution.unverified or drift.pod_drift(pod, top),
        container_drifts={name: why for name in _container_names(pod)
                          if (why := drift.container_drift(pod, top, name)) is not None},
        pod_spec=podfacts.pruned_pod_spec(pod),
        pod_started_at=str(status["startTime"]) if status.get("startTime") else None)


def _container_names(pod: dict[str, Any]) -> list[str]:
    spec = objects.as_dict(pod.get("spec"))
    return [str(c.get("name")) for section in ("initContainers", "containers")
            for c in objects.as_list(spec.get(section)) if isinstance(c, dict) and c.get("name")]


def complete(reader: Reader, evidence: Evidence, *, log_tail_lines: int, log_limit_bytes: int,
             log_max_chars: int, memory_metrics: MemoryMetrics | None = None) -> Evidence:
    """The second phase: the pod's recent events, log tails of the failing container, config state (and for a
    missing Secret, the operator object that makes it), and after an OOM kill the container's memory over its
    last life (when metrics are configured)."""
    raw_events = reader.pod_events(namespace=evidence.namespace, pod_name=evidence.pod_name, pod_uid=evidence.pod_uid)
    containers = evidence.containers
    if evidence.category in _LOG_CATEGORIES:
        containers = tuple(_with_logs(reader, facts, namespace=evidence.namespace, pod=evidence.pod_name,
                                      wanted=facts.name == evidence.focus_container, tail_lines=log_tail_lines,
                                      limit_bytes=log_limit_bytes, max_chars=log_max_chars) for facts in containers)
    config_objects, config_keys = _config_state(reader, evidence.namespace, containers, evidence.category)
    shape = _memory_trend(memory_metrics, evidence) if memory_metrics is not None else None
    events = tuple(_event_facts(item) for item in _newest(raw_events)[:MAX_POD_EVENTS])
    completed = replace(evidence, containers=containers, events=events,
                        config_objects=config_objects, config_keys=config_keys, memory_trend=shape,
                        rollout=_rollout(reader, evidence), pull_secret=_pull_secret(reader, evidence, events))
    return replace(completed, secret_source=_secret_source(reader, completed))


def _pull_secret(reader: Reader, evidence: Evidence,
                 events: tuple[EventFacts, ...]) -> pullsecrets.PullSecretWitness | None:
    """After a pull refused for authorisation: one list of the namespace's pods, for a pull secret that
    Ready pods on the same registry prove (never a Secret read)."""
    focus = evidence.focus
    if focus is None or not focus.image or not pullsecrets.wanted(evidence.category, events):
        return None
    try:
        pods = reader.list_pods(namespace=evidence.namespace)
    except errors.ClusterRefused:
        return None  # no right to list pods: the proposal stays without a patch
    already = tuple(str(objects.as_dict(item).get("name", ""))
                    for item in objects.as_list(evidence.pod_spec.get("imagePullSecrets")))
    return pullsecrets.witness(pods, failing_pod=evidence.pod_name, image=focus.image, already=already)


def _secret_source(reader: Reader, evidence: Evidence) -> SecretSource | None:
    """For a pod that cannot start because a Secret is missing: the operator object that makes it, if any."""
    if evidence.category not in (Category.CONFIG_MISSING, Category.MOUNT_FAILURE):
        return None
    found = missing.missing(evidence)
    if found is None or found.kind != "Secret" or found.key is not None:
        return None
    return secretsource.find(reader, namespace=evidence.namespace, secret_name=found.name)


def _rollout(reader: Reader, evidence: Evidence) -> rollout.Rollout | None:
    """The Deployment's revisions around the failing pod's ReplicaSet (one list call), for a proven chain."""
    failing = next((hop.split("/", 1)[1] for hop in evidence.owner_chain if hop.startswith("ReplicaSet/")), None)
    if evidence.owner.kind != "Deployment" or failing is None or evidence.template_drift:
        return None
    try:
        replica_sets = reader.list_replicasets(namespace=evidence.namespace, match_labels=evidence.owner.selector)
    except errors.ClusterRefused:
        return None  # no right to list: no rollback is offered, everything else stands
    owned = [rs for rs in replica_sets
             if any(isinstance(ref, dict) and ref.get("uid") == evidence.owner.uid
                    for ref in objects.as_list(objects.as_dict(rs.get("metadata")).get("ownerReferences")))]
    return rollout.from_replicasets(owned, failing=failing)


def _memory_trend(memory_metrics: MemoryMetrics, evidence: Evidence) -> trend.MemoryTrend | None:
    """The OOM-killed container's working set from its last start to the kill, classified."""
    if evidence.category is not Category.OOM_KILLED:
        return None
    killed = next((c for c in (evidence.focus, *evidence.containers)
                   if c is not None and (c.last_terminated or c.terminated) is not None
                   and (c.last_terminated or c.terminated).reason == "OOMKilled"), None)  # type: ignore[union-attr]
    last = (killed.last_terminated or killed.terminated) if killed is not None else None
    started = podfacts.parse_time(last.started_at) if last is not None else None
    finished = podfacts.parse_time(last.finished_at) if last is not None else None
    if killed is None or started is None or finished is None or finished <= started:
        return None
    series = memory_metrics.working_set(metrics.Query(cluster=evidence.cluster, namespace=evidence.namespace,
                                                      pod=evidence.pod_name, container=killed.name,
                                                      start=started, end=finished))
    return trend.classify(series, source=memory_metrics.source)


def _newest(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def stamp(item: dict[str, Any]) -> str:
        return str(item.get("lastTimestamp") or item.get("eventTime") or
                   (item.get("metadata") or {}).get("creationTimestamp") or "")
    return sorted(items, key=stamp, reverse=True)


def _event_facts(item: dict[str, Any]) -> EventFacts:
    annotations = (item.get("metadata") or {}).get("annotations") or {}
    return EventFacts(
        reason=str(item.get("reason", ""))[:EVENT_REASON_CHARS], type=str(item.get("type", ""))[:EVENT_TYPE_CHARS],
        message=redaction.redact(str(item.get("message", ""))[:EVENT_MESSAGE_CHARS]),
        count=item["count"] if isinstance(item.get("count"), int) else 1,
        field_path=str((item.get("involvedObject") or {}).get("fieldPath", ""))[:FIELD_PATH_CHARS],
        annotations=redaction.redact_mapping({str(k): str(v)[:ANNOTATION_VALUE_CHARS]
                                              for k, v in annotations.items()}),
        reporter=_reporter(item))


def _reporter(item: dict[str, Any]) -> str:
    component = objects.as_dict(item.get("source")).get("component") or item.get("reportingComponent") or ""
    return str(component)[:EVENT_REASON_CHARS]


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
        keys[label] = tuple(sorted([*objects.as_dict(found.get("data")), *objects.as_dict(found.get("binaryData"))]))
    return exists, keys
