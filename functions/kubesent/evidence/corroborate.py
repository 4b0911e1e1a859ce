"""Is the failure visible in facts the cluster itself produced? Pure.

The forwarded event is text anyone who may create Events can write (FACTS.md §9: an Event's namespace is
not even compared with its pod's when ``eventTime`` is set). It may start a diagnosis, but an automatic
write must rest on the pod's own status, which only the kubelet writes, or on the kubelet's events
listed from the pod's namespace (DESIGN.md principle 8). Called by the pipeline before the policy.
"""

from __future__ import annotations

from kubesent.evidence import podfacts
from kubesent.evidence.category import Category
from kubesent.evidence.model import ContainerFacts, EventFacts, Evidence

KUBELET = "kubelet"


def uncorroborated(evidence: Evidence, *, category: Category, container: str | None,
                   probe: str | None = None) -> str | None:
    """Why the failure the diagnosis names is not in the pod's status or its listed kubelet events, or None."""
    facts = evidence.container(container) if container else evidence.focus
    if category is Category.OOM_KILLED:
        if facts is not None and _oom_killed(facts):
            return None
        return f"the pod's status shows no OOM kill of container {container or '?'}"
    if category is Category.PROBE_FAILURE:
        kind = (probe or "").capitalize()
        if any(_kubelet(e) and e.reason == "Unhealthy" and e.message.startswith(kind) for e in evidence.events):
            return None
        return f"no {probe or ''} probe failure is among the kubelet's events listed for the pod".replace("  ", " ")
    if facts is not None and podfacts.failing(facts):
        return None
    if evidence.pod_reason and evidence.pod_reason == evidence.event.reason:
        return None
    if any(_kubelet(e) and e.reason == evidence.event.reason for e in evidence.events):
        return None
    return "neither the pod's status nor the kubelet's events listed for the pod show this failure"


def _oom_killed(facts: ContainerFacts) -> bool:
    last = facts.last_terminated or facts.terminated
    return last is not None and last.reason == "OOMKilled"


def _kubelet(event: EventFacts) -> bool:
    return event.reporter == KUBELET
