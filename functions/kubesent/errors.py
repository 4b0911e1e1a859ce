"""The one error tree of KubeSent. Callers decide ack-or-retry by family, never by SDK type.

    KubeSentError
    ├── TransientError          raise so Pub/Sub redelivers (API 5xx/429/timeouts, model 429, ledger down)
    │   ├── ClusterUnavailable
    │   ├── LedgerUnavailable
    │   └── ModelUnavailable
    └── PermanentError          record it and ack: retrying cannot help
        ├── BadEvent            malformed base64/JSON, wrong shape, unsupported kind
        ├── ClusterRefused      403 Forbidden, 422 Invalid, other 4xx
        │   └── NotFound        the object is gone (404)
        ├── Conflict            409 on a resourceVersion precondition (re-read and re-decide once)
        ├── SecretUnavailable   the Gemini key's secret is missing, unreadable or corrupt
        └── ConfigurationError  settings that cannot work

SDK errors are wrapped where they enter (cluster.py, ledger/, diagnosis/llm.py, secrets.py) with
``raise ... from exc``. Messages carry at most ``MAX_DETAIL_CHARS`` of foreign text.
"""

from __future__ import annotations

# An API error body can be a whole HTML page from a proxy; one log line should stay readable.
MAX_DETAIL_CHARS = 300


def truncate(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    """Cut foreign error text to a readable length."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class KubeSentError(Exception):
    """Base of every error KubeSent raises on purpose."""


class TransientError(KubeSentError):
    """A fault that may pass: the message must be redelivered."""


class ClusterUnavailable(TransientError):
    """The Kubernetes API answered 5xx or 429, or did not answer in time."""


class LedgerUnavailable(TransientError):
    """The incident ledger could not be read or written; never remediate without a claim."""


class ModelUnavailable(TransientError):
    """The diagnosis model is rate-limited or down after bounded retries."""


class PermanentError(KubeSentError):
    """Retrying cannot help: record and acknowledge."""


class BadEvent(PermanentError):
    """The Pub/Sub message is not an exporter event we can handle."""


class ClusterRefused(PermanentError):
    """The Kubernetes API refused the request (403, 422, other 4xx)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class NotFound(ClusterRefused):
    """The object does not exist (any more)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=404)


class Conflict(ClusterRefused):
    """The object changed since it was read (409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=409)


class SecretUnavailable(PermanentError):
    """A secret could not be read, or its payload failed its checksum."""


class ConfigurationError(PermanentError):
    """The settings are inconsistent (for example Gemini chosen with no key and no Vertex)."""
