"""Discovery documents: /version, /api, /api/v1, /apis, /apis/{group}/{version}.

Pure: builds dicts from resources.RESOURCES. Called by the router.
"""
from __future__ import annotations

from typing import Any

from local_emulator.kube_sandbox import resources

VERSION: dict[str, str] = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.0-kubesent-sandbox",
    "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
    "platform": "linux/amd64",
}


def api_versions() -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}


def _group(name: str, version: str) -> dict[str, Any]:
    group_version = {"groupVersion": f"{name}/{version}", "version": version}
    return {"name": name, "versions": [group_version], "preferredVersion": group_version}


def api_groups() -> dict[str, Any]:
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group(name, version) for name, version in resources.GROUP_VERSIONS]}


def api_group(name: str) -> dict[str, Any] | None:
    for group_name, version in resources.GROUP_VERSIONS:
        if group_name == name:
            return {"kind": "APIGroup", "apiVersion": "v1", **_group(group_name, version)}
    return None


def resource_list(*, group: str, version: str) -> dict[str, Any] | None:
    listed = [resource for resource in resources.RESOURCES
              if (resource.group, resource.version) == (group, version)]
    if not listed:
        return None
    entries: list[dict[str, Any]] = []
    for resource in listed:
        entry: dict[str, Any] = {"name": resource.plural, "singularName": resource.singular,
                                 "namespaced": resource.namespaced, "kind": resource.kind,
                                 "verbs": resources.verbs()}
        if resource.short_names:
            entry["shortNames"] = list(resource.short_names)
        entries.append(entry)
        for subresource in resource.subresources:
            verbs = {"log": ["get"], "eviction": ["create"]}.get(subresource, ["get", "patch", "update"])
            kind = {"log": "Pod", "eviction": "Eviction", "scale": "Scale"}.get(subresource, resource.kind)
            entries.append({"name": f"{resource.plural}/{subresource}", "singularName": "",
                            "namespaced": resource.namespaced, "kind": kind, "verbs": verbs})
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": entries}
