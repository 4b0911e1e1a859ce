"""The PagerDuty sink: Events API v2 (FACTS.md §9). An escalation (or a fix the verifier found not healed,
worse or stalled) triggers an alert, a healed incident (applied, then verified) resolves it;
``dedup_key`` is the incident id, so PagerDuty itself folds repeats into one alert.

Proposals and dry-runs do not page: they wait for a person in chat, not in the night.
"""

from __future__ import annotations

from typing import Any

from kubesent.notify import Delivery, transport
from kubesent.notify.message import Message

# Events API v2 limits: summary 1024 characters, source and component 255.
MAX_SUMMARY_CHARS = 1024
TRIGGER_STATES = frozenset({"escalated", "not_healed", "worse", "stalled"})
RESOLVE_STATES = frozenset({"applied", "verified"})


class PagerDutySink:
    name = "pagerduty"

    def __init__(self, url: str, *, routing_key: str, policy: transport.Policy) -> None:
        self.url = url
        self.routing_key = routing_key
        self.policy = policy

    def wants(self, message: Message) -> bool:
        return message.state in TRIGGER_STATES | RESOLVE_STATES

    def send(self, message: Message, *, first: Delivery | None) -> Delivery:
        if message.state in RESOLVE_STATES and first is None:
            return Delivery()  # nothing was paged for this incident: nothing to resolve
        transport.post_json(self.url, payload(message, routing_key=self.routing_key), policy=self.policy)
        return Delivery()


def payload(message: Message, *, routing_key: str) -> dict[str, Any]:
    if message.state in RESOLVE_STATES:
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": message.incident_id}
    return {"routing_key": routing_key, "event_action": "trigger", "dedup_key": message.incident_id,
            "payload": {"summary": f"{message.title}: {message.what_failed}"[:MAX_SUMMARY_CHARS],
                        "source": message.target[:255], "severity": "error", "component": "kubesent",
                        "custom_details": {"diagnosis": message.diagnosis, "decision": message.decision,
                                           "evidence": list(message.evidence), "patch": message.diff}},
            "links": [{"href": message.links.logs, "text": "Cloud Logging: this incident"}]}
