"""What a person sees of one incident: rendered once from its audit record, for every sink.

Pure: no I/O. Every text taken from the record goes through ``redaction.redact`` again (the record
is redacted already; a message leaves Google Cloud, so it is checked once more). The patch becomes a
unified diff of the workload's fields, old → new, from the record's ``previous`` and ``patch``.
Called by the notifier and the sinks.
"""

from __future__ import annotations

import difflib
import urllib.parse
from dataclasses import dataclass
from typing import Any

from kubesent import redaction
from kubesent.audit import AuditRecord

# Chat cards stay readable: a few evidence lines, each cut to one line's width.
MAX_EVIDENCE_LINES = 8
MAX_LINE_CHARS = 300
MAX_TEXT_CHARS = 1500
# ``previous`` names the limit fields the way remedies.render records them.
_PREVIOUS_ALIASES = {"resources.limits.memory": "memory_limit", "resources.requests.memory": "memory_request",
                     "resources.limits.cpu": "cpu_limit"}
TITLES = {"proposed": "Fix proposed", "escalated": "Needs a person", "applied": "Fix applied",
          "dry_run": "Fix passes the policy (dry-run)", "ignored": "Ignored",
          # The verifier's outcomes (``verify``), which follow an applied fix in the same thread.
          "verified": "Fix verified", "not_healed": "Fix did not heal, needs a person",
          "worse": "Fix made things worse", "stalled": "Fix's rollout stalled"}


@dataclass(frozen=True)
class Links:
    logs: str
    approve: str | None = None
    reject: str | None = None
    snooze: str | None = None


@dataclass(frozen=True)
class Message:
    incident_id: str
    state: str
    """The record's action (proposed, escalated, applied, dry_run), or the verifier's outcome of a written fix
    (verified, not_healed, worse, stalled)."""
    title: str
    what_failed: str
    evidence: tuple[str, ...]
    diagnosis: str
    decision: str
    diff: str
    target: str
    links: Links
    approve_token: str | None = None
    """The signed token behind the Approve button (Slack interactivity carries it back)."""
    reject_token: str | None = None

    @property
    def approvable(self) -> bool:
        return self.links.approve is not None


def logging_url(console_url: str, *, project: str, incident_id: str) -> str:
    """A Logs Explorer query for every line of this incident."""
    query = urllib.parse.quote(f'jsonPayload.incident_id="{incident_id}"', safe="")
    suffix = f"?project={urllib.parse.quote(project, safe='')}" if project else ""
    return f"{console_url};query={query}{suffix}"


def render(record: AuditRecord, *, links: Links, approve_token: str | None = None,
           reject_token: str | None = None) -> Message:
    target = record.target
    where = f"{target.kind} {target.namespace}/{target.name}" if target else "no workload"
    event = record.event
    # A ledger copy stored before it kept the event summary has none; its owner chain still names the pod.
    chain_pod = next((link.split("/", 1)[1] for link in record.owner_chain if link.startswith("Pod/")), "")
    pod_name = event.get("pod") or chain_pod
    namespace = event.get("namespace") or (target.namespace if target else "")
    pod = f"pod {namespace}/{pod_name}" if pod_name else "a pod"
    failed = f"{record.category or 'a failure'} in {pod}"
    if event.get("reason"):
        failed += f" ({_clean(event['reason'])}: {_clean(event.get('message', ''))})"
    diagnosis = (f"{_clean(record.root_cause) or 'no diagnosis'} — remedy {record.remedy or 'none'}, "
                 f"confidence {record.confidence}, by {record.diagnosed_by or 'nobody'}")
    # A checked fix moves to the verifier's outcome: a state of its own, so it is news to every sink.
    state = str((record.verification or {}).get("outcome") or record.action)
    return Message(
        incident_id=record.incident_id or "", state=state,
        title=f"{TITLES.get(state, state)}: {where}", what_failed=_cut(failed),
        evidence=tuple(_clean(line) for line in record.evidence[:MAX_EVIDENCE_LINES]), diagnosis=_cut(diagnosis),
        decision=_cut(f"{record.action}: {_clean(record.reason)}"), diff=patch_diff(record), target=where,
        links=links, approve_token=approve_token, reject_token=reject_token)


def patch_diff(record: AuditRecord) -> str:
    """A unified diff of the workload fields the patch changes; empty without a patch."""
    if not record.patch:
        return ""
    previous = record.previous or {}
    old: list[str] = []
    new: list[str] = []
    if record.remedy == "rollback_rollout":
        # The whole template is replaced: say which revision goes and which images come back.
        template = ((record.patch.get("spec") or {}).get("template") or {}) if isinstance(record.patch, dict) else {}
        containers = (template.get("spec") or {}).get("containers") or []
        old = [f"revision {previous.get('revision', '?')} (ReplicaSet {previous.get('replicaSet', '?')})",
               *(f"image: {image}" for image in previous.get("images") or [])]
        new = ["the previous revision's whole pod template (kubectl rollout undo)",
               *(f"image: {c.get('image')}" for c in containers if isinstance(c, dict))]
    for scope, field, value in ([] if new else _leaves(record.patch, (), None)):
        key = _PREVIOUS_ALIASES.get(field, field)
        label = f"{scope}: {field}" if scope else field
        old.append(f"{label}: {_value(previous.get(key, '(unset)'))}")
        new.append(f"{label}: {_value(value)}")
    target = record.target
    name = f"{target.kind} {target.namespace}/{target.name}" if target else "workload"
    lines = difflib.unified_diff(old, new, fromfile=f"{name} (before)", tofile=f"{name} (after)", lineterm="", n=0)
    return "\n".join(_clean(line) for line in lines)


def _leaves(node: Any, path: tuple[str, ...], scope: str | None) -> list[tuple[str | None, str, Any]]:
    """(container scope, field path inside it, new value) for every value the patch sets."""
    if isinstance(node, dict):
        found: list[tuple[str | None, str, Any]] = []
        for key, value in node.items():
            found += _leaves(value, (*path, str(key)), scope)
        return found
    if isinstance(node, list) and node and all(isinstance(item, dict) and "name" in item for item in node) \
            and path and path[-1] in ("containers", "initContainers"):
        found = []
        for item in node:
            inner = {k: v for k, v in item.items() if k != "name"}
            found += _leaves(inner, (), f"{path[-1]}[{item['name']}]")
        return found
    if isinstance(node, list) and path and path[-1] == "imagePullSecrets":
        return [(scope, "imagePullSecrets", [item.get("name") if isinstance(item, dict) else item for item in node])]
    return [(scope, ".".join(path), node)]


def _value(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _clean(text: str) -> str:
    return _cut(redaction.redact(str(text)).replace("\n", " "), MAX_LINE_CHARS)


def _cut(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def as_text(message: Message) -> str:
    """The plain-text rendering (the generic webhook's ``text``, the demo, the README)."""
    lines = [f"[KubeSent] {message.title}", f"What failed: {message.what_failed}", "Evidence:"]
    lines += [f"  • {line}" for line in message.evidence] or ["  (none recorded)"]
    lines += [f"Diagnosis: {message.diagnosis}", f"Decision:  {message.decision}", f"Target:    {message.target}"]
    if message.diff:
        lines += ["Patch:", *("  " + line for line in message.diff.splitlines())]
    lines.append(f"Logs:      {message.links.logs}")
    if message.links.approve:
        lines.append(f"Approve:   {message.links.approve}")
    if message.links.reject:
        lines.append(f"Reject:    {message.links.reject}")
    return "\n".join(lines)
