"""Optional fan-out of audit records to a Pub/Sub topic (``KUBESENT_REPORT_TOPIC``), for chat-ops,
ticketing or a dashboard subscribed to it, and the one notice per exhausted model-budget window.
The only importer of ``google.cloud.pubsub_v1``, loaded on the first record. A failed report is
logged, never raised: the incident itself is already handled and recorded, and retrying the whole
event for a notification would repeat nothing useful.

``TopicPublisher`` is the same client for a message that must arrive (a queued Slack click,
``approval_slack``): there a failed publish raises ``TransientError``, so the caller can say so.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Protocol

from kubesent import audit, errors

# The log line and report message of a model-budget window's first refusal (one per window, all instances).
BUDGET_MESSAGE = "kubesent.model_budget_exhausted"
# Reports are small JSON documents; waiting longer than this for the publish would eat the function's deadline.
PUBLISH_TIMEOUT_SECONDS = 10.0


def _check_topic(topic: str, *, setting: str) -> str:
    if not topic.startswith("projects/") or "/topics/" not in topic:
        raise errors.ConfigurationError(f"{setting} must be projects/P/topics/T, not {topic!r}")
    return topic


class PublishFailed(errors.TransientError):
    """Pub/Sub did not take the message in time (the SDK's error, without the message's data)."""


class TopicPublisher:
    """Publishes bytes to one topic and waits for the server's ack; a failure raises ``PublishFailed``."""

    def __init__(self, topic: str, *, setting: str = "the topic", publisher: Any = None,
                 timeout_seconds: float = PUBLISH_TIMEOUT_SECONDS) -> None:
        self.topic = _check_topic(topic, setting=setting)
        self.timeout_seconds = timeout_seconds
        self._publisher = publisher
        self._lock = threading.Lock()

    def _client(self) -> Any:
        with self._lock:
            if self._publisher is None:
                from google.cloud import pubsub_v1  # type: ignore[attr-defined]

                self._publisher = pubsub_v1.PublisherClient()
            return self._publisher

    def publish(self, data: bytes, **attributes: str) -> str:
        """The message id, once Pub/Sub has stored the message."""
        try:
            return str(self._client().publish(self.topic, data, **attributes).result(timeout=self.timeout_seconds))
        except Exception as exc:  # noqa: BLE001 - any SDK or transport failure; its text may quote nothing of data
            raise PublishFailed(f"publishing to {self.topic} failed: {type(exc).__name__}") from exc


class Reporter(Protocol):
    """Where a decided record goes after its audit line: the report topic, or nowhere."""

    def report(self, record: audit.AuditRecord) -> None: ...


class TopicReporter:
    """Publishes each audit record as one JSON message, with the action as an attribute for filtering."""

    def __init__(self, topic: str, *, publisher: Any = None) -> None:
        self._topic = TopicPublisher(topic, setting="KUBESENT_REPORT_TOPIC", publisher=publisher)
        self.topic = self._topic.topic

    def report(self, record: audit.AuditRecord) -> None:
        """Publish the record; and, when it is the first refusal of a model-budget window (the ledger's marker
        makes that one record across all instances), one budget notice beside it."""
        self._publish(record.model_dump_json().encode(), action=record.action)
        notice = budget_notice(record)
        if notice is not None:
            audit.log_problem("WARNING", BUDGET_MESSAGE, **notice)
            self._publish(json.dumps({"message": BUDGET_MESSAGE, **notice}).encode(), action="escalated",
                          kind="model_budget")

    def _publish(self, data: bytes, **attributes: str) -> None:
        try:
            self._topic.publish(data, **attributes)
        except PublishFailed as failed:  # log the SDK's own error, keep the incident
            cause = failed.__cause__ or failed
            audit.log_problem("WARNING", "kubesent.report_failed", topic=self.topic, error=type(cause).__name__,
                              detail=errors.truncate(str(cause)))


def budget_notice(record: audit.AuditRecord) -> dict[str, Any] | None:
    """The one notice of an exhausted model-budget window, if this record carries it."""
    budget = record.model_budget or {}
    if not budget.get("notify") or not budget.get("exhausted"):
        return None
    return {"window": budget["exhausted"], "window_id": budget.get("window"), "hour": budget.get("hour"),
            "day": budget.get("day"), "incident": record.incident, "reason": record.reason}


class NullReporter:
    """No report topic configured: the budget notice is still logged once, for the alert."""

    def report(self, record: audit.AuditRecord) -> None:
        notice = budget_notice(record)
        if notice is not None:
            audit.log_problem("WARNING", BUDGET_MESSAGE, **notice)
