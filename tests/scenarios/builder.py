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
                   count: int = 1, scheduler: bool = False, cluster: str = "", first: str | None = None,
                   annotations: dict[str, str] | None = None, deleted: bool = False) -> dict[str, Any]:
    """An EnhancedEvent exactly as kubernetes-event-exporter marshals it (FACTS.md §1).

    ``deleted``: the exporter could not fetch the involved object any more (it sets ``deleted: true``
    and has no labels or owner references to copy).
    """
    meta = the_pod["metadata"]
    involved: dict[str, Any] = {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"],
                                "uid": meta["uid"], "apiVersion": "v1", "resourceVersion": meta["resourceVersion"],
                                "labels": meta.get("labels", {}), "ownerReferences": meta.get("ownerReferences", []),
                                "deleted": False}
    if deleted:
        involved.update({"deleted": True, "labels": {}, "ownerReferences": []})
    if container:
        involved["fieldPath"] = f"spec.containers{{{container}}}"
    event_meta: dict[str, Any] = {
        "name": f"{meta['name']}.{hashlib.md5((reason + message).encode()).hexdigest()[:16]}",
        "namespace": meta["namespace"], "uid": _uid(reason + message + meta["name"]),
        "resourceVersion": "2001", "creationTimestamp": time}
    if annotations:
        event_meta["annotations"] = dict(annotations)
    event: dict[str, Any] = {
        "metadata": event_meta,
        "reason": reason, "message": message, "type": type_,
        "source": {} if scheduler else {"component": component, "host": "node-a"},
        # The exporter publishes an Event only when it is created (FACTS.md §1): count 1, first == last.
        "firstTimestamp": None if scheduler else (first or time),
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


def statefulset(name: str, containers: list[dict[str, Any]], *, namespace: str = NAMESPACE,
                pod_spec_extra: dict[str, Any] | None = None, volume_claim_templates: list[dict[str, Any]] | None = None,
                replicas: int = 1, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    template = {"metadata": {"labels": {"app": name}},
                "spec": {"containers": containers, "restartPolicy": "Always", **(pod_spec_extra or {})}}
    spec: dict[str, Any] = {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": {"app": name}},
                            "template": template, "podManagementPolicy": "OrderedReady",
                            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}}
    if volume_claim_templates:
        spec["volumeClaimTemplates"] = volume_claim_templates
    revision = f"{name}-{template_hash(template)}"
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "namespace": namespace, "uid": _uid(f"sts/{namespace}/{name}"),
                         "resourceVersion": "1001", "generation": 1, "creationTimestamp": "2026-11-20T09:50:00Z",
                         "labels": {"app": name}, "annotations": dict(annotations or {})},
            "spec": spec,
            "status": {"observedGeneration": 1, "replicas": replicas, "readyReplicas": 0, "currentReplicas": replicas,
                       "updatedReplicas": replicas, "currentRevision": revision, "updateRevision": revision,
                       "collisionCount": 0, "availableReplicas": 0}}


def statefulset_chain(name: str, containers: list[dict[str, Any]], status: dict[str, Any], *, ordinal: int = 0,
                      **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """StatefulSet → Pod ``NAME-0`` with ``controller-revision-hash`` (no ReplicaSet in between)."""
    sts = statefulset(name, containers, **kwargs)
    namespace = sts["metadata"]["namespace"]
    pod_name = f"{name}-{ordinal}"
    the_pod = pod(sts, sts["spec"]["template"]["spec"], status, name=pod_name, namespace=namespace,
                  labels={"controller-revision-hash": sts["status"]["currentRevision"],
                          "statefulset.kubernetes.io/pod-name": pod_name,
                          "apps.kubernetes.io/pod-index": str(ordinal)})
    the_pod["metadata"]["generateName"] = f"{name}-"
    the_pod["spec"]["hostname"] = pod_name
    the_pod["spec"]["subdomain"] = name
    for claim in sts["spec"].get("volumeClaimTemplates") or []:
        claim_name = claim["metadata"]["name"]
        the_pod["spec"]["volumes"].insert(0, {"name": claim_name,
                                              "persistentVolumeClaim": {"claimName": f"{claim_name}-{pod_name}"}})
    return sts, the_pod


def daemonset(name: str, containers: list[dict[str, Any]], *, namespace: str = NAMESPACE,
              pod_spec_extra: dict[str, Any] | None = None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    template = {"metadata": {"labels": {"app.kubernetes.io/name": name}},
                "spec": {"containers": containers, "restartPolicy": "Always", **(pod_spec_extra or {})}}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": name, "namespace": namespace, "uid": _uid(f"ds/{namespace}/{name}"),
                         "resourceVersion": "1001", "generation": 1, "creationTimestamp": "2026-11-20T09:50:00Z",
                         "labels": {"app.kubernetes.io/name": name, **(labels or {})},
                         "annotations": {"deprecated.daemonset.template.generation": "1"}},
            "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": name}}, "template": template,
                     "updateStrategy": {"type": "RollingUpdate",
                                        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
                     "revisionHistoryLimit": 10},
            "status": {"currentNumberScheduled": 3, "desiredNumberScheduled": 3, "numberMisscheduled": 0,
                       "numberReady": 2, "numberUnavailable": 1, "observedGeneration": 1,
                       "updatedNumberScheduled": 3}}


def daemonset_chain(name: str, containers: list[dict[str, Any]], status: dict[str, Any], *, suffix: str = "7z8x7",
                    node: str = "node-a", **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """DaemonSet → Pod, with the node affinity the DaemonSet controller pins each pod with."""
    ds = daemonset(name, containers, **kwargs)
    namespace = ds["metadata"]["namespace"]
    the_pod = pod(ds, ds["spec"]["template"]["spec"], status, name=f"{name}-{suffix}", namespace=namespace,
                  labels={"controller-revision-hash": template_hash(ds["spec"]["template"]),
                          "pod-template-generation": "1"})
    the_pod["spec"]["nodeName"] = node
    the_pod["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}}
    the_pod["spec"]["tolerations"] = [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
        {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"}]
    return ds, the_pod


def job(name: str, containers: list[dict[str, Any]], *, namespace: str = NAMESPACE, restart_policy: str = "OnFailure",
        backoff_limit: int = 6, owner: dict[str, Any] | None = None) -> dict[str, Any]:
    uid = _uid(f"job/{namespace}/{name}")
    selector_labels = {"batch.kubernetes.io/controller-uid": uid}
    template_labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                       "controller-uid": uid, "job-name": name}
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "uid": uid, "resourceVersion": "1001",
                            "generation": 1, "creationTimestamp": "2026-11-20T09:50:00Z",
                            "labels": dict(template_labels)}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": owner["apiVersion"], "kind": owner["kind"],
                                    "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
                                    "controller": True, "blockOwnerDeletion": True}]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
            "spec": {"parallelism": 1, "completions": 1, "backoffLimit": backoff_limit, "completionMode": "NonIndexed",
                     "suspend": False, "podReplacementPolicy": "TerminatingOrFailed",
                     "selector": {"matchLabels": selector_labels},
                     "template": {"metadata": {"labels": template_labels},
                                  "spec": {"containers": containers, "restartPolicy": restart_policy}}},
            "status": {"active": 1, "startTime": "2026-11-20T09:50:00Z", "ready": 0, "terminating": 0,
                       "uncountedTerminatedPods": {}}}


def cronjob(name: str, containers: list[dict[str, Any]], *, namespace: str = NAMESPACE, schedule: str = "0 2 * * *",
            restart_policy: str = "OnFailure", backoff_limit: int = 6) -> dict[str, Any]:
    """A batch/v1 CronJob; its Jobs copy ``spec.jobTemplate`` (kubernetes.io "CronJob")."""
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name, "namespace": namespace, "uid": _uid(f"cronjob/{namespace}/{name}"),
                         "resourceVersion": "1001", "generation": 1, "creationTimestamp": "2026-11-01T09:00:00Z"},
            "spec": {"schedule": schedule, "concurrencyPolicy": "Forbid", "suspend": False,
                     "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                     "jobTemplate": {"spec": {"backoffLimit": backoff_limit, "template": {
                         "metadata": {}, "spec": {"containers": containers, "restartPolicy": restart_policy}}}}},
            "status": {"active": [], "lastScheduleTime": "2026-11-20T02:00:00Z"}}


def cronjob_chain(name: str, containers: list[dict[str, Any]], status: dict[str, Any], *,
                  job_suffix: str = "29394120", suffix: str = "k8w2p", **kwargs: Any,
                  ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """CronJob → Job ``NAME-<minutes since epoch>`` → Pod, as the CronJob controller names them."""
    cron = cronjob(name, containers, **kwargs)
    the_job = job(f"{name}-{job_suffix}", copy.deepcopy(containers), namespace=cron["metadata"]["namespace"],
                  restart_policy=cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"],
                  backoff_limit=cron["spec"]["jobTemplate"]["spec"]["backoffLimit"], owner=cron)
    the_pod = pod(the_job, the_job["spec"]["template"]["spec"], status, name=f"{the_job['metadata']['name']}-{suffix}",
                  namespace=the_job["metadata"]["namespace"])
    the_pod["spec"]["restartPolicy"] = the_job["spec"]["template"]["spec"]["restartPolicy"]
    return cron, the_job, the_pod


def job_chain(name: str, containers: list[dict[str, Any]], status: dict[str, Any], *, suffix: str = "q7v2m",
              **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Job → Pod (Job pods carry the job-name / controller-uid labels, no template hash)."""
    the_job = job(name, containers, **kwargs)
    namespace = the_job["metadata"]["namespace"]
    the_pod = pod(the_job, the_job["spec"]["template"]["spec"], status, name=f"{name}-{suffix}", namespace=namespace)
    the_pod["spec"]["restartPolicy"] = the_job["spec"]["template"]["spec"]["restartPolicy"]
    return the_job, the_pod


def node(name: str = "node-a", *, arch: str = "amd64", taints: list[dict[str, Any]] | None = None,
         allocatable: dict[str, str] | None = None, conditions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A Node as the API returns it (the parts a diagnosis reads)."""
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "uid": _uid(f"node/{name}"), "resourceVersion": "900",
                         "creationTimestamp": "2026-11-01T08:00:00Z",
                         "labels": {"kubernetes.io/arch": arch, "kubernetes.io/os": "linux",
                                    "kubernetes.io/hostname": name, "beta.kubernetes.io/arch": arch,
                                    "node.kubernetes.io/instance-type": "e2-standard-4",
                                    "topology.kubernetes.io/zone": "europe-west1-b"}},
            "spec": {"podCIDR": "10.8.0.0/24", **({"taints": taints} if taints else {})},
            "status": {"capacity": {"cpu": "4", "memory": "16393220Ki", "pods": "110",
                                    "ephemeral-storage": "98831908Ki"},
                       "allocatable": allocatable or {"cpu": "3920m", "memory": "13849476Ki", "pods": "110",
                                                      "ephemeral-storage": "47060071478"},
                       "conditions": conditions or [
                           {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory"},
                           {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure"},
                           {"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                       "nodeInfo": {"architecture": arch, "operatingSystem": "linux",
                                    "containerRuntimeVersion": "containerd://1.7.22",
                                    "kubeletVersion": "v1.31.4", "kernelVersion": "6.1.100+"}}}


def config_map(name: str, data: dict[str, str], *, namespace: str = NAMESPACE) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "uid": _uid(f"cm/{namespace}/{name}"),
                         "resourceVersion": "800", "creationTimestamp": "2026-11-20T09:40:00Z"},
            "data": dict(data)}


def secret_metadata(name: str, *, type_: str = "Opaque", namespace: str = NAMESPACE) -> dict[str, Any]:
    """A Secret with metadata only (DESIGN.md: bundles never carry secret data)."""
    return {"apiVersion": "v1", "kind": "Secret", "type": type_,
            "metadata": {"name": name, "namespace": namespace, "uid": _uid(f"secret/{namespace}/{name}"),
                         "resourceVersion": "801", "creationTimestamp": "2026-11-20T09:40:00Z"}}


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


# A crash the rules leave to the model, shared by the Gemini tests and the benchmarks.
