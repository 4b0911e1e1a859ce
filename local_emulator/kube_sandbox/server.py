"""The HTTP front: a keep-alive HTTP/1.1 server speaking the Kubernetes REST API as JSON.

Owns sockets and threads only; state lives in the store, log book and fault injector of the
`KubeSandbox` it serves. Protobuf bodies and server-side apply are refused with 415.
"""
from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import yaml

from local_emulator.kube_sandbox import discovery, errors, routes, selectors, tables
from local_emulator.kube_sandbox.errors import ApiError
from local_emulator.kube_sandbox.routes import Route

if TYPE_CHECKING:
    from local_emulator.kube_sandbox.sandbox import KubeSandbox

DEFAULT_WATCH_SECONDS = 300.0  # the apiserver picks 30-60 min; tests want streams to end sooner
_MUTATING = ("POST", "PUT", "PATCH", "DELETE")
_PROTOBUF = "application/vnd.kubernetes.protobuf"


class SandboxHTTPServer(ThreadingHTTPServer):
    """Tracks open connections so `stop()` can end keep-alive sessions promptly."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: KubeSandbox) -> None:
        self.sandbox = sandbox
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, Handler)

    def close_connections(self) -> None:
        with self.connections_lock:
            for connection in list(self.connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


def _flag(query: dict[str, str], name: str) -> bool:
    return query.get(name, "").lower() in ("true", "1")


def _int(query: dict[str, str], name: str) -> int | None:
    value = query.get(name)
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise errors.bad_request(f"invalid {name}: {value!r}") from exc


class Handler(BaseHTTPRequestHandler):
    """One connection; requests are served in order on it."""

    protocol_version = "HTTP/1.1"
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        # Nagle + delayed ACK would add ~40 ms to every small keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: the request log is kept in memory instead."""

    # ---- plumbing ------------------------------------------------------------------------
    def _send(self, code: int, payload: bytes, content_type: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.write(payload)

    def _send_json(self, code: int, body: Any) -> None:
        self._send(code, json.dumps(body).encode())

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _decode(self, raw: bytes) -> Any:
        content_type = (self.headers.get("Content-Type") or "application/json").lower()
        if _PROTOBUF in content_type:
            raise ApiError(415, "UnsupportedMediaType",
                           "the KubeSent sandbox does not accept protobuf bodies; send JSON")
        try:
            if "yaml" in content_type:
                return yaml.safe_load(raw.decode() or "null")
            return json.loads(raw or b"null")
        except (ValueError, yaml.YAMLError) as exc:
            raise errors.bad_request(f"error decoding request body: {exc}") from exc

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path
        query = {key: values[-1] for key, values in urllib.parse.parse_qs(parsed.query).items()}
        raw = self._read_body() if method in ("POST", "PUT", "PATCH", "DELETE") else b""
        sandbox = self.server.sandbox
        dry_run = "dryRun" in query
        if method == "DELETE" and raw and not dry_run:
            try:
                options = json.loads(raw)
                dry_run = bool(isinstance(options, dict) and options.get("dryRun"))
            except ValueError:
                pass
        sandbox.record_request(method=method, path=path, query=query, dry_run=dry_run)
        try:
            if path.startswith("/_sandbox/"):
                self._control(method, path, raw)
                return
            fault = sandbox.faults.take(method=method, path=path)
            if fault is not None:
                if fault.delay_seconds:
                    time.sleep(fault.delay_seconds)
                if fault.status >= 300:
                    self._send_json(fault.status, fault.response_body())
                    return
            self._serve(method, path, query, raw, dry_run)
        except ApiError as exc:
            self._send_json(exc.code, exc.body())
        except OSError:  # the client went away (or stop() shut the socket) mid-response
            self.close_connection = True

    # ---- control plane -------------------------------------------------------------------
    def _control(self, method: str, path: str, raw: bytes) -> None:
        sandbox = self.server.sandbox
        action = path.rstrip("/")
        if action == "/_sandbox/faults" and method == "POST":
            sandbox.inject_fault(**json.loads(raw))
        elif action == "/_sandbox/faults" and method == "DELETE":
            sandbox.clear_faults()
        elif action == "/_sandbox/requests" and method == "GET":
            self._send_json(200, sandbox.requests)
            return
        elif action == "/_sandbox/requests" and method == "DELETE":
            sandbox.clear_requests()
        elif action == "/_sandbox/load" and method == "POST":
            payload = json.loads(raw)
            if isinstance(payload, dict) and "objects" in payload:
                sandbox.load_bundle(payload)
            else:
                sandbox.load_objects(payload if isinstance(payload, list) else [payload])
        elif action == "/_sandbox/logs" and method == "POST":
            sandbox.set_logs(**json.loads(raw))
        else:
            raise errors.not_found(resource="sandbox", name=path)
        self._send_json(200, {"ok": True})

    # ---- the API -------------------------------------------------------------------------
    def _serve(self, method: str, path: str, query: dict[str, str], raw: bytes, dry_run: bool) -> None:
        trimmed = path.rstrip("/") or "/"
        if method == "GET":
            document = self._discovery(trimmed)
            if document is not None:
                self._send_json(200, document)
                return
        route = routes.parse(trimmed)
        if route is None or (route.resource.namespaced and route.namespace is None and route.name):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        sandbox = self.server.sandbox
        store = sandbox.store
        resource = route.resource
        namespace = route.namespace or ""
        manager = query.get("fieldManager") or (self.headers.get("User-Agent") or "unknown").split("/")[0]
        if route.name is None:
            if method == "GET":
                self._list_or_watch(route, query)
            elif method == "POST":
                created = store.create(resource, namespace=namespace, body=self._decode(raw),
                                       manager=manager, dry_run=dry_run)
                self._send_json(201, created)
            elif method == "DELETE":
                matcher = self._matcher(query)
                items, _ = store.list(resource, namespace=route.namespace, matcher=matcher)
                for item in items:
                    meta = item["metadata"]
                    store.delete(resource, namespace=meta.get("namespace", ""), name=meta["name"],
                                 dry_run=dry_run)
                self._send_json(200, self._list_body(resource, items, store.resource_version))
            else:
                raise ApiError(405, "MethodNotAllowed", f"{method} is not supported on a collection")
            return
        name = route.name
        if route.subresource == "log" and method == "GET":
            pod = store.get(resource, namespace=namespace, name=name)
            text = sandbox.logs.read(pod=pod, container=query.get("container"),
                                     previous=_flag(query, "previous"),
                                     tail_lines=_int(query, "tailLines"),
                                     limit_bytes=_int(query, "limitBytes"))
            self._send(200, text.encode(), "text/plain")
        elif route.subresource == "eviction" and method == "POST":
            store.delete(resource, namespace=namespace, name=name, dry_run=dry_run)
            self._send_json(201, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                  "status": "Success", "code": 201})
        elif method == "GET":
            found = store.get(resource, namespace=namespace, name=name)
            if "as=Table" in (self.headers.get("Accept") or ""):
                self._send_json(200, tables.table(resource, [found], store.resource_version))
            else:
                self._send_json(200, found)
        elif method == "PUT":
            self._send_json(200, store.update(resource, namespace=namespace, name=name,
                                              body=self._decode(raw), manager=manager,
                                              subresource=route.subresource, dry_run=dry_run))
        elif method == "PATCH":
            content_type = self.headers.get("Content-Type") or ""
            if _PROTOBUF in content_type:
                raise ApiError(415, "UnsupportedMediaType", "protobuf patches are not supported")
            self._send_json(200, store.patch(resource, namespace=namespace, name=name,
                                             content_type=content_type, body=raw, manager=manager,
                                             subresource=route.subresource, dry_run=dry_run))
        elif method == "DELETE":
            orphan = query.get("propagationPolicy") == "Orphan"
            if raw:
                options = self._decode(raw) or {}
                orphan = orphan or options.get("propagationPolicy") == "Orphan"
            self._send_json(200, store.delete(resource, namespace=namespace, name=name,
                                              dry_run=dry_run, orphan=orphan))
        else:
            raise ApiError(405, "MethodNotAllowed", f"{method} is not supported here")

    def _discovery(self, path: str) -> dict[str, Any] | None:
        if path == "/version":
            return discovery.VERSION
        if path == "/api":
            return discovery.api_versions()
        if path == "/apis":
            return discovery.api_groups()
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) == 2:
            return discovery.resource_list(group="", version=parts[1])
        if parts[0] == "apis" and len(parts) == 2:
            return discovery.api_group(parts[1])
        if parts[0] == "apis" and len(parts) == 3:
            return discovery.resource_list(group=parts[1], version=parts[2])
        return None

    def _matcher(self, query: dict[str, str]) -> selectors.Matcher:
        labels = selectors.label_matcher(query.get("labelSelector"))
        fields = selectors.field_matcher(query.get("fieldSelector"))
        return lambda obj: labels(obj) and fields(obj)

    @staticmethod
    def _list_body(resource: Any, items: list[dict[str, Any]], version: str) -> dict[str, Any]:
        return {"kind": f"{resource.kind}List", "apiVersion": resource.api_version,
                "metadata": {"resourceVersion": version}, "items": items}

    def _list_or_watch(self, route: Route, query: dict[str, str]) -> None:
        store = self.server.sandbox.store
        matcher = self._matcher(query)
        if _flag(query, "watch"):
            timeout = float(query.get("timeoutSeconds") or DEFAULT_WATCH_SECONDS)
            events = store.watch(route.resource, namespace=route.namespace,
                                 since=query.get("resourceVersion"), matcher=matcher,
                                 timeout_seconds=timeout)
            self._stream(events)
            return
        items, version = store.list(route.resource, namespace=route.namespace, matcher=matcher)
        if "as=Table" in (self.headers.get("Accept") or ""):
            self._send_json(200, tables.table(route.resource, items, version))
            return
        self._send_json(200, self._list_body(route.resource, items, version))

    def _stream(self, events: Any) -> None:
        first = next(events, None)  # raises ApiError (e.g. a bad resourceVersion) before headers
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if first is not None:
                self._chunk(first)
                for event in events:
                    self._chunk(event)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        finally:
            events.close()

    def _chunk(self, event: dict[str, Any]) -> None:
        data = json.dumps(event).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()
