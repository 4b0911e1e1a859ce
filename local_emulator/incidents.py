"""The demo's incidents: real manifests in ``local_emulator/scenarios/`` plus what a kubelet would report.

A real cluster runs the manifests and the kubelet fills in pod status, logs and events. The sandbox
has no kubelet, so ``seed`` stands in for it: it creates each Deployment → ReplicaSet → Pod chain,
writes the pod status a real node reports for that failure (``lastState.terminated`` OOMKilled/137,
CrashLoopBackOff, ErrImagePull, CreateContainerConfigError, with container ids and timestamps),
the container logs, and the kubelet's Events. It returns, per incident, the EnhancedEvent the
exporter would publish. Later pods (after a patch) follow each Deployment's sandbox script.
Never imported by the function.
"""

from __future__ import annotations

import copy
import json
import secrets
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from local_emulator import exporter_event
from local_emulator.kube_sandbox import KubeSandbox, controller, resources

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
NAMESPACE = "demo"
# How long ago the first failure happened: a believable back-off history within the function's
# 15-minute freshness window.
FIRST_FAILURE_AGO = timedelta(seconds=90)
# A crash-looping container has restarted a few times before its BackOff event is exported.
RESTARTS = 4
OOM_EXIT_CODE = 137  # 128 + SIGKILL from the kernel's OOM killer
_POD = resources.by_kind(api_version="v1", kind="Pod")
assert _POD is not None
POD: resources.ResourceType = _POD


@dataclass(frozen=True)
class Expectation:
    """The outcome the demo requires for an incident."""

    action: str
    remedy: str
    recovers: bool = False  # after an applied patch, the new pod must become Ready


@dataclass(frozen=True)
class Incident:
    """One scenario: its manifest, and how the failure shows on the node."""

    name: str
    title: str
    manifest: str
    container: str
    status: Callable[[dict[str, Any], datetime], dict[str, Any]]
    events: Callable[[dict[str, Any], str], list[tuple[str, str, str]]]  # (type, reason, message) in order
    published_reason: str  # the Warning event the exporter publishes (the first one with this reason)
    expected: Expectation
    previous_log: str | None = None
    bare: bool = False
    """The manifest is a bare Pod (the seed's three test pods), not a Deployment."""

    def manifest_object(self) -> dict[str, Any]:
        return self.deployment()

    def deployment(self) -> dict[str, Any]:
        document: dict[str, Any] = yaml.safe_load((SCENARIO_DIR / self.manifest).read_text())
        return document


@dataclass(frozen=True)
class Seeded:
    """An incident as it now stands in the sandbox, with the event to publish."""

    incident: Incident
    deployment_name: str
    """The Deployment's name; for a bare Pod, the pod's."""
    pod_name: str
    event: dict[str, Any]


def _stamp(when: datetime) -> str:
    return exporter_event.utc_stamp(when)


def _container_id() -> str:
    return "containerd://" + secrets.token_hex(32)


def _image_id(image: str) -> str:
    return f"docker.io/{image.split(':')[0]}@sha256:" + secrets.token_hex(32)


def _pod_status(pod: dict[str, Any], now: datetime, *, phase: str, container: dict[str, Any],
                qos: str) -> dict[str, Any]:
    started = now - FIRST_FAILURE_AGO
    name = container["name"]
    not_ready = {"status": "False", "reason": "ContainersNotReady",
                 "message": f"containers with unready status: [{name}]", "lastTransitionTime": _stamp(started)}
    return {"phase": phase, "hostIP": "192.168.49.2", "podIP": "10.244.0.17", "podIPs": [{"ip": "10.244.0.17"}],
            "startTime": _stamp(started), "qosClass": qos,
            "conditions": [{"type": "PodReadyToStartContainers", "status": "True",
                            "lastTransitionTime": _stamp(started)},
                           {"type": "Initialized", "status": "True", "lastTransitionTime": _stamp(started)},
                           {"type": "Ready", **not_ready}, {"type": "ContainersReady", **not_ready},
                           {"type": "PodScheduled", "status": "True", "lastTransitionTime": _stamp(started)}],
            "containerStatuses": [container]}


def _crash_looping(reason: str, exit_code: int, *, ran: timedelta, qos: str
                   ) -> Callable[[dict[str, Any], datetime], dict[str, Any]]:
    """CrashLoopBackOff with the last run terminated after ``ran`` (what kubectl get pod -o yaml shows)."""
    def status(pod: dict[str, Any], now: datetime) -> dict[str, Any]:
        spec = pod["spec"]["containers"][0]
        meta = pod["metadata"]
        finished = now - timedelta(seconds=20)
        return _pod_status(pod, now, phase="Running", qos=qos, container={
            "name": spec["name"], "image": spec["image"], "imageID": _image_id(spec["image"]),
            "containerID": _container_id(), "ready": False, "started": False, "restartCount": RESTARTS,
            "state": {"waiting": {"reason": "CrashLoopBackOff",
                                  "message": f"back-off 1m20s restarting failed container={spec['name']} "
                                             f"pod={meta['name']}_{meta['namespace']}({meta['uid']})"}},
            "lastState": {"terminated": {"reason": reason, "exitCode": exit_code, "containerID": _container_id(),
                                         "startedAt": _stamp(finished - ran), "finishedAt": _stamp(finished)}}})
    return status


def _crashing_burstable(reason: str, exit_code: int) -> Callable[[dict[str, Any], datetime], dict[str, Any]]:
    return _crash_looping(reason, exit_code, ran=timedelta(seconds=1), qos="Burstable")


def _waiting(reason: str, message: Callable[[dict[str, Any]], str], *, phase: str = "Pending"
             ) -> Callable[[dict[str, Any], datetime], dict[str, Any]]:
    def status(pod: dict[str, Any], now: datetime) -> dict[str, Any]:
        spec = pod["spec"]["containers"][0]
        return _pod_status(pod, now, phase=phase, qos="BestEffort", container={
            "name": spec["name"], "image": spec["image"], "imageID": "", "ready": False, "started": False,
            "restartCount": 0, "state": {"waiting": {"reason": reason, "message": message(spec)}}})
    return status


def _back_off(container: str) -> Callable[[dict[str, Any], str], list[tuple[str, str, str]]]:
    def events(pod: dict[str, Any], image: str) -> list[tuple[str, str, str]]:
        meta = pod["metadata"]
        return [("Normal", "Pulled", f'Container image "{image}" already present on machine'),
                ("Normal", "Created", f"Created container {container}"),
                ("Normal", "Started", f"Started container {container}"),
                ("Warning", "BackOff", f"Back-off restarting failed container {container} in pod "
                                       f"{meta['name']}_{meta['namespace']}({meta['uid']})")]
    return events


def _not_found(image: str) -> str:
    return (f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image '
            f'"{image}": failed to resolve reference "{image}": {image}: not found')


def _image_events(pod: dict[str, Any], image: str) -> list[tuple[str, str, str]]:
    del pod
    return [("Normal", "Pulling", f'Pulling image "{image}"'), ("Warning", "Failed", _not_found(image)),
            ("Warning", "Failed", "Error: ErrImagePull"), ("Normal", "BackOff", f'Back-off pulling image "{image}"'),
            ("Warning", "Failed", "Error: ImagePullBackOff")]


def _config_events(pod: dict[str, Any], image: str) -> list[tuple[str, str, str]]:
    del pod
    return [("Normal", "Pulled", f'Container image "{image}" already present on machine'),
            ("Warning", "Failed", 'Error: configmap "api-settings" not found')]


INCIDENTS: tuple[Incident, ...] = (
    Incident(name="oom-memory-hog", title="OOMKilled: 50 MB used under a 10Mi limit", manifest="oom-memory-hog.yaml",
             container="memory-hog", status=_crash_looping("OOMKilled", OOM_EXIT_CODE, ran=timedelta(seconds=1),
                                                           qos="Burstable"),
             events=_back_off("memory-hog"), published_reason="BackOff",
             previous_log="stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd\n",
             expected=Expectation(action="applied", remedy="raise_memory_limit", recovers=True)),
    Incident(name="crashloop-command", title="CrashLoopBackOff: the command exits 1",
             manifest="crashloop-command.yaml", container="worker",
             status=_crash_looping("Error", 1, ran=timedelta(seconds=2), qos="BestEffort"),
             events=_back_off("worker"), published_reason="BackOff", previous_log="starting worker\n",
             expected=Expectation(action="proposed", remedy="fix_command_or_args")),
    Incident(name="image-not-found", title="ErrImagePull: the image tag does not exist",
             manifest="image-not-found.yaml", container="checkout-api",
             status=_waiting("ErrImagePull", lambda spec: _not_found(spec["image"])),
             events=_image_events, published_reason="Failed",
             expected=Expectation(action="proposed", remedy="fix_image_reference")),
    Incident(name="missing-configmap", title="CreateContainerConfigError: a ConfigMap is missing",
             manifest="missing-configmap.yaml", container="api",
             status=_waiting("CreateContainerConfigError", lambda spec: 'configmap "api-settings" not found'),
             events=_config_events, published_reason="Failed",
             expected=Expectation(action="proposed", remedy="add_missing_config")),
)


_SEED_OOM_LOG = "stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd\n"
_SEED_CRASH_LOG = "starting app\nsh: exec: line 0: python3: not found\n"

# The seed's three test pods: bare Pods (local_emulator/scenarios/seed-*.yaml).
SEED_INCIDENTS: tuple[Incident, ...] = (
    Incident(name="seed-oom", title="Bare Pod OOMKilled: ~50 MB under a 10Mi limit, resized in place",
             manifest="seed-oom-pod.yaml", container="memory-hog", bare=True,
             status=_crashing_burstable("OOMKilled", OOM_EXIT_CODE), events=_back_off("memory-hog"),
             published_reason="BackOff", previous_log=_SEED_OOM_LOG,
             expected=Expectation(action="applied", remedy="raise_memory_limit", recovers=True)),
    Incident(name="seed-crashloop", title="Bare Pod CrashLoopBackOff: the command exits with an error",
             manifest="seed-crashloop-pod.yaml", container="app", bare=True,
             status=_crash_looping("Error", 127, ran=timedelta(seconds=1), qos="BestEffort"),
             events=_back_off("app"), published_reason="BackOff", previous_log=_SEED_CRASH_LOG,
             expected=Expectation(action="proposed", remedy="fix_command_or_args")),
    Incident(name="seed-image-pull", title="Bare Pod ErrImagePull: a wrong image", manifest="seed-image-pull-pod.yaml",
             container="web", bare=True, status=_waiting("ErrImagePull", lambda spec: _not_found(spec["image"])),
             events=_image_events, published_reason="Failed",
             expected=Expectation(action="proposed", remedy="fix_image_reference")),
)
ALL_INCIDENTS = INCIDENTS + SEED_INCIDENTS


def by_name(name: str) -> Incident:
    return next(incident for incident in ALL_INCIDENTS if incident.name == name)


def namespace_manifest(file: str = "00-namespace.yaml") -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((SCENARIO_DIR / file).read_text())
    return document


# Namespaces by name and the manifest that creates each.
NAMESPACE_FILES = {NAMESPACE: "00-namespace.yaml", "seed": "00-namespace-seed.yaml"}


def seed(sandbox: KubeSandbox, incidents: tuple[Incident, ...] = INCIDENTS, *, cluster_name: str = "",
         now: datetime | None = None) -> list[Seeded]:
    """Create every incident in the sandbox as a node would show it; the events to publish, in order."""
    now = now or datetime.now(UTC)
    for namespace in sorted({incident.manifest_object()["metadata"]["namespace"] for incident in incidents}):
        if sandbox.get_object(api_version="v1", kind="Namespace", namespace="", name=namespace) is None:
            sandbox.load_objects([namespace_manifest(NAMESPACE_FILES[namespace])])
    return [_seed_one(sandbox, incident, cluster_name=cluster_name, now=now) for incident in incidents]


def _seed_one(sandbox: KubeSandbox, incident: Incident, *, cluster_name: str, now: datetime) -> Seeded:
    if incident.bare:
        [pod] = sandbox.load_objects([incident.manifest_object()])
        owner_name = pod["metadata"]["name"]
        pod["status"] = incident.status(pod, now)
        [pod] = sandbox.load_objects([pod])
    else:
        deployment, _, pods = sandbox.create_deployment_chain(incident.deployment())
        pod = copy.deepcopy(pods[0])
        pod["status"] = incident.status(pod, now)
        [pod] = sandbox.load_objects([pod])
        deployment["status"] = controller.deployment_status(deployment, [pod])
        sandbox.load_objects([deployment])
        owner_name = deployment["metadata"]["name"]
    meta = pod["metadata"]
    if incident.previous_log is not None:
        sandbox.set_logs(namespace=meta["namespace"], pod=meta["name"], container=incident.container,
                         current="", previous=incident.previous_log)
    image = pod["spec"]["containers"][0]["image"]
    published: dict[str, Any] | None = None
    first = now - FIRST_FAILURE_AGO
    for type_, reason, message in incident.events(pod, image):
        warning_repeats = RESTARTS if reason == "BackOff" else 1
        event = exporter_event.kubelet_event(pod, reason=reason, message=message, container=incident.container,
                                             type_=type_, count=warning_repeats, first=first, last=now)
        [stored] = sandbox.load_objects([event])
        if published is None and type_ == "Warning" and reason == incident.published_reason:
            published = exporter_event.enhanced(stored, pod, cluster_name=cluster_name)
    assert published is not None, f"{incident.name}: no {incident.published_reason} Warning event"
    return Seeded(incident=incident, deployment_name=owner_name, pod_name=meta["name"], event=published)


def recovered_pod(sandbox: KubeSandbox, seeded: Seeded) -> dict[str, Any] | None:
    """The Deployment's newest pod if it is Running and Ready (the sandbox's controller rolled it), else None.
    For a bare Pod: the pod itself, once resized in place and Running and Ready (the sandbox's kubelet)."""
    for pod in _live_pods(sandbox, seeded):
        if pod["metadata"]["name"] == seeded.pod_name and not seeded.incident.bare:
            continue
        status = pod.get("status") or {}
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
        if status.get("phase") == "Running" and ready:
            return pod
    return None


def _live_pods(sandbox: KubeSandbox, seeded: Seeded) -> list[dict[str, Any]]:
    pods = sandbox.store.list(POD, namespace=seeded.incident.manifest_object()["metadata"]["namespace"],
                              matcher=lambda pod: pod["metadata"].get("labels", {}).get("app") == seeded.deployment_name
                              and not pod["metadata"].get("deletionTimestamp"))[0]
    return list(pods)


# A bad rollout (issue 16): revision 1 serves; `kubectl set image` rolls out a tag that does not exist.
GOOD_IMAGE = "ghcr.io/kubesent/checkout-api:v2.3.0"
BAD_ROLLOUT_TITLE = "A bad image tag rolled out over a working revision"


def seed_bad_rollout(sandbox: KubeSandbox, *, now: datetime | None = None) -> Seeded:
    """checkout-api at GOOD_IMAGE (Running and Ready), then its image changed to the manifest's missing tag
    through the API, as `kubectl set image` does: the sandbox's controller rolls out revision 2, whose pod
    cannot pull, while revision 1 keeps serving. Returns the kubelet's "not found" event as the exporter sends it."""
    now = now or datetime.now(UTC)
    incident = by_name("image-not-found")
    manifest = incident.deployment()
    if sandbox.get_object(api_version="v1", kind="Namespace", namespace="", name=NAMESPACE) is None:
        sandbox.load_objects([namespace_manifest()])
    bad_image = manifest["spec"]["template"]["spec"]["containers"][0]["image"]
    manifest["metadata"]["annotations"][controller.SCRIPT_ANNOTATION] = json.dumps(
        {"imagePullErrorUnless": [GOOD_IMAGE]})
    manifest["spec"]["template"]["spec"]["containers"][0]["image"] = GOOD_IMAGE
    deployment, _, _ = sandbox.create_deployment_chain(manifest)
    name = deployment["metadata"]["name"]
    body = json.dumps({"spec": {"template": {"spec": {"containers": [{"name": incident.container,
                                                                       "image": bad_image}]}}}}).encode()
    request = urllib.request.Request(
        f"{sandbox.url}/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{name}?fieldManager=kubectl-set",
        data=body, method="PATCH", headers={"Content-Type": "application/strategic-merge-patch+json"})
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - the local sandbox
        pass
    pods = sandbox.store.list(POD, namespace=NAMESPACE, matcher=lambda pod: pod["spec"]["containers"][0]["image"]
                              == bad_image and not pod["metadata"].get("deletionTimestamp"))[0]
    pod = pods[0]
    published = None
    for type_, reason, message in _image_events(pod, bad_image):
        [stored] = sandbox.load_objects([exporter_event.kubelet_event(pod, reason=reason, message=message,
                                                                      container=incident.container, type_=type_,
                                                                      first=now, last=now)])
        if published is None and type_ == "Warning" and reason == "Failed":
            published = exporter_event.enhanced(stored, pod)
    assert published is not None
    return Seeded(incident=incident, deployment_name=name, pod_name=pod["metadata"]["name"], event=published)
