"""Fixture loading: multi-document YAML manifests and JSON Lines incident bundles.

Pure parsing plus conversion of an exporter EnhancedEvent back into a core/v1 Event.
Called by the sandbox; never touches the store itself.
"""
from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

import yaml

_EXPORTER_ONLY_INVOLVED = ("labels", "annotations", "ownerReferences", "deleted")


def read_file(path: str | pathlib.Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (objects, bundles) found in a YAML or JSONL file."""
    text = pathlib.Path(path).read_text()
    if str(path).endswith((".jsonl", ".ndjson")):
        bundles = [json.loads(line) for line in text.splitlines() if line.strip()]
        return [], bundles
    objects: list[dict[str, Any]] = []
    for document in yaml.safe_load_all(text):
        if not document:
            continue
        if document.get("kind", "").endswith("List") and "items" in document:
            objects.extend(document["items"])
        else:
            objects.append(document)
    return objects, []


def event_object(enhanced_event: dict[str, Any]) -> dict[str, Any]:
    """An exporter EnhancedEvent as the core/v1 Event it was made from."""
    event = copy.deepcopy(enhanced_event)
    event.pop("clusterName", None)
    involved = event.get("involvedObject") or {}
    for field in _EXPORTER_ONLY_INVOLVED:
        involved.pop(field, None)
    event["apiVersion"], event["kind"] = "v1", "Event"
    meta = event.setdefault("metadata", {})
    meta.setdefault("namespace", involved.get("namespace") or "default")
    if not meta.get("name"):
        meta["generateName"] = f"{involved.get('name', 'event')}."
    return event


def split_log_key(key: str) -> tuple[str, str, str]:
    namespace, pod, container = key.split("/", 2)
    return namespace, pod, container
