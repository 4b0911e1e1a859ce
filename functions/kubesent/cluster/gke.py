"""Reaching a GKE control plane from the Cloud Function: where it is, and a bearer token to show it.

``endpoint()`` asks the GKE ``container`` API once (``GET /v1/projects/P/locations/L/clusters/C``)
for the DNS-based endpoint (publicly trusted certificate, IAM-gated, works for private clusters) or
the IP endpoint with its cluster CA. ``token()`` is the function's own Google access token, which
GKE accepts as a Kubernetes bearer token; RBAC on the cluster decides what it may do.

Never imports ``kubernetes`` (``cluster.py`` builds the client from these two answers) and imports
``google.auth`` only when no credentials are passed in. Errors leave as ``kubesent.errors``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import requests

from kubesent import errors

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
# Refresh this long before expiry: a token must outlive the slowest call of one invocation (120 s).
TOKEN_REFRESH_MARGIN_SECONDS = 300
# The endpoint and CA change only on a control-plane migration or CA rotation; re-ask hourly.
ENDPOINT_CACHE_SECONDS = 3600
# One container API call; well inside the function's 120 s deadline.
DEFAULT_TIMEOUT_SECONDS = 10.0
_CLUSTER_NAME = re.compile(r"^projects/[^/\s]+/locations/[^/\s]+/clusters/[^/\s]+$")
_IAM_HINT = ("grant the function's service account container.clusters.get (infra/iam.tf) "
             "and check KUBESENT_GKE_CLUSTER")

EndpointMode = Literal["dns", "ip"]


class GkeAccess:
    """Endpoint, CA and token for one GKE cluster, cached per function instance (thread-safe)."""

    def __init__(
        self,
        cluster: str,
        *,
        endpoint_mode: EndpointMode = "dns",
        container_api_endpoint: str = "https://container.googleapis.com",
        credentials: Any = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if not _CLUSTER_NAME.fullmatch(cluster):
            raise errors.ConfigurationError("KUBESENT_GKE_CLUSTER must be projects/P/locations/L/clusters/C, "
                                            f"got {errors.truncate(cluster, 120)!r}")
        if endpoint_mode not in ("dns", "ip"):
            raise errors.ConfigurationError(f"KUBESENT_GKE_ENDPOINT must be dns or ip, got {endpoint_mode!r}")
        self.cluster = cluster
        self.endpoint_mode = endpoint_mode
        self._api = container_api_endpoint.rstrip("/")
        self._credentials = credentials
        self._session = session if session is not None else requests.Session()
        self._clock = clock
        self._timeout_seconds = timeout_seconds
        self._lock = threading.Lock()
        self._endpoint: tuple[str, str | None] | None = None
        self._endpoint_fetched_at = 0.0

    # --- public -----------------------------------------------------------------------------------

    def endpoint(self) -> tuple[str, str | None]:
        """``("https://HOST", CA PEM or None)``; None means the system trust store (the DNS endpoint)."""
        with self._lock:
            if self._endpoint is None or self._clock() - self._endpoint_fetched_at >= ENDPOINT_CACHE_SECONDS:
                self._endpoint = self._parse_cluster(self._get_cluster())
                self._endpoint_fetched_at = self._clock()
            return self._endpoint

    def invalidate(self) -> None:
        """Forget the cached endpoint, e.g. after a TLS or connection error against the old one."""
        with self._lock:
            self._endpoint = None

    def token(self) -> str:
        """A Google access token of the function's identity, refreshed when it expires within 5 minutes."""
        with self._lock:
            return self._fresh_token()

    # --- internals --------------------------------------------------------------------------------

    def _fresh_token(self) -> str:
        credentials = self._get_credentials()
        if self._needs_refresh(credentials):
            from google.auth import exceptions as auth_exceptions
            from google.auth.transport import requests as auth_requests

            try:
                credentials.refresh(auth_requests.Request(session=self._session))
            except auth_exceptions.TransportError as exc:
                raise errors.ClusterUnavailable(f"token refresh failed: {errors.truncate(str(exc))}") from exc
            except auth_exceptions.RefreshError as exc:
                if getattr(exc, "retryable", False):
                    raise errors.ClusterUnavailable(f"token refresh failed: {errors.truncate(str(exc))}") from exc
                raise errors.ConfigurationError(
                    f"cannot mint a Google token for GKE: {errors.truncate(str(exc))}") from exc
        token = credentials.token
        if not token:
            raise errors.ConfigurationError("the Google credentials returned no access token")
        return str(token)

    def _needs_refresh(self, credentials: Any) -> bool:
        if not credentials.token or not credentials.valid:
            return True
        expiry: datetime.datetime | None = credentials.expiry
        if expiry is None:  # a token without expiry (e.g. a fixed test token) never needs a refresh
            return False
        if expiry.tzinfo is None:  # google-auth keeps expiry as naive UTC
            expiry = expiry.replace(tzinfo=datetime.UTC)
        return expiry.timestamp() - self._clock() < TOKEN_REFRESH_MARGIN_SECONDS

    def _get_credentials(self) -> Any:
        if self._credentials is None:
            import google.auth
            from google.auth import exceptions as auth_exceptions

            try:
                self._credentials, _project = google.auth.default(scopes=list(SCOPES))
            except auth_exceptions.DefaultCredentialsError as exc:
                raise errors.ConfigurationError(
                    f"no Google credentials for GKE mode: {errors.truncate(str(exc))}") from exc
        return self._credentials

    def _get_cluster(self) -> dict[str, Any]:
        url = f"{self._api}/v1/{self.cluster}"
        headers = {"Authorization": f"Bearer {self._fresh_token()}", "Accept": "application/json"}
        try:
            response = self._session.get(url, headers=headers, timeout=self._timeout_seconds)
        except requests.RequestException as exc:
            raise errors.ClusterUnavailable(f"GKE API unreachable: {errors.truncate(str(exc))}") from exc
        status = response.status_code
        detail = errors.truncate(response.text)
        if status in (401, 403):
            raise errors.ConfigurationError(f"GKE API refused clusters.get ({status}): {_IAM_HINT}; {detail}")
        if status == 404:
            raise errors.ConfigurationError(f"GKE cluster {self.cluster} not found: check KUBESENT_GKE_CLUSTER")
        if status == 429 or status >= 500:
            raise errors.ClusterUnavailable(f"GKE API answered {status}: {detail}")
        if status >= 400:
            raise errors.ClusterRefused(f"GKE API answered {status}: {detail}", status=status)
        try:
            body = response.json()
        except ValueError as exc:
            raise errors.ClusterUnavailable(f"GKE API answered non-JSON: {detail}") from exc
        if not isinstance(body, dict):
            raise errors.ClusterUnavailable("GKE API answered a JSON value that is not an object")
        return body

    def _parse_cluster(self, body: dict[str, Any]) -> tuple[str, str | None]:
        if self.endpoint_mode == "dns":
            dns = body.get("controlPlaneEndpointsConfig", {}).get("dnsEndpointConfig", {})
            host = dns.get("endpoint")
            if not host:
                raise errors.ConfigurationError(
                    f"cluster {self.cluster} has no DNS endpoint: run `gcloud container clusters update "
                    "CLUSTER --enable-dns-access`, or set KUBESENT_GKE_ENDPOINT=ip")
            # proto3 JSON omits false: absent means the endpoint refuses user traffic from outside the VPC.
            if dns.get("allowExternalTraffic") is not True:
                raise errors.ConfigurationError(
                    f"the DNS endpoint of {self.cluster} does not allow external traffic: run "
                    "`gcloud container clusters update CLUSTER --enable-dns-access`")
            return f"https://{host}", None
        host = body.get("endpoint")
        encoded_ca = body.get("masterAuth", {}).get("clusterCaCertificate")
        if not host or not encoded_ca:
            raise errors.ConfigurationError(f"cluster {self.cluster} reports no IP endpoint or CA certificate")
        try:
            ca_pem = base64.b64decode(encoded_ca, validate=True).decode("ascii")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise errors.ConfigurationError(f"cluster {self.cluster} CA certificate is not base64 PEM") from exc
        if "BEGIN CERTIFICATE" not in ca_pem:
            raise errors.ConfigurationError(f"cluster {self.cluster} CA certificate is not a PEM certificate")
        return f"https://{host}", ca_pem
