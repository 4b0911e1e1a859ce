"""Rules for memory failures: OOM kills (VPA-style bump, or escalate/propose) and evictions.

Pure: reads Evidence and RuleContext only. Listed in ``registry.RULES``.
"""

from __future__ import annotations

from kubesent import bounds, quantity
from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules.text import compile_pattern, find_line, quote
from kubesent.diagnosis.schema import ESCALATE, Diagnosis, Remedy, RemedyKind
from kubesent.evidence.category import Category
from kubesent.evidence.model import Evidence

# Samples of a memory figure in the logs needed to call a trend, and the growth that makes it a leak.
LEAK_MIN_SAMPLES = 4
LEAK_GROWTH_FACTOR = 1.5

MEMORY_FIGURE = compile_pattern(
    r"(?i)(?:heap|memory|mem|rss|used|usage|allocated)[^0-9\n]{0,40}?([0-9]+(?:\.[0-9]+)?)\s?(KiB|MiB|GiB|KB|MB|GB|kB|Ki|Mi|Gi|K|M|G|bytes|B)\b")
_UNITS = {"b": 1, "bytes": 1, "k": 1024, "kb": 1000, "kib": 1024, "ki": 1024, "m": 2**20, "mb": 10**6,
          "mib": 2**20, "mi": 2**20, "g": 2**30, "gb": 10**9, "gib": 2**30, "gi": 2**30}
_HEAP_OOM = compile_pattern(r"java\.lang\.OutOfMemoryError|JavaScript heap out of memory|FATAL ERROR: .*heap limit")


def steady_growth(log: str) -> bool:
    values = []
    for line in log.splitlines()[-500:]:
        match = MEMORY_FIGURE.search(line)
        if match:
            values.append(float(match.group(1)) * _UNITS.get(match.group(2).lower(), 1))
    if len(values) < LEAK_MIN_SAMPLES or values[0] <= 0:
        return False
    rising = sum(1 for a, b in zip(values, values[1:], strict=False) if b >= a)
    return rising >= 0.8 * (len(values) - 1) and values[-1] >= LEAK_GROWTH_FACTOR * values[0]


def heap_exhausted(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    """A runtime's own heap limit was hit (Java OutOfMemoryError, Node heap limit) without an OOM kill."""
    del context
    if evidence.category is not Category.CRASH_LOOP or evidence.focus is None:
        return None
    facts = evidence.focus
    line = find_line(_HEAP_OOM, facts.logs_previous, facts.logs_current)
    if line is None:
        return None
    flags = f" ({', '.join(facts.heap_flags)})" if facts.heap_flags else ""
    return Diagnosis(category=Category.CRASH_LOOP,
                     remedy=Remedy(kind=RemedyKind.FIX_COMMAND_OR_ARGS, container=facts.name),
                     root_cause=(f"Container {facts.name} exhausted its runtime heap{flags} and exited; the container "
                                 f"limit is {facts.limits.get('memory', 'unset')}. Raise the heap flag within the "
                                 "limit (and the limit with it if needed), or find the leak."),
                     confidence=85, evidence=(line,), source="rule:heap_exhausted")


def _below(limit: str, floor_bytes: int) -> bool:
    """The limit is under ``floor_bytes``; a limit that cannot be read counts as below (it is replaced)."""
    try:
        return quantity.parse_bytes(limit) < floor_bytes
    except quantity.QuantityError:
        return True


_EVICTION_USAGE = compile_pattern(r"Container ([a-z0-9]([-a-z0-9]*[a-z0-9])?) was using ([0-9]+[A-Za-z]*), "
                                  r"request is ([0-9]+[A-Za-z]*)")
_EVICTION_RESOURCE = compile_pattern(r"low on resource: ([a-z-]+)")
# The kubelet evicts a pod that outgrows its own ephemeral-storage limits, whatever the node has left.
_OWN_STORAGE_LIMIT = compile_pattern(r"(?:ephemeral local storage usage exceeds|exceeds the local ephemeral storage "
                                     r"limit|emptyDir usage exceeds)")


def evicted(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    """Evicted under node pressure: requests below real usage (propose raising them) or node trouble."""
    if evidence.category is not Category.EVICTED:
        return None
    message = evidence.event_message or evidence.pod_message
    resource_match = _EVICTION_RESOURCE.search(message)
    resource = resource_match.group(1) if resource_match else "unknown"
    quoted = quote(message)
    if _OWN_STORAGE_LIMIT.search(message):
        return Diagnosis(category=Category.EVICTED, remedy=ESCALATE, confidence=85, evidence=(quoted,),
                         source="rule:evicted",
                         root_cause="The pod was evicted for writing more local data (container layers, logs or "
                                    "emptyDir) than its ephemeral-storage limit allows. Find what fills the disk, "
                                    "or raise the limit or sizeLimit deliberately.")
    usage = _EVICTION_USAGE.search(message)
    if resource == "memory" and usage is not None:
        container, used_text, request_text = usage.group(1), usage.group(3), usage.group(4)
        try:
            used, request = quantity.parse_bytes(used_text), quantity.parse_bytes(request_text)
        except quantity.QuantityError:
            used = request = 0
        facts = evidence.container(container)
        if facts is not None and used > request:
            new_request = min(bounds.needed_memory_bytes(used), context.memory_ceiling_bytes)
            limit = facts.limits.get("memory")
            new_limit = None
            if limit and _below(limit, new_request):
                new_limit = quantity.format_bytes(new_request)
            return Diagnosis(
                category=Category.EVICTED,
                root_cause=(f"The node ran low on memory and evicted the pod: container {container} used {used_text} "
                            f"against a request of {request_text}. Pods using more than they request are evicted "
                            f"first; raise the memory request to about {quantity.format_bytes(new_request)}."),
                remedy=Remedy(kind=RemedyKind.RAISE_MEMORY_LIMIT, container=container,
                              memory_request=quantity.format_bytes(new_request), memory_limit=new_limit),
                confidence=80, evidence=(quoted,), source="rule:evicted",
                propose_only="an eviction is the node's decision: requests are changed by a person")
    return Diagnosis(category=Category.EVICTED, remedy=ESCALATE, confidence=85, evidence=(quoted,),
                     root_cause=(f"The node ran low on {resource} and evicted the pod. No container of this pod used "
                                 "more than it requested, so the fault is the node's capacity or another workload."),
                     source="rule:evicted")
