"""Secret Manager reads (the Gemini API key), cached per instance, checksum verified.

The client does not verify ``data_crc32c`` (FACTS.md §4), so ``read`` does. A secret's value never
appears in a log line or an exception message. ``google.cloud.secretmanager`` is imported on first
use only (about 200 ms of cold start, FACTS.md §6). Called by ``diagnosis.llm``.

Errors: ``SecretUnavailable`` (missing, denied, corrupt: retrying cannot help) or ``TransientError``
(Secret Manager 5xx, 429 or timeout: let Pub/Sub redeliver).
"""

from __future__ import annotations

import re
from typing import Any

from kubesent import errors

# A secret read should take milliseconds; this bounds a hung connection well inside the deadline.
DEFAULT_TIMEOUT_SECONDS = 10.0
_VERSION_NAME = re.compile(r"^projects/[^/\s]+/secrets/[A-Za-z0-9_-]{1,255}/versions/[A-Za-z0-9_-]+$")
_SECRET_NAME = re.compile(r"^projects/[^/\s]+/secrets/[A-Za-z0-9_-]{1,255}$")
# CRC-32C (Castagnoli), reflected polynomial; used when google-crc32c is not installed.
_CASTAGNOLI = 0x82F63B78


def _crc32c_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ _CASTAGNOLI if value & 1 else value >> 1
        table.append(value)
    return tuple(table)


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C of ``data``: google-crc32c's C code when present, else a table in Python (keys are small)."""
    try:
        import google_crc32c  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        value = 0xFFFFFFFF
        for byte in data:
            value = _TABLE[(value ^ byte) & 0xFF] ^ (value >> 8)
        return value ^ 0xFFFFFFFF
    return int(google_crc32c.value(data))


def version_name(name: str) -> str:
    """``projects/P/secrets/S/versions/V``; a bare secret name means its ``latest`` version."""
    name = name.strip()
    if _SECRET_NAME.fullmatch(name):
        name = f"{name}/versions/latest"
    if not _VERSION_NAME.fullmatch(name):
        raise errors.ConfigurationError(
            f"secret name {errors.truncate(name, 120)!r} is not projects/P/secrets/S[/versions/V]")
    return name


class SecretReader:
    """Reads secret versions as text; each name is fetched once per instance."""

    def __init__(self, *, client: Any = None, endpoint: str = "", credentials: Any = None,
                 timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._client = client
        self._endpoint = endpoint
        self._credentials = credentials
        self._timeout_seconds = timeout_seconds
        self._cache: dict[str, str] = {}

    def _get_client(self) -> Any:
        if self._client is None:
            from google.cloud import secretmanager

            if self._endpoint:
                from google.auth.credentials import AnonymousCredentials

                self._client = secretmanager.SecretManagerServiceClient(
                    transport="rest", client_options={"api_endpoint": self._endpoint},
                    credentials=self._credentials or AnonymousCredentials())  # type: ignore[no-untyped-call]
            else:
                self._client = secretmanager.SecretManagerServiceClient(credentials=self._credentials)
        return self._client

    def read(self, name: str) -> str:
        """The secret's value as text (UTF-8, surrounding whitespace stripped)."""
        full_name = version_name(name)
        if full_name not in self._cache:
            self._cache[full_name] = self._fetch(full_name)
        return self._cache[full_name]

    def _fetch(self, full_name: str) -> str:
        from google.api_core import exceptions as api_exceptions

        client = self._get_client()
        try:
            response = client.access_secret_version(
                request={"name": full_name}, retry=None, timeout=self._timeout_seconds)
        except api_exceptions.NotFound as exc:
            raise errors.SecretUnavailable(f"secret {full_name} not found (or it has no enabled version)") from exc
        except (api_exceptions.PermissionDenied, api_exceptions.Forbidden, api_exceptions.Unauthenticated,
                api_exceptions.Unauthorized) as exc:
            raise errors.SecretUnavailable(
                f"secret {full_name}: permission denied: grant roles/secretmanager.secretAccessor on the secret "
                "to the function's service account") from exc
        except api_exceptions.FailedPrecondition as exc:
            raise errors.SecretUnavailable(f"secret {full_name} is disabled or destroyed") from exc
        except (api_exceptions.ServerError, api_exceptions.TooManyRequests, api_exceptions.DeadlineExceeded,
                api_exceptions.RetryError) as exc:
            raise errors.TransientError(f"Secret Manager unavailable reading {full_name}: "
                                        f"{type(exc).__name__}") from exc
        except api_exceptions.GoogleAPICallError as exc:
            raise errors.SecretUnavailable(f"secret {full_name} could not be read: {type(exc).__name__} "
                                           f"{exc.code}") from exc
        except OSError as exc:  # connection refused or reset, read timeouts of the transport
            raise errors.TransientError(f"Secret Manager unreachable reading {full_name}: "
                                        f"{type(exc).__name__}") from exc
        return _payload_text(response, full_name)


def _payload_text(response: Any, full_name: str) -> str:
    payload = response.payload
    data: bytes = bytes(payload.data)
    if type(payload).pb(payload).HasField("data_crc32c") and crc32c(data) != int(payload.data_crc32c):
        raise errors.SecretUnavailable(f"secret {full_name}: payload failed its CRC32C checksum")
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        # Not chained: the decode error holds the raw bytes, which must not reach a traceback.
        raise errors.SecretUnavailable(f"secret {full_name} is not UTF-8 text") from None
    if not text:
        raise errors.SecretUnavailable(f"secret {full_name} is empty")
    return text
