"""Rules for pods that cannot be scheduled: parse the scheduler's reasons, and tell the pod's fault from the
nodes'. Pure.

Message shape: ``0/5 nodes are available: 2 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: },
3 Insufficient memory. preemption: ...`` (FACTS.md §2; kubernetes pkg/scheduler/framework/plugins). Each item
counts the nodes one filter rejected (NodeResourcesFit may name two resources for one node, so counts can add
up to more than the nodes). Older schedulers wrote ``node(s) had taint {k: v}, that the pod didn't tolerate``;
from 1.33 a volume's zone reads ``didn't match PersistentVolume's node affinity``, and newer schedulers may
write ``untolerated taint(s)`` without the key.

Some filters reject a node for the node's own state: a taint the node lifecycle controller or the kubelet sets
(``node.kubernetes.io/not-ready``, ``unreachable``, ``disk-pressure``, ``memory-pressure``, ``pid-pressure``,
``unschedulable``, ``network-unavailable``), a cordon, a full pod count, a volume bound to a zone without a
usable node. The pod's spec is not at fault there, and no change to it is right: when such nodes are at least
as many as those the pod's own spec (selector, affinity, tolerations, ports) excludes, the incident goes to the
cluster's owner. Too little free cpu or memory counts for neither side: with nodes out, the capacity they
took is the cause; with none out, the pod's request is the first thing to check.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules.text import compile_pattern, quote
from kubesent.diagnosis.schema import ESCALATE, Diagnosis, Remedy, RemedyKind
from kubesent.evidence.category import Category
from kubesent.evidence.model import Evidence

# The reasons run to ". preemption:" (newer schedulers) or the end; taint keys contain dots themselves.
# Dynamic resource allocation adds "no new claims to deallocate" before it.
_SUMMARY = compile_pattern(r"([0-9]+)/([0-9]+) nodes are available: (.*?)"
                           r"(?:[.,] (?:no new claims to deallocate, )?preemption:|\.?$)")
# What the pod's own spec can change: (marker, what to tell a person).
_POD_REASONS = (
    ("Insufficient ", "requests more {} than any node has free; lower the request or add capacity"),
    ("didn't match Pod's node affinity/selector", "no node matches the pod's nodeSelector or affinity; fix them or "
     "label nodes"),
    ("didn't match pod affinity rules", "pod affinity rules cannot be met"),
    ("didn't match pod anti-affinity rules", "pod anti-affinity leaves no node; relax it or add nodes"),
    ("didn't satisfy existing pods anti-affinity rules", "other pods' anti-affinity excludes every node"),
    ("didn't match pod topology spread constraints", "topology spread constraints cannot be met"),
    ("didn't have free ports for the requested pod ports", "the pod asks for a hostPort that is taken on every "
     "node; drop hostPort (use a Service) or run at most one such pod per node"),
)
# Too little free capacity is the pod's request or the cluster's size: with nodes out for their own state, the
# cluster's; otherwise the pod's request is what a person checks first.
_CAPACITY = ("Insufficient ",)
_POD_TAINT = "the nodes carry a taint the pod does not tolerate; add a toleration or target other nodes"
_HIDDEN_TAINT = ("the nodes carry taints the message does not name: if they are the nodes' own (not-ready, "
                 "unreachable, pressure), repair the nodes; otherwise add a toleration or target other nodes")
# What only the nodes' owner can change: (marker, what it means).
_NODE_REASONS = (
    ("were unschedulable", "cordoned (spec.unschedulable)"),
    ("volume node affinity conflict", "outside the zone its PersistentVolume is bound to"),
    ("didn't match PersistentVolume's node affinity", "outside the zone its PersistentVolume is bound to"),
    ("Too many pods", "at their pod count limit"),
    ("exceed max volume count", "at their attachable volume limit"),
    ("were not ready", "not ready"),
    ("had memory pressure", "under memory pressure"),
    ("had disk pressure", "under disk pressure"),
    ("had pid pressure", "under PID pressure"),
)
_TAINT_KEY = compile_pattern(r"taint ?\{([^:}]{1,253}):")
# Taints the node lifecycle controller, the kubelet and the cloud provider set on a node for its own state:
# a toleration would only hide the fault.
_NODE_CONDITION_TAINTS = ("node.kubernetes.io/", "node.cloudprovider.kubernetes.io/")
_STORAGE = ("unbound immediate PersistentVolumeClaims", "persistentvolumeclaim", "waiting for first consumer")
_NO_NODES = ("No nodes available", "no nodes available")


@dataclass(frozen=True)
class _Reason:
    count: int
    text: str


def unschedulable(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    del context
    if evidence.category is not Category.UNSCHEDULABLE:
        return None
    message = evidence.event_message
    quoted = quote(message)
    if any(marker in message for marker in _STORAGE):
        return _escalate(quoted, 85, "The pod waits for a PersistentVolumeClaim to be bound: a storage provisioning "
                                     "problem, not a pod spec KubeSent can fix.")
    if any(marker in message for marker in _NO_NODES):
        return _escalate(quoted, 80, "The cluster has no nodes to schedule on: add capacity or repair the node "
                                     "pool.")
    summary = _SUMMARY.search(message)
    reasons = _reasons(summary.group(3) if summary else message)
    node_side = [(r, why) for r in reasons if (why := _node_fault(r.text)) is not None]
    pod_side = [(r, why) for r in reasons if (why := _pod_fault(r.text)) is not None]
    node_count = sum(r.count for r, _ in node_side)
    spec_count = sum(r.count for r, _ in pod_side if not r.text.startswith(_CAPACITY))
    if node_side and node_count >= spec_count:
        nodes = "; ".join(f"{r.count} {why}" for r, why in node_side)
        rest = ("; the others: " + ", ".join(f"{r.count} {r.text}" for r, _ in pod_side) if pod_side else "")
        return _escalate(quoted, 88, f"No node can take the pod, and the nodes are the fault: {nodes}{rest}. The "
                                     "nodes' owner must repair, uncordon or add nodes; a toleration or a smaller "
                                     "request would only hide it.")
    hidden = [r for r in reasons if "taint" in r.text and not _TAINT_KEY.search(r.text)]
    if not pod_side and not hidden:
        return None
    causes = list(dict.fromkeys([*(why for _, why in pod_side), *([_HIDDEN_TAINT] if hidden else [])]))
    note = (f" ({node_count} more node(s) are excluded for their own state: "
            + "; ".join(why for _, why in node_side) + ")" if node_side else "")
    return Diagnosis(category=Category.UNSCHEDULABLE, confidence=85, evidence=(quoted,), source="rule:unschedulable",
                     remedy=Remedy(kind=RemedyKind.FIX_SCHEDULING, container=evidence.focus_container),
                     root_cause="The scheduler cannot place the pod: " + "; ".join(causes) + note + ".")


def _escalate(quoted: str, confidence: int, cause: str) -> Diagnosis:
    return Diagnosis(category=Category.UNSCHEDULABLE, remedy=ESCALATE, confidence=confidence, evidence=(quoted,),
                     source="rule:unschedulable", root_cause=cause)


def _reasons(details: str) -> list[_Reason]:
    """``2 node(s) had …, 3 Insufficient memory`` as counted items; an item without a count counts one."""
    items: list[str] = []
    for piece in details.split(", "):
        if items and not piece[:1].isdigit():
            items[-1] += ", " + piece  # a comma inside one reason
        else:
            items.append(piece)
    reasons = []
    for item in items:
        count, _, text = item.strip().partition(" ")
        if count.isdigit() and text:
            reasons.append(_Reason(min(int(count), 100_000), text))
        elif item.strip():
            reasons.append(_Reason(1, item.strip()))
    return reasons


def _node_fault(text: str) -> str | None:
    """What a reason says about the nodes' own state, or None when it is not about it."""
    if "taint" in text:
        match = _TAINT_KEY.search(text)
        key = match.group(1).strip() if match else ""
        return f"carry the taint {key}" if key.startswith(_NODE_CONDITION_TAINTS) else None
    return next((why for marker, why in _NODE_REASONS if marker in text), None)


def _pod_fault(text: str) -> str | None:
    """What a reason says the pod's own spec could change, or None."""
    if "taint" in text:
        match = _TAINT_KEY.search(text)
        # A taint whose key the message hides (newer schedulers) is told by neither side.
        return _POD_TAINT if match and not match.group(1).strip().startswith(_NODE_CONDITION_TAINTS) else None
    for marker, why in _POD_REASONS:
        if marker in text:
            return why.format(text.split("Insufficient ", 1)[1].strip()) if marker == "Insufficient " else why
    return None
