"""Decoding and filtering of exporter payloads: malformed input is a clear BadEvent, never a crash."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from kubesent import errors, events
from tests.support.scenarios import SCENARIOS

NOW = datetime(2026, 11, 20, 10, 0, 30, tzinfo=UTC)


def _data(payload: object) -> dict:
    return {"message": {"data": base64.b64encode(json.dumps(payload).encode()).decode(), "messageId": "1"}}


def _event() -> dict:
    """The scenario's event as recorded (not moved to now)."""
    return json.loads((SCENARIOS / "oom-memory-hog" / "bundle.json").read_text())["event"]


def test_a_real_exporter_event_decodes_with_its_container_and_time():
    event = events.decode_pubsub_data(_data(_event()))
    assert event.reason == "BackOff" and event.container == "memory-hog"
    assert event.occurred_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert events.why_skip(event, now=NOW, max_age_seconds=900) is None


@pytest.mark.parametrize("data, fragment", [
    ({"message": {"data": "%%% not base64 %%%"}}, "base64"),
    ({"message": {"data": base64.b64encode(b"{not json").decode()}}, "not JSON"),
    ({"message": {"data": base64.b64encode(b"[1, 2]").decode()}}, "JSON list"),
    ({"message": {}}, "message.data"),
    ("just a string", "expected an object"),
    (_data({"reason": "BackOff"}), "not an exporter event"),
])
def test_malformed_payloads_raise_a_clear_bad_event(data, fragment):
    with pytest.raises(errors.BadEvent) as caught:
        events.decode_pubsub_data(data)
    assert fragment in str(caught.value)
    assert isinstance(caught.value, errors.PermanentError)


def test_unknown_fields_are_tolerated():
    payload = {**_event(), "someNewField": {"x": 1}}
    payload["involvedObject"]["futureField"] = True
    assert events.decode_pubsub_data(_data(payload)).reason == "BackOff"


def test_scheduler_events_use_event_time():
    payload = _event() | {"reason": "FailedScheduling", "firstTimestamp": None, "lastTimestamp": None,
                          "eventTime": "2026-11-20T10:00:10.123456Z"}
    payload.pop("count")
    event = events.parse_event(payload)
    assert event.occurred_at == datetime(2026, 11, 20, 10, 0, 10, 123456, tzinfo=UTC)


@pytest.mark.parametrize("change, fragment", [
    ({"type": "Normal"}, "not Warning"),
    ({"involvedObject": {"kind": "Node", "name": "node-a", "namespace": ""}}, "not Pod"),
    ({"involvedObject": {"kind": "PodDisruptionBudget", "name": "x", "namespace": "demo"}}, "not Pod"),
    ({"reason": "Scheduled"}, "not a pod failure"),
    ({"lastTimestamp": "2026-11-20T11:00:00Z"}, "future"),
    ({"lastTimestamp": "2026-11-20T09:00:00Z"}, "stale"),
])
def test_filters_say_why_an_event_is_skipped(change, fragment):
    event = events.parse_event({**_event(), **change})
    reason = events.why_skip(event, now=NOW, max_age_seconds=900)
    assert reason is not None and fragment in reason


def test_age_falls_back_to_creation_timestamp():
    payload = _event() | {"lastTimestamp": None, "eventTime": None}
    payload["metadata"]["creationTimestamp"] = (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "stale" in events.why_skip(events.parse_event(payload), now=NOW, max_age_seconds=900)


@pytest.mark.parametrize("namespace, name", [("demo", "../../apis"), ("demo", ".."), ("Demo", "web-1"),
                                             ("demo", "\ud800"), ("a" * 70, "web-1"), ("demo", "web_1")])
def test_names_that_no_pod_can_have_are_skipped_before_any_read(namespace, name):
    payload = _event()
    payload["involvedObject"].update(namespace=namespace, name=name)
    reason = events.why_skip(events.parse_event(payload), now=NOW, max_age_seconds=900)
    assert reason is not None and "valid pod" in reason


def test_deeply_nested_json_is_a_bad_event_not_a_crash():
    with pytest.raises(errors.BadEvent):
        events.decode_pubsub_data({"message": {"data": base64.b64encode(b"[" * 50_000).decode()}})


def test_echoed_foreign_text_is_cut_short():
    reason = events.why_skip(events.parse_event({**_event(), "reason": "X" * 100_000}), now=NOW, max_age_seconds=900)
    assert len(reason) < 200
