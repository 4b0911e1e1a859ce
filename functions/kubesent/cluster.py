"""The official ``kubernetes`` client behind ``cluster_api.Cluster``: the only importer of ``kubernetes``.

Builds the client from kubeconfig, in-cluster config, an explicit host/CA/token file, or GKE
(``gke.GkeAccess``). Reads and patches API-shaped JSON (``_preload_content=False``: no model
round-trip, the same dicts as an incident bundle). Maps API errors onto ``kubesent.errors``.
Called by the pipeline through the ``Cluster`` protocol.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import kubernetes
import urllib3
from kubernetes.client.exceptions import ApiException

from kubesent import errors
from kubesent.cluster_api import FIELD_MANAGER
from kubesent.settings import Settings

STRATEGIC_MERGE = "application/strategic-merge-patch+json"
# Status codes a retry may fix: rate limits and the server's own failures (client-go retries these too).
_TRANSIENT_STATUSES = frozenset({0, 429, 500, 502, 503, 504})

_KIND_CALLS: dict[str, tuple[str, str]] = {
    # kind -> (API class attribute, method suffix)
    "Pod": ("CoreV1Api", "pod"),
    "ConfigMap": ("CoreV1Api", "config_map"),
    "Node": ("CoreV1Api", "node"),
    "ReplicaSet": ("AppsV1Api", "replica_set"),
    "Deployment": ("AppsV1Api", "deployment"),
    "StatefulSet": ("AppsV1Api", "stateful_set"),
    "DaemonSet": ("AppsV1Api", "daemon_set"),
    "Job": ("BatchV1Api", "job"),
    "CronJob": ("BatchV1Api", "cron_job"),
}
_CLUSTER_SCOPED = frozenset({"Node"})
PATCHABLE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})


def build_api_client(settings: Settings, *, gke_access: Any = None) -> kubernetes.client.ApiClient:
    """An ``ApiClient`` for the configured mode. Never touches the client's global default config."""
    configuration = kubernetes.client.Configuration()
    mode = settings.kube_mode
    if mode == "explicit" or (mode == "auto" and settings.kube_host):
        configuration.host = settings.kube_host.rstrip("/")
        if settings.kube_ca_file:
            configuration.ssl_ca_cert = settings.kube_ca_file
        if settings.kube_token_file:
            token_file = settings.kube_token_file
            configuration.api_key = {"authorization": _read_token(token_file)}
            configuration.api_key_prefix = {"authorization": "Bearer"}
            configuration.refresh_api_key_hook = _refresh_from_file(token_file)  # type: ignore[assignment]
    elif mode == "gke":
        if gke_access is None:
            from kubesent import gke  # google-auth only when GKE is the route

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
    elif mode == "incluster":
        try:
            kubernetes.config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        except kubernetes.config.ConfigException as exc:
            raise errors.ConfigurationError(f"KUBESENT_KUBE_MODE=incluster but not in a cluster: {exc}") from exc
    elif mode == "kubeconfig":
        try:
            kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
                context=settings.kube_context or None, client_configuration=configuration)
        except (kubernetes.config.ConfigException, OSError) as exc:
            raise errors.ConfigurationError(
                f"KUBESENT_KUBE_MODE=kubeconfig but no usable kubeconfig: {errors.truncate(str(exc), 160)}") from exc
    else:  # auto without a host: in-cluster first, then kubeconfig
        try:
            kubernetes.config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        except kubernetes.config.ConfigException:
            try:
                kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
                    context=settings.kube_context or None, client_configuration=configuration)
            except (kubernetes.config.ConfigException, OSError) as exc:
                raise errors.ConfigurationError(
                    "no Kubernetes access: set KUBESENT_KUBE_HOST, or run in a cluster, "
                    f"or provide a kubeconfig ({errors.truncate(str(exc), 120)})") from exc
    # Fail fast: Pub/Sub redelivers, so a retry storm inside one invocation only burns its deadline.
    configuration.retries = 0
    return kubernetes.client.ApiClient(configuration)


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
    """``cluster_api.Cluster`` over the official client. One instance per function instance."""

    def __init__(self, api_client: kubernetes.client.ApiClient, *, timeout_seconds: float = 10.0) -> None:
        self._api_client = api_client
        self._timeout = timeout_seconds
        self._apis: dict[str, Any] = {}
        self.calls = 0
        """Kubernetes API calls made (for the audit line and benchmarks)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> KubeCluster:
        return cls(build_api_client(settings), timeout_seconds=settings.kube_timeout_seconds)

    def close(self) -> None:
        self._api_client.close()  # type: ignore[no-untyped-call]

    def _api(self, name: str) -> Any:
        if name not in self._apis:
            self._apis[name] = getattr(kubernetes.client, name)(self._api_client)
        return self._apis[name]

    def _json(self, call: Callable[..., Any], what: str, /, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        try:
            response = call(*args, _preload_content=False, _request_timeout=self._timeout, **kwargs)
            data = response.data
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise _translate(exc, what) from exc
        try:
            return json.loads(data)
        except ValueError as exc:
            raise errors.ClusterUnavailable(f"{what}: the API answered something that is not JSON") from exc

    def read(self, *, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
        if kind not in _KIND_CALLS:
            raise errors.ClusterRefused(f"KubeSent does not read {kind} objects", status=400)
        api_name, suffix = _KIND_CALLS[kind]
        what = f"read {kind} {namespace}/{name}" if namespace else f"read {kind} {name}"
        if kind in _CLUSTER_SCOPED:
            result = self._json(getattr(self._api(api_name), f"read_{suffix}"), what, name)
        else:
            result = self._json(getattr(self._api(api_name), f"read_namespaced_{suffix}"), what, name, namespace)
        return dict(result)

    def pod_events(self, *, namespace: str, pod_name: str, pod_uid: str) -> list[dict[str, Any]]:
        selector = f"involvedObject.kind=Pod,involvedObject.name={pod_name}"
        listing = self._json(self._api("CoreV1Api").list_namespaced_event, f"list events of pod {namespace}/{pod_name}",
                             namespace, field_selector=selector)
        items = [item for item in listing.get("items", []) if isinstance(item, dict)]
        return [item for item in items
                if not pod_uid or item.get("involvedObject", {}).get("uid") in (None, "", pod_uid)]

    def read_log(self, *, namespace: str, pod: str, container: str, previous: bool,
                 tail_lines: int, limit_bytes: int) -> str:
        self.calls += 1
        what = f"read {'previous ' if previous else ''}log of {namespace}/{pod}/{container}"
        try:
            response = self._api("CoreV1Api").read_namespaced_pod_log(
                pod, namespace, container=container, previous=previous, tail_lines=tail_lines,
                limit_bytes=limit_bytes, _preload_content=False, _request_timeout=self._timeout)
            data: bytes = response.data
        except ApiException as exc:
            # No log (container never started, no previous instance) is a fact, not a failure.
            if exc.status in (400, 404):
                return ""
            raise _translate(exc, what) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _translate(exc, what) from exc
        return data[:limit_bytes].decode("utf-8", errors="replace")

    def patch(self, *, api_version: str, kind: str, namespace: str, name: str,
              body: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        if kind not in PATCHABLE_KINDS:
            raise errors.ClusterRefused(f"KubeSent never patches {kind} objects", status=403)
        api_name, suffix = _KIND_CALLS[kind]
        what = f"{'dry-run ' if dry_run else ''}patch {kind} {namespace}/{name}"
        extra: dict[str, Any] = {"field_manager": FIELD_MANAGER, "_content_type": STRATEGIC_MERGE}
        if dry_run:
            extra["dry_run"] = "All"
        method = getattr(self._api(api_name), f"patch_namespaced_{suffix}")
        return dict(self._json(method, what, name, namespace, body, **extra))
