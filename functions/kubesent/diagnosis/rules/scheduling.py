"""Rules for pods that cannot be scheduled: parse the scheduler's reasons. Pure.

Message shape: ``0/3 nodes are available: 3 Insufficient memory, 1 node(s) had untolerated taint
{k: v}. preemption: ...`` (FACTS.md §2).
"""

from __future__ import annotations

from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules.text import compile_pattern, quote
from kubesent.diagnosis.schema import ESCALATE, Diagnosis, Remedy, RemedyKind
from kubesent.evidence.category import Category
from kubesent.evidence.model import Evidence

# The reasons run to ". preemption:" (newer schedulers) or the end; taint keys contain dots themselves.
_SUMMARY = compile_pattern(r"([0-9]+)/([0-9]+) nodes are available: (.*?)(?:\. preemption:|\.?$)")
_REASONS = (
    ("Insufficient ", "requests more {} than any node has free; lower the request or add capacity"),
    ("untolerated taint", "the nodes carry a taint the pod does not tolerate; add a toleration or target other nodes"),
    ("didn't match Pod's node affinity/selector", "no node matches the pod's nodeSelector or affinity; fix them or "
     "label nodes"),
    ("didn't match pod affinity rules", "pod affinity rules cannot be met"),
    ("didn't match pod anti-affinity rules", "pod anti-affinity leaves no node; relax it or add nodes"),
    ("didn't satisfy existing pods anti-affinity rules", "other pods' anti-affinity excludes every node"),
    ("didn't match pod topology spread constraints", "topology spread constraints cannot be met"),
    ("had volume node affinity conflict", "its volume is bound to a zone with no usable node"),
    ("node(s) were unschedulable", "the nodes are cordoned"),
    ("didn't have free ports for the requested pod ports", "the pod asks for a hostPort that is taken on every "
     "node; drop hostPort (use a Service) or run at most one such pod per node"),
)
_TAINT_KEYS = compile_pattern(r"untolerated taint[s]?(?:\(s\))? ?\{([^:}]{1,253}):")
# Taints the node lifecycle controller sets on broken nodes: a toleration would only hide the fault.
_NODE_CONDITION_TAINTS = ("node.kubernetes.io/", "node.cloudprovider.kubernetes.io/")
_STORAGE = ("unbound immediate PersistentVolumeClaims", "persistentvolumeclaim", "waiting for first consumer")
_CAPACITY = ("Too many pods", "No nodes available", "no nodes available")


def unschedulable(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    del context
    if evidence.category is not Category.UNSCHEDULABLE:
        return None
    message = evidence.event_message
    quoted = quote(message)
    if any(marker in message for marker in _STORAGE):
        return Diagnosis(category=Category.UNSCHEDULABLE, remedy=ESCALATE, confidence=85, evidence=(quoted,),
                         source="rule:unschedulable",
                         root_cause="The pod waits for a PersistentVolumeClaim to be bound: a storage provisioning "
                                    "problem, not a pod spec KubeSent can fix.")
    if any(marker in message for marker in _CAPACITY):
        return Diagnosis(category=Category.UNSCHEDULABLE, remedy=ESCALATE, confidence=80, evidence=(quoted,),
                         source="rule:unschedulable",
                         root_cause="The cluster has no room for the pod (node count or pod limits): add capacity.")
    summary = _SUMMARY.search(message)
    details = summary.group(3) if summary else message
    taints = [match.group(1).strip() for match in _TAINT_KEYS.finditer(details)] if "taint" in details else []
    other = [marker for marker, _ in _REASONS if marker in details and marker != "untolerated taint"]
    if taints and all(key.startswith(_NODE_CONDITION_TAINTS) for key in taints) and not other:
        return Diagnosis(category=Category.UNSCHEDULABLE, remedy=ESCALATE, confidence=88, evidence=(quoted,),
                         source="rule:unschedulable",
                         root_cause="No node can take the pod because the nodes carry "
                                    f"{', '.join(sorted(set(taints)))}: the nodes themselves are unhealthy (not ready, "
                                    "unreachable or under pressure). "
                                    "Fix the nodes; a toleration would only hide the fault.")
    causes = []
    for marker, text in _REASONS:
        index = details.find(marker)
        if index < 0:
            continue
        if marker == "Insufficient ":
            resources = sorted({word.split(",")[0].strip() for word in details.split("Insufficient ")[1:]})
            causes.append(text.format(" and ".join(resources)))
        else:
            causes.append(text)
    if not causes:
        return None
    return Diagnosis(category=Category.UNSCHEDULABLE, confidence=85, evidence=(quoted,), source="rule:unschedulable",
                     remedy=Remedy(kind=RemedyKind.FIX_SCHEDULING, container=evidence.focus_container),
                     root_cause="The scheduler cannot place the pod: " + "; ".join(causes) + ".")
