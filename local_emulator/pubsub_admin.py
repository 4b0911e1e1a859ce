"""Pub/Sub admin and publishing against the emulator: topics, the push subscription, dead letters.

Uses the synchronous GAPIC clients of google-cloud-pubsub over one explicit insecure channel
(no ``PUBSUB_EMULATOR_HOST`` in this process's environment, no background batching threads), so
``close()`` leaves nothing running. Mirrors ``infra/pubsub.tf``: a push subscription with a retry
policy and a dead-letter policy. Never imported by the function.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from google.api_core import exceptions as api_exceptions
from google.protobuf import duration_pb2
from google.pubsub_v1.services.publisher import PublisherClient
from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport
from google.pubsub_v1.services.subscriber import SubscriberClient
from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport
from google.pubsub_v1.types import PubsubMessage

# Redelivery backoff: production uses 10 s..600 s (infra/pubsub.tf); 1 s keeps the demo and the
# e2e test fast while still showing a real redelivery.
MIN_BACKOFF_SECONDS = 1
MAX_BACKOFF_SECONDS = 5
# Delivery attempts before a message goes to the dead-letter topic (the minimum Pub/Sub allows).
MAX_DELIVERY_ATTEMPTS = 5
# The function answers within seconds locally; production's function timeout is longer.
ACK_DEADLINE_SECONDS = 30
# Per admin/publish call: the emulator answers in milliseconds on loopback.
CALL_TIMEOUT_SECONDS = 10.0
# How long a pull of an empty subscription is held open before we call it empty.
EMPTY_PULL_SECONDS = 2.0
# A pull of the dead-letter subscription returns at most this many messages.
PULL_MAX_MESSAGES = 100


class PubSubAdmin:
    """Topics, subscriptions and publishing for one emulator and project."""

    def __init__(self, host_port: str, *, project: str) -> None:
        self.project = project
        self._channel = grpc.insecure_channel(host_port)
        self.publisher = PublisherClient(transport=PublisherGrpcTransport(channel=self._channel, host=host_port))
        self.subscriber = SubscriberClient(transport=SubscriberGrpcTransport(channel=self._channel, host=host_port))

    def topic_path(self, topic: str) -> str:
        return f"projects/{self.project}/topics/{topic}"

    def subscription_path(self, subscription: str) -> str:
        return f"projects/{self.project}/subscriptions/{subscription}"

    def create_chain(self, *, topic: str, dead_letter_topic: str, subscription: str, dead_letter_subscription: str,
                     push_endpoint: str) -> None:
        """The topic, its dead-letter topic (with a pull subscription to read it) and the push subscription."""
        for name in (topic, dead_letter_topic):
            self.publisher.create_topic(name=self.topic_path(name), timeout=CALL_TIMEOUT_SECONDS)
        self.subscriber.create_subscription(request={
            "name": self.subscription_path(dead_letter_subscription), "topic": self.topic_path(dead_letter_topic),
            "ack_deadline_seconds": ACK_DEADLINE_SECONDS}, timeout=CALL_TIMEOUT_SECONDS)
        self.subscriber.create_subscription(request={
            "name": self.subscription_path(subscription), "topic": self.topic_path(topic),
            "push_config": {"push_endpoint": push_endpoint},
            "ack_deadline_seconds": ACK_DEADLINE_SECONDS,
            "retry_policy": {"minimum_backoff": duration_pb2.Duration(seconds=MIN_BACKOFF_SECONDS),
                             "maximum_backoff": duration_pb2.Duration(seconds=MAX_BACKOFF_SECONDS)},
            "dead_letter_policy": {"dead_letter_topic": self.topic_path(dead_letter_topic),
                                   "max_delivery_attempts": MAX_DELIVERY_ATTEMPTS},
        }, timeout=CALL_TIMEOUT_SECONDS)

    def publish(self, topic: str, payloads: Iterable[bytes]) -> list[str]:
        """Publish each payload as one message with no attributes (as the exporter does); the message ids."""
        messages = [PubsubMessage(data=payload) for payload in payloads]
        if not messages:
            return []
        topic_path = topic if topic.startswith("projects/") else self.topic_path(topic)
        response = self.publisher.publish(topic=topic_path, messages=messages, timeout=CALL_TIMEOUT_SECONDS)
        return list(response.message_ids)

    def pull_dead_letters(self, dead_letter_subscription: str) -> list[bytes]:
        """Messages waiting in the dead-letter subscription (acknowledged, so each is seen once)."""
        path = self.subscription_path(dead_letter_subscription)
        try:
            # ``return_immediately`` is deprecated (it warns); an empty subscription holds the pull
            # open instead, so a short deadline means "nothing there".
            response = self.subscriber.pull(subscription=path, max_messages=PULL_MAX_MESSAGES,
                                            timeout=EMPTY_PULL_SECONDS)
        except api_exceptions.DeadlineExceeded:
            return []
        ack_ids = [received.ack_id for received in response.received_messages]
        if ack_ids:
            self.subscriber.acknowledge(subscription=path, ack_ids=ack_ids, timeout=CALL_TIMEOUT_SECONDS)
        return [received.message.data for received in response.received_messages]

    def close(self) -> None:
        self._channel.close()
