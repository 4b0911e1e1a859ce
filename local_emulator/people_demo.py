"""``make demo``, part two: a proposal reaches a person and is approved through its signed link.

    .venv/bin/python -m local_emulator.people_demo

In one process, against its own Kubernetes API sandbox: the pipeline proposes a memory raise (the
demo leaves ``raise_memory_limit`` off the auto-apply list, so a person must decide); the notifier
sends it to a local webhook receiver, which checks the ``X-KubeSent-Signature`` and prints what a
person would see; then, as that person's browser would, the demo GETs the Approve link (a
confirmation page, nothing written) and POSTs the form. The approval endpoint's handler
(``kubesent.approval_http``, what ``kubesent_approve`` serves) re-checks everything and patches the
Deployment; the sandbox's controller rolls it out and the healed pod is shown. The applied record goes
back through the notifier, so the receiver prints the follow-up too.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import sys
import textwrap
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kubesent import events
from kubesent.approval import Approver
from kubesent.approval_http import handle
from kubesent.audit import AuditRecord
from kubesent.cluster.kube import KubeCluster
from kubesent.diagnosis.base import NullDiagnoser
from kubesent.ledger.memory import MemoryLedger
from kubesent.notify import transport
from kubesent.notify.notifier import LinkMaker, Notifier
from kubesent.notify.webhook import WebhookSink
from kubesent.pipeline import Pipeline
from kubesent.settings import Settings
from kubesent.verify import Verifier
from local_emulator import incidents
from local_emulator.kube_sandbox import KubeSandbox

RECOVERY_TIMEOUT_SECONDS = 10.0
RULE = "─" * 100


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host!s}:{port}"


def _receiver(signing_key: bytes, inbox: list[dict[str, Any]]) -> type[BaseHTTPRequestHandler]:
    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            del format, args

        def do_POST(self) -> None:  # noqa: N802 - stdlib naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            signed = transport.verify(signing_key, body, self.headers.get(transport.SIGNATURE_HEADER, ""),
                                      now=int(time.time()))
            self.send_response(200 if signed else 401)
            self.end_headers()
            if signed:
                payload = json.loads(body)
                inbox.append(payload)
                print(f"\n{RULE}\nwebhook receiver: signature OK · what a person sees:\n{RULE}")
                print(textwrap.indent(payload["text"], "  "))
                print(RULE, flush=True)

    return Receiver


def _approval_server(approver: Approver) -> type[BaseHTTPRequestHandler]:
    class Approval(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            del format, args

        def _answer(self, method: str) -> None:
            url = urllib.parse.urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else b""
            query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
            response = handle(approver, method=method, path=url.path, query=query, headers=dict(self.headers),
                              body=body)
            payload = response.body.encode()
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            self._answer("GET")

        def do_POST(self) -> None:  # noqa: N802 - stdlib naming
            self._answer("POST")

    return Approval


def _browser(method: str, url: str, form: dict[str, str] | None = None) -> tuple[int, str]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local demo server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _heading(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1><p>(.*?)</p>", page)
    return f"{found.group(1)}: {found.group(2)}" if found else page[:200]


class _Relay:
    """The report topic, in one process: an approval's record goes back to the notifier."""

    def __init__(self) -> None:
        self.notifier: Notifier | None = None

    def report(self, record: AuditRecord) -> None:
        if self.notifier is not None:
            self.notifier.notify(record)


@dataclass
class _Loop:
    """One sandbox's people-in-the-loop wiring: the cluster, the ledger, the notifier to a signed webhook receiver
    (its inbox), and the approval endpoint served over HTTP."""

    settings: Settings
    cluster: KubeCluster
    ledger: MemoryLedger
    relay: _Relay
    inbox: list[dict[str, Any]]
    approval_url: str

    def propose(self, event: dict[str, Any]) -> tuple[AuditRecord, str | None]:
        """The pipeline's record for ``event``, sent through the notifier; the Approve link the receiver got."""
        record = Pipeline(self.settings, cluster=self.cluster, ledger=self.ledger, diagnoser=NullDiagnoser()).handle(
            events.parse_event(event))
        print(f"pipeline: {record.action} {record.remedy}: {record.reason}", flush=True)
        assert self.relay.notifier is not None
        self.relay.notifier.notify(record)
        return record, (self.inbox[0]["message"]["links"]["approve"] if self.inbox else None)

    def confirm(self, approve: str, label: str = "browser POST confirm     ") -> int:
        token = urllib.parse.parse_qs(urllib.parse.urlsplit(approve).query)["t"][0]
        status, page = _browser("POST", self.approval_url + "/", {"t": token})
        print(f"{label} → {status} {_heading(page)}", flush=True)
        return status


@contextlib.contextmanager
def _loop(settings: Settings) -> Iterator[_Loop]:
    signing_key, approval_key = secrets.token_bytes(32), secrets.token_bytes(32)
    inbox: list[dict[str, Any]] = []
    cluster = KubeCluster.from_settings(settings)
    ledger, relay = MemoryLedger(), _Relay()
    approver = Approver(settings, cluster=cluster, ledger=ledger, key=approval_key, reporter=relay)
    receiver, receiver_url = _serve(_receiver(signing_key, inbox))
    approval, approval_url = _serve(_approval_server(approver))
    try:
        relay.notifier = Notifier(
            [WebhookSink(receiver_url + "/hook", signing_key=signing_key, policy=transport.Policy())],
            ledger=ledger, links=LinkMaker(logging_console_url="https://console.cloud.google.com/logs/query",
                                           project="kubesent-demo", approval_url=approval_url + "/",
                                           approval_key=approval_key))
        yield _Loop(settings=settings, cluster=cluster, ledger=ledger, relay=relay, inbox=inbox,
                    approval_url=approval_url)
    finally:
        receiver.shutdown()
        approval.shutdown()
        cluster.close()


def run() -> bool:
    print("\nPeople in the loop: a proposal, its notification, and one approval through the signed link "
          "(in-process, own sandbox)", flush=True)
    with KubeSandbox() as sandbox:
        [seeded] = incidents.seed(sandbox, (incidents.by_name("oom-memory-hog"),))
        settings = Settings(kube_mode="explicit", kube_host=sandbox.url, ledger="memory", llm="none", dry_run=False,
                            auto_apply_remedies=("fix_probe",))
        with _loop(settings) as loop:
            record, approve = loop.propose(seeded.event)
            if record.action != "proposed" or approve is None:
                print("no approvable proposal reached the receiver", file=sys.stderr)
                return False
            status, page = _browser("GET", approve)
            print(f"browser GET  Approve link → {status} {_heading(page)} (nothing written: "
                  f"{len(sandbox.writes())} writes)")
            status = loop.confirm(approve)
            again = loop.confirm(approve, "browser POST again       ")
            return status == 200 and again == 410 and _healed(sandbox, seeded)


def run_rollback() -> bool:
    """A bad image tag rolled out over a working revision: proposed rollback, approved, written from the live
    ReplicaSet, then verified (the verifier's settle window shortened to 0 for the demo)."""
    print(f"\n{incidents.BAD_ROLLOUT_TITLE}: a rollback proposed, approved through its link, and verified "
          "(in-process, own sandbox)", flush=True)
    with KubeSandbox() as sandbox:
        seeded = incidents.seed_bad_rollout(sandbox)
        settings = Settings(kube_mode="explicit", kube_host=sandbox.url, ledger="memory", llm="none", dry_run=False,
                            verify_settle_seconds=0)
        with _loop(settings) as loop:
            record, approve = loop.propose(seeded.event)
            if record.remedy != "rollback_rollout" or approve is None:
                print("no approvable rollback reached the receiver", file=sys.stderr)
                return False
            status = loop.confirm(approve)
            deployment = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace=incidents.NAMESPACE,
                                            name=seeded.deployment_name) or {}
            image = deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [{}])[0].get(
                "image")
            print(f"rolled back: the Deployment's image is {image} again")
            [checked] = Verifier(loop.settings, cluster=loop.cluster, ledger=loop.ledger, reporter=loop.relay).run(
                now=datetime.now(UTC) + timedelta(seconds=settings.verify_interval_seconds + 1)) or [None]
            outcome = (checked.verification or {}).get("outcome") if checked is not None else None
            print(f"verifier: {outcome}: {(checked.verification or {}).get('detail') if checked else 'no outcome'}")
            return status == 200 and image == incidents.GOOD_IMAGE and outcome == "verified"


def _healed(sandbox: KubeSandbox, seeded: incidents.Seeded) -> bool:
    deadline = time.monotonic() + RECOVERY_TIMEOUT_SECONDS
    pod = incidents.recovered_pod(sandbox, seeded)
    while pod is None and time.monotonic() < deadline:
        time.sleep(0.2)
        pod = incidents.recovered_pod(sandbox, seeded)
    if pod is None:
        print("the approved Deployment has no Running and Ready pod", file=sys.stderr)
        return False
    deployment = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace=incidents.NAMESPACE,
                                    name=seeded.deployment_name) or {}
    annotations = deployment.get("metadata", {}).get("annotations", {})
    limits = (pod["spec"]["containers"][0].get("resources") or {}).get("limits") or {}
    print(f"healed: new pod {pod['metadata']['name']} is Running and Ready with limits {limits}; "
          f"Deployment annotated kubesent.dev/approved-by={annotations.get('kubesent.dev/approved-by')!r}")
    return True


if __name__ == "__main__":
    sys.exit(0 if run() and run_rollback() else 1)
