"""`KubeSandbox`: the in-process handle tests and the CLI use to run the fake apiserver.

Wires the store, log book, fault injector and deployment controller to the HTTP server,
and offers direct fixture loading and state reads. Thread-safe.
"""
from __future__ import annotations

import copy
import pathlib
import threading
from types import TracebackType
from typing import Any

from local_emulator.kube_sandbox import bundles, controller, kubelet, resources
from local_emulator.kube_sandbox.faults import FaultInjector
from local_emulator.kube_sandbox.logs import LogBook
from local_emulator.kube_sandbox.server import SandboxHTTPServer
from local_emulator.kube_sandbox.store import Store

_MUTATING = ("POST", "PUT", "PATCH", "DELETE")
_INITIAL_NAMESPACES = ("default", "kube-system")
_SHUTDOWN_POLL_SECONDS = 0.05  # how quickly serve_forever notices stop()


class KubeSandbox:
    """An empty fake cluster; `start()` serves it over HTTP in a background thread.

    `rollouts=False` turns off the demo Deployment controller (template changes then create
    no new ReplicaSet or pods).
    """

    def __init__(self, *, rollouts: bool = True) -> None:
        self.store = Store()
        self.logs = LogBook()
        self.faults = FaultInjector()
        self.controller = controller.DeploymentController(self.store, enabled=rollouts)
        self.store.hooks.append(self.controller)
        self.store.hooks.append(kubelet.Kubelet(self.store))
        self.url = ""
        self._requests: list[dict[str, Any]] = []
        self._requests_lock = threading.Lock()
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        namespaces = self._resource("v1", "Namespace")
        for name in _INITIAL_NAMESPACES:
            self.store.load(namespaces, {"metadata": {"name": name}, "status": {"phase": "Active"}})

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._server = SandboxHTTPServer((host, port), self)
        bound_host, bound_port = self._server.server_address[:2]
        host_text = bound_host.decode() if isinstance(bound_host, bytes) else str(bound_host)
        self.url = f"http://{host_text}:{bound_port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": _SHUTDOWN_POLL_SECONDS},
                                        name="kube-sandbox", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self.store.close()
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> KubeSandbox:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # ---- fixtures ------------------------------------------------------------------------
    @staticmethod
    def _resource(api_version: str, kind: str) -> resources.ResourceType:
        found = resources.by_kind(api_version=api_version, kind=kind)
        if found is None:
            raise ValueError(f"the sandbox does not serve {api_version} {kind}")
        return found

    def load_objects(self, objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store objects as given, keeping status, owners, uid and managedFields."""
        return [self.store.load(self._resource(obj.get("apiVersion", ""), obj.get("kind", "")), obj)
                for obj in objs]

    def load_bundle(self, bundle: dict[str, Any]) -> None:
        self.load_objects(bundle.get("objects") or [])
        if bundle.get("event"):
            event = bundles.event_object(bundle["event"])
            events = self._resource("v1", "Event")
            if event["metadata"].get("name"):
                self.store.load(events, event)
            else:
                self.store.create(events, namespace=event["metadata"]["namespace"], body=event,
                                  manager="kube-sandbox", load=True)
        for key, texts in (bundle.get("logs") or {}).items():
            namespace, pod, container = bundles.split_log_key(key)
            self.set_logs(namespace=namespace, pod=pod, container=container,
                          current=texts.get("current") or "", previous=texts.get("previous"))

    def load_file(self, path: str | pathlib.Path) -> None:
        objects, incident_bundles = bundles.read_file(path)
        self.load_objects(objects)
        for bundle in incident_bundles:
            self.load_bundle(bundle)

    def set_logs(self, *, namespace: str, pod: str, container: str, current: str = "",
                 previous: str | None = None) -> None:
        self.logs.set(namespace=namespace, pod=pod, container=container, current=current,
                      previous=previous)

    def create_deployment_chain(self, deployment: dict[str, Any], *, replicas: int | None = None,
                                pod_status: dict[str, Any] | None = None,
                                pod_name_suffixes: list[str] | None = None,
                                ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        body = copy.deepcopy(deployment)
        body.setdefault("apiVersion", "apps/v1")
        body.setdefault("kind", "Deployment")
        body.setdefault("metadata", {}).setdefault("namespace", "default")
        spec = body.setdefault("spec", {})
        spec["replicas"] = replicas if replicas is not None else int(spec.get("replicas", 1))
        deployments = self._resource("apps/v1", "Deployment")
        with self.store.lock:
            stored = self.store.load(deployments, body)
            replicaset, pods = controller.create_replicaset(
                self.store, stored, replicas=spec["replicas"], pod_status_override=pod_status,
                pod_name_suffixes=pod_name_suffixes)
            if "status" not in deployment:
                stored["status"] = controller.deployment_status(stored, pods)
                stored = self.store.load(deployments, stored)
        return stored, replicaset, pods

    # ---- faults and observation ----------------------------------------------------------
    def inject_fault(self, *, method: str = "*", path: str = ".*", status: int = 500, count: int = 1,
                     delay_seconds: float = 0.0, body: dict[str, Any] | None = None) -> None:
        """Answer the next `count` matching requests with `status` after `delay_seconds`
        (a status below 300 only delays, then serves normally)."""
        self.faults.add(method=method, path=path, status=status, count=count,
                        delay_seconds=delay_seconds, body=body)

    def clear_faults(self) -> None:
        self.faults.clear()

    def record_request(self, *, method: str, path: str, query: dict[str, str], dry_run: bool) -> None:
        with self._requests_lock:
            self._requests.append({"method": method, "path": path, "query": dict(query),
                                   "dry_run": dry_run})

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._requests_lock:
            return copy.deepcopy(self._requests)

    def clear_requests(self) -> None:
        with self._requests_lock:
            self._requests.clear()

    def writes(self) -> list[dict[str, Any]]:
        """Non-dry-run mutating API requests (control-plane calls excluded)."""
        return [request for request in self.requests
                if request["method"] in _MUTATING and not request["dry_run"]
                and not request["path"].startswith("/_sandbox")]

    def get_object(self, *, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        resource = self._resource(api_version, kind)
        return self.store.find(resource, namespace=namespace if resource.namespaced else "", name=name)
