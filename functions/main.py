"""Cloud Function entry points (gen2). ``on_pod_event`` (Pub/Sub ``messagePublished``): decode, run the
pipeline, ack or retry. ``kubesent_http`` (HTTP, a separate function): ``GET /health``, ``POST /analyze``.
``kubesent_notify`` (the report topic) tells people; ``kubesent_approve`` (HTTP) takes their decisions, and
``kubesent_approve_click`` (a topic) carries out the Slack clicks it queued;
``kubesent_verify`` (a scheduler's tick) checks every applied fix and undoes what made things worse.

``PermanentError`` → one log line and return (ack). ``TransientError`` → one log line and raise
(Pub/Sub redelivers). Dependencies are built lazily, once per instance (``_Once``), and each function's
modules load on its own first request, not on every cold start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import functions_framework
from cloudevents.http.event import CloudEvent

from kubesent import audit, errors, events
from kubesent.pipeline import Pipeline
from kubesent.reporting import NullReporter, TopicReporter

T = TypeVar("T")


class _Once(Generic[T]):
    """A value built on first use, once per instance, however many requests arrive together."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
        return self._value


def _build_pipeline() -> tuple[Pipeline, TopicReporter | NullReporter]:
    from kubesent import wiring
    from kubesent.settings import Settings

    settings = Settings()
    return (Pipeline(settings, cluster=wiring.build_cluster(settings), ledger=wiring.build_ledger(settings),
                     diagnoser=wiring.build_diagnoser(settings), memory_metrics=wiring.build_metrics(settings)),
            wiring.build_reporter(settings))


_pipeline = _Once(_build_pipeline)


@functions_framework.cloud_event
def on_pod_event(cloud_event: CloudEvent) -> None:
    message_id = str(((cloud_event.data or {}).get("message") or {}).get("messageId", "")) \
        if isinstance(cloud_event.data, dict) else ""
    try:
        event = events.decode_pubsub_data(cloud_event.data)
        pipeline, reporter = _pipeline.get()
        record = pipeline.handle(event)
        audit.emit(record)
        reporter.report(record)
    except errors.TransientError as exc:
        audit.log_problem("WARNING", "kubesent.retry", error=type(exc).__name__, detail=str(exc), messageId=message_id)
        raise
    except errors.PermanentError as exc:
        audit.log_problem("ERROR", "kubesent.rejected", error=type(exc).__name__, detail=str(exc), messageId=message_id)
    except Exception as exc:
        # A bug, not the message's fault: say so, and let Pub/Sub retry and then dead-letter it (kept, not lost).
        audit.log_problem("ERROR", "kubesent.bug", error=type(exc).__name__, detail=errors.truncate(str(exc)),
                          messageId=message_id)
        raise


def _build_http_api() -> Any:
    from kubesent import http_api
    from kubesent.settings import Settings

    return http_api.from_settings(Settings())


_http_api: _Once[Any] = _Once(_build_http_api)


@functions_framework.http
def kubesent_http(request: Any) -> tuple[str, int, dict[str, str]]:
    from kubesent import http_api

    reply = _http_api.get().handle(method=request.method, path=request.path, query=request.args.to_dict(),
                                   body=http_api.read_body(request) if request.method == "POST" else b"")
    return reply.text(), reply.status, reply.headers


def _build_notifier() -> Any:
    """The notifier (``kubesent.notify``) with every configured sink."""
    from kubesent import wiring
    from kubesent.notify import build
    from kubesent.settings import NotifySettings, Settings

    return build.notifier(NotifySettings(), ledger=wiring.build_ledger(Settings()))


_notifier: _Once[Any] = _Once(_build_notifier)


@functions_framework.cloud_event
def kubesent_notify(cloud_event: CloudEvent) -> None:
    """The report topic's subscriber: tell people. A sink's outage raises (Pub/Sub retries, then dead-letters)."""
    try:
        from kubesent.notify import notifier

        _notifier.get().notify(notifier.decode_report(cloud_event.data))
    except errors.TransientError as exc:
        audit.log_problem("WARNING", "kubesent.notify_retry", error=type(exc).__name__, detail=str(exc))
        raise
    except errors.PermanentError as exc:
        audit.log_problem("ERROR", "kubesent.notify_rejected", error=type(exc).__name__, detail=str(exc))


def _build_approval() -> tuple[Any, str, Any, Any]:
    """(approver, Slack signing secret, Slack click intake or None, Slack click worker); ``kubesent_approve`` and
    ``kubesent_approve_click`` share it (one service account)."""
    from kubesent import approval, approval_slack, wiring
    from kubesent.notify import build
    from kubesent.reporting import TopicPublisher
    from kubesent.settings import NotifySettings, Settings

    settings, notify_settings = Settings(), NotifySettings()
    found = build.Secrets(notify_settings)
    key = found.get(notify_settings.approval_key, notify_settings.approval_key_secret).encode()
    approver = approval.Approver(settings, cluster=wiring.build_cluster(settings),
                                 ledger=wiring.build_ledger(settings), key=key,
                                 reporter=wiring.build_reporter(settings))
    base = notify_settings.slack_response_url_base
    intake = approval_slack.Intake(TopicPublisher(notify_settings.slack_click_topic,
                                                  setting="KUBESENT_SLACK_CLICK_TOPIC"),
                                   response_url_base=base) if notify_settings.slack_click_topic else None
    worker = approval_slack.Worker(approver, response_url_base=base,
                                   timeout_seconds=notify_settings.notify_timeout_seconds)
    return approver, found.get(notify_settings.slack_signing_secret,
                               notify_settings.slack_signing_secret_secret), intake, worker


_approval = _Once(_build_approval)


@functions_framework.http
def kubesent_approve(request: Any) -> tuple[str, int, dict[str, str]]:
    """Signed approval links (GET shows, POST decides) and Slack interactivity (``/slack``)."""
    from kubesent import approval_http

    approver, slack_secret, slack_clicks, _ = _approval.get()
    try:
        response = approval_http.handle(approver, method=request.method, path=request.path,
                                        query=dict(request.args), headers=dict(request.headers),
                                        body=request.get_data(cache=False), slack_signing_secret=slack_secret,
                                        slack_clicks=slack_clicks)
    except errors.TransientError as exc:
        audit.log_problem("WARNING", "kubesent.approval_retry", error=type(exc).__name__, detail=str(exc))
        return "KubeSent could not reach the cluster or the ledger; try again in a minute", 503, {}
    return response.body, response.status, {"Content-Type": response.content_type,
                                             "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@functions_framework.cloud_event
def kubesent_approve_click(cloud_event: CloudEvent) -> None:
    """A Slack click queued by ``kubesent_approve``: carry it out, post the answer to its response_url.
    A fault that may pass raises (Pub/Sub redelivers; the single-use marker keeps it once)."""
    from kubesent import approval_slack

    try:
        _approval.get()[3].handle(approval_slack.decode(cloud_event.data))
    except errors.TransientError as exc:
        audit.log_problem("WARNING", "kubesent.approval_retry", error=type(exc).__name__, detail=str(exc))
        raise
    except errors.PermanentError as exc:
        audit.log_problem("ERROR", "kubesent.approval_rejected", error=type(exc).__name__, detail=str(exc))


def _build_verifier() -> Any:
    """The verifier (``kubesent.verify``), as the function's own identity."""
    from kubesent import verify, wiring
    from kubesent.settings import Settings

    settings = Settings()
    return verify.Verifier(settings, cluster=wiring.build_cluster(settings), ledger=wiring.build_ledger(settings),
                           reporter=wiring.build_reporter(settings))


_verifier: _Once[Any] = _Once(_build_verifier)


@functions_framework.cloud_event
def kubesent_verify(cloud_event: CloudEvent) -> None:
    """Cloud Scheduler's tick (Pub/Sub): check every due fix. Its message carries nothing; a ledger outage raises
    (the tick is retried), a cluster fault on one check leaves that check for the next tick."""
    try:
        decided = _verifier.get().run()
    except errors.TransientError as exc:
        audit.log_problem("WARNING", "kubesent.verify_retry", error=type(exc).__name__, detail=str(exc))
        raise
    audit.log_problem("INFO", "kubesent.verify_run", decided=len(decided),
                      outcomes=sorted({str((r.verification or {}).get("outcome")) for r in decided}))
