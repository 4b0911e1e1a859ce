"""A kubelet that answers an in-place resize (a store hook), as a node reports it (FACTS.md §9).

When a pod's container resources change, the outcome goes into the pod's status: the new resources in
`containerStatuses[].resources`, and a resized OOM-killed container Running and Ready when the pod's
`sandbox.kubesent.dev/script` says it now fits (the same script keys as the Deployment controller's
pods); or `PodResizePending` with reason `Infeasible` when the script's `resizeInfeasibleAbove` is
exceeded. It never schedules or runs anything.
"""
from __future__ import annotations

import copy
from typing import Any

from local_emulator.kube_sandbox import controller, managed_fields
from local_emulator.kube_sandbox.quantities import quantity_bytes
from local_emulator.kube_sandbox.resources import ResourceType
from local_emulator.kube_sandbox.store import Store

MANAGER = "kubelet"


def _resources_of(spec: dict[str, Any]) -> dict[str, Any]:
    return {c.get("name"): c.get("resources") for c in spec.get("containers") or []}


class Kubelet:
    """Answers a resize in the pod's status (a store hook)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self, resource: ResourceType, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        if resource.kind != "Pod" or old is None or new["metadata"].get("deletionTimestamp"):
            return
        if _resources_of(old.get("spec") or {}) == _resources_of(new.get("spec") or {}):
            return
        pod = copy.deepcopy(new)
        pod["status"] = self._status(pod)
        self.store.update(resource, namespace=pod["metadata"]["namespace"], name=pod["metadata"]["name"],
                          body=pod, manager=MANAGER, subresource="status")

    @staticmethod
    def _status(pod: dict[str, Any]) -> dict[str, Any]:
        spec = pod.get("spec") or {}
        status = copy.deepcopy(pod.get("status") or {})
        script = controller.script_of(pod)
        conditions = [c for c in status.get("conditions") or []
                      if c.get("type") not in ("PodResizePending", "PodResizeInProgress")]
        ceiling = quantity_bytes(script.get("resizeInfeasibleAbove"))
        asked = max((quantity_bytes(((c.get("resources") or {}).get("limits") or {}).get("memory")) or 0
                     for c in spec.get("containers") or []), default=0)
        if ceiling is not None and asked > ceiling:
            conditions.append({"type": "PodResizePending", "status": "True", "reason": "Infeasible",
                               "message": "Node didn't have enough capacity: memory",
                               "lastTransitionTime": managed_fields.now()})
            return {**status, "conditions": conditions}
        fresh = controller.pod_status(spec, script)
        by_name = {entry["name"]: entry for entry in fresh["containerStatuses"]}
        statuses = []
        for entry in status.get("containerStatuses") or []:
            container = next((c for c in spec.get("containers") or [] if c.get("name") == entry.get("name")), {})
            now = by_name.get(entry.get("name"), {})
            # A crash-looping container picks the new limit up at its next start (FACTS.md §9).
            updated = {**entry, "resources": copy.deepcopy(container.get("resources") or {}),
                       "ready": now.get("ready", entry.get("ready")), "state": now.get("state", entry.get("state")),
                       "started": now.get("started", entry.get("started"))}
            statuses.append(updated)
        ready = all(entry.get("ready") for entry in statuses)
        for condition in conditions:
            if condition.get("type") in ("Ready", "ContainersReady"):
                condition.update(status="True" if ready else "False")
                if ready:
                    condition.pop("reason", None)
                    condition.pop("message", None)
        return {**status, "phase": "Running" if ready else status.get("phase", "Running"),
                "containerStatuses": statuses, "conditions": conditions}
