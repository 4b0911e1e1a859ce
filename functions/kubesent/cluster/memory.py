"""An in-memory ``cluster.api.Cluster`` over an incident bundle's objects: replay's cluster.

The bundle *is* the cluster (DESIGN.md, replay contract). Patches use a strategic merge limited to
what ``remedies`` renders (maps merged, lists of named objects merged by ``name``), with the
``resourceVersion`` precondition and dry-run of the real API. Pure Python; never does network I/O.
"""

from __future__ import annotations

import copy
from typing import Any

from kubesent import errors, k8s, qos
from kubesent.cluster.api import MAX_LISTED_EXTERNAL_SECRETS, READABLE_KINDS
from kubesent.objects import as_dict


def strategic_merge(target: Any, patch: Any) -> Any:
    """Merge ``patch`` into a copy of ``target`` the way the API server does for our patches."""
    if not isinstance(patch, dict) or not isinstance(target, dict):
        return copy.deepcopy(patch)
    merged = copy.deepcopy(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, list) and isinstance(merged.get(key), list) and _named(value) and _named(merged[key]):
            merged[key] = _merge_named(merged[key], value)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = strategic_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _named(items: list[Any]) -> bool:
    return all(isinstance(item, dict) and "name" in item for item in items)


def _merge_named(current: list[dict[str, Any]], patch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = [copy.deepcopy(item) for item in current]
    index = {item["name"]: position for position, item in enumerate(result)}
    for item in patch:
        if item["name"] in index:
            result[index[item["name"]]] = strategic_merge(result[index[item["name"]]], item)
        else:
            result.append(copy.deepcopy(item))
    return result


class MemoryCluster:
    """Objects by (kind, namespace, name), logs by ``NS/POD/CONTAINER``; counts reads and writes."""

    def __init__(self, objects: list[dict[str, Any]], *, logs: dict[str, dict[str, str]] | None = None) -> None:
        self._objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        for obj in objects:
            meta = obj.get("metadata") if isinstance(obj, dict) else None
            if isinstance(meta, dict) and isinstance(obj.get("kind"), str) and isinstance(meta.get("name"), str):
                namespace = str(meta["namespace"]) if isinstance(meta.get("namespace"), str) else ""
                self._objects[(obj["kind"], namespace, meta["name"])] = obj
        self._logs = logs or {}
        self.calls = 0
        self.writes: list[dict[str, Any]] = []

    def read(self, *, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
        self.calls += 1
        if kind not in READABLE_KINDS:
            raise errors.ClusterRefused(f"KubeSent does not read {kind} objects", status=400)
        found = self._objects.get((kind, namespace, name))
        if found is None:
            raise errors.NotFound(f"read {kind} {namespace}/{name}: not in the bundle")
        return copy.deepcopy(found)

    def pod_events(self, *, namespace: str, pod_name: str, pod_uid: str) -> list[dict[str, Any]]:
        self.calls += 1
        events = []
        for (kind, event_namespace, _), obj in self._objects.items():
            involved = as_dict(obj.get("involvedObject"))
            if kind != "Event" or event_namespace != namespace or involved.get("kind") != "Pod":
                continue
            if involved.get("name") == pod_name and (not pod_uid or involved.get("uid") in (None, "", pod_uid)):
                events.append(copy.deepcopy(obj))
        return events

    def list_replicasets(self, *, namespace: str, match_labels: dict[str, str]) -> list[dict[str, Any]]:
        self.calls += 1
        if not match_labels:
            return []
        found = []
        for (kind, object_namespace, _), obj in self._objects.items():
            labels = as_dict(as_dict(obj.get("metadata")).get("labels"))
            if kind == "ReplicaSet" and object_namespace == namespace and all(
                    labels.get(key) == value for key, value in match_labels.items()):
                found.append(copy.deepcopy(obj))
        return found

    def list_external_secrets(self, *, namespace: str) -> list[dict[str, Any]]:
        """As the API server: one page of ``limit`` items, in name order (etcd's key order)."""
        self.calls += 1
        found = [copy.deepcopy(obj) for (kind, object_namespace, _), obj in sorted(self._objects.items())
                 if kind == "ExternalSecret" and object_namespace == namespace]
        return found[:MAX_LISTED_EXTERNAL_SECRETS]

    def read_log(self, *, namespace: str, pod: str, container: str, previous: bool,
                 tail_lines: int, limit_bytes: int) -> str:
        self.calls += 1
        entry = self._logs.get(f"{namespace}/{pod}/{container}") or {}
        text = entry.get("previous" if previous else "current") or ""
        lines = text.splitlines(keepends=True)[-tail_lines:]
        # As the API server: the last tailLines lines, then at most limitBytes from their start.
        return "".join(lines).encode()[:limit_bytes].decode("utf-8", errors="ignore")

    def list_pods(self, *, namespace: str | None, match_labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
        self.calls += 1
        wanted = match_labels or {}
        return [copy.deepcopy(obj) for (kind, pod_namespace, _), obj in sorted(self._objects.items())
                if kind == "Pod" and (namespace is None or pod_namespace == namespace)
                and all(as_dict(as_dict(obj.get("metadata")).get("labels")).get(k) == v for k, v in wanted.items())]

    def patch(self, *, api_version: str, kind: str, namespace: str, name: str,
              body: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        self.calls += 1
        if kind not in k8s.PATCHABLE_KINDS:
            raise errors.ClusterRefused(f"KubeSent never patches {kind} objects", status=403)
        return self._merge(kind, namespace, name, body, dry_run=dry_run, what="patch")

    def resize(self, *, namespace: str, name: str, body: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        """As the API server's ``pods/resize``: container resources only, and the QoS class may not change."""
        self.calls += 1
        current = self._objects.get(("Pod", namespace, name))
        if current is None:
            raise errors.NotFound(f"resize Pod {namespace}/{name}: not in the bundle")
        containers = [{"name": c.get("name"), "resources": c.get("resources")}
                      for c in as_dict(body.get("spec")).get("containers") or [] if isinstance(c, dict)]
        limited = {"metadata": as_dict(body.get("metadata")), "spec": {"containers": containers}}
        merged = strategic_merge(current, limited)
        before, after = qos.qos_class(as_dict(current.get("spec"))), qos.qos_class(as_dict(merged.get("spec")))
        if before != after:
            raise errors.ClusterRefused(f"resize Pod {namespace}/{name}: Pod QOS Class may not change as a result "
                                        f"of resizing ({before} → {after})", status=422)
        return self._merge("Pod", namespace, name, limited, dry_run=dry_run, what="resize")

    def annotate_pod(self, *, namespace: str, name: str, annotations: dict[str, str],
                     dry_run: bool) -> dict[str, Any]:
        self.calls += 1
        return self._merge("Pod", namespace, name, {"metadata": {"annotations": dict(annotations)}},
                           dry_run=dry_run, what="annotate")

    def _merge(self, kind: str, namespace: str, name: str, body: dict[str, Any], *, dry_run: bool,
               what: str) -> dict[str, Any]:
        """Strategic-merge ``body`` with the API's resourceVersion precondition; kept unless ``dry_run``."""
        current = self._objects.get((kind, namespace, name))
        if current is None:
            raise errors.NotFound(f"{what} {kind} {namespace}/{name}: not in the bundle")
        wanted = (body.get("metadata") or {}).get("resourceVersion")
        have = (current.get("metadata") or {}).get("resourceVersion")
        if wanted is not None and have is not None and str(wanted) != str(have):
            raise errors.Conflict(f"{what} {kind} {namespace}/{name}: resourceVersion {wanted} is stale (now {have})")
        merged = strategic_merge(current, body)
        if not dry_run:
            merged.setdefault("metadata", {})["resourceVersion"] = _next_version(have)
            self._objects[(kind, namespace, name)] = merged
            self.writes.append({"kind": kind, "namespace": namespace, "name": name, "patch": copy.deepcopy(body),
                                "verb": what})
        return copy.deepcopy(merged)


def _next_version(have: Any) -> str:
    """A new resourceVersion after a write: the next integer, or a suffix on one that is not a number."""
    return str(int(have or 0) + 1) if str(have or "0").isdigit() else f"{have}-1"
