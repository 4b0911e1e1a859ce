"""Optional fan-out of audit records to a Pub/Sub topic (``KUBESENT_REPORT_TOPIC``), for chat-ops,
ticketing or a dashboard subscribed to it. The only importer of ``google.cloud.pubsub_v1``, loaded
on the first record. A failed report is logged, never raised: the incident itself is already handled
and recorded, and retrying the whole event for a notification would repeat nothing useful.
"""

from __future__ import annotations

import threading
from typing import Any

from kubesent import audit, errors

# Reports are small JSON documents; waiting longer than this for the publish would eat the function's deadline.
PUBLISH_TIMEOUT_SECONDS = 10.0


class TopicReporter:
    """Publishes each audit record as one JSON message, with the action as an attribute for filtering."""

    def __init__(self, topic: str, *, publisher: Any = None) -> None:
        if not topic.startswith("projects/") or "/topics/" not in topic:
            raise errors.ConfigurationError(f"KUBESENT_REPORT_TOPIC must be projects/P/topics/T, not {topic!r}")
        self.topic = topic
        self._publisher = publisher
        self._lock = threading.Lock()

    def _client(self) -> Any:
        with self._lock:
            if self._publisher is None:
                from google.cloud import pubsub_v1  # type: ignore[attr-defined]

                self._publisher = pubsub_v1.PublisherClient()
            return self._publisher

    def report(self, record: audit.AuditRecord) -> None:
        try:
            future = self._client().publish(self.topic, record.model_dump_json().encode(), action=record.action)
            future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - any SDK or transport failure: log it, keep the incident
            audit.log_problem("WARNING", "kubesent.report_failed", topic=self.topic, error=type(exc).__name__,
                              detail=errors.truncate(str(exc)))


class NullReporter:
    """No report topic configured."""

    def report(self, record: audit.AuditRecord) -> None:
        del record
