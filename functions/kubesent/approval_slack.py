"""Slack's 3-second acknowledgement of a button click: answer at once, decide after, then tell the person.

Slack wants an interactivity request answered within 3 s; an approval re-reads the pod and its owners,
re-runs the policy, dry-runs and writes, which on a busy cluster takes longer. So a click is split in two:

1. ``kubesent_approve`` (``approval_http``, after Slack's signature) parses the click, checks the token's
   signature and expiry and the ``response_url``'s host (no I/O), publishes the click to a Pub/Sub topic
   (``NotifySettings.slack_click_topic``) and answers 200 "KubeSent is checking this approval…"
   (``Intake.accept``). The 200 is the acknowledgement Slack needs; nothing relies on Slack showing its
   body, since the result always goes to the ``response_url``;
2. ``kubesent_approve_click``, a CloudEvent function on that topic with the same service account, carries
   it out (``Approver.decide``: every check again, the single-use marker) and posts the answer to the
   click's ``response_url`` (``Worker.handle``). The channel's message is updated by the notifier from
   the decision's report, as for any decision.

Why a queue, not a thread after the response: on Cloud Functions gen2 (Cloud Run) an instance's CPU is
throttled to almost nothing once the response is sent unless CPU is always allocated (``cpu_idle =
false``, billed for the instance's whole life), and an idle instance may be stopped at any time; a
background thread may never run, or stop halfway through a write. Slack's own Bolt makes the same split on
FaaS ("lazy listeners": a second invocation). Pub/Sub gives what a thread cannot: the click is stored
before Slack is answered, a transient fault (the cluster or the ledger down) is retried with backoff, and a
click that keeps failing is dead-lettered, not lost. Cloud Tasks would also do (one task per click, its
own retries) at the cost of another API and its IAM; the project already runs on Pub/Sub push. A
redelivery is safe: ``Approver.decide`` is single-use per token, so a second run answers "Already decided"
(with the first answer), and that is what is posted.

Bounds from Slack's ``response_url`` (at most 5 posts within 30 minutes): each delivery posts once (no
retries in process; Pub/Sub's are the retries), the subscription delivers a click at most 5 times
(``infra/notify.tf``), and a click older than ``CLICK_MAX_AGE_SECONDS`` is dropped without being carried
out: its buttons are still on the message, and the person may click again.

The queued click holds the signed token, the approver's Slack name and the ``response_url``; the worker
trusts no more of it than the link endpoint trusts a link (the token and the URL are checked again).
Neither the token nor the URL is ever logged: whoever holds them can approve, or post into the channel.
Called by ``approval_http`` and ``main``.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from kubesent import audit, errors
from kubesent.approval import Answer, Approver
from kubesent.notify import SinkRefused, slack, transport

# Slack: a response_url "can be used up to 5 times within 30 minutes" of the click.
CLICK_MAX_AGE_SECONDS = 30 * 60
ACK_TEXT = "KubeSent is checking this approval…"


class NotAClick(errors.PermanentError):
    """The request or the queued message is not a Slack ``block_actions`` click with a token."""


@dataclass(frozen=True)
class Click:
    token: str
    approver: str
    """``slack:<username>``, as the workload's ``kubesent.dev/approved-by`` annotation records it."""
    response_url: str
    clicked_at: float


class Queue(Protocol):
    def publish(self, data: bytes, **attributes: str) -> str: ...


def parse(body: bytes, *, now: float) -> Click:
    """The click in a Slack interactivity request's form body (``payload=<JSON>``)."""
    try:
        payload = json.loads((urllib.parse.parse_qs(body.decode()).get("payload") or ["{}"])[0])
        token = str(payload["actions"][0]["value"])
        user = payload.get("user") or {}
        who = f"slack:{user.get('username') or user.get('name') or user.get('id')}"
        response_url = str(payload.get("response_url") or "")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise NotAClick("not a Slack block_actions payload") from exc
    return Click(token=token, approver=who, response_url=response_url, clicked_at=now)


def reply(title: str, detail: str) -> dict[str, Any]:
    """The HTTP answer to Slack: a note to the person who clicked; the channel's message stays."""
    return {"response_type": "ephemeral", "replace_original": False, "text": f"{title}: {detail}"[:3000]}


class Intake:
    """``kubesent_approve``'s half: check what needs no I/O, queue the click, answer at once."""

    def __init__(self, queue: Queue, *, response_url_base: str) -> None:
        self.queue = queue
        self.response_url_base = response_url_base

    def accept(self, approver: Approver, click: Click) -> dict[str, Any]:
        claims = approver.check_token(click.token)
        if isinstance(claims, Answer):  # forged or expired: nothing to queue
            return reply(claims.title, claims.detail)
        try:
            slack.check_response_url(click.response_url, base=self.response_url_base)
        except slack.UnsafeResponseUrl as exc:
            audit.log_problem("ERROR", "kubesent.slack_click_refused", detail=str(exc))
            return reply("Not carried out", "this click's reply address is not Slack's")
        try:
            # The attributes name the click without its secrets (a dead-lettered click is read by people).
            self.queue.publish(encode(click), incident=claims.incident_id, decision=claims.decision,
                               approver=click.approver)
        except errors.TransientError as exc:
            audit.log_problem("WARNING", "kubesent.slack_click_not_queued", error=type(exc).__name__, detail=str(exc))
            return reply("Not carried out", "KubeSent could not take this click just now; nothing was done. "
                                            "Try again in a minute.")
        return {"response_type": "ephemeral", "replace_original": False, "text": ACK_TEXT}


class Worker:
    """``kubesent_approve_click``'s half: carry the click out once, then post the answer to its response_url."""

    def __init__(self, approver: Approver, *, response_url_base: str, timeout_seconds: float = 5.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.approver = approver
        self.response_url_base = response_url_base
        # One post per delivery: Pub/Sub's redeliveries are the retries, which keeps within Slack's 5 posts.
        self.policy = transport.Policy(timeout_seconds=timeout_seconds, attempts=1)
        self.clock = clock

    def handle(self, click: Click) -> Answer | None:
        """The answer posted, or None for a click too old to act on. A fault that may pass (the cluster,
        the ledger, Slack's 5xx) raises ``TransientError`` so Pub/Sub redelivers."""
        age = self.clock() - click.clicked_at
        if age > CLICK_MAX_AGE_SECONDS:
            audit.log_problem("WARNING", "kubesent.slack_click_too_old", approver=click.approver,
                              age_seconds=round(age))
            return None
        slack.check_response_url(click.response_url, base=self.response_url_base)
        answer = self.approver.decide(click.token, approver=click.approver)
        try:
            slack.post_response(click.response_url, slack.response_payload(answer.title, answer.detail),
                                base=self.response_url_base, policy=self.policy)
        except SinkRefused as exc:  # expired or revoked URL: the decision stands, the notifier tells the channel
            audit.log_problem("WARNING", "kubesent.slack_response_refused", detail=str(exc))
        audit.log_problem("INFO", "kubesent.slack_click", approver=click.approver, status=answer.status,
                          title=answer.title)
        return answer


def encode(click: Click) -> bytes:
    return json.dumps(asdict(click), separators=(",", ":")).encode()


def decode(data: Any) -> Click:
    """The click in a Pub/Sub CloudEvent's data (``{"message": {"data": base64}}``)."""
    try:
        fields = json.loads(base64.b64decode(data["message"]["data"], validate=True))
        return Click(token=str(fields["token"]), approver=str(fields["approver"]),
                     response_url=str(fields["response_url"]), clicked_at=float(fields["clicked_at"]))
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise NotAClick(f"not a queued Slack click: {type(exc).__name__}") from exc
