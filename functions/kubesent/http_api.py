"""The HTTP API (``kubesent_http``): ``GET /health`` and ``POST /analyze`` (DESIGN.md, on-demand analysis).

Framework-free: ``main.kubesent_http`` hands over the method, path, query and body, and sends back the
``Reply``. Requests are pydantic models, strict (``extra="forbid"``): cluster mode ``{"namespace", "pod",
"container"?}`` reads the pod through the cluster; the seed's ``{"pod_name", "namespace",
"failure_reason", "logs", "pod_yaml"}`` brings its own evidence (the YAML safely parsed and bounded, the
logs redacted) and reads nothing. Both are read-only (``ondemand``). Errors are ``{"error": message}``
with 400, 403, 404, 405, 413 or 503.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

import kubesent
from kubesent import errors, ondemand, redaction, triage
from kubesent.cluster.api import Cluster
from kubesent.diagnosis.base import Diagnoser
from kubesent.ledger import IncidentKey, Ledger
from kubesent.settings import Settings

# A request is a pod's YAML and a log tail: 1 MiB is several times the largest pod `kubectl get -o yaml` prints.
MAX_BODY_BYTES = 1024 * 1024
# etcd stores an object of at most 1.5 MiB, but a pod's YAML is a few KiB; 256 KiB leaves room for managedFields.
MAX_POD_YAML_CHARS = 256 * 1024
# A log tail as a watcher extracts it; the prompt keeps far less (KUBESENT_PROMPT_LOG_CHARS).
MAX_LOG_CHARS = 512 * 1024
# Kubernetes names: a namespace and a container are DNS labels, a pod a DNS subdomain.
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"
# A pod name nobody creates: reading it proves the API server answers (404) without reading anything real.
HEALTH_PROBE_POD = "kubesent-health-probe"
HEALTH_PROBE_KEY = IncidentKey(cluster="health", namespace="health", owner_kind="Pod", owner_name="probe",
                               container="", category="other", template_hash="")
JSON = {"Content-Type": "application/json"}


class ClusterRequest(BaseModel):
    """Cluster mode: KubeSent reads the pod, its owners, events and logs itself."""

    model_config = ConfigDict(extra="forbid", strict=True)
    namespace: str = Field(pattern=DNS_LABEL)
    pod: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    container: str | None = Field(None, pattern=DNS_LABEL)


class SeedRequest(BaseModel):
    """The seed's shape: the caller supplies the evidence; no cluster read."""

    model_config = ConfigDict(extra="forbid", strict=True)
    pod_name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253)
    namespace: str = Field(pattern=DNS_LABEL)
    failure_reason: str = Field(min_length=1, max_length=128)
    logs: str = Field("", max_length=MAX_LOG_CHARS)
    pod_yaml: str = Field(min_length=1, max_length=MAX_POD_YAML_CHARS)


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))

    def text(self) -> str:
        return json.dumps(self.body, separators=(",", ":"), default=str)


class BadRequest(Exception):
    """A request KubeSent will not read: 400 with the message."""


def _error(status: int, message: str) -> Reply:
    return Reply(status, {"error": errors.truncate(message)})


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader without anchors and aliases: a few bytes of aliases can expand to gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):  # type: ignore[no-untyped-call]
            raise yaml.YAMLError("pod_yaml: YAML aliases are not accepted")
        return super().compose_node(parent, index)


def parse_pod_yaml(text: str, *, namespace: str, name: str) -> dict[str, Any]:
    """The caller's pod as an API-shaped dict; its name and namespace must be the request's."""
    try:
        pod = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, RecursionError) as exc:
        raise BadRequest(f"pod_yaml is not valid YAML: {errors.truncate(str(exc), 160)}") from exc
    if not isinstance(pod, dict):
        raise BadRequest("pod_yaml must be one Pod object")
    if pod.get("kind", "Pod") != "Pod":
        raise BadRequest(f"pod_yaml is a {str(pod.get('kind'))[:40]}, not a Pod")
    meta: dict[str, Any] = pod["metadata"] if isinstance(pod.get("metadata"), dict) else {}
    for key, wanted in (("name", name), ("namespace", namespace)):
        if meta.get(key) not in (None, wanted):
            raise BadRequest(f"pod_yaml's metadata.{key} is not the request's {key}")
    if not isinstance(pod.get("spec"), dict):
        raise BadRequest("pod_yaml has no spec")
    return {**pod, "apiVersion": "v1", "kind": "Pod", "metadata": {**meta, "name": name, "namespace": namespace}}


class HttpApi:
    """The API's handlers over lazily built dependencies (one per function instance)."""

    def __init__(self, settings: Settings, *, cluster: Callable[[], Cluster], ledger: Callable[[], Ledger],
                 diagnoser: Callable[[], Diagnoser]) -> None:
        self.settings = settings
        self._factories = {"cluster": cluster, "ledger": ledger, "diagnoser": diagnoser}
        self._built: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _dependency(self, name: str) -> Any:
        if name not in self._built:
            with self._lock:
                if name not in self._built:
                    self._built[name] = self._factories[name]()
        return self._built[name]

    def handle(self, *, method: str, path: str, query: Mapping[str, str], body: bytes | None) -> Reply:
        """One request; ``body`` is None when it was larger than ``MAX_BODY_BYTES``."""
        route = "/" + path.strip("/")
        if route == "/health":
            return self.health(deep=query.get("deep", "") in ("1", "true")) if method == "GET" else \
                _error(405, "GET /health")
        if route == "/analyze":
            if method != "POST":
                return _error(405, "POST /analyze")
            if body is None:
                return _error(413, f"the request body is over {MAX_BODY_BYTES} bytes")
            return self.analyze(body)
        return _error(404, f"no route {route[:100]}: GET /health, POST /analyze")

    def health(self, *, deep: bool) -> Reply:
        settings = self.settings
        body: dict[str, Any] = {"status": "ok", "version": kubesent.__version__,
                                "model": {"mode": settings.llm, "name": settings.gemini_model
                                          if settings.llm == "gemini" else None},
                                "dry_run": settings.dry_run}
        if not deep:
            return Reply(200, body)
        checks = {"cluster": self._cluster_check(), "ledger": self._ledger_check()}
        body["checks"] = checks
        down = [name for name, state in checks.items() if state != "ok"]
        if down:
            return Reply(503, {**body, "status": "unavailable", "error": f"unreachable: {', '.join(down)}"})
        return Reply(200, body)

    def _cluster_check(self) -> str:
        try:
            cluster: Cluster = self._dependency("cluster")
            cluster.read(api_version="v1", kind="Pod", namespace="default", name=HEALTH_PROBE_POD)
        except errors.ClusterRefused:
            return "ok"  # 404 or 403: the API server answered
        except (errors.TransientError, errors.ConfigurationError) as exc:
            return f"down: {errors.truncate(str(exc), 160)}"
        return "ok"

    def _ledger_check(self) -> str:
        try:
            ledger: Ledger = self._dependency("ledger")
            ledger.cached_diagnosis(HEALTH_PROBE_KEY)
        except (errors.TransientError, errors.ConfigurationError) as exc:
            return f"down: {errors.truncate(str(exc), 160)}"
        return "ok"

    def analyze(self, body: bytes) -> Reply:
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            return _error(400, "the body is not JSON")
        if not isinstance(payload, dict):
            return _error(400, "the body must be a JSON object")
        try:
            if "pod_name" in payload:
                analysis = self._analyze_supplied(SeedRequest.model_validate(payload))
            elif "pod" in payload:
                analysis = self._analyze_cluster(ClusterRequest.model_validate(payload))
            else:
                return _error(400, 'send {"namespace", "pod"} or {"pod_name", "namespace", "failure_reason", '
                                   '"logs", "pod_yaml"}')
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            return _error(400, f"{where}: {first['msg']}")
        except (BadRequest, errors.BadEvent) as exc:
            return _error(400, str(exc))
        except errors.KubeSentError as exc:
            return _kubesent_error(exc)
        return Reply(200, analysis.as_json())

    def _analyze_cluster(self, request: ClusterRequest) -> ondemand.Analysis:
        cluster: Cluster = self._dependency("cluster")
        pod = cluster.read(api_version="v1", kind="Pod", namespace=request.namespace, name=request.pod)
        return ondemand.analyze(pod, cluster=cluster, settings=self.settings, container=request.container,
                                diagnoser=self._dependency("diagnoser"), ledger=self._dependency("ledger"))

    def _analyze_supplied(self, request: SeedRequest) -> ondemand.Analysis:
        pod = parse_pod_yaml(request.pod_yaml, namespace=request.namespace, name=request.pod_name)
        pod = triage.status_from_reason(pod, request.failure_reason, container=None)
        logs = redaction.redact_log(request.logs, max_chars=MAX_LOG_CHARS)
        cluster = ondemand.supplied_cluster(pod, logs=logs, container=None)
        return ondemand.analyze(pod, cluster=cluster, settings=self.settings, failure_reason=request.failure_reason,
                                diagnoser=self._dependency("diagnoser"), ledger=self._dependency("ledger"))


def _kubesent_error(exc: errors.KubeSentError) -> Reply:
    """Our error tree as HTTP: what the caller may do about it."""
    if isinstance(exc, errors.NotFound):
        return _error(404, str(exc))
    if isinstance(exc, errors.ClusterRefused):
        if exc.status in (401, 403):
            return _error(403, f"the cluster refused KubeSent (RBAC): {exc}")
        return _error(502, f"the cluster refused the read: {exc}")
    if isinstance(exc, errors.ModelUnavailable):
        return _error(503, f"the model is unavailable: {exc}")
    if isinstance(exc, errors.LedgerUnavailable):
        return _error(503, f"the ledger is unavailable: {exc}")
    if isinstance(exc, errors.ClusterUnavailable | errors.ConfigurationError):
        return _error(503, f"the cluster is unavailable: {exc}")
    return _error(503, f"{type(exc).__name__}: {exc}")


def read_body(request: Any) -> bytes | None:
    """A framework request's body, or None when it is over ``MAX_BODY_BYTES`` (read no further than that)."""
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        return None
    data: bytes = request.stream.read(MAX_BODY_BYTES + 1)
    return None if len(data) > MAX_BODY_BYTES else data


def from_settings(settings: Settings) -> HttpApi:
    """The API with the function's own cluster, ledger and diagnoser, each built on first use."""
    from kubesent import wiring

    return HttpApi(settings, cluster=lambda: wiring.build_cluster(settings),
                   ledger=lambda: wiring.build_ledger(settings), diagnoser=lambda: wiring.build_diagnoser(settings))
