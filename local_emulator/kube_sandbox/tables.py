"""meta.k8s.io/v1 Table rendering, so `kubectl get` prints columns as it does against a cluster.

Pure: list items in, Table dict out. Called by server.py when the client asks `as=Table`.
"""
from __future__ import annotations

import datetime
from typing import Any

from local_emulator.kube_sandbox.resources import ResourceType

_SECONDS_PER_MINUTE = 60
_SECONDS_PER_HOUR = 3600
_SECONDS_PER_DAY = 86400


def _age(timestamp: str | None) -> str:
    if not timestamp:
        return "<unknown>"
    try:
        created = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.UTC)
    except ValueError:
        return "<unknown>"
    seconds = int((datetime.datetime.now(datetime.UTC) - created).total_seconds())
    if seconds < 2 * _SECONDS_PER_MINUTE:
        return f"{max(seconds, 0)}s"
    if seconds < 2 * _SECONDS_PER_HOUR:
        return f"{seconds // _SECONDS_PER_MINUTE}m"
    if seconds < 2 * _SECONDS_PER_DAY:
        return f"{seconds // _SECONDS_PER_HOUR}h"
    return f"{seconds // _SECONDS_PER_DAY}d"


def _pod_cells(pod: dict[str, Any]) -> list[Any]:
    status = pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    containers = (pod.get("spec") or {}).get("containers") or []
    ready = sum(1 for entry in statuses if entry.get("ready"))
    restarts = sum(int(entry.get("restartCount") or 0) for entry in statuses)
    shown = status.get("reason") or status.get("phase") or ""
    for entry in statuses:
        waiting = (entry.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason"):
            shown = waiting["reason"]
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        shown = "Terminating"
    return [f"{ready}/{len(containers)}", shown, restarts]


def _extra(resource: ResourceType) -> list[tuple[str, str]]:
    if resource.kind == "Pod":
        return [("Ready", "string"), ("Status", "string"), ("Restarts", "integer")]
    if resource.kind == "Event":
        return [("Type", "string"), ("Reason", "string"), ("Object", "string"), ("Message", "string")]
    return []


def _extra_cells(resource: ResourceType, obj: dict[str, Any]) -> list[Any]:
    if resource.kind == "Pod":
        return _pod_cells(obj)
    if resource.kind == "Event":
        involved = obj.get("involvedObject") or {}
        return [obj.get("type", ""), obj.get("reason", ""),
                f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}", obj.get("message", "")]
    return []


def table(resource: ResourceType, items: list[dict[str, Any]], version: str) -> dict[str, Any]:
    columns = [{"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0}]
    columns += [{"name": name, "type": kind, "format": "", "description": "", "priority": 0}
                for name, kind in _extra(resource)]
    columns.append({"name": "Age", "type": "string", "format": "", "description": "", "priority": 0})
    rows = []
    for obj in items:
        meta = obj["metadata"]
        cells = [meta["name"], *_extra_cells(resource, obj), _age(meta.get("creationTimestamp"))]
        rows.append({"cells": cells, "object": {"kind": "PartialObjectMetadata",
                                                "apiVersion": "meta.k8s.io/v1", "metadata": meta}})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": version},
            "columnDefinitions": columns, "rows": rows}
