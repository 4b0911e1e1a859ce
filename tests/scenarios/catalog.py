"""The scenario catalog: realistic incidents and the outcome KubeSent must reach for each.

Each entry cites where its shape comes from. ``python -m tests.scenarios.catalog`` writes every
scenario to ``tests/scenarios/<name>/{bundle.json,expected.json}`` and the JSON Lines corpus
``tests/scenarios/corpus.jsonl`` used by replay tests and benchmarks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.scenarios import builder as b

HERE = Path(__file__).parent
Scenario = tuple[dict[str, Any], dict[str, Any]]

RUNNING_CRASH = {"waiting": {"reason": "CrashLoopBackOff",
                             "message": "back-off 40s restarting failed container"}}


def _crash_status(name: str, *, reason: str, exit_code: int, started: str, finished: str, restarts: int = 4,
                  image: str = "") -> dict[str, Any]:
    return {"phase": "Running", "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
            "containerStatuses": [{"name": name, "ready": False, "restartCount": restarts, "image": image,
                                   "state": RUNNING_CRASH,
                                   "lastState": {"terminated": {"reason": reason, "exitCode": exit_code,
                                                                "startedAt": started, "finishedAt": finished}}}]}


def _waiting_status(name: str, reason: str, message: str, image: str = "") -> dict[str, Any]:
    return {"phase": "Pending", "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
            "containerStatuses": [{"name": name, "ready": False, "restartCount": 0, "image": image,
                                   "state": {"waiting": {"reason": reason, "message": message}}}]}


def oom_memory_hog() -> Scenario:
    """Seed: a 10Mi limit, 50 MB used. Shape from kubernetes.io "Assign Memory Resources to Containers"
    (polinux/stress, OOMKilled, exit 137) and FACTS.md §2 (no pod event; the BackOff carries it)."""
    container = {"name": "memory-hog", "image": "polinux/stress:1.0.4", "command": ["stress"],
                 "args": ["--vm", "1", "--vm-bytes", "50M", "--vm-hang", "1"],
                 "resources": {"requests": {"memory": "10Mi"}, "limits": {"memory": "10Mi"}}}
    status = _crash_status("memory-hog", reason="OOMKilled", exit_code=137, started="2026-11-20T09:59:40Z",
                           finished="2026-11-20T09:59:41Z")
    deploy, rs, pod = b.deployment_chain("memory-hog", [container], status)
    event = b.exporter_event(pod, reason="BackOff", container="memory-hog",
                             message=f"Back-off restarting failed container memory-hog in pod "
                                     f"{pod['metadata']['name']}_demo({pod['metadata']['uid']})")
    logs = {f"demo/{pod['metadata']['name']}/memory-hog": {
        "previous": "stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd\n", "current": ""}}
    return b.bundle("oom-memory-hog", event, [deploy, rs, pod], logs), {
        "action": "dry_run", "remedy": "raise_memory_limit", "category": "oom_killed",
        "target": {"kind": "Deployment", "namespace": "demo", "name": "memory-hog"},
        "patch": {"spec": {"template": {"spec": {"containers": [
            {"name": "memory-hog", "resources": {"limits": {"memory": "110Mi"}}}]}}}}}


def crashloop_command() -> Scenario:
    """Seed: a crash-looping command (exit 1). Shape from kubernetes.io "Debug Running Pods" /
    "Determine the Reason for Pod Failure" (busybox with a failing command)."""
    container = {"name": "worker", "image": "busybox:1.36", "command": ["sh", "-c"],
                 "args": ["echo starting worker; sleep 2; exit 1"]}
    status = _crash_status("worker", reason="Error", exit_code=1, started="2026-11-20T09:59:50Z",
                           finished="2026-11-20T09:59:52Z", restarts=5)
    deploy, rs, pod = b.deployment_chain("crashloop-command", [container], status)
    event = b.exporter_event(pod, reason="BackOff", container="worker",
                             message=f"Back-off restarting failed container worker in pod "
                                     f"{pod['metadata']['name']}_demo({pod['metadata']['uid']})")
    logs = {f"demo/{pod['metadata']['name']}/worker": {"previous": "starting worker\n", "current": ""}}
    return b.bundle("crashloop-command", event, [deploy, rs, pod], logs), {
        "action": "proposed", "remedy": "fix_command_or_args", "category": "crash_loop",
        "target": {"kind": "Deployment", "namespace": "demo", "name": "crashloop-command"}, "patch": None}


def image_not_found() -> Scenario:
    """Seed: a non-existent image. Message shape from containerd via kubelet (FACTS.md §2)."""
    image = "ghcr.io/example/checkout-api:v9.9.9-does-not-exist"
    container = {"name": "checkout-api", "image": image}
    message = (f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image '
               f'"{image}": failed to resolve reference "{image}": {image}: not found')
    status = _waiting_status("checkout-api", "ErrImagePull", message, image)
    deploy, rs, pod = b.deployment_chain("checkout-api", [container], status)
    event = b.exporter_event(pod, reason="Failed", container="checkout-api", message=message)
    return b.bundle("image-not-found", event, [deploy, rs, pod]), {
        "action": "proposed", "remedy": "fix_image_reference", "category": "image_pull",
        "target": {"kind": "Deployment", "namespace": "demo", "name": "checkout-api"}, "patch": None}


def missing_configmap() -> Scenario:
    """CreateContainerConfigError for a missing ConfigMap (kubelet's `configmap "N" not found`)."""
    container = {"name": "api", "image": "nginx:1.27",
                 "envFrom": [{"configMapRef": {"name": "api-settings"}}]}
    status = _waiting_status("api", "CreateContainerConfigError", 'configmap "api-settings" not found')
    deploy, rs, pod = b.deployment_chain("api", [container], status)
    event = b.exporter_event(pod, reason="Failed", container="api", message='Error: configmap "api-settings" not found')
    return b.bundle("missing-configmap", event, [deploy, rs, pod]), {
        "action": "proposed", "remedy": "add_missing_config", "category": "config_missing",
        "target": {"kind": "Deployment", "namespace": "demo", "name": "api"}, "patch": None,
        "root_cause_contains": "api-settings"}


def missing_secret_key() -> Scenario:
    """A secretKeyRef to a key that does not exist (`couldn't find key K in Secret NS/N`)."""
    container = {"name": "billing", "image": "ghcr.io/example/billing:2.3.1",
                 "env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "billing-db", "key": "password"}}}]}
    message = "couldn't find key password in Secret demo/billing-db"
    status = _waiting_status("billing", "CreateContainerConfigError", message)
    deploy, rs, pod = b.deployment_chain("billing", [container], status)
    event = b.exporter_event(pod, reason="Failed", container="billing", message=f"Error: {message}")
    return b.bundle("missing-secret-key", event, [deploy, rs, pod]), {
        "action": "proposed", "remedy": "add_missing_config", "category": "config_missing",
        "target": {"kind": "Deployment", "namespace": "demo", "name": "billing"}, "patch": None,
        "root_cause_contains": "billing-db"}


def bare_pod_oom() -> Scenario:
    """An OOM kill in a bare Pod: no owner to patch, so a proposal."""
    container = {"name": "job", "image": "python:3.12-slim", "command": ["python", "-c", "x = ' ' * 10**9"],
                 "resources": {"limits": {"memory": "128Mi"}}}
    status = _crash_status("job", reason="OOMKilled", exit_code=137, started="2026-11-20T09:59:50Z",
                           finished="2026-11-20T09:59:51Z")
    pod = b.pod(None, {"containers": [container]}, status, name="scratch")
    event = b.exporter_event(pod, reason="BackOff", container="job",
                             message=f"Back-off restarting failed container job in pod scratch_demo({pod['metadata']['uid']})")
    return b.bundle("bare-pod-oom", event, [pod]), {
        "action": "proposed", "remedy": "raise_memory_limit", "category": "oom_killed",
        "target": {"kind": "Pod", "namespace": "demo", "name": "scratch"}}


def gitops_oom() -> Scenario:
    """An OOM kill on an Argo CD-managed Deployment: a live patch would be reverted by selfHeal."""
    container = {"name": "web", "image": "nginx:1.27", "resources": {"limits": {"memory": "64Mi"}}}
    status = _crash_status("web", reason="OOMKilled", exit_code=137, started="2026-11-20T09:59:30Z",
                           finished="2026-11-20T09:59:45Z")
    deploy, rs, pod = b.deployment_chain(
        "web", [container], status, annotations={"argocd.argoproj.io/tracking-id": "shop:apps/Deployment:demo/web"})
    event = b.exporter_event(pod, reason="BackOff", container="web",
                             message=f"Back-off restarting failed container web in pod {pod['metadata']['name']}_demo("
                                     f"{pod['metadata']['uid']})")
    return b.bundle("gitops-oom", event, [deploy, rs, pod]), {
        "action": "proposed", "remedy": "raise_memory_limit", "category": "oom_killed",
        "target": {"kind": "Deployment", "namespace": "demo", "name": "web"}}


def kube_system_oom() -> Scenario:
    """An OOM kill in kube-system: the control plane is never patched."""
    container = {"name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.11.1",
                 "resources": {"limits": {"memory": "170Mi"}}}
    status = _crash_status("coredns", reason="OOMKilled", exit_code=137, started="2026-11-20T09:59:30Z",
                           finished="2026-11-20T09:59:45Z")
    deploy, rs, pod = b.deployment_chain("coredns", [container], status, namespace="kube-system")
    event = b.exporter_event(pod, reason="BackOff", container="coredns",
                             message=f"Back-off restarting failed container coredns in pod {pod['metadata']['name']}"
                                     f"_kube-system({pod['metadata']['uid']})")
    return b.bundle("kube-system-oom", event, [deploy, rs, pod]), {"action": "ignored"}


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "oom-memory-hog": oom_memory_hog,
    "crashloop-command": crashloop_command,
    "image-not-found": image_not_found,
    "missing-configmap": missing_configmap,
    "missing-secret-key": missing_secret_key,
    "bare-pod-oom": bare_pod_oom,
    "gitops-oom": gitops_oom,
    "kube-system-oom": kube_system_oom,
}


def write_all() -> None:
    lines = []
    for name, make in SCENARIOS.items():
        bundle, expected = make()
        folder = HERE / name
        folder.mkdir(exist_ok=True)
        (folder / "bundle.json").write_text(json.dumps(bundle, indent=1) + "\n")
        (folder / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
        lines.append(json.dumps(bundle, separators=(",", ":")))
    (HERE / "corpus.jsonl").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    write_all()
