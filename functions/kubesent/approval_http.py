"""The approval endpoint's HTTP face (``kubesent_approve``): pages for signed links, and Slack interactivity.

* ``GET /?t=TOKEN``: a confirmation page; never writes (link scanners and chat unfurlers GET links).
* ``POST /`` with form ``t=TOKEN``: carries out the decision (``approval.Approver.decide``).
* ``POST /slack``: a Slack ``block_actions`` request. The signing secret is checked first with
  ``slack_sdk.signature.SignatureVerifier`` (``v0`` HMAC-SHA256 over ``v0:timestamp:body``, a 5-minute
  window, constant-time comparison); the button's value is the same signed token. With a click queue
  (``approval_slack.Intake``) the click is queued and answered at once, within Slack's 3 s; without one
  (local runs) it is carried out before the answer.

Framework-free (method, path, headers, body in; status, content type, body out), so ``main`` stays thin
and tests call it directly. Every text on a page is HTML-escaped.
"""

from __future__ import annotations

import html
import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from kubesent import approval_slack, tokens
from kubesent.approval import Answer, Approver
from kubesent.notify import slack

# A token is at most tokens.MAX_TOKEN_CHARS; a Slack payload a few kilobytes. Anything bigger is not ours.
MAX_BODY_BYTES = 64 * 1024
# Who approved, when the endpoint sits behind IAP; otherwise the holder of the signed link.
IAP_EMAIL_HEADER = "x-goog-authenticated-user-email"
LINK_HOLDER = "the holder of the signed link"


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: str


def handle(approver: Approver, *, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str],
           body: bytes, slack_signing_secret: str = "", slack_clicks: approval_slack.Intake | None = None) -> Response:
    headers = {name.lower(): value for name, value in headers.items()}
    if len(body) > MAX_BODY_BYTES:
        return _page(Answer(413, "Too large", "this request is not an approval"))
    if path.rstrip("/").endswith("/slack") and method == "POST":
        return _slack(approver, headers=headers, body=body, signing_secret=slack_signing_secret, clicks=slack_clicks)
    if method == "GET":
        answer, claims = approver.preview(query.get("t", ""))
        return _page(answer, confirm_token=query.get("t", "") if claims is not None else None,
                     decision=claims.decision if claims else None)
    if method == "POST":
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        token = (form.get("t") or [""])[0]
        who = headers.get(IAP_EMAIL_HEADER, "").removeprefix("accounts.google.com:") or LINK_HOLDER
        return _page(approver.decide(token, approver=who))
    return Response(405, "text/plain; charset=utf-8", "GET shows a proposal, POST decides it")


def _slack(approver: Approver, *, headers: Mapping[str, str], body: bytes, signing_secret: str,
           clicks: approval_slack.Intake | None) -> Response:
    if not slack.verify_request(signing_secret, body, dict(headers)):
        return Response(401, "text/plain; charset=utf-8", "invalid Slack signature")
    try:
        click = approval_slack.parse(body, now=approver.clock())
    except approval_slack.NotAClick:
        return Response(400, "text/plain; charset=utf-8", "not a Slack block_actions payload")
    if clicks is not None:
        return Response(200, "application/json", json.dumps(clicks.accept(approver, click)))
    answer = approver.decide(click.token, approver=click.approver)
    # Slack shows this to the clicker; the channel's message is updated by the notifier from the report.
    return Response(200, "application/json", json.dumps(approval_slack.reply(answer.title, answer.detail)))


def _page(answer: Answer, *, confirm_token: str | None = None, decision: tokens.Decision | None = None) -> Response:
    record = answer.record
    rows = ""
    if record is not None:
        target = record.target
        facts = {"Incident": record.incident_id or "", "Target": f"{target.kind} {target.namespace}/{target.name}"
                 if target else "", "Diagnosis": record.root_cause, "Decision": f"{record.action}: {record.reason}"}
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in facts.items())
        if record.patch:
            from kubesent.notify import message

            rows += f"<tr><th>Patch</th><td><pre>{html.escape(message.patch_diff(record))}</pre></td></tr>"
    form = ""
    if confirm_token is not None and decision is not None:
        form = (f'<form method="post"><input type="hidden" name="t" value="{html.escape(confirm_token)}">'
                f'<button type="submit">{html.escape(decision.capitalize())}</button></form>'
                "<p>KubeSent re-reads the pod and the workload and re-runs every check before it writes.</p>")
    body = (f"<!doctype html><html><head><meta charset='utf-8'><meta name='robots' content='noindex'>"
            f"<title>KubeSent: {html.escape(answer.title)}</title></head><body>"
            f"<h1>{html.escape(answer.title)}</h1><p>{html.escape(answer.detail)}</p>"
            f"<table>{rows}</table>{form}</body></html>")
    return Response(answer.status, "text/html; charset=utf-8", body)
