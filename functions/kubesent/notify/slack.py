"""The Slack sink, and the check of Slack's request signatures: the only importer of ``slack_sdk``.

Two modes: an incoming webhook (notices: every state a new message, buttons open the signed links),
or a bot token with ``chat.postMessage`` then ``chat.update`` of that first message (its ``ts`` is the
``Delivery.ref``) plus a threaded reply per later state; its Approve/Reject buttons carry the signed
token back to ``kubesent_approve`` through Slack interactivity. Blocks are built with
``slack_sdk.models.blocks``, whose ``to_dict`` validates them against Block Kit's limits.

Also the other end of a click: ``response_payload`` and ``post_response`` answer a person through the
click's ``response_url`` (Slack's documented body: ``replace_original``, ``response_type``, ``text``,
``blocks``), only ever to Slack's own host (``check_response_url``).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from kubesent.notify import Delivery, SinkRefused, SinkUnavailable, transport
from kubesent.notify.message import Message

# Block Kit: a section's text is at most 3000 characters.
MAX_SECTION_CHARS = 3000
APPROVE_ACTION, REJECT_ACTION = "kubesent_approve", "kubesent_reject"


class UnsafeResponseUrl(SinkRefused):
    """A response_url outside Slack's host: never posted to (the URL is not shown, it is a credential)."""


def blocks(message: Message, *, interactive: bool) -> list[dict[str, Any]]:
    """The message as Block Kit blocks (validated by slack_sdk's models)."""
    from slack_sdk.models.blocks import (
        ActionsBlock,
        ButtonElement,
        ContextBlock,
        DividerBlock,
        HeaderBlock,
        MarkdownTextObject,
        SectionBlock,
    )
    from slack_sdk.models.blocks.basic_components import ConfirmObject

    def section(text: str) -> SectionBlock:
        return SectionBlock(text=MarkdownTextObject(text=text[:MAX_SECTION_CHARS]))

    built: list[Any] = [HeaderBlock(text=message.title[:150]),
                        section(f"*What failed:* {message.what_failed}"),
                        section(f"*Diagnosis:* {message.diagnosis}\n*Decision:* {message.decision}\n"
                                f"*Target:* {message.target}")]
    if message.evidence:
        built.append(section("*Evidence:*\n" + "\n".join(f"• {line}" for line in message.evidence)))
    if message.diff:
        built.append(section(f"*Patch:*\n```{message.diff}```"))
    built.append(ContextBlock(elements=[MarkdownTextObject(
        text=f"incident `{message.incident_id}` · <{message.links.logs}|Cloud Logging>")]))
    buttons: list[ButtonElement] = []
    if interactive and message.approve_token and message.reject_token:
        confirm = ConfirmObject(title="Apply this patch?", text="KubeSent re-runs every check before it writes.",
                                confirm="Approve", deny="Cancel")
        buttons = [ButtonElement(text="Approve", action_id=APPROVE_ACTION, value=message.approve_token,
                                 style="primary", confirm=confirm),
                   ButtonElement(text="Reject", action_id=REJECT_ACTION, value=message.reject_token, style="danger")]
    elif message.links.approve and message.links.reject:
        buttons = [ButtonElement(text="Approve…", action_id="kubesent_open_approve", url=message.links.approve,
                                 style="primary"),
                   ButtonElement(text="Reject…", action_id="kubesent_open_reject", url=message.links.reject)]
    if buttons:
        built += [DividerBlock(), ActionsBlock(elements=buttons)]
    return [block.to_dict() for block in built]


class SlackWebhookSink(transport.UrlSink):
    name = "slack"

    def send(self, message: Message, *, first: Delivery | None) -> Delivery:
        from slack_sdk.webhook import WebhookClient

        client = WebhookClient(self.url, timeout=int(max(1, self.policy.timeout_seconds)))
        body = blocks(message, interactive=False)

        def attempt() -> bytes:
            response = client.send(text=message.title, blocks=body)
            _check(response.status_code, response.body, what="Slack webhook")
            return response.body.encode()

        transport.with_retries(attempt, policy=self.policy, what="Slack webhook")
        return Delivery()


class SlackBotSink:
    name = "slack"

    def __init__(self, token: str, *, channel: str, base_url: str, policy: transport.Policy,
                 client: Any = None) -> None:
        from slack_sdk import WebClient

        self.channel = channel
        self.policy = policy
        self.client = client or WebClient(token=token, base_url=base_url, timeout=int(max(1, policy.timeout_seconds)))

    def wants(self, message: Message) -> bool:
        return True

    def send(self, message: Message, *, first: Delivery | None) -> Delivery:
        body = blocks(message, interactive=True)
        if first is None or not first.ref:
            response = self._call("chat_postMessage", channel=self.channel, text=message.title, blocks=body)
            return Delivery(ref=str(response.get("ts", "")))
        self._call("chat_update", channel=self.channel, ts=first.ref, text=message.title, blocks=body)
        self._call("chat_postMessage", channel=self.channel, thread_ts=first.ref,
                   text=f"{message.title}: {message.decision}")
        return first

    def _call(self, method: str, **arguments: Any) -> Any:
        from slack_sdk.errors import SlackApiError, SlackRequestError

        result: list[Any] = []

        def attempt() -> bytes:
            try:
                result[:] = [getattr(self.client, method)(**arguments)]
            except SlackApiError as exc:
                _check(exc.response.status_code, str(exc.response.get("error", "")), what=f"Slack {method}")
                raise SinkRefused(f"Slack {method} refused: {exc.response.get('error', '')}") from exc
            except SlackRequestError as exc:
                raise SinkUnavailable(f"Slack {method}: {type(exc).__name__}") from exc
            return b""

        transport.with_retries(attempt, policy=self.policy, what=f"Slack {method}")
        return result[0]


def _check(status: int, detail: str, *, what: str) -> None:
    if status == 429 or status >= 500:
        raise SinkUnavailable(f"{what}: HTTP {status}")
    if status >= 300:
        raise SinkRefused(f"{what} refused the message: HTTP {status} {detail[:200]}")


def verify_request(signing_secret: str, body: bytes, headers: dict[str, str]) -> bool:
    """Slack's ``v0`` signature of an interactivity request: HMAC-SHA256 over ``v0:timestamp:body``,
    a 5-minute window, constant-time comparison (``slack_sdk.signature.SignatureVerifier``)."""
    from slack_sdk.signature import SignatureVerifier

    return bool(signing_secret) and SignatureVerifier(signing_secret).is_valid_request(body, headers)


def check_response_url(url: str, *, base: str) -> str:
    """``url`` when it lies under ``base`` (``NotifySettings.slack_response_url_base``): the same scheme,
    host and port, a path below base's, no user info; else ``UnsafeResponseUrl``. The URL comes in Slack's
    signed body, so this is defence in depth: a leaked signing secret must not turn KubeSent into a client
    for any address (SSRF)."""
    wanted, given = urllib.parse.urlsplit(base), urllib.parse.urlsplit(url)
    if (given.scheme, given.netloc) != (wanted.scheme, wanted.netloc) or given.username or given.password \
            or not given.path.startswith(wanted.path) or given.path == wanted.path or ".." in given.path.split("/"):
        host = given.hostname or "no host"
        raise UnsafeResponseUrl(f"the click's response_url is not under {base} (host {host!r}); not posted")
    return url


def response_payload(title: str, detail: str, *, replace_original: bool = False) -> dict[str, Any]:
    """What a ``response_url`` takes: an ephemeral note to the person who clicked, or (``replace_original``)
    the message itself replaced. Blocks validated by slack_sdk's models."""
    from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

    text = f"{title}: {detail}"[:MAX_SECTION_CHARS]
    section = SectionBlock(text=MarkdownTextObject(text=f"*{title}*\n{detail}"[:MAX_SECTION_CHARS]))
    return {"replace_original": replace_original, "response_type": "ephemeral", "text": text,
            "blocks": [section.to_dict()]}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect from Slack's host would lead the post somewhere unchecked: refuse it (HTTP 3xx error)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        del req, fp, code, msg, headers, newurl
        return None


def post_response(url: str, payload: dict[str, Any], *, base: str, policy: transport.Policy) -> None:
    """POST ``payload`` to a click's ``response_url``, checked first, redirects refused. Errors name the host
    only: the URL's path is a credential (whoever holds it can post into the channel for 30 minutes)."""
    check_response_url(url, base=base)
    body = json.dumps(payload, separators=(",", ":")).encode()
    opener = urllib.request.build_opener(_NoRedirects())

    def attempt() -> bytes:
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "kubesent-approval"})
        with opener.open(request, timeout=policy.timeout_seconds) as response:
            return bytes(response.read())

    transport.with_retries(attempt, policy=policy, what=f"Slack response_url ({urllib.parse.urlsplit(url).netloc})")
