"""The generic webhook sink: the message as JSON, signed with ``X-KubeSent-Signature``.

``t=<unix>,v1=<hex>``: HMAC-SHA256 over ``"<t>.<body>"`` (``transport.sign``); a receiver recomputes it
and bounds the age of ``t``. Every state is a new POST carrying the incident id, so a receiver threads
by it. Imports the notify base only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kubesent.notify import Delivery, message, transport
from kubesent.notify.message import Message

SCHEMA = "kubesent.notification/v1"


class WebhookSink:
    name = "webhook"

    def __init__(self, url: str, *, signing_key: bytes, policy: transport.Policy) -> None:
        self.url = url
        self.signing_key = signing_key
        self.policy = policy

    def wants(self, message: Message) -> bool:
        return True

    def send(self, message: Message, *, first: Delivery | None) -> Delivery:
        transport.post_json(self.url, payload(message, follow_up=first is not None), policy=self.policy,
                            signing_key=self.signing_key)
        return Delivery()


def payload(note: Message, *, follow_up: bool) -> dict[str, Any]:
    fields = dataclasses.asdict(note)
    fields.pop("approve_token")
    fields.pop("reject_token")
    return {"schema": SCHEMA, "incident_id": note.incident_id, "state": note.state, "follow_up": follow_up,
            "text": message.as_text(note), "message": fields}
