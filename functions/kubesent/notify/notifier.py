"""The notifier: one audit record in, every configured sink out, once per incident, sink and state.

* One message per incident: the first delivery on a sink is remembered (``notify/<sink>/<incident>``);
  later states update or thread it where the sink can (Slack), or follow up naming the incident.
* Idempotent: a marker per sink, incident and state (``notify/<sink>/<incident>/<state>/<decision hash>``) is written
  after a successful send, so a Pub/Sub redelivery re-sends only what failed.
* A sink's outage never blocks the others: all are tried, then ``TransientError`` is raised if any
  failed transiently, so Pub/Sub redelivers (and, past its retries, dead-letters: kept, not lost).
  A refusal (4xx) is logged and not retried.

Called by ``main.kubesent_notify``. Never writes to the cluster.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from kubesent import audit, errors, tokens
from kubesent.audit import AuditRecord
from kubesent.ledger import Ledger
from kubesent.notify import Delivery, Sink, SinkRefused, SinkUnavailable, message
from kubesent.notify.message import Links, Message


@dataclass(frozen=True)
class LinkMaker:
    """Mints the incident's links: the logs query, and for an approvable proposal the signed decisions."""

    logging_console_url: str
    project: str
    approval_url: str = ""
    approval_key: bytes = b""
    ttl_seconds: int = 6 * 3600

    def links(self, record: AuditRecord, *, now: int) -> tuple[Links, str | None, str | None]:
        incident_id = record.incident_id or ""
        logs = message.logging_url(self.logging_console_url, project=self.project, incident_id=incident_id)
        if not (approvable(record) and self.approval_url and self.approval_key):
            return Links(logs=logs), None, None
        expires = now + self.ttl_seconds
        approve, reject, snooze = (tokens.mint(self.approval_key, incident_id=incident_id, decision=decision,
                                               expires_at=expires) for decision in tokens.DECISIONS)
        return (Links(logs=logs, approve=self.url(approve), reject=self.url(reject), snooze=self.url(snooze)),
                approve, reject)

    def url(self, token: str) -> str:
        return f"{self.approval_url}{'&' if '?' in self.approval_url else '?'}t={token}"


def approvable(record: AuditRecord) -> bool:
    """A proposal KubeSent rendered a patch for, on a workload it names."""
    return record.action == "proposed" and bool(record.patch) and record.target is not None \
        and bool(record.incident_id)


class Notifier:
    def __init__(self, sinks: Sequence[Sink], *, ledger: Ledger, links: LinkMaker,
                 actions: Sequence[str] = ("proposed", "escalated", "applied", "dry_run"),
                 clock: Callable[[], float] = time.time) -> None:
        self.sinks = tuple(sinks)
        self.ledger = ledger
        self.link_maker = links
        self.actions = tuple(actions)
        self.clock = clock

    def notify(self, record: AuditRecord) -> dict[str, str]:
        """Per sink: ``sent``, ``already sent``, ``not for this sink``, ``refused`` or ``unavailable``."""
        if record.action not in self.actions or not record.incident_id:
            return {}
        links, approve, reject = self.link_maker.links(record, now=int(self.clock()))
        note = message.render(record, links=links, approve_token=approve, reject_token=reject)
        outcome = {sink.name: self._send(sink, note) for sink in self.sinks}
        failed = sorted(name for name, result in outcome.items() if result == "unavailable")
        if failed:
            raise errors.TransientError(f"notification of incident {note.incident_id} ({note.state}) not delivered "
                                        f"to {', '.join(failed)}; the others were")
        return outcome

    def _send(self, sink: Sink, note: Message) -> str:
        if not sink.wants(note):
            return "not for this sink"
        thread_key = f"notify/{sink.name}/{note.incident_id}"
        # The decision's text is part of the state: a rejection or a snooze keeps the action "proposed"
        # but is news, while a redelivery of the same record is not.
        state_key = f"{thread_key}/{note.state}/{hashlib.sha256(note.decision.encode()).hexdigest()[:12]}"
        if self.ledger.read_marker(state_key) is not None:
            return "already sent"
        stored = self.ledger.read_marker(thread_key)
        first = Delivery(ref=str(stored.get("ref", ""))) if stored is not None else None
        try:
            delivery = sink.send(note, first=first)
        except SinkUnavailable as exc:
            audit.log_problem("WARNING", "kubesent.notify_unavailable", sink=sink.name, incident_id=note.incident_id,
                              state=note.state, detail=errors.truncate(str(exc)))
            return "unavailable"
        except SinkRefused as exc:
            audit.log_problem("ERROR", "kubesent.notify_refused", sink=sink.name, incident_id=note.incident_id,
                              state=note.state, detail=errors.truncate(str(exc)))
            return "refused"
        now = datetime.fromtimestamp(self.clock(), UTC)
        if first is None:
            self.ledger.write_marker(thread_key, {"ref": delivery.ref, "state": note.state}, now=now,
                                     create_only=True)
        self.ledger.write_marker(state_key, {"sent_at": now.isoformat()}, now=now, create_only=False)
        return "sent"


def decode_report(data: object) -> AuditRecord:
    """An audit record as the report topic carries it (Pub/Sub push: ``message.data``, base64 JSON)."""
    try:
        encoded = data["message"]["data"] if isinstance(data, dict) else None
        return AuditRecord.model_validate_json(base64.b64decode(str(encoded), validate=True))
    except (KeyError, TypeError, binascii.Error, ValidationError) as exc:
        raise errors.BadEvent(f"not a KubeSent report: {errors.truncate(str(exc))}") from None
