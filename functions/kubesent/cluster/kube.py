"""The official ``kubernetes`` client behind ``cluster.api.Cluster``: the only importer of ``kubernetes``.

Builds the client from kubeconfig, in-cluster config, an explicit host/CA/token file, or GKE
(``gke.GkeAccess``). Reads and patches API-shaped JSON (``_preload_content=False``: no model
round-trip, the same dicts as an incident bundle). Maps API errors onto ``kubesent.errors``.
Called by the pipeline through the ``Cluster`` protocol.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import kubernetes
import urllib3
from kubernetes.client.exceptions import ApiException

from kubesent import errors, k8s
from kubesent.cluster.api import FIELD_MANAGER, MAX_LISTED_EXTERNAL_SECRETS, READABLE_KINDS, SECRET_OPERATOR_KINDS
from kubesent.settings import Settings

STRATEGIC_MERGE = "application/strategic-merge-patch+json"
# A Deployment keeps revisionHistoryLimit (default 10) old ReplicaSets; more is never needed.
MAX_LISTED_REPLICASETS = 50
# Status codes a retry may fix: rate limits and the server's own failures (client-go retries these too).
_TRANSIENT_STATUSES = frozenset({0, 429, 500, 502, 503, 504})
# Pods per page when listing them for a scan: the API server's own default page of kubectl get (500).
LIST_PAGE_SIZE = 500
# Pages read at most in one scan: 100 000 pods is more than a person reads in a table.
MAX_LIST_PAGES = 200

# kind -> (API group path, plural). Paths, not the typed API classes: kubernetes 37 builds ~280 pydantic
# models on first use of CoreV1Api (0.5 s of a cold start) and validates every call; we need JSON only.
_KIND_PATHS: dict[str, tuple[str, str]] = {
    "Pod": ("/api/v1", "pods"),
    "ConfigMap": ("/api/v1", "configmaps"),
    "ReplicaSet": ("/apis/apps/v1", "replicasets"),
    "Deployment": ("/apis/apps/v1", "deployments"),
    "StatefulSet": ("/apis/apps/v1", "statefulsets"),
    "DaemonSet": ("/apis/apps/v1", "daemonsets"),
    "Job": ("/apis/batch/v1", "jobs"),
    "CronJob": ("/apis/batch/v1", "cronjobs"),
    "ExternalSecret": (f"/apis/{SECRET_OPERATOR_KINDS['ExternalSecret']}", "externalsecrets"),
    "SealedSecret": (f"/apis/{SECRET_OPERATOR_KINDS['SealedSecret']}", "sealedsecrets"),
}


def build_api_client(settings: Settings, *, gke_access: Any = None) -> kubernetes.client.ApiClient:
    """An ``ApiClient`` for the configured mode. Never touches the client's global default config."""
    configuration = kubernetes.client.Configuration()
    mode = settings.kube_mode
    if mode == "explicit" or (mode == "auto" and settings.kube_host):
        _configure_explicit(configuration, settings)
    elif mode == "gke":
        _configure_gke(configuration, settings, gke_access)
    elif mode == "incluster":
        try:
            kubernetes.config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        except kubernetes.config.ConfigException as exc:
            raise errors.ConfigurationError(f"KUBESENT_KUBE_MODE=incluster but not in a cluster: {exc}") from exc
    elif mode == "kubeconfig":
        try:
            _load_kubeconfig(configuration, settings)
        except (kubernetes.config.ConfigException, OSError) as exc:
            raise errors.ConfigurationError(
                f"KUBESENT_KUBE_MODE=kubeconfig but no usable kubeconfig: {errors.truncate(str(exc), 160)}") from exc
    else:
        _configure_auto(configuration, settings)
    # Fail fast: Pub/Sub redelivers, so a retry storm inside one invocation only burns its deadline.
    configuration.retries = 0
    return kubernetes.client.ApiClient(configuration)


def _configure_explicit(configuration: kubernetes.client.Configuration, settings: Settings) -> None:
    """A host, an optional CA file and an optional token file (re-read when it rotates)."""
    configuration.host = settings.kube_host.rstrip("/")
    if settings.kube_ca_file:
        configuration.ssl_ca_cert = settings.kube_ca_file
    if settings.kube_token_file:
        token_file = settings.kube_token_file
        configuration.api_key = {"authorization": _read_token(token_file)}
        configuration.api_key_prefix = {"authorization": "Bearer"}
        configuration.refresh_api_key_hook = _refresh_from_file(token_file)  # type: ignore[assignment]


def _configure_gke(configuration: kubernetes.client.Configuration, settings: Settings, gke_access: Any) -> None:
    """The GKE control plane's endpoint and CA, and a short-lived token refreshed before each call."""
    if gke_access is None:
        from kubesent.cluster import gke  # google-auth only when GKE is the route

        gke_access = gke.GkeAccess(settings.gke_cluster, endpoint_mode=settings.gke_endpoint,
                                   container_api_endpoint=settings.container_api_endpoint,
                                   timeout_seconds=settings.kube_timeout_seconds)
    host, ca_pem = gke_access.endpoint()
    configuration.host = host
    if ca_pem:
        configuration.ssl_ca_cert = _write_ca(ca_pem)
    configuration.api_key = {"authorization": gke_access.token()}
    configuration.api_key_prefix = {"authorization": "Bearer"}

    def refresh(config: kubernetes.client.Configuration) -> None:
        config.api_key = {"authorization": gke_access.token()}

    configuration.refresh_api_key_hook = refresh  # type: ignore[assignment]


def _load_kubeconfig(configuration: kubernetes.client.Configuration, settings: Settings) -> None:
    kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
        config_file=settings.kube_config_file or None, context=settings.kube_context or None,
        client_configuration=configuration)


def _configure_auto(configuration: kubernetes.client.Configuration, settings: Settings) -> None:
    """Auto without a host: in-cluster first, then kubeconfig."""
    try:
        kubernetes.config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    except kubernetes.config.ConfigException:
        try:
            _load_kubeconfig(configuration, settings)
        except (kubernetes.config.ConfigException, OSError) as exc:
            raise errors.ConfigurationError(
                "no Kubernetes access: set KUBESENT_KUBE_HOST, or run in a cluster, "
                f"or provide a kubeconfig ({errors.truncate(str(exc), 120)})") from exc


def _read_token(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


def _refresh_from_file(path: str) -> Callable[[kubernetes.client.Configuration], None]:
    def refresh(config: kubernetes.client.Configuration) -> None:
        config.api_key = {"authorization": _read_token(path)}
    return refresh


def _write_ca(pem: str) -> str:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".crt", delete=False, prefix="kubesent-ca-") as handle:
        handle.write(pem)
        return handle.name


def _translate(exc: Exception, what: str) -> errors.KubeSentError:
    """Map a client or transport error onto our tree."""
    if isinstance(exc, ApiException):
        status = int(exc.status or 0)
        message = _status_message(exc) or str(exc.reason or "")
        text = f"{what}: HTTP {status} {errors.truncate(message)}"
        if status in _TRANSIENT_STATUSES:
            return errors.ClusterUnavailable(text)
        if status == 404:
            return errors.NotFound(text)
        if status == 409:
            return errors.Conflict(text)
        return errors.ClusterRefused(text, status=status)
    return errors.ClusterUnavailable(f"{what}: {type(exc).__name__}: {errors.truncate(str(exc))}")


def _status_message(exc: ApiException) -> str:
    try:
        body = json.loads(exc.body or "")
    except (TypeError, ValueError):
        return ""
    return str(body.get("message", "")) if isinstance(body, dict) else ""


class KubeCluster:
    """``cluster.api.Cluster`` over the official client's ``ApiClient``. One instance per function instance.

    Requests go through ``ApiClient.param_serialize`` and ``call_api``: the client's own auth, token
    refresh, TLS and connection pool, without the typed model layer.
    """

    def __init__(self, api_client: kubernetes.client.ApiClient, *, timeout_seconds: float = 10.0) -> None:
        self._api_client = api_client
        self._timeout = timeout_seconds
        self._counter = threading.local()

    @property
    def calls(self) -> int:
        """Kubernetes API calls made by the current thread (for the audit line and benchmarks)."""
        return int(getattr(self._counter, "calls", 0))

    @classmethod
    def from_settings(cls, settings: Settings) -> KubeCluster:
        return cls(build_api_client(settings), timeout_seconds=settings.kube_timeout_seconds)

    def close(self) -> None:
        self._api_client.close()  # type: ignore[no-untyped-call]

    def _request(self, method: str, path: str, what: str, *, names: dict[str, str],
                 query: list[tuple[str, Any]] | None = None, body: Any = None, content_type: str | None = None,
                 accept: str = "application/json") -> bytes:
        """One API request; names are quoted into ``path`` (they come from untrusted events)."""
        self._counter.calls = self.calls + 1
        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            request = self._api_client.param_serialize(
                method, path, path_params=names, query_params=query or None, header_params=headers, body=body,
                auth_settings=["BearerToken"])
            response = self._api_client.call_api(*request, _request_timeout=self._timeout)
            data: bytes = response.read()  # type: ignore[no-untyped-call]
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise _translate(exc, what) from exc
        if not 200 <= response.status <= 299:
            raise _translate(ApiException(status=response.status, reason=response.reason,
                                          body=data.decode("utf-8", errors="replace")), what)
        return data

    def _json(self, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        data = self._request(method, path, what, **kwargs)
        try:
            parsed = json.loads(data)
        except ValueError as exc:
            raise errors.ClusterUnavailable(f"{what}: the API answered something that is not JSON") from exc
        if not isinstance(parsed, dict):
            raise errors.ClusterUnavailable(f"{what}: the API answered a JSON {type(parsed).__name__}")
        return parsed

    @staticmethod
    def _path(kind: str, suffix: str = "") -> str:
        """The path of one namespaced object; KubeSent reads nothing cluster-scoped."""
        group, plural = _KIND_PATHS[kind]
        return f"{group}/namespaces/{{namespace}}/{plural}/{{name}}{suffix}"

    def read(self, *, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
        if kind not in READABLE_KINDS:
            raise errors.ClusterRefused(f"KubeSent does not read {kind} objects", status=400)
        return self._json("GET", self._path(kind), f"read {kind} {namespace}/{name}",
                          names={"namespace": namespace, "name": name})

    def pod_events(self, *, namespace: str, pod_name: str, pod_uid: str) -> list[dict[str, Any]]:
        selector = f"involvedObject.kind=Pod,involvedObject.name={pod_name}"
        listing = self._json("GET", "/api/v1/namespaces/{namespace}/events",
                             f"list events of pod {namespace}/{pod_name}", names={"namespace": namespace},
                             query=[("fieldSelector", selector)])
        items = [item for item in listing.get("items", []) if isinstance(item, dict)]
        return [item for item in items
                if not pod_uid or item.get("involvedObject", {}).get("uid") in (None, "", pod_uid)]

    def list_replicasets(self, *, namespace: str, match_labels: dict[str, str]) -> list[dict[str, Any]]:
        if not match_labels:
            return []  # an empty selector would list every ReplicaSet of the namespace
        selector = ",".join(f"{key}={value}" for key, value in sorted(match_labels.items()))
        listing = self._json("GET", "/apis/apps/v1/namespaces/{namespace}/replicasets",
                             f"list ReplicaSets in {namespace} ({selector})", names={"namespace": namespace},
                             query=[("labelSelector", selector), ("limit", MAX_LISTED_REPLICASETS)])
        return [item for item in listing.get("items", []) if isinstance(item, dict)]

    def list_external_secrets(self, *, namespace: str) -> list[dict[str, Any]]:
        group, plural = _KIND_PATHS["ExternalSecret"]
        listing = self._json("GET", f"{group}/namespaces/{{namespace}}/{plural}",
                             f"list ExternalSecrets in {namespace}", names={"namespace": namespace},
                             query=[("limit", MAX_LISTED_EXTERNAL_SECRETS)])
        return [item for item in listing.get("items", []) if isinstance(item, dict)][:MAX_LISTED_EXTERNAL_SECRETS]

    def read_log(self, *, namespace: str, pod: str, container: str, previous: bool,
                 tail_lines: int, limit_bytes: int) -> str:
        what = f"read {'previous ' if previous else ''}log of {namespace}/{pod}/{container}"
        query: list[tuple[str, Any]] = [("container", container), ("tailLines", tail_lines),
                                        ("limitBytes", limit_bytes)]
        if previous:
            query.append(("previous", "true"))
        try:
            # text/plain for the log; application/json so the server can say why there is none (a real
            # kube-apiserver answers 406 instead of its 400 Status when only text/plain is acceptable).
            data = self._request("GET", self._path("Pod", "/log"), what, names={"namespace": namespace, "name": pod},
                                 query=query, accept="text/plain, application/json;q=0.9")
        except (errors.ClusterRefused) as exc:
            # No log (container never started, no previous instance) is a fact, not a failure.
            if exc.status in (400, 404):
                return ""
            raise
        return data[:limit_bytes].decode("utf-8", errors="replace")

    def patch(self, *, api_version: str, kind: str, namespace: str, name: str,
              body: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        if kind not in k8s.PATCHABLE_KINDS:
            raise errors.ClusterRefused(f"KubeSent never patches {kind} objects", status=403)
        what = f"{'dry-run ' if dry_run else ''}patch {kind} {namespace}/{name}"
        query: list[tuple[str, Any]] = [("fieldManager", FIELD_MANAGER)]
        if dry_run:
            query.append(("dryRun", "All"))
        return self._json("PATCH", self._path(kind), what, names={"namespace": namespace, "name": name},
                          query=query, body=body, content_type=STRATEGIC_MERGE)

    def list_pods(self, *, namespace: str | None, match_labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
        path = "/api/v1/namespaces/{namespace}/pods" if namespace is not None else "/api/v1/pods"
        names = {"namespace": namespace} if namespace is not None else {}
        what = f"list pods in {namespace if namespace is not None else 'all namespaces'}"
        pods: list[dict[str, Any]] = []
        token = ""
        for _ in range(MAX_LIST_PAGES):
            query: list[tuple[str, Any]] = [("limit", LIST_PAGE_SIZE)] + ([("continue", token)] if token else [])
            if match_labels:
                query.append(("labelSelector", ",".join(f"{k}={v}" for k, v in sorted(match_labels.items()))))
            listing = self._json("GET", path, what, names=names, query=query)
            pods.extend(item for item in listing.get("items", []) if isinstance(item, dict))
            token = str((listing.get("metadata") or {}).get("continue") or "")
            if not token:
                break
        return pods

    def resize(self, *, namespace: str, name: str, body: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        what = f"{'dry-run ' if dry_run else ''}resize pod {namespace}/{name}"
        return self._json("PATCH", self._path("Pod", "/resize"), what, names={"namespace": namespace, "name": name},
                          query=self._write_query(dry_run), body=body, content_type=STRATEGIC_MERGE)

    def annotate_pod(self, *, namespace: str, name: str, annotations: dict[str, str],
                     dry_run: bool) -> dict[str, Any]:
        what = f"{'dry-run ' if dry_run else ''}annotate pod {namespace}/{name}"
        return self._json("PATCH", self._path("Pod"), what, names={"namespace": namespace, "name": name},
                          query=self._write_query(dry_run), body={"metadata": {"annotations": dict(annotations)}},
                          content_type=STRATEGIC_MERGE)

    @staticmethod
    def _write_query(dry_run: bool) -> list[tuple[str, Any]]:
        return [("fieldManager", FIELD_MANAGER)] + ([("dryRun", "All")] if dry_run else [])
