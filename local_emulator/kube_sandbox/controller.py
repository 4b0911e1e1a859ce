"""Owner chains and a tiny Deployment controller for demos.

`create_chain` builds Deployment → ReplicaSet → Pods as the real controllers would name and
link them. `DeploymentController` is a store hook: when a Deployment's pod template changes it
rolls out a new ReplicaSet whose pods get a status from the scenario script in the annotation
`sandbox.kubesent.dev/script` (JSON). Once the new pods are Ready, the old pods turn Terminating (and
go at the next rollout); until then, an old revision that served keeps serving (maxUnavailable). It never
schedules or runs anything.
"""
from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

from local_emulator.kube_sandbox import managed_fields, resources
from local_emulator.kube_sandbox.quantities import quantity_bytes
from local_emulator.kube_sandbox.resources import ResourceType
from local_emulator.kube_sandbox.store import Store, random_suffix

SCRIPT_ANNOTATION = "sandbox.kubesent.dev/script"
MANAGER = "deployment-controller"
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's SafeEncodeString alphabet
_HASH_LENGTH = 10  # the length of a real pod-template-hash
_RESTARTS_WHEN_CRASHING = 3  # enough for "restartCount >= 1" and a believable back-off
_OOM_EXIT_CODE = 137  # 128 + SIGKILL
_GRACE_PERIOD_SECONDS = 30  # the default terminationGracePeriodSeconds


def _resource(kind: str, api_version: str) -> ResourceType:
    found = resources.by_kind(api_version=api_version, kind=kind)
    assert found is not None
    return found


def template_hash(template: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    return "".join(_SAFE_ALPHABET[int(char, 16) % len(_SAFE_ALPHABET)] for char in digest[:_HASH_LENGTH])


def _owner_ref(owner: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def _container_status(container: dict[str, Any], script: dict[str, Any]) -> dict[str, Any]:
    image = container.get("image", "")
    status: dict[str, Any] = {"name": container.get("name"), "image": image, "imageID": "",
                              "ready": True, "started": True, "restartCount": 0,
                              "state": {"running": {"startedAt": managed_fields.now()}}}
    allowed_images = script.get("imagePullErrorUnless")
    limit_text = script.get("oomKilledBelowMemory")
    memory_limit = quantity_bytes(((container.get("resources") or {}).get("limits") or {}).get("memory"))
    if allowed_images is not None and image not in allowed_images:
        status.update(ready=False, started=False, state={"waiting": {
            "reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}})
    elif "crashLoop" in script:
        exit_code = int((script["crashLoop"] or {}).get("exitCode", 1))
        status.update(ready=False, started=False, restartCount=_RESTARTS_WHEN_CRASHING,
                      state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off restarting "
                                         f"failed container {container.get('name')}"}},
                      lastState={"terminated": {"reason": "Error", "exitCode": exit_code}})
    elif limit_text is not None and memory_limit is not None and memory_limit < (quantity_bytes(limit_text) or 0):
        status.update(ready=False, started=False, restartCount=_RESTARTS_WHEN_CRASHING,
                      state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off restarting "
                                         f"failed container {container.get('name')}"}},
                      lastState={"terminated": {"reason": "OOMKilled", "exitCode": _OOM_EXIT_CODE}})
    elif script.get("notReady"):
        # Running but never passing its readiness probe: no restart, no failure, just no progress.
        status.update(ready=False)
    return status


def _memory_request(container: dict[str, Any]) -> int:
    """The memory the scheduler reserves: the request, or the limit when no request is set (the API server
    defaults a missing request to the limit)."""
    resources = container.get("resources") or {}
    text = (resources.get("requests") or {}).get("memory") or (resources.get("limits") or {}).get("memory")
    return quantity_bytes(text) or 0


def pod_status(spec: dict[str, Any], script: dict[str, Any]) -> dict[str, Any]:
    too_big = script.get("unschedulableAboveMemory")
    if too_big is not None and sum(_memory_request(c) for c in spec.get("containers") or []) > (
            quantity_bytes(too_big) or 0):
        # What the scheduler reports when no node has the memory the pod requests (and no kubelet runs it).
        return {"phase": "Pending", "conditions": [{
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: "
                       "3 No preemption victims found for incoming pod."}]}
    statuses = [_container_status(container, script) for container in spec.get("containers") or []]
    ready = all(entry["ready"] for entry in statuses)
    pulling = any((entry["state"].get("waiting") or {}).get("reason") == "ImagePullBackOff"
                  for entry in statuses)
    return {"phase": "Pending" if pulling else "Running", "containerStatuses": statuses,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"},
                           {"type": "PodScheduled", "status": "True"}],
            "startTime": managed_fields.now()}


def script_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The sandbox script (JSON) in an object's `sandbox.kubesent.dev/script` annotation; {} when none."""
    text = ((obj["metadata"].get("annotations") or {}).get(SCRIPT_ANNOTATION)) or "{}"
    try:
        script = json.loads(text)
    except ValueError:
        return {}
    return script if isinstance(script, dict) else {}


def _is_ready(pod: dict[str, Any]) -> bool:
    return any(condition.get("type") == "Ready" and condition.get("status") == "True"
               for condition in (pod.get("status") or {}).get("conditions") or [])


def create_replicaset(store: Store, deployment: dict[str, Any], *, replicas: int,
                      pod_status_override: dict[str, Any] | None,
                      pod_name_suffixes: list[str] | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    template = copy.deepcopy(deployment["spec"].get("template") or {})
    hash_value = template_hash(template)
    namespace = deployment["metadata"]["namespace"]
    labels = {**((template.get("metadata") or {}).get("labels") or {}), "pod-template-hash": hash_value}
    template.setdefault("metadata", {})["labels"] = labels
    selector = copy.deepcopy(deployment["spec"].get("selector") or {"matchLabels": {}})
    selector.setdefault("matchLabels", {})["pod-template-hash"] = hash_value
    replicaset_name = f"{deployment['metadata']['name']}-{hash_value}"
    replicaset_body = {"metadata": {"name": replicaset_name, "namespace": namespace, "labels": labels,
                                    "annotations": {"deployment.kubernetes.io/revision": str(
                                        deployment["metadata"].get("generation", 1))},
                                    "ownerReferences": [_owner_ref(deployment)]},
                       "spec": {"replicas": replicas, "selector": selector, "template": template}}
    replicaset_type = _resource("ReplicaSet", "apps/v1")
    replicaset = store.load(replicaset_type, replicaset_body)
    pod_type = _resource("Pod", "v1")
    script = script_of(deployment)
    pods = []
    suffixes = list(pod_name_suffixes or [])
    for index in range(replicas):
        suffix = suffixes[index] if index < len(suffixes) else random_suffix()
        spec = copy.deepcopy(template.get("spec") or {})
        status = copy.deepcopy(pod_status_override) if pod_status_override is not None else pod_status(spec, script)
        pods.append(store.load(pod_type, {
            "metadata": {"name": f"{replicaset_name}-{suffix}", "namespace": namespace,
                         "labels": dict(labels), "ownerReferences": [_owner_ref(replicaset)]},
            "spec": spec, "status": status}))
    ready = sum(1 for pod in pods if _is_ready(pod))
    replicaset["status"] = {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready,
                            "fullyLabeledReplicas": replicas, "observedGeneration": 1}
    replicaset = store.load(replicaset_type, replicaset)
    return replicaset, pods


def deployment_status(deployment: dict[str, Any], pods: list[dict[str, Any]]) -> dict[str, Any]:
    ready = sum(1 for pod in pods if _is_ready(pod))
    replicas = len(pods)
    status: dict[str, Any] = {"observedGeneration": deployment["metadata"].get("generation", 1),
                              "replicas": replicas, "updatedReplicas": replicas,
                              "readyReplicas": ready, "availableReplicas": ready}
    if replicas - ready:
        status["unavailableReplicas"] = replicas - ready
    status["conditions"] = [{"type": "Available", "status": "True" if ready == replicas else "False",
                             "reason": "MinimumReplicasAvailable" if ready == replicas
                             else "MinimumReplicasUnavailable"}]
    return status


def _owned_by(uid: str) -> Callable[[dict[str, Any]], bool]:
    def matches(obj: dict[str, Any]) -> bool:
        return any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or [])

    return matches


class DeploymentController:
    """Rolls out a new ReplicaSet when a Deployment's pod template changes (a store hook)."""

    def __init__(self, store: Store, *, enabled: bool = True) -> None:
        self.store = store
        self.enabled = enabled

    def __call__(self, resource: ResourceType, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        if not self.enabled or resource.kind != "Deployment" or old is None:
            return
        if (old.get("spec") or {}).get("template") == (new.get("spec") or {}).get("template"):
            return
        self.rollout(new)

    def rollout(self, deployment: dict[str, Any]) -> None:
        store = self.store
        namespace = deployment["metadata"]["namespace"]
        replicaset_type = _resource("ReplicaSet", "apps/v1")
        pod_type = _resource("Pod", "v1")
        replicas = int(deployment["spec"].get("replicas", 1))
        new_replicaset, pods = create_replicaset(store, deployment, replicas=replicas,
                                                 pod_status_override=None, pod_name_suffixes=None)
        owned, _ = store.list(replicaset_type, namespace=namespace,
                              matcher=_owned_by(deployment["metadata"]["uid"]))
        # A rolling update never takes the old revision below what stays available while the new one is not
        # (maxUnavailable is 25 % of the replicas, rounded down: 0 for fewer than 4). Simplified: until every new
        # pod is Ready, the old revisions keep serving whole; once it is, they go at once.
        new_ready = all(_is_ready(pod) for pod in pods)
        for replicaset in owned:
            if replicaset["metadata"]["uid"] == new_replicaset["metadata"]["uid"]:
                continue
            if not new_ready and int((replicaset.get("status") or {}).get("availableReplicas") or 0) > 0:
                continue
            old_pods, _ = store.list(pod_type, namespace=namespace,
                                     matcher=_owned_by(replicaset["metadata"]["uid"]))
            for pod in old_pods:
                if pod["metadata"].get("deletionTimestamp"):
                    store.delete(pod_type, namespace=namespace, name=pod["metadata"]["name"], orphan=True)
                else:
                    # A real pod lingers as Terminating for its grace period; with no kubelet here it
                    # stays so until the next rollout, so a redelivered event can still read it.
                    pod["metadata"]["deletionTimestamp"] = managed_fields.now()
                    pod["metadata"]["deletionGracePeriodSeconds"] = _GRACE_PERIOD_SECONDS
                    store.load(pod_type, pod)
            replicaset["spec"]["replicas"] = 0
            replicaset["status"] = {"replicas": 0, "observedGeneration": 1}
            store.load(replicaset_type, replicaset)
        current = store.get(_resource("Deployment", "apps/v1"), namespace=namespace,
                            name=deployment["metadata"]["name"])
        current["status"] = deployment_status(current, pods)
        if not new_ready:
            serving = [pod for rs in owned if rs["metadata"]["uid"] != new_replicaset["metadata"]["uid"]
                       for pod in store.list(pod_type, namespace=namespace, matcher=_owned_by(rs["metadata"]["uid"]))[0]
                       if not pod["metadata"].get("deletionTimestamp") and _is_ready(pod)]
            current["status"]["replicas"] += len(serving)
            current["status"]["readyReplicas"] += len(serving)
            current["status"]["availableReplicas"] += len(serving)
        store.update(_resource("Deployment", "apps/v1"), namespace=namespace, name=current["metadata"]["name"],
                     body=current, manager=MANAGER, subresource="status")
