"""The demo's pure helpers: reading the function's log back, and what the publisher sends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from local_emulator import auditlog, exporter_event, publisher

EVENT = {"metadata": {"name": "p.1", "namespace": "demo", "creationTimestamp": "2020-01-01T00:00:00Z"},
         "reason": "BackOff", "type": "Warning", "lastTimestamp": "2020-01-01T00:00:00Z", "eventTime": None,
         "involvedObject": {"kind": "Pod", "namespace": "demo", "name": "p", "uid": "u"}}


def test_parse_keeps_both_records_of_a_line_that_lost_its_newline() -> None:
    text = ('{"message":"kubesent.incident","event":{"pod":"a"}}{"message":"kubesent.retry","detail":"}{"}\n'
            "[2026-01-01] framework noise\n{not json\n")

    records = auditlog.parse(text)

    assert [record.message for record in records] == [auditlog.INCIDENT, auditlog.RETRY]
    assert records[0].pod == "a"
    assert len(auditlog.merged_lines(text)) == 1


def test_publisher_takes_a_bundles_event_or_a_bare_event() -> None:
    lines = [json.dumps({"id": "x", "event": EVENT, "objects": []}), "", json.dumps(EVENT)]

    assert list(publisher.events_from_lines(lines)) == [EVENT, EVENT]


def test_refreshed_event_carries_the_current_time() -> None:
    now = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)

    stamped = publisher.refreshed(EVENT, now)

    assert stamped["lastTimestamp"] == stamped["metadata"]["creationTimestamp"] == "2030-05-06T07:08:09Z"
    assert stamped["eventTime"] is None  # kubelet events keep a null eventTime
    assert EVENT["lastTimestamp"] == "2020-01-01T00:00:00Z"


def test_enhanced_event_is_what_the_exporter_marshals() -> None:
    pod = {"metadata": {"name": "p", "namespace": "demo", "uid": "u", "resourceVersion": "7",
                        "labels": {"app": "p"}, "ownerReferences": [{"kind": "ReplicaSet", "name": "rs"}]}}
    stored = {**exporter_event.kubelet_event(pod, reason="BackOff", message="m", container="c"),
              "metadata": {"name": "p.1", "namespace": "demo", "managedFields": [{}]}}

    enhanced = exporter_event.enhanced(stored, pod, cluster_name="minikube")

    assert "kind" not in enhanced and "apiVersion" not in enhanced
    assert "managedFields" not in enhanced["metadata"]
    assert enhanced["involvedObject"]["labels"] == {"app": "p"}
    assert enhanced["involvedObject"]["fieldPath"] == "spec.containers{c}"
    assert enhanced["involvedObject"]["deleted"] is False
    assert (enhanced["clusterName"], enhanced["eventTime"]) == ("minikube", None)
