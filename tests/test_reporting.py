"""Audit records fan out to an optional report topic: the real Pub/Sub client against its emulator."""

from __future__ import annotations

import json

import pytest
from google.cloud import pubsub_v1

from kubesent import errors
from kubesent.audit import AuditRecord, Target
from kubesent.reporting import TopicReporter

pytestmark = pytest.mark.emulator


def test_each_record_is_published_as_json_with_its_action(pubsub_emulator, monkeypatch):
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub_emulator.host_port)
    project = pubsub_emulator.project
    topic, subscription = f"projects/{project}/topics/reports", f"projects/{project}/subscriptions/reports-pull"
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    try:
        publisher.create_topic(name=topic)
        subscriber.create_subscription(name=subscription, topic=topic)
        record = AuditRecord(action="applied", reason="passes the policy", remedy="raise_memory_limit",
                             target=Target(kind="Deployment", namespace="demo", name="memory-hog"))
        TopicReporter(topic, publisher=publisher).report(record)
        pulled = subscriber.pull(subscription=subscription, max_messages=5, timeout=10)
        assert len(pulled.received_messages) == 1
        message = pulled.received_messages[0].message
        assert message.attributes["action"] == "applied"
        assert json.loads(message.data)["target"]["name"] == "memory-hog"
    finally:
        subscriber.close()
        publisher.transport.close()


def test_a_failed_report_is_logged_not_raised(capsys):
    class Broken:
        def publish(self, *args, **kwargs):
            raise RuntimeError("topic gone")

    TopicReporter("projects/p/topics/t", publisher=Broken()).report(AuditRecord(action="ignored", reason="x"))
    assert "kubesent.report_failed" in capsys.readouterr().out


def test_a_malformed_topic_name_is_a_configuration_error():
    with pytest.raises(errors.ConfigurationError):
        TopicReporter("reports")
