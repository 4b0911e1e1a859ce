"""The sandbox's cluster state: objects, the resourceVersion counter and the watch history.

Thread-safe (one re-entrant lock). No HTTP here: the router calls these methods and the
sandbox loads fixtures through them. Mimics the apiserver's registry strategies: server-set
metadata, spec/status split, generation, optimistic concurrency, dry-run and cascading delete.
"""
from __future__ import annotations

import collections
import copy
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from local_emulator.kube_sandbox import errors, managed_fields, patches, resize, resources, validation
from local_emulator.kube_sandbox.resources import ResourceType

HISTORY_SIZE = 1000  # changes kept for watch resumption; older resourceVersions get 410 Gone
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's utilrand alphabet
_GENERATE_NAME_SUFFIX = 5  # characters appended to generateName, as the apiserver does
_POD_MUTABLE_IMAGE_LISTS = ("containers", "initContainers", "ephemeralContainers")

Key = tuple[str, str, str, str]  # group, plural, namespace, name
Matcher = Callable[[dict[str, Any]], bool]
ChangeHook = Callable[[ResourceType, dict[str, Any] | None, dict[str, Any]], None]


@dataclass(frozen=True)
class Change:
    resource_version: int
    type: str
    resource: ResourceType
    obj: dict[str, Any]


def random_suffix(length: int = _GENERATE_NAME_SUFFIX) -> str:
    return "".join(secrets.choice(_NAME_ALPHABET) for _ in range(length))


def _key(resource: ResourceType, namespace: str, name: str) -> Key:
    return (resource.group, resource.plural, namespace if resource.namespaced else "", name)


class Store:
    """All objects of the fake cluster."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._objects: dict[Key, dict[str, Any]] = {}
        self._resource_version = 0
        self._history: collections.deque[Change] = collections.deque(maxlen=HISTORY_SIZE)
        self._compacted = 0
        self.closed = False
        self.hooks: list[ChangeHook] = []

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    @property
    def resource_version(self) -> str:
        return str(self._resource_version)

    # ---- reads -------------------------------------------------------------------------
    def get(self, resource: ResourceType, *, namespace: str, name: str) -> dict[str, Any]:
        with self._lock:
            found = self._objects.get(_key(resource, namespace, name))
            if found is None:
                raise errors.not_found(resource=resource.plural, name=name, group=resource.group)
            return copy.deepcopy(found)

    def find(self, resource: ResourceType, *, namespace: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._objects.get(_key(resource, namespace, name))
            return copy.deepcopy(found) if found is not None else None

    def list(self, resource: ResourceType, *, namespace: str | None,
             matcher: Matcher = lambda obj: True) -> tuple[list[dict[str, Any]], str]:
        with self._lock:
            items = [copy.deepcopy(obj) for key, obj in sorted(self._objects.items())
                     if key[:2] == (resource.group, resource.plural)
                     and (namespace is None or key[2] == namespace) and matcher(obj)]
            return items, self.resource_version

    # ---- writes ------------------------------------------------------------------------
    def _commit(self, resource: ResourceType, obj: dict[str, Any], change_type: str) -> dict[str, Any]:
        self._resource_version += 1
        obj["metadata"]["resourceVersion"] = str(self._resource_version)
        meta = obj["metadata"]
        key = _key(resource, meta.get("namespace", ""), meta["name"])
        if change_type == "DELETED":
            self._objects.pop(key, None)
        else:
            self._objects[key] = obj
        if len(self._history) == self._history.maxlen:
            self._compacted = self._history[0].resource_version
        self._history.append(Change(self._resource_version, change_type, resource, copy.deepcopy(obj)))
        self._changed.notify_all()
        return copy.deepcopy(obj)

    def _ensure_namespace(self, namespace: str, *, create: bool) -> None:
        namespaces = resources.by_kind(api_version="v1", kind="Namespace")
        assert namespaces is not None
        if _key(namespaces, "", namespace) in self._objects:
            return
        if not create:
            raise errors.not_found(resource="namespaces", name=namespace)
        self.create(namespaces, namespace="", body={"metadata": {"name": namespace}},
                    manager="kube-sandbox", load=True)

    def create(self, resource: ResourceType, *, namespace: str, body: dict[str, Any], manager: str,
               dry_run: bool = False, load: bool = False) -> dict[str, Any]:
        obj = copy.deepcopy(body)
        if not isinstance(obj, dict):
            raise errors.bad_request("the body must be a JSON object")
        obj["apiVersion"], obj["kind"] = resource.api_version, resource.kind
        meta = obj.setdefault("metadata", {})
        if resource.namespaced:
            if meta.get("namespace") and namespace and meta["namespace"] != namespace:
                raise errors.bad_request("the namespace of the provided object does not match "
                                         "the namespace sent on the request")
            meta["namespace"] = namespace or meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise errors.invalid(kind=resource.kind, name="", group=resource.group,
                                     detail="metadata.name: Required value: name or generateName "
                                            "is required")
            meta["name"] = meta["generateName"] + random_suffix()
        with self._lock:
            if resource.namespaced:
                self._ensure_namespace(meta["namespace"], create=load)
            if _key(resource, meta.get("namespace", ""), meta["name"]) in self._objects:
                raise errors.already_exists(resource=resource.plural, name=meta["name"],
                                            group=resource.group)
            if not load:
                validation.check(resource.kind, resource.group, obj)
                for server_field in ("uid", "creationTimestamp", "resourceVersion", "generation",
                                     "managedFields", "deletionTimestamp"):
                    meta.pop(server_field, None)
                obj.pop("status", None)
                if resource.kind == "Pod":
                    obj["status"] = {"phase": "Pending"}
                elif resource.kind == "Namespace":
                    obj["status"] = {"phase": "Active"}
                managed_fields.record(obj, manager=manager, api_version=resource.api_version,
                                      touched=managed_fields.fields_of(body))
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", managed_fields.now())
            if resource.has_spec:
                meta.setdefault("generation", 1)
            if dry_run:
                return obj
            created = self._commit(resource, obj, "ADDED")
            self._run_hooks(resource, None, created)
            return created

    def load(self, resource: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """Store a fixture as given (status, uid, managedFields kept); replaces an existing one."""
        with self._lock:
            meta = obj.get("metadata") or {}
            namespace = (meta.get("namespace") or "default") if resource.namespaced else ""
            existing = self.find(resource, namespace=namespace, name=str(meta.get("name")))
            if existing is None:
                return self.create(resource, namespace=namespace, body=obj, manager="kube-sandbox",
                                   load=True)
            replacement = copy.deepcopy(obj)
            replacement["apiVersion"], replacement["kind"] = resource.api_version, resource.kind
            new_meta = replacement.setdefault("metadata", {})
            new_meta["namespace"] = namespace
            if not resource.namespaced:
                new_meta.pop("namespace")
            for kept in ("uid", "creationTimestamp"):
                new_meta.setdefault(kept, existing["metadata"].get(kept))
            if resource.has_spec:
                new_meta.setdefault("generation", existing["metadata"].get("generation", 1))
            updated = self._commit(resource, replacement, "MODIFIED")
            self._run_hooks(resource, existing, updated)
            return updated

    def update(self, resource: ResourceType, *, namespace: str, name: str, body: dict[str, Any],
               manager: str, subresource: str = "", dry_run: bool = False) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise errors.bad_request("the body must be a JSON object")
        with self._lock:
            current = self.get(resource, namespace=namespace, name=name)
            body_meta = body.get("metadata") or {}
            if body_meta.get("name") not in (None, name):
                raise errors.bad_request("the name of the object does not match the name on the URL")
            wanted_version = body_meta.get("resourceVersion")
            if wanted_version and wanted_version != current["metadata"]["resourceVersion"]:
                raise errors.conflict(resource=resource.plural, name=name, group=resource.group)
            return self._write(resource, current, copy.deepcopy(body), manager=manager,
                               subresource=subresource, dry_run=dry_run,
                               touched=managed_fields.fields_of(body))

    def patch(self, resource: ResourceType, *, namespace: str, name: str, content_type: str,
              body: bytes, manager: str, subresource: str = "", dry_run: bool = False) -> dict[str, Any]:
        with self._lock:
            current = self.get(resource, namespace=namespace, name=name)
            patched = patches.apply(content_type=content_type, original=current, body=body,
                                    kind=resource.kind)
            wanted_version = (patched.get("metadata") or {}).get("resourceVersion")
            if wanted_version and wanted_version != current["metadata"]["resourceVersion"]:
                raise errors.conflict(resource=resource.plural, name=name, group=resource.group)
            touched = managed_fields.fields_of(patches_body(body))
            return self._write(resource, current, patched, manager=manager, subresource=subresource,
                               dry_run=dry_run, touched=touched)

    def _write(self, resource: ResourceType, current: dict[str, Any], new: dict[str, Any], *,
               manager: str, subresource: str, dry_run: bool, touched: dict[str, Any]) -> dict[str, Any]:
        if subresource == "resize":
            result = resize.apply(current, new)
        elif subresource == "status":
            result = copy.deepcopy(current)
            if "status" in new:
                result["status"] = new["status"]
            else:
                result.pop("status", None)
        else:
            result = new
            result["apiVersion"], result["kind"] = resource.api_version, resource.kind
            if "status" in current:
                result["status"] = current["status"]
            else:
                result.pop("status", None)
            meta = result.setdefault("metadata", {})
            for server_field in ("name", "namespace", "uid", "creationTimestamp", "generation",
                                 "deletionTimestamp"):
                if server_field in current["metadata"]:
                    meta[server_field] = current["metadata"][server_field]
                else:
                    meta.pop(server_field, None)
            meta["managedFields"] = current["metadata"].get("managedFields", [])
            if resource.kind == "Pod":
                _check_pod_update(current, result)
            validation.check(resource.kind, resource.group, result)
            if resource.has_spec and result.get("spec") != current.get("spec"):
                meta["generation"] = int(current["metadata"].get("generation", 0)) + 1
        result["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        if result == current:
            return result
        managed_fields.record(result, manager=manager, api_version=resource.api_version,
                              touched=touched, subresource=subresource)
        if dry_run:
            return result
        updated = self._commit(resource, result, "MODIFIED")
        self._run_hooks(resource, current, updated)
        return updated

    def delete(self, resource: ResourceType, *, namespace: str, name: str, dry_run: bool = False,
               orphan: bool = False) -> dict[str, Any]:
        with self._lock:
            current = self.get(resource, namespace=namespace, name=name)
            if dry_run:
                return current
            deleted = self._commit(resource, current, "DELETED")
            if not orphan:
                self._cascade(current)
            return deleted

    def _cascade(self, owner: dict[str, Any]) -> None:
        uid = owner["metadata"].get("uid")
        is_namespace = owner.get("kind") == "Namespace"
        for key, obj in list(self._objects.items()):
            meta = obj["metadata"]
            owned = any(ref.get("uid") == uid for ref in meta.get("ownerReferences") or [])
            in_namespace = is_namespace and meta.get("namespace") == owner["metadata"]["name"]
            if (owned or in_namespace) and key in self._objects:
                kind_resource = resources.by_kind(api_version=obj["apiVersion"], kind=obj["kind"])
                if kind_resource is not None:
                    self.delete(kind_resource, namespace=meta.get("namespace", ""), name=meta["name"])

    def _run_hooks(self, resource: ResourceType, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        for hook in self.hooks:
            hook(resource, old, new)

    # ---- watch -------------------------------------------------------------------------
    def watch(self, resource: ResourceType, *, namespace: str | None, since: str | None,
              matcher: Matcher, timeout_seconds: float) -> Iterator[dict[str, Any]]:
        deadline = time.monotonic() + timeout_seconds
        with self._lock:
            if since in (None, "", "0"):
                items, current = self.list(resource, namespace=namespace, matcher=matcher)
                initial = [{"type": "ADDED", "object": item} for item in items]
                last_seen = int(current)
            else:
                try:
                    last_seen = int(str(since))
                except ValueError as exc:
                    raise errors.bad_request(f"invalid resourceVersion {since!r}") from exc
                initial = []
                if last_seen < self._compacted:
                    gone = errors.ApiError(410, "Expired", f"too old resource version: {last_seen} "
                                                           f"({self._compacted})")
                    yield {"type": "ERROR", "object": gone.body()}
                    return
        yield from initial
        while not self.closed:
            with self._lock:
                pending = [change for change in self._history if change.resource_version > last_seen]
                if not pending:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return
                    self._changed.wait(remaining)
                    continue
                last_seen = pending[-1].resource_version
            for change in pending:
                obj_namespace = change.obj["metadata"].get("namespace", "")
                if (change.resource == resource and (namespace is None or obj_namespace == namespace)
                        and matcher(change.obj)):
                    yield {"type": change.type, "object": copy.deepcopy(change.obj)}

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._changed.notify_all()


def patches_body(body: bytes) -> Any:
    """The decoded patch, for managedFields; JSON patches become their paths."""
    import json

    try:
        decoded = json.loads(body or b"null")
    except ValueError:
        return {}
    if isinstance(decoded, list):
        touched: dict[str, Any] = {}
        for operation in decoded:
            parts = [part for part in str(operation.get("path", "")).split("/") if part]
            cursor = touched
            for part in parts:
                if part.isdigit() or part == "-":
                    break
                cursor = cursor.setdefault(part, {})
        return touched
    return decoded


def _check_pod_update(current: dict[str, Any], new: dict[str, Any]) -> None:
    """Pod specs are immutable except images, activeDeadlineSeconds and added tolerations."""
    old_spec = current.get("spec") or {}
    comparable = copy.deepcopy(new.get("spec") or {})
    for list_name in _POD_MUTABLE_IMAGE_LISTS:
        old_list = old_spec.get(list_name) or []
        new_list = comparable.get(list_name) or []
        if len(old_list) == len(new_list):
            for old_container, new_container in zip(old_list, new_list, strict=True):
                if "image" in old_container and isinstance(new_container, dict):
                    new_container["image"] = old_container["image"]
    if "activeDeadlineSeconds" in old_spec:
        comparable["activeDeadlineSeconds"] = old_spec["activeDeadlineSeconds"]
    else:
        comparable.pop("activeDeadlineSeconds", None)
    old_tolerations = old_spec.get("tolerations") or []
    new_tolerations = comparable.get("tolerations") or []
    if new_tolerations[:len(old_tolerations)] == old_tolerations:
        if "tolerations" in old_spec:
            comparable["tolerations"] = old_spec["tolerations"]
        else:
            comparable.pop("tolerations", None)
    if comparable != old_spec:
        name = current["metadata"]["name"]
        raise errors.invalid(kind="Pod", name=name, detail=(
            "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
            "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
            "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
            "set to 1 if it was previously negative)"))
