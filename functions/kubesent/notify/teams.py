"""The Microsoft Teams sink: a Workflows webhook taking a message with an Adaptive Card attachment
(``application/vnd.microsoft.card.adaptive``; Office 365 connectors are retired, FACTS.md §9).

A Workflows webhook cannot reply in a thread: each later state is a new card naming the incident id.
"""

from __future__ import annotations

from typing import Any

from kubesent.notify import Delivery, transport
from kubesent.notify.message import Message

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
# 1.4 is what Teams renders on every client (desktop, web, mobile).
CARD_VERSION = "1.4"


class TeamsSink(transport.UrlSink):
    name = "teams"

    def send(self, message: Message, *, first: Delivery | None) -> Delivery:
        transport.post_json(self.url, payload(message, follow_up=first is not None), policy=self.policy)
        return Delivery()


def payload(message: Message, *, follow_up: bool) -> dict[str, Any]:
    title = f"Update: {message.title}" if follow_up else message.title
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "FactSet", "facts": [{"title": "What failed", "value": message.what_failed},
                                      {"title": "Diagnosis", "value": message.diagnosis},
                                      {"title": "Decision", "value": message.decision},
                                      {"title": "Target", "value": message.target},
                                      {"title": "Incident", "value": message.incident_id}]}]
    if message.evidence:
        body.append({"type": "TextBlock", "text": "\n".join(f"- {line}" for line in message.evidence), "wrap": True})
    if message.diff:
        body.append({"type": "TextBlock", "text": message.diff, "fontType": "Monospace", "wrap": True})
    actions: list[dict[str, Any]] = []
    if message.links.approve and message.links.reject:
        actions += [{"type": "Action.OpenUrl", "title": "Approve", "url": message.links.approve},
                    {"type": "Action.OpenUrl", "title": "Reject", "url": message.links.reject}]
    actions.append({"type": "Action.OpenUrl", "title": "Logs", "url": message.links.logs})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": CARD_VERSION, "body": body, "actions": actions}
    return {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}]}
