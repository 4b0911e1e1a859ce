"""The registry of resource types the sandbox serves, one literal tuple.

Pure data: discovery.py, the router and the store read it; nothing here does I/O.
"""
from __future__ import annotations

from dataclasses import dataclass

_CRUD_VERBS: tuple[str, ...] = ("create", "delete", "deletecollection", "get", "list", "patch",
                                "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One REST resource: where it lives, what it is called, which subresources it has."""

    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    has_spec: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def qualified(self) -> str:
        """`deployments.apps`, as the apiserver names it in error messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


RESOURCES: tuple[ResourceType, ...] = (
    ResourceType("", "v1", "Namespace", "namespaces", False, ("ns",), ("status",)),
    ResourceType("", "v1", "Pod", "pods", True, ("po",), ("status", "log", "eviction", "resize")),
    ResourceType("", "v1", "Event", "events", True, ("ev",), (), has_spec=False),
    ResourceType("", "v1", "ConfigMap", "configmaps", True, ("cm",), (), has_spec=False),
    ResourceType("", "v1", "Secret", "secrets", True, (), (), has_spec=False),
    ResourceType("", "v1", "Node", "nodes", False, ("no",), ("status",)),
    ResourceType("", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",), (), has_spec=False),
    ResourceType("apps", "v1", "Deployment", "deployments", True, ("deploy",), ("status", "scale")),
    ResourceType("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), ("status", "scale")),
    ResourceType("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), ("status", "scale")),
    ResourceType("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), ("status",)),
    ResourceType("batch", "v1", "Job", "jobs", True, (), ("status",)),
    ResourceType("batch", "v1", "CronJob", "cronjobs", True, ("cj",), ("status",)),
    # Two operators' custom resources, served as if their CRDs were installed: the objects a Secret is made
    # from (KubeSent reads them for a missing Secret). A real server without the CRD answers 404 for them.
    ResourceType("external-secrets.io", "v1", "ExternalSecret", "externalsecrets", True, ("es",), ("status",)),
    ResourceType("bitnami.com", "v1alpha1", "SealedSecret", "sealedsecrets", True, (), ("status",)),
)

GROUP_VERSIONS: tuple[tuple[str, str], ...] = (("apps", "v1"), ("batch", "v1"), ("external-secrets.io", "v1"),
                                               ("bitnami.com", "v1alpha1"))


def by_plural(*, group: str, version: str, plural: str) -> ResourceType | None:
    for resource in RESOURCES:
        if (resource.group, resource.version, resource.plural) == (group, version, plural):
            return resource
    return None


def by_kind(*, api_version: str, kind: str) -> ResourceType | None:
    for resource in RESOURCES:
        if resource.api_version == api_version and resource.kind == kind:
            return resource
    return None


def verbs() -> list[str]:
    return list(_CRUD_VERBS)
