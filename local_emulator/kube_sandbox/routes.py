"""URL parsing: turns an apiserver path into a resource reference.

Pure: string in, `Route` out. Called by server.py.
"""
from __future__ import annotations

from dataclasses import dataclass

from local_emulator.kube_sandbox import resources
from local_emulator.kube_sandbox.resources import ResourceType


@dataclass(frozen=True)
class Route:
    """`/api/v1/namespaces/ns/pods/name/log` → (pods, ns, name, log)."""

    resource: ResourceType
    namespace: str | None  # None: all namespaces (or a cluster-scoped resource)
    name: str | None
    subresource: str


def parse(path: str) -> Route | None:
    parts = [part for part in path.split("/") if part]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces" and resources.by_plural(
            group=group, version=version, plural=rest[2]) is not None:
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        return None
    resource = resources.by_plural(group=group, version=version, plural=rest[0])
    if resource is None:
        return None
    name = rest[1] if len(rest) >= 2 else None
    subresource = rest[2] if len(rest) == 3 else ""
    if subresource and subresource not in resource.subresources:
        return None
    if not resource.namespaced:
        namespace = ""
    return Route(resource, namespace, name, subresource)
