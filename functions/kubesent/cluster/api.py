"""The cluster seam: the protocol every cluster backend implements, in plain Python types.

Two implementations: ``cluster.kube.KubeCluster`` (the official client over HTTP) and
``cluster.memory.MemoryCluster`` (a bundle's objects, for replay). Objects are API-shaped dicts
(camelCase, as ``kubectl get -o json`` prints them). Errors are from ``kubesent.errors``.
"""

from __future__ import annotations

from typing import Any, Protocol

FIELD_MANAGER = "kubesent"
# The kinds KubeSent reads, all namespaced: the pod, its owners and the ConfigMaps it names. Never a
# Secret (its data), never anything cluster-scoped. Every backend refuses the rest.
READABLE_KINDS = frozenset({"Pod", "ConfigMap", "ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Job",
                            "CronJob"})


class Reader(Protocol):
    """Reads KubeSent needs. Raises NotFound, ClusterRefused or ClusterUnavailable."""

    def read(self, *, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
        """One namespaced object (or a cluster-scoped one when ``namespace`` is empty)."""
        ...

    def pod_events(self, *, namespace: str, pod_name: str, pod_uid: str) -> list[dict[str, Any]]:
        """core/v1 Events whose involvedObject is the pod."""
        ...

    def read_log(self, *, namespace: str, pod: str, container: str, previous: bool,
                 tail_lines: int, limit_bytes: int) -> str:
        """A tail of one container's log; ``""`` when there is none."""
        ...

    def list_replicasets(self, *, namespace: str, match_labels: dict[str, str]) -> list[dict[str, Any]]:
        """The ReplicaSets whose labels carry ``match_labels`` (a Deployment's selector): its revisions."""
        ...


class Writer(Protocol):
    """The one write KubeSent makes: a strategic-merge patch on a workload."""

    def patch(self, *, api_version: str, kind: str, namespace: str, name: str,
              body: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        """Strategic-merge ``body`` with ``fieldManager=kubesent``; ``dry_run`` sends ``dryRun=All``.

        A ``metadata.resourceVersion`` in ``body`` is a precondition: a stale one raises Conflict.
        """
        ...


class Cluster(Reader, Writer, Protocol):
    """Reads and the patch together."""
