"""What the kubelet posts and what kubernetes-event-exporter then publishes (FACTS.md §1, §2).

``kubelet_event`` builds the core/v1 Event a kubelet would create for a pod's container;
``enhanced`` turns a stored Event plus its Pod into the exporter's EnhancedEvent: the Event's
fields at the top level, ``managedFields`` removed, ``clusterName``, and ``involvedObject``
enriched with the pod's labels, annotations and ownerReferences and ``deleted``. The message
body is ``json.dumps`` of that, with no attributes. Pure; the scenario folders in ``tests/scenarios/``
hold events of the same shape (local_emulator must not import tests).
"""

from __future__ import annotations

import copy
import json
import secrets
from datetime import UTC, datetime
from typing import Any

NODE_NAME = "sandbox-node"  # the sandbox has no nodes; a name as kubelet would report it
KUBELET = "kubelet"


def utc_stamp(when: datetime | None = None) -> str:
    """RFC 3339 seconds, as Event timestamps are serialised."""
    return (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def kubelet_event(pod: dict[str, Any], *, reason: str, message: str, container: str | None,
                  type_: str = "Warning", count: int = 1, first: datetime | None = None,
                  last: datetime | None = None) -> dict[str, Any]:
    """The core/v1 Event the kubelet creates for ``pod`` (``eventTime`` null, as kubelet events carry)."""
    meta = pod["metadata"]
    involved: dict[str, Any] = {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"],
                                "uid": meta["uid"], "apiVersion": "v1",
                                "resourceVersion": str(meta.get("resourceVersion", ""))}
    if container:
        involved["fieldPath"] = f"spec.containers{{{container}}}"
    # client-go's recorder names events <object>.<hex of the time>; random hex stands in for it.
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{secrets.token_hex(8)}", "namespace": meta["namespace"]},
            "involvedObject": involved, "reason": reason, "message": message, "type": type_,
            "source": {"component": KUBELET, "host": NODE_NAME},
            "firstTimestamp": utc_stamp(first), "lastTimestamp": utc_stamp(last), "count": count,
            "eventTime": None, "reportingComponent": KUBELET, "reportingInstance": NODE_NAME}


def enhanced(event: dict[str, Any], pod: dict[str, Any] | None, *, cluster_name: str = "") -> dict[str, Any]:
    """The EnhancedEvent the exporter marshals for a stored ``event`` about ``pod``."""
    body = copy.deepcopy(event)
    body.pop("apiVersion", None)  # top-level kind and apiVersion are usually absent (FACTS §1)
    body.pop("kind", None)
    body.get("metadata", {}).pop("managedFields", None)
    involved = body.setdefault("involvedObject", {})
    if pod is not None:
        pod_meta = pod["metadata"]
        for key in ("labels", "annotations", "ownerReferences"):
            if pod_meta.get(key):
                involved[key] = copy.deepcopy(pod_meta[key])
    involved["deleted"] = pod is None
    body["clusterName"] = cluster_name
    body.setdefault("reportingComponent", "")
    body.setdefault("reportingInstance", "")
    if not body.get("count"):
        body.pop("count", None)  # omitted when 0 (omitempty)
    return body


def message_data(enhanced_event: dict[str, Any]) -> bytes:
    """The Pub/Sub message ``data``: ``json.Marshal(EnhancedEvent)``."""
    return json.dumps(enhanced_event, separators=(",", ":")).encode()
