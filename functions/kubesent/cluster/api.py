"""The cluster seam: the protocol every cluster backend implements, in plain Python types.

Two implementations: ``cluster.kube.KubeCluster`` (the official client over HTTP) and
``cluster.memory.MemoryCluster`` (a bundle's objects, for replay). Objects are API-shaped dicts
(camelCase, as ``kubectl get -o json`` prints them). Errors are from ``kubesent.errors``.
"""

from __future__ import annotations

from typing import Any, Protocol

FIELD_MANAGER = "kubesent"
# The operators' objects that a Secret is made from, by kind: the API version each serves. External Secrets
# Operator serves only v1 from 0.17 on (v1beta1 was dropped); Bitnami's sealed-secrets has only v1alpha1.
# Read by name (and ExternalSecrets listed, bounded) only for an incident whose Secret is missing: who makes it.
SECRET_OPERATOR_KINDS: dict[str, str] = {"ExternalSecret": "external-secrets.io/v1",
                                         "SealedSecret": "bitnami.com/v1alpha1"}
# The kinds KubeSent reads, all namespaced: the pod, its owners, the ConfigMaps it names and the operator objects
# above. Never a Secret (not even its metadata), never anything cluster-scoped. Every backend refuses the rest.
READABLE_KINDS = frozenset({"Pod", "ConfigMap", "ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Job",
                            "CronJob", *SECRET_OPERATOR_KINDS})
# ExternalSecrets listed at most, in one page: a namespace's ExternalSecrets are a handful per application, and a
# Secret renamed by ``spec.target.name`` not found among the first hundred stays "unknown" (today's remedy).
MAX_LISTED_EXTERNAL_SECRETS = 100


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

    def list_external_secrets(self, *, namespace: str) -> list[dict[str, Any]]:
        """At most ``MAX_LISTED_EXTERNAL_SECRETS`` ExternalSecrets of one namespace (one page, no continuation): the
        one whose ``spec.target.name`` names a missing Secret, when none has the Secret's own name."""
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
