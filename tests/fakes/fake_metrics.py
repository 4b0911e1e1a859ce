"""Local HTTP fakes of the two memory-metrics APIs, speaking their real wire formats.

- ``FakePrometheus``: ``GET /api/v1/query_range`` answering a ``matrix`` result.
- ``FakeCloudMonitoring``: the Monitoring API v3 over gRPC, ``MetricService/ListTimeSeries`` answering
  real ``ListTimeSeriesResponse`` messages (points newest first, as the API returns them).
Both record each request so tests can check what was asked.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from concurrent import futures
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from google.cloud import monitoring_v3

from tests.fakes.local_server import LocalServer


class _Recorder(LocalServer):
    def __init__(self, *, name: str) -> None:
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.series: list[tuple[float, float]] = []
        self.delay_seconds = 0.0
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parsed = urllib.parse.urlsplit(self.path)
                outer.requests.append((parsed.path, urllib.parse.parse_qs(parsed.query)))
                time.sleep(outer.delay_seconds)
                body = json.dumps(outer.answer(parsed.path)).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
                del format, args

        super().__init__(ThreadingHTTPServer(("127.0.0.1", 0), Handler), name=name)

    def answer(self, path: str) -> dict[str, Any]:
        raise NotImplementedError


class FakePrometheus(_Recorder):
    def __init__(self) -> None:
        super().__init__(name="fake-prometheus")

    def answer(self, path: str) -> dict[str, Any]:
        if path != "/api/v1/query_range":
            return {"status": "error", "errorType": "bad_data", "error": f"unknown path {path}"}
        values = [[t, str(int(v))] for t, v in self.series]
        result = [{"metric": {}, "values": values}] if values else []
        return {"status": "success", "data": {"resultType": "matrix", "result": result}}


class FakeCloudMonitoring:
    """The Monitoring API v3 over gRPC (the SDK's transport): ``MetricService/ListTimeSeries``.

    Answers with the real protobuf messages (the SDK's own types serialise them); records each request.
    """

    def __init__(self) -> None:
        self.requests: list[monitoring_v3.ListTimeSeriesRequest] = []
        self.series: list[tuple[float, float]] = []
        self.fail_with: grpc.StatusCode | None = None
        handler = grpc.method_handlers_generic_handler("google.monitoring.v3.MetricService", {
            "ListTimeSeries": grpc.unary_unary_rpc_method_handler(
                self._list, request_deserializer=monitoring_v3.ListTimeSeriesRequest.deserialize,
                response_serializer=monitoring_v3.ListTimeSeriesResponse.serialize)})
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self._server.add_generic_rpc_handlers((handler,))
        self.port = self._server.add_insecure_port("127.0.0.1:0")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _list(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.requests.append(request)
        if self.fail_with is not None:
            context.abort(self.fail_with, "injected fault")
        points = [monitoring_v3.Point(interval=monitoring_v3.TimeInterval(end_time=datetime.fromtimestamp(t, UTC)),
                                      value=monitoring_v3.TypedValue(int64_value=int(v)))
                  for t, v in reversed(self.series)]  # the API returns newest first
        series = [monitoring_v3.TimeSeries(points=points)] if points else []
        return monitoring_v3.ListTimeSeriesResponse(time_series=series)

    def __enter__(self) -> FakeCloudMonitoring:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop(grace=None)
