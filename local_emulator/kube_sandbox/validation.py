"""The few object validations the sandbox mirrors from kube-apiserver, each answered with a 422.

Only what KubeSent's tests can trip over: a workload's replicas and its pod template's containers, and
a core/v1 Event naming an object in another namespace without ``eventTime`` (upstream's legacyValidateEvent).
Everything else a real server validates is accepted as sent (see README, "Differences from a real
API server"); tests/controlplane/test_contract.py runs the same checks against both.
"""
from __future__ import annotations

from typing import Any

from local_emulator.kube_sandbox import errors

_WORKLOADS = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"})


def check(kind: str, group: str, obj: dict[str, Any]) -> None:
    """Raise the real server's 422 for an invalid workload or Event; anything else passes."""
    if kind == "Event" and group == "":
        _check_core_event(obj)
        return
    if kind not in _WORKLOADS:
        return
    name = str(obj.get("metadata", {}).get("name", ""))
    spec = obj.get("spec") or {}
    replicas = spec.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0):
        raise errors.invalid(kind=kind, name=name, group=group,
                             detail=f"spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0")
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers")
    if not containers:
        raise errors.invalid(kind=kind, name=name, group=group,
                             detail="spec.template.spec.containers: Required value")
    seen: set[str] = set()
    for index, container in enumerate(containers):
        field = f"spec.template.spec.containers[{index}]"
        if not isinstance(container, dict) or not container.get("name"):
            raise errors.invalid(kind=kind, name=name, group=group, detail=f"{field}.name: Required value")
        if not container.get("image"):
            raise errors.invalid(kind=kind, name=name, group=group, detail=f"{field}.image: Required value")
        if container["name"] in seen:
            raise errors.invalid(kind=kind, name=name, group=group,
                                 detail=f'{field}.name: Duplicate value: "{container["name"]}"')
        seen.add(container["name"])


def _check_core_event(event: dict[str, Any]) -> None:
    """core/v1 compares the namespaces only when eventTime is unset; with it, any namespace passes."""
    if event.get("eventTime"):
        return
    namespace = event.get("metadata", {}).get("namespace", "")
    involved = str((event.get("involvedObject") or {}).get("namespace") or "")
    if involved and involved != namespace:
        raise errors.invalid(kind="Event", name=str(event.get("metadata", {}).get("name", "")),
                             detail=f'involvedObject.namespace: Invalid value: "{involved}": '
                                    "does not match event.namespace")
