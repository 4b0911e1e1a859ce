"""The three PATCH content types the apiserver accepts (apply-patch is refused with 415).

Pure: bytes and dicts in, dict out. Called by the store's patch path.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from local_emulator.kube_sandbox import strategic_merge
from local_emulator.kube_sandbox.errors import ApiError, bad_request

STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"


def apply(*, content_type: str, original: dict[str, Any], body: bytes, kind: str) -> dict[str, Any]:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == APPLY:
        raise ApiError(415, "UnsupportedMediaType",
                       "server-side apply is not supported by the KubeSent sandbox")
    if media_type not in (STRATEGIC, MERGE, JSON_PATCH):
        raise ApiError(415, "UnsupportedMediaType",
                       f'the body of the request was in an unknown format - accepted media types '
                       f'include: {JSON_PATCH}, {MERGE}, {STRATEGIC}')
    try:
        patch = json.loads(body or b"null")
    except ValueError as exc:
        raise bad_request(f"error decoding patch: {exc}") from exc
    if media_type == STRATEGIC:
        return strategic_merge.apply(original, patch, kind=kind)
    if media_type == MERGE:
        if not isinstance(patch, dict):
            raise bad_request("merge patch must be a JSON object")
        result = merge_patch(copy.deepcopy(original), patch)
        assert isinstance(result, dict)
        return result
    if not isinstance(patch, list):
        raise bad_request("json patch must be a JSON array of operations")
    return json_patch(original, patch)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = merge_patch(target.get(key), value)
    return target


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"invalid JSON pointer: {path!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _parent(document: Any, parts: list[str], op: str) -> tuple[Any, str]:
    current = document
    for part in parts[:-1]:
        try:
            current = current[int(part)] if isinstance(current, list) else current[part]
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise ApiError(422, "Invalid", f"the server rejected our request due to an error in our "
                           f"request: {op} operation does not apply: doc is missing path") from exc
    return current, parts[-1]


def _get(document: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return document
    parent, last = _parent(document, parts, "get")
    try:
        return parent[int(last)] if isinstance(parent, list) else parent[last]
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise ApiError(422, "Invalid", f"doc is missing path: {path}") from exc


def _remove(document: Any, path: str) -> Any:
    parent, last = _parent(document, _pointer(path), "remove")
    try:
        return parent.pop(int(last)) if isinstance(parent, list) else parent.pop(last)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise ApiError(422, "Invalid", f"remove operation does not apply: doc is missing path: {path}") from exc


def _add(document: Any, path: str, value: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent, last = _parent(document, parts, "add")
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if index > len(parent):
            raise ApiError(422, "Invalid", f"add operation does not apply: index out of range: {path}")
        parent.insert(index, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise ApiError(422, "Invalid", f"add operation does not apply: doc is missing path: {path}")
    return document


def json_patch(original: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    """RFC 6902, including `test`."""
    document: Any = copy.deepcopy(original)
    for operation in operations:
        op = operation.get("op")
        path = operation.get("path", "")
        if op == "add":
            document = _add(document, path, copy.deepcopy(operation.get("value")))
        elif op == "remove":
            _remove(document, path)
        elif op == "replace":
            _get(document, path)
            _remove(document, path) if _pointer(path) else None
            document = _add(document, path, copy.deepcopy(operation.get("value")))
        elif op == "move":
            value = _remove(document, operation["from"])
            document = _add(document, path, value)
        elif op == "copy":
            document = _add(document, path, copy.deepcopy(_get(document, operation["from"])))
        elif op == "test":
            if _get(document, path) != operation.get("value"):
                raise ApiError(422, "Invalid", f"the server rejected our request due to an error in "
                               f"our request: testing value {path} failed")
        else:
            raise bad_request(f"Unexpected kind: {op}")
    if not isinstance(document, dict):
        raise bad_request("json patch must leave an object")
    return dict(document)
