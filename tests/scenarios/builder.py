"""Build realistic incident bundles (DESIGN.md) the way a real cluster would show them.

Used by scenario folders' ``make_*.py`` generators and by tests that need a consistent
Deployment → ReplicaSet → Pod chain, the exporter's EnhancedEvent (FACTS.md §1) and logs.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from typing import Any

NAMESPACE = "demo"
T0 = "2026-11-20T10:00:00Z"


def _uid(seed: str) -> str:
    return str(uuid.UUID(hashlib.md5(seed.encode()).hexdigest()))


def template_hash(template: dict[str, Any]) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    digest = int(hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest(), 16)
    return "".join(alphabet[(digest >> (5 * i)) % len(alphabet)] for i in range(10))


def deployment(name: str, containers: list[dict[str, Any]], *, namespace: str = NAMESPACE,
               labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
               pod_spec_extra: dict[str, Any] | None = None, managed_fields: list[dict[str, Any]] | None = None,
               replicas: int = 1) -> dict[str, Any]:
    template = {"metadata": {"labels": {"app": name}},
                "spec": {"containers": containers, "restartPolicy": "Always", **(pod_spec_extra or {})}}
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "uid": _uid(f"deploy/{namespace}/{name}"),
                            "resourceVersion": "1001", "generation": 1, "creationTimestamp": "2026-11-20T09:50:00Z",
                            "labels": {"app": name, **(labels or {})},
                            "annotations": {"deployment.kubernetes.io/revision": "1", **(annotations or {})}}
    if managed_fields:
        meta["managedFields"] = managed_fields
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template,
                     "strategy": {"type": "RollingUpdate"}},
            "status": {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                       "unavailableReplicas": replicas}}


def replica_set(deploy: dict[str, Any]) -> dict[str, Any]:
    name = deploy["metadata"]["name"]
    namespace = deploy["metadata"]["namespace"]
    phash = template_hash(deploy["spec"]["template"])
    template = copy.deepcopy(deploy["spec"]["template"])
    template["metadata"]["labels"]["pod-template-hash"] = phash
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"{name}-{phash}", "namespace": namespace, "uid": _uid(f"rs/{namespace}/{name}"),
                         "resourceVersion": "1002", "creationTimestamp": "2026-11-20T09:50:00Z",
                         "labels": {"app": name, "pod-template-hash": phash},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                                              "uid": deploy["metadata"]["uid"], "controller": True,
                                              "blockOwnerDeletion": True}]},
            "spec": {"replicas": deploy["spec"]["replicas"],
                     "selector": {"matchLabels": {"app": name, "pod-template-hash": phash}}, "template": template},
            "status": {"replicas": deploy["spec"]["replicas"], "observedGeneration": 1}}


def pod(owner: dict[str, Any] | None, spec: dict[str, Any], status: dict[str, Any], *, name: str,
        namespace: str = NAMESPACE, labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "uid": _uid(f"pod/{namespace}/{name}"),
                            "resourceVersion": "1010", "creationTimestamp": "2026-11-20T09:50:05Z",
                            "labels": dict(labels or {})}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": owner["apiVersion"], "kind": owner["kind"],
                                    "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
                                    "controller": True, "blockOwnerDeletion": True}]
        meta["labels"] = {**owner["spec"]["template"]["metadata"].get("labels", {}), **meta["labels"]} \
            if "template" in owner.get("spec", {}) else meta["labels"]
        meta["generateName"] = f"{owner['metadata']['name']}-"
    full_spec = {"nodeName": "node-a", "serviceAccountName": "default", "restartPolicy": "Always",
                 "dnsPolicy": "ClusterFirst", "terminationGracePeriodSeconds": 30, **copy.deepcopy(spec)}
    full_spec.setdefault("volumes", []).append(
        {"name": "kube-api-access-x7k2p", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}})
    for container in full_spec.get("containers", []):
        container.setdefault("volumeMounts", []).append(
            {"name": "kube-api-access-x7k2p", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
             "readOnly": True})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": full_spec,
            "status": {"qosClass": "Burstable", "hostIP": "10.128.0.4", "podIP": "10.8.0.12",
                       "startTime": "2026-11-20T09:50:05Z", **status}}


def deployment_chain(name: str, containers: list[dict[str, Any]], status: dict[str, Any], *, suffix: str = "x2x4k",
                     **deploy_kwargs: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    deploy = deployment(name, containers, **deploy_kwargs)
    rs = replica_set(deploy)
    namespace = deploy["metadata"]["namespace"]
    the_pod = pod(rs, rs["spec"]["template"]["spec"], status, name=f"{rs['metadata']['name']}-{suffix}",
                  namespace=namespace)
    return deploy, rs, the_pod


def exporter_event(the_pod: dict[str, Any], *, reason: str, message: str, type_: str = "Warning",
                   container: str | None = None, component: str = "kubelet", time: str = "2026-11-20T10:00:00Z",
                   count: int = 5, scheduler: bool = False, cluster: str = "") -> dict[str, Any]:
    """An EnhancedEvent exactly as kubernetes-event-exporter marshals it (FACTS.md §1)."""
    meta = the_pod["metadata"]
    involved: dict[str, Any] = {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"],
                                "uid": meta["uid"], "apiVersion": "v1", "resourceVersion": meta["resourceVersion"],
                                "labels": meta.get("labels", {}), "ownerReferences": meta.get("ownerReferences", []),
                                "deleted": False}
    if container:
        involved["fieldPath"] = f"spec.containers{{{container}}}"
    event: dict[str, Any] = {
        "metadata": {"name": f"{meta['name']}.{hashlib.md5((reason + message).encode()).hexdigest()[:16]}",
                     "namespace": meta["namespace"], "uid": _uid(reason + message + meta["name"]),
                     "resourceVersion": "2001", "creationTimestamp": time},
        "reason": reason, "message": message, "type": type_,
        "source": {} if scheduler else {"component": component, "host": "node-a"},
        "firstTimestamp": None if scheduler else "2026-11-20T09:51:00Z",
        "lastTimestamp": None if scheduler else time,
        "eventTime": time.replace("Z", ".000000Z") if scheduler else None,
        "reportingComponent": "default-scheduler" if scheduler else component,
        "reportingInstance": "" if scheduler else "node-a",
        "clusterName": cluster, "involvedObject": involved,
    }
    if not scheduler:
        event["count"] = count
    if scheduler:
        event["action"] = "Scheduling"
    return event


def as_k8s_event(exporter: dict[str, Any]) -> dict[str, Any]:
    """The core/v1 Event object behind an exporter event (what ``kubectl get events -o json`` shows)."""
    event = copy.deepcopy(exporter)
    event.pop("clusterName", None)
    involved = event["involvedObject"]
    for key in ("labels", "annotations", "ownerReferences", "deleted"):
        involved.pop(key, None)
    return {"apiVersion": "v1", "kind": "Event", **event}


def bundle(bundle_id: str, event: dict[str, Any], objects: list[dict[str, Any]],
           logs: dict[str, dict[str, str]] | None = None, extra_events: list[dict[str, Any]] | None = None,
           ) -> dict[str, Any]:
    all_objects = list(objects) + [as_k8s_event(event)] + [as_k8s_event(e) for e in extra_events or []]
    return {"id": bundle_id, "event": event, "objects": all_objects, "logs": logs or {}}
