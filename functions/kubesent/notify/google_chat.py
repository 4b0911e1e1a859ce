"""The Google Chat sink: an incoming webhook with a ``cardsV2`` card (FACTS.md §9).

Every state of an incident goes to one thread: the webhook's ``threadKey`` is the incident id, with
``messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD``. Buttons open the signed approval links.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from kubesent.notify import Delivery, transport
from kubesent.notify.message import Message

# Google Chat's limit for a card's text paragraph is about 4 000 characters; a diff rarely nears it.
MAX_PARAGRAPH_CHARS = 3000


class GoogleChatSink(transport.UrlSink):
    name = "google_chat"

    def send(self, message: Message, *, first: Delivery | None) -> Delivery:
        transport.post_json(threaded_url(self.url, message.incident_id), payload(message), policy=self.policy)
        return Delivery()


def threaded_url(url: str, incident_id: str) -> str:
    extra = urllib.parse.urlencode({"threadKey": incident_id,
                                    "messageReplyOption": "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"})
    return f"{url}{'&' if '?' in url else '?'}{extra}"


def payload(message: Message) -> dict[str, Any]:
    def paragraph(text: str) -> dict[str, Any]:
        return {"textParagraph": {"text": text[:MAX_PARAGRAPH_CHARS]}}

    sections: list[dict[str, Any]] = [
        {"widgets": [{"decoratedText": {"topLabel": "What failed", "text": message.what_failed, "wrapText": True}},
                     {"decoratedText": {"topLabel": "Diagnosis", "text": message.diagnosis, "wrapText": True}},
                     {"decoratedText": {"topLabel": "Decision", "text": message.decision, "wrapText": True}}]}]
    if message.evidence:
        sections.append({"header": "Evidence", "collapsible": True,
                         "widgets": [paragraph("\n".join(message.evidence))]})
    if message.diff:
        sections.append({"header": "Patch", "widgets": [paragraph(f"<pre>{_escape(message.diff)}</pre>")]})
    buttons = [{"text": "Logs", "onClick": {"openLink": {"url": message.links.logs}}}]
    if message.links.approve and message.links.reject:
        buttons = [{"text": "Approve", "onClick": {"openLink": {"url": message.links.approve}}},
                   {"text": "Reject", "onClick": {"openLink": {"url": message.links.reject}}}, *buttons]
    sections.append({"widgets": [{"buttonList": {"buttons": buttons}}]})
    return {"text": message.title,
            "cardsV2": [{"cardId": f"kubesent-{message.incident_id[:16]}-{message.state}",
                         "card": {"header": {"title": message.title, "subtitle": message.target},
                                  "sections": sections}}]}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
