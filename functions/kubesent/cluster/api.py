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

    def list_pods(self, *, namespace: str | None, match_labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """The pods of one namespace, or of every namespace when ``namespace`` is None (``kubesent diagnose``'s
        scan), whose labels carry ``match_labels`` when given (the verifier: one workload's pods). The event
        pipeline calls it once per incident, and only after a pull refused for authorisation (the namespace's
        pods, for a pull secret they prove: ``evidence.pullsecrets``)."""
        ...


class Writer(Protocol):
    """KubeSent's writes: a strategic-merge patch on a workload; for a bare Pod, its ``resize`` subresource and
    KubeSent's annotations on it."""

    def patch(self, *, api_version: str, kind: str, namespace: str, name: str,
              body: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        """Strategic-merge ``body`` with ``fieldManager=kubesent``; ``dry_run`` sends ``dryRun=All``.

        A ``metadata.resourceVersion`` in ``body`` is a precondition: a stale one raises Conflict.
        """
        ...

    def resize(self, *, namespace: str, name: str, body: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        """Strategic-merge ``body`` (container resources only) into pod ``name`` through ``pods/NAME/resize``
        (FACTS.md §9), with the same field manager, precondition and dry-run as ``patch``. A server without
        the subresource answers 404 or 405 (NotFound, ClusterRefused)."""
        ...

    def annotate_pod(self, *, namespace: str, name: str, annotations: dict[str, str],
                     dry_run: bool) -> dict[str, Any]:
        """Merge ``annotations`` into a pod's metadata: the record of an in-place resize. Nothing else."""
        ...


class Cluster(Reader, Writer, Protocol):
    """Reads and the patch together."""
