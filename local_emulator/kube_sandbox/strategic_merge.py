"""Strategic merge patch, following apimachinery's `strategicpatch.StrategicMergeMapPatch`.

Pure: dict in, dict out. Called by patches.py. The merge keys below are copied from the
`patchStrategy`/`patchMergeKey` struct tags of k8s.io/api (core/v1 types.go, apps/v1, batch/v1);
a list with no entry is atomic (replaced whole), like `tolerations`, `envFrom` or `args`.
Directives: `$patch: replace|delete|merge`, `$deleteFromPrimitiveList/<f>`,
`$setElementOrder/<f>`, `$retainKeys`, and null meaning delete.
"""
from __future__ import annotations

import copy
from typing import Any

from local_emulator.kube_sandbox.errors import bad_request

PRIMITIVE_MERGE = ""  # merge key for a `patchStrategy:"merge"` list of scalars, e.g. finalizers
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"
_SET_ORDER = "$setElementOrder/"
_RETAIN_KEYS = "$retainKeys"
_DIRECTIVE = "$patch"

# type name -> field -> (element or value type, list merge key; None means atomic list)
Field = tuple[str | None, str | None]
SCHEMA: dict[str, dict[str, Field]] = {
    "ObjectMeta": {"finalizers": (None, PRIMITIVE_MERGE), "ownerReferences": (None, "uid")},
    "Workload": {"metadata": ("ObjectMeta", None), "spec": ("WorkloadSpec", None),
                 "status": ("WorkloadStatus", None)},
    "WorkloadSpec": {"template": ("PodTemplateSpec", None), "jobTemplate": ("JobTemplateSpec", None)},
    "JobTemplateSpec": {"metadata": ("ObjectMeta", None), "spec": ("WorkloadSpec", None)},
    "WorkloadStatus": {"conditions": (None, "type")},
    "PodTemplateSpec": {"metadata": ("ObjectMeta", None), "spec": ("PodSpec", None)},
    "Pod": {"metadata": ("ObjectMeta", None), "spec": ("PodSpec", None), "status": ("PodStatus", None)},
    "PodSpec": {
        "volumes": ("Volume", "name"),
        "initContainers": ("Container", "name"),
        "containers": ("Container", "name"),
        "ephemeralContainers": ("Container", "name"),
        "imagePullSecrets": (None, "name"),
        "hostAliases": (None, "ip"),
        "topologySpreadConstraints": (None, "topologyKey"),
        "resourceClaims": (None, "name"),
        "schedulingGates": (None, "name"),
    },
    "Container": {"ports": (None, "containerPort"), "env": (None, "name"),
                  "volumeMounts": (None, "mountPath"), "volumeDevices": (None, "devicePath")},
    "PodStatus": {"conditions": (None, "type"), "podIPs": (None, "ip"), "hostIPs": (None, "ip")},
    "Node": {"metadata": ("ObjectMeta", None), "status": ("NodeStatus", None)},
    "NodeStatus": {"conditions": (None, "type"), "addresses": (None, "type")},
    "Generic": {"metadata": ("ObjectMeta", None)},
}

ROOT_TYPES: dict[str, str] = {
    "Pod": "Pod", "Node": "Node", "Deployment": "Workload", "ReplicaSet": "Workload",
    "StatefulSet": "Workload", "DaemonSet": "Workload", "Job": "Workload", "CronJob": "Workload",
}


def apply(original: dict[str, Any], patch: dict[str, Any], *, kind: str) -> dict[str, Any]:
    """Return `original` with `patch` applied; neither argument is modified."""
    if not isinstance(patch, dict):
        raise bad_request("strategic merge patch must be a JSON object")
    return _merge_map(copy.deepcopy(original), copy.deepcopy(patch), ROOT_TYPES.get(kind, "Generic"))


def _fields(type_name: str | None) -> dict[str, Field]:
    return SCHEMA.get(type_name or "", {})


def _merge_map(original: dict[str, Any] | None, patch: dict[str, Any],
               type_name: str | None) -> dict[str, Any]:
    if _DIRECTIVE in patch:
        directive = patch.pop(_DIRECTIVE)
        if directive == "replace":
            return patch
        if directive == "delete":
            return {}
        raise bad_request(f"Unknown patch type: {directive} in map: {patch}")
    if original is None:
        original = {}
    _apply_retain_keys(original, patch)
    _merge_set_element_order(original, patch, type_name)
    fields = _fields(type_name)
    for key, patch_value in patch.items():
        is_delete_list = False
        if key.startswith(_DELETE_PRIMITIVE):
            key = key[len(_DELETE_PRIMITIVE):]
            if key not in original:
                continue
            is_delete_list = True
        if patch_value is None:
            original.pop(key, None)
            continue
        if key not in original:
            if not is_delete_list:
                original[key] = _discard_nulls(patch_value)
            continue
        current = original[key]
        element_type, merge_key = fields.get(key, (None, None))
        if isinstance(current, dict) and isinstance(patch_value, dict):
            original[key] = _merge_map(current, patch_value, element_type)
        elif isinstance(current, list) and isinstance(patch_value, list):
            if merge_key is None:
                original[key] = patch_value
            else:
                original[key] = _merge_slice(current, patch_value, element_type, merge_key,
                                             is_delete_list=is_delete_list, order=None)
        elif not is_delete_list:
            original[key] = _discard_nulls(patch_value)
    return original


def _discard_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _discard_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_discard_nulls(item) for item in value]
    return value


def _apply_retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    if _RETAIN_KEYS not in patch:
        return
    retained = patch.pop(_RETAIN_KEYS) or []
    for key, value in patch.items():
        if value is None or key.startswith((_DELETE_PRIMITIVE, _SET_ORDER)):
            continue
        if key not in retained:
            raise bad_request("doesn't satisfy: all fields in the patch must be present in $retainKeys")
    for key in list(original):
        if key not in retained:
            del original[key]


def _merge_set_element_order(original: dict[str, Any], patch: dict[str, Any],
                             type_name: str | None) -> None:
    for directive_key in [key for key in patch if key.startswith(_SET_ORDER)]:
        order = patch.pop(directive_key) or []
        field_name = directive_key[len(_SET_ORDER):]
        element_type, merge_key = _fields(type_name).get(field_name, (None, None))
        original_list = list(original.get(field_name) or [])
        patch_list = patch.pop(field_name, None) or []
        is_maps = bool(order) and isinstance(order[0], dict)
        if not is_maps:
            deletions = patch.pop(_DELETE_PRIMITIVE + field_name, None) or []
            original_list = [item for item in original_list if item not in deletions]
        if merge_key is None:
            merged = patch_list
        else:
            merged = _merge_slice(original_list, patch_list, element_type, merge_key,
                                  is_delete_list=False, order=None)
        key_name = merge_key if is_maps else None
        original[field_name] = _normalize_order(merged, order, original_list, key_name)


def _merge_slice(original: list[Any], patch: list[Any], element_type: str | None, merge_key: str,
                 *, is_delete_list: bool, order: list[Any] | None) -> list[Any]:
    if not original and not patch:
        return original
    sample = (original or patch)[0]
    if not isinstance(sample, dict):
        if is_delete_list:
            return [item for item in original if item not in patch]
        merged: list[Any] = []
        for item in original + patch:
            if item not in merged:
                merged.append(item)
        return _normalize_order(merged, order if order is not None else patch, original, None)
    if not merge_key:
        raise bad_request("cannot merge lists without merge key")
    original, patch = _apply_list_directives(list(original), patch, merge_key)
    merged = list(original)
    for item in patch:
        if not isinstance(item, dict) or merge_key not in item:
            raise bad_request(f"map: {item} does not contain declared merge key: {merge_key}")
        index = _index_of(merged[:len(original)], item[merge_key], merge_key)
        if index >= 0:
            merged[index] = _merge_map(merged[index], item, element_type)
        else:
            merged.append(item)
    return _normalize_order(merged, order if order is not None else patch, original, merge_key)


def _apply_list_directives(original: list[Any], patch: list[Any],
                           merge_key: str) -> tuple[list[Any], list[Any]]:
    plain: list[Any] = []
    replace = False
    for item in patch:
        if not (isinstance(item, dict) and _DIRECTIVE in item):
            plain.append(item)
            continue
        directive = item[_DIRECTIVE]
        if directive == "delete":
            if merge_key not in item:
                raise bad_request(f"map: {item} does not contain declared merge key: {merge_key}")
            original = [entry for entry in original
                        if not (isinstance(entry, dict) and entry.get(merge_key) == item[merge_key])]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise bad_request("merging lists cannot yet be specified in the patch")
        else:
            raise bad_request(f"Unknown patch type: {directive} in map: {item}")
    if replace:
        return plain, []
    return original, plain


def _key_of(item: Any, merge_key: str | None) -> Any:
    return item.get(merge_key) if merge_key and isinstance(item, dict) else item


def _index_of(items: list[Any], value: Any, merge_key: str | None) -> int:
    for index, item in enumerate(items):
        if _key_of(item, merge_key) == value:
            return index
    return -1


def _normalize_order(merged: list[Any], patch_order: list[Any], server_order: list[Any],
                     merge_key: str | None) -> list[Any]:
    """Patch items in patch order, interleaved with server-only items in live order
    (apimachinery's normalizeElementOrder + mergeSortedSlice)."""
    patch_keys = [_key_of(item, merge_key) for item in patch_order]
    server_keys = [_key_of(item, merge_key) for item in server_order]
    in_patch = [item for item in merged if _key_of(item, merge_key) in patch_keys]
    server_only = [item for item in merged if _key_of(item, merge_key) not in patch_keys]
    in_patch.sort(key=lambda item: patch_keys.index(_key_of(item, merge_key)))
    server_only.sort(key=lambda item: server_keys.index(_key_of(item, merge_key))
                     if _key_of(item, merge_key) in server_keys else len(server_keys))
    result: list[Any] = []
    left, right = 0, 0
    while left < len(server_only) or right < len(in_patch):
        if left >= len(server_only):
            result.append(in_patch[right])
            right += 1
        elif right >= len(in_patch):
            result.append(server_only[left])
            left += 1
        else:
            left_key = _key_of(server_only[left], merge_key)
            right_key = _key_of(in_patch[right], merge_key)
            if (left_key in server_keys and right_key in server_keys
                    and server_keys.index(left_key) < server_keys.index(right_key)):
                result.append(server_only[left])
                left += 1
            else:
                result.append(in_patch[right])
                right += 1
    return result
