"""Pod facts from API objects: containers, probes, config references, terminations, the owner. Pure.

Turns API-shaped dicts into ``evidence.model`` dataclasses, redacting every free text on the way in and
never keeping an env value (only runtime heap flags are taken out of the options variables).
Called by ``gather`` and ``classify``.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

from kubesent import k8s, redaction
from kubesent.events import PodEvent
from kubesent.evidence import templates
from kubesent.evidence.model import ConfigRef, ContainerFacts, Owner, ProbeFacts, Termination
from kubesent.objects import as_dict, as_list

_HEAP_FLAG = re.compile(r"(?:-Xm[xs][0-9]{1,9}[kKmMgG]?|-XX:(?:Max|Initial)HeapSize=[0-9]{1,12}[kKmMgG]?|"
                        r"-XX:(?:Max|Initial)RAMPercentage=[0-9.]{1,6}|--max-old-space-size=[0-9]{1,9})")
# Where runtime options come from, in the order the runtime reads them (a later flag overrides an earlier one):
# HotSpot reads JAVA_TOOL_OPTIONS, then its command line (where the launcher puts JDK_JAVA_OPTIONS first and
# start-up scripts put JAVA_OPTS and the like), then _JAVA_OPTIONS; Node reads NODE_OPTIONS before its command
# line. Only heap flags are ever taken out of these values.
_HEAP_ENV_BEFORE_COMMAND = ("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "JAVA_OPTS", "CATALINA_OPTS", "ES_JAVA_OPTS",
                            "KAFKA_HEAP_OPTS", "JVM_OPTS", "NODE_OPTIONS")
_HEAP_ENV_AFTER_COMMAND = ("_JAVA_OPTIONS",)
# The Go runtime's memory settings, kept whole when they are what the runtime accepts: GOMEMLIMIT is a size
# with an optional B/KiB/MiB/GiB/TiB suffix, or "off"; GOGC a percentage, or "off".
_GO_SETTING = re.compile(r"GOMEMLIMIT=(?:[0-9]{1,15}(?:B|KiB|MiB|GiB|TiB)?|off)|GOGC=(?:[0-9]{1,6}|off)")


def owner_facts(top: dict[str, Any], unfollowed: dict[str, Any] | None) -> Owner:
    meta = top.get("metadata") or {}
    template = copy.deepcopy(templates.template_of(top))
    for section in ("containers", "initContainers"):
        for container in as_list(as_dict(template.get("spec")).get(section)):
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
        annotations=annotations, managers=templates.template_managers(top),
        appliers=templates.template_managers(top, operation="Apply"), template=template,
        selector={str(k): str(v) for k, v in as_dict(as_dict(as_dict(top.get("spec")).get("selector")).get(
            "matchLabels")).items()})


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
    for kind in k8s.PROBE_HANDLERS:
        if isinstance(probe.get(kind), dict):
            handler = kind
            port = probe[kind].get("port")
            path = probe[kind].get("path")
    return ProbeFacts(name=name, handler=handler, port=port, path=str(path) if path is not None else None,
                      initial_delay_seconds=k8s.probe_timing(probe, "initialDelaySeconds"),
                      timeout_seconds=k8s.probe_timing(probe, "timeoutSeconds"),
                      period_seconds=k8s.probe_timing(probe, "periodSeconds"),
                      failure_threshold=k8s.probe_timing(probe, "failureThreshold"))


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


def containers(pod: dict[str, Any]) -> tuple[ContainerFacts, ...]:
    spec, status = as_dict(pod.get("spec")), as_dict(pod.get("status"))
    volumes = [v for v in as_list(spec.get("volumes")) if isinstance(v, dict)]
    statuses = {s.get("name"): s
                for s in as_list(status.get("containerStatuses")) + as_list(status.get("initContainerStatuses"))
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
            # One command line: a secret in args may follow its flag in command (["mysql"] + ["-pX"]).
            command = [str(part) for part in as_list(container.get("command"))]
            argv = redaction.redact_argv(command + [str(part) for part in as_list(container.get("args"))])
            result.append(ContainerFacts(
                name=name, init=init, image=str(container.get("image", "")),
                command=argv[:len(command)], args=argv[len(command):],
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
                logs_current="", logs_previous="", heap_flags=_heap_flags(container, env),
                image_id=_image_run(container, state)))
    return tuple(result)


def _image_run(container: dict[str, Any], state: dict[str, Any]) -> str:
    """The ``imageID`` the kubelet ran for this container, when a container of this very image ran: a container
    that never started has none (an artifact's stale value is not taken), and a pod's image can change."""
    ran = bool(state.get("restartCount")) or isinstance(as_dict(state.get("lastState")).get("terminated"), dict) \
        or isinstance(as_dict(state.get("state")).get("running"), dict)
    if not ran or str(state.get("image", "")) != str(container.get("image", "")):
        return ""
    return str(state.get("imageID") or "")[:300]


def parse_time(text: str | None) -> datetime | None:
    """An API timestamp (``2026-11-20T10:00:00Z``), or None when absent or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def last_run_seconds(facts: ContainerFacts) -> float | None:
    """How long the container's last run lasted (its termination's startedAt to finishedAt), if known."""
    last = facts.last_terminated or facts.terminated
    if last is None:
        return None
    started, finished = parse_time(last.started_at), parse_time(last.finished_at)
    # A container that never started reports startedAt as the Unix epoch (runc StartError).
    if started is None or finished is None or started.year < 2000 or finished < started:
        return None
    return (finished - started).total_seconds()


def failing(facts: ContainerFacts) -> bool:
    last = facts.last_terminated or facts.terminated
    return bool(facts.waiting_reason) or facts.restart_count > 0 or (
        last is not None and last.exit_code not in (None, 0))


def _heap_flags(container: dict[str, Any], env: list[dict[str, Any]]) -> tuple[str, ...]:
    """Heap flags in the order the runtime applies them (``runtime.heap_sizing`` lets the last one win)."""
    values = {str(e.get("name")): str(e.get("value", ""))[:4096] for e in env if isinstance(e.get("value"), str)}
    command = [str(part)[:4096] for part in (container.get("command") or []) + (container.get("args") or [])]
    texts = [values.get(name, "") for name in _HEAP_ENV_BEFORE_COMMAND] + command + [
        values.get(name, "") for name in _HEAP_ENV_AFTER_COMMAND]
    flags = [flag for text in texts for flag in _HEAP_FLAG.findall(text)]
    flags += [setting for name in ("GOGC", "GOMEMLIMIT")
              if name in values and _GO_SETTING.fullmatch(setting := f"{name}={values[name].strip()}")]
    return tuple(flags)


def focus(event: PodEvent, containers: tuple[ContainerFacts, ...]) -> str | None:
    named = event.container
    if named and any(c.name == named for c in containers):
        return named
    for facts in containers:
        if facts.waiting_reason or (facts.last_terminated and facts.last_terminated.exit_code not in (None, 0)):
            return facts.name
    regular = [c for c in containers if not c.init] or list(containers)
    return regular[0].name if regular else None


# Pod-level fields kept for diagnosis: where it may run, what it mounts, who it runs as.
_POD_SPEC_FIELDS = ("nodeName", "nodeSelector", "affinity", "tolerations", "topologySpreadConstraints",
                    "priorityClassName", "serviceAccountName", "securityContext", "hostNetwork", "hostPID",
                    "runtimeClassName", "restartPolicy", "terminationGracePeriodSeconds", "imagePullSecrets")


def pruned_pod_spec(pod: dict[str, Any]) -> dict[str, Any]:
    """The pod spec minus its containers (the facts cover them), the service-account token volume and
    anything not named above; volumes keep only their name, their source kind and the object they name."""
    spec = as_dict(pod.get("spec"))
    pruned: dict[str, Any] = {key: copy.deepcopy(spec[key]) for key in _POD_SPEC_FIELDS if key in spec}
    volumes = []
    for volume in as_list(spec.get("volumes")):
        if not isinstance(volume, dict) or str(volume.get("name", "")).startswith(k8s.TOKEN_VOLUME_PREFIX):
            continue
        sources = {key: value for key, value in volume.items() if key != "name"}
        summary: dict[str, Any] = {"name": volume.get("name")}
        for kind, value in sources.items():
            value = as_dict(value)
            summary[kind] = {k: value[k] for k in ("name", "secretName", "claimName", "optional", "medium",
                                                 "sizeLimit", "path") if k in value}
        volumes.append(summary)
    if volumes:
        pruned["volumes"] = volumes
    return pruned
