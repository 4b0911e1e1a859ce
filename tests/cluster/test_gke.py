"""gke.GkeAccess against a local fake of the GKE container API and honest fake credentials."""

from __future__ import annotations

import base64
import datetime
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from kubesent import errors
from kubesent.cluster import gke

CLUSTER = "projects/demo-project/locations/europe-west1/clusters/prod"
CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
CLUSTER_BODY = {
    "name": "prod",
    "endpoint": "34.1.2.3",
    "masterAuth": {"clusterCaCertificate": base64.b64encode(CA_PEM.encode()).decode()},
    "controlPlaneEndpointsConfig": {
        "dnsEndpointConfig": {"endpoint": "gke-abc123.europe-west1.gke.goog", "allowExternalTraffic": True},
    },
}
NOW = 1_750_000_000.0


class FakeContainerApi(http.server.BaseHTTPRequestHandler):
    """Answers GET /v1/<cluster> with whatever the test put in ``server.reply``; records requests."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.requests.append((self.path, self.headers.get("Authorization")))  # type: ignore[attr-defined]
        status, body = self.server.reply  # type: ignore[attr-defined]
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


@pytest.fixture
def container_api() -> Iterator[http.server.HTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeContainerApi)
    server.requests = []  # type: ignore[attr-defined]
    server.reply = (200, CLUSTER_BODY)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


class FakeCredentials:
    """The slice of google.auth credentials that GkeAccess uses: token, expiry, valid, refresh()."""

    def __init__(self, *, lifetime_seconds: float = 3600.0, fail_with: Exception | None = None) -> None:
        self.token: str | None = None
        self.expiry: datetime.datetime | None = None
        self.refreshes = 0
        self.lifetime_seconds = lifetime_seconds
        self.fail_with = fail_with
        self.now = NOW

    @property
    def valid(self) -> bool:
        return self.token is not None

    def refresh(self, request: Any) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.refreshes += 1
        self.token = f"ya29.token-{self.refreshes}"
        # google-auth stores expiry as naive UTC.
        self.expiry = datetime.datetime.fromtimestamp(self.now + self.lifetime_seconds, datetime.UTC).replace(
            tzinfo=None)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def make_access(server: http.server.HTTPServer, credentials: FakeCredentials, clock: Clock | None = None,
                **kwargs: Any) -> gke.GkeAccess:
    host, port = server.server_address[:2]
    return gke.GkeAccess(CLUSTER, container_api_endpoint=f"http://{host!s}:{port}", credentials=credentials,
                         session=requests.Session(), clock=clock or Clock(), **kwargs)


def test_dns_endpoint_uses_public_trust_and_is_cached(container_api: http.server.HTTPServer) -> None:
    credentials = FakeCredentials()
    access = make_access(container_api, credentials)

    first = access.endpoint()
    second = access.endpoint()

    assert first == ("https://gke-abc123.europe-west1.gke.goog", None)
    assert second == first
    assert container_api.requests == [(f"/v1/{CLUSTER}", "Bearer ya29.token-1")]  # type: ignore[attr-defined]


def test_ip_endpoint_returns_decoded_ca(container_api: http.server.HTTPServer) -> None:
    access = make_access(container_api, FakeCredentials(), endpoint_mode="ip")

    assert access.endpoint() == ("https://34.1.2.3", CA_PEM)


def test_endpoint_is_fetched_again_after_an_hour_or_invalidate(container_api: http.server.HTTPServer) -> None:
    clock = Clock()
    access = make_access(container_api, FakeCredentials(lifetime_seconds=10 * 3600), clock)
    access.endpoint()

    clock.now += gke.ENDPOINT_CACHE_SECONDS
    access.endpoint()
    access.invalidate()
    access.endpoint()

    assert len(container_api.requests) == 3  # type: ignore[attr-defined]


def test_token_is_reused_until_five_minutes_before_expiry(container_api: http.server.HTTPServer) -> None:
    clock = Clock()
    credentials = FakeCredentials(lifetime_seconds=3600)
    access = make_access(container_api, credentials, clock)

    first = access.token()
    clock.now = NOW + 3600 - gke.TOKEN_REFRESH_MARGIN_SECONDS - 1
    still_first = access.token()
    clock.now = NOW + 3600 - gke.TOKEN_REFRESH_MARGIN_SECONDS + 1
    credentials.now = clock.now
    refreshed = access.token()

    assert (first, still_first, refreshed) == ("ya29.token-1", "ya29.token-1", "ya29.token-2")
    assert credentials.refreshes == 2


def test_dns_mode_without_dns_endpoint_is_a_configuration_error(container_api: http.server.HTTPServer) -> None:
    container_api.reply = (200, {"endpoint": "34.1.2.3"})  # type: ignore[attr-defined]
    access = make_access(container_api, FakeCredentials())

    with pytest.raises(errors.ConfigurationError, match="enable-dns-access"):
        access.endpoint()


def test_dns_endpoint_closed_to_external_traffic_is_a_configuration_error(
        container_api: http.server.HTTPServer) -> None:
    body = {"controlPlaneEndpointsConfig": {"dnsEndpointConfig": {"endpoint": "gke-x.gke.goog"}}}
    container_api.reply = (200, body)  # type: ignore[attr-defined]
    access = make_access(container_api, FakeCredentials())

    with pytest.raises(errors.ConfigurationError, match="external traffic"):
        access.endpoint()


@pytest.mark.parametrize(("status", "expected"), [
    (403, errors.ConfigurationError),
    (401, errors.ConfigurationError),
    (404, errors.ConfigurationError),
    (400, errors.ClusterRefused),
    (429, errors.ClusterUnavailable),
    (500, errors.ClusterUnavailable),
    (503, errors.ClusterUnavailable),
])
def test_api_statuses_map_onto_the_error_tree(container_api: http.server.HTTPServer, status: int,
                                              expected: type[Exception]) -> None:
    container_api.reply = (status, {"error": {"code": status, "message": "nope"}})  # type: ignore[attr-defined]
    access = make_access(container_api, FakeCredentials())

    with pytest.raises(expected) as caught:
        access.endpoint()

    if status == 403:
        assert "container.clusters.get" in str(caught.value)


def test_non_json_answer_is_transient(container_api: http.server.HTTPServer) -> None:
    container_api.reply = (200, b"<html>proxy error</html>")  # type: ignore[attr-defined]
    access = make_access(container_api, FakeCredentials())

    with pytest.raises(errors.ClusterUnavailable):
        access.endpoint()


def test_unreachable_api_is_transient() -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), FakeContainerApi)
    port = server.server_address[1]
    server.server_close()  # nothing listens on this port now
    access = gke.GkeAccess(CLUSTER, container_api_endpoint=f"http://127.0.0.1:{port}",
                           credentials=FakeCredentials(), session=requests.Session(), timeout_seconds=2)

    with pytest.raises(errors.ClusterUnavailable):
        access.endpoint()


def test_refresh_errors_map_by_retryability(container_api: http.server.HTTPServer) -> None:
    from google.auth import exceptions as auth_exceptions

    retryable = auth_exceptions.RefreshError("backend hiccup", retryable=True)
    final = auth_exceptions.RefreshError("invalid_grant")
    transport = auth_exceptions.TransportError("metadata server down")

    with pytest.raises(errors.ClusterUnavailable):
        make_access(container_api, FakeCredentials(fail_with=retryable)).token()
    with pytest.raises(errors.ConfigurationError):
        make_access(container_api, FakeCredentials(fail_with=final)).token()
    with pytest.raises(errors.ClusterUnavailable):
        make_access(container_api, FakeCredentials(fail_with=transport)).token()


@pytest.mark.parametrize("cluster", ["prod", "projects/p/clusters/c", "projects/p/locations/l/clusters/"])
def test_malformed_cluster_name_is_rejected(cluster: str) -> None:
    with pytest.raises(errors.ConfigurationError, match="projects/P/locations/L/clusters/C"):
        gke.GkeAccess(cluster, credentials=FakeCredentials())
