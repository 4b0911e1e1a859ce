"""A minimal `metadata.managedFields` bookkeeper: which manager touched which top paths.

Pure: mutates the object dict handed in. Called by the store on every write. It records
FieldsV1-shaped sets (`f:spec` / `f:template` / `k:{"name":"app"}`) built from the request body,
a few levels deep, so a reader can tell that a foreign manager edited `spec.template`.
"""
from __future__ import annotations

import datetime
import json
from typing import Any

FIELDS_DEPTH = 6  # deep enough for spec.template.spec.containers[k].resources
_SKIPPED_TOP = ("apiVersion", "kind")
_KEPT_METADATA = ("labels", "annotations", "finalizers", "ownerReferences")


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fields_of(body: Any, depth: int = FIELDS_DEPTH, *, top: bool = True) -> dict[str, Any]:
    if not isinstance(body, dict) or depth == 0:
        return {}
    fields: dict[str, Any] = {}
    for key, value in body.items():
        if key.startswith("$") or (top and key in _SKIPPED_TOP):
            continue
        if top and key == "metadata" and isinstance(value, dict):
            kept = {name: item for name, item in value.items() if name in _KEPT_METADATA}
            if kept:
                fields["f:metadata"] = fields_of(kept, depth - 1, top=False)
            continue
        if isinstance(value, list):
            elements: dict[str, Any] = {}
            for item in value:
                if isinstance(item, dict) and "name" in item:
                    elements["k:" + json.dumps({"name": item["name"]}, separators=(",", ":"))] = \
                        fields_of(item, depth - 1, top=False)
            fields["f:" + key] = elements
        else:
            fields["f:" + key] = fields_of(value, depth - 1, top=False)
    return fields


def _union(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    merged = dict(left)
    for key, value in right.items():
        merged[key] = _union(merged.get(key, {}), value) if isinstance(value, dict) else value
    return merged


def record(obj: dict[str, Any], *, manager: str, api_version: str, touched: dict[str, Any],
           subresource: str = "") -> None:
    """Add or refresh this manager's Update entry on `obj`."""
    metadata = obj.setdefault("metadata", {})
    entries: list[dict[str, Any]] = metadata.setdefault("managedFields", []) or []
    metadata["managedFields"] = entries
    for entry in entries:
        if (entry.get("manager") == manager and entry.get("operation") == "Update"
                and entry.get("subresource", "") == subresource):
            entry["time"] = now()
            entry["fieldsV1"] = _union(entry.get("fieldsV1") or {}, touched)
            return
    entry = {"manager": manager, "operation": "Update", "apiVersion": api_version, "time": now(),
             "fieldsType": "FieldsV1", "fieldsV1": touched}
    if subresource:
        entry["subresource"] = subresource
    entries.append(entry)
