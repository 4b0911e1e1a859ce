"""Rules for memory failures: OOM kills (VPA-style bump, or escalate/propose) and evictions.

Pure: reads Evidence and RuleContext only. Listed in ``registry.RULES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kubesent import bounds, objects, quantity
from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules.text import compile_pattern, find_line, quote
from kubesent.diagnosis.schema import ESCALATE, Diagnosis, Remedy, RemedyKind
from kubesent.evidence import templates
from kubesent.evidence.annotation import RemediationNote
from kubesent.evidence.category import Category
from kubesent.evidence.model import ContainerFacts, Evidence

# A container that ran this long before its OOM kill grew into the limit: more memory delays a leak.
LEAK_UPTIME_SECONDS = 3600
# Samples of a memory figure in the logs needed to call a trend, and the growth that makes it a leak.
LEAK_MIN_SAMPLES = 4
LEAK_GROWTH_FACTOR = 1.5
# A JVM heap above this share of the container limit leaves no room for metaspace, threads and buffers.
HEAP_SHARE_OF_LIMIT = 0.9

_MEMORY_FIGURE = compile_pattern(
    r"(?i)(?:heap|memory|mem|rss|used|usage|allocated)[^0-9\n]{0,40}?([0-9]+(?:\.[0-9]+)?)\s?(KiB|MiB|GiB|KB|MB|GB|kB|Ki|Mi|Gi|K|M|G|bytes|B)\b")
_UNITS = {"b": 1, "bytes": 1, "k": 1024, "kb": 1000, "kib": 1024, "ki": 1024, "m": 2**20, "mb": 10**6,
          "mib": 2**20, "mi": 2**20, "g": 2**30, "gb": 10**9, "gib": 2**30, "gi": 2**30}
_HEAP_OOM = compile_pattern(r"java\.lang\.OutOfMemoryError|JavaScript heap out of memory|FATAL ERROR: .*heap limit")


def uptime_seconds(facts: ContainerFacts) -> float | None:
    last = facts.last_terminated or facts.terminated
    if last is None or not last.started_at or not last.finished_at:
        return None
    try:
        started = datetime.fromisoformat(str(last.started_at).replace("Z", "+00:00"))
        finished = datetime.fromisoformat(str(last.finished_at).replace("Z", "+00:00"))
    except ValueError:
        return None
    # A container that never started reports startedAt as the Unix epoch (runc StartError).
    if started.year < 2000 or finished < started:
        return None
    return (finished - started).total_seconds()


def _steady_growth(log: str) -> bool:
    values = []
    for line in log.splitlines()[-500:]:
        match = _MEMORY_FIGURE.search(line)
        if match:
            values.append(float(match.group(1)) * _UNITS.get(match.group(2).lower(), 1))
    if len(values) < LEAK_MIN_SAMPLES or values[0] <= 0:
        return False
    rising = sum(1 for a, b in zip(values, values[1:], strict=False) if b >= a)
    return rising >= 0.8 * (len(values) - 1) and values[-1] >= LEAK_GROWTH_FACTOR * values[0]


def heap_flag_bytes(flags: tuple[str, ...]) -> int | None:
    """The heap ceiling a runtime flag sets, in bytes (the last flag wins, as in the JVM)."""
    result = None
    for flag in flags:
        if flag.startswith("-Xmx"):
            text = flag[4:]
            unit = text[-1].lower() if text and text[-1].isalpha() else ""
            number = int(text[:-1] if unit else text)
            result = number * {"": 1, "k": 1024, "m": 2**20, "g": 2**30}[unit]
        elif flag.startswith("--max-old-space-size="):
            result = int(flag.split("=", 1)[1]) * 2**20
    return result


@dataclass(frozen=True)
class _Kill:
    """The OOM-killed container and its memory figures, as read from the pod."""

    facts: ContainerFacts
    exit_code: int | None
    quoted: str
    limit_text: str
    limit: int
    request: int

    @property
    def shown(self) -> str:
        """The limit as written, with its reading when that differs (``1G (≈954Mi)``)."""
        readable = quantity.format_bytes(self.limit)
        return self.limit_text if readable == self.limit_text else f"{self.limit_text} (≈{readable})"

    def escalate(self, cause: str, confidence: int = 90) -> Diagnosis:
        return Diagnosis(category=Category.OOM_KILLED, root_cause=cause, remedy=ESCALATE,
                         confidence=confidence, evidence=(self.quoted,), source="rule:oom_killed")


def oom_killed(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    """OOMKilled (exit 137) in lastState: raise the limit by the VPA rule, within the bounds."""
    if evidence.category is not Category.OOM_KILLED:
        return None
    facts = evidence.focus
    if facts is None or not _oom(facts):
        facts = next((c for c in evidence.containers if _oom(c)), None)
    if facts is None:
        return None
    kill = _read_kill(facts)
    if isinstance(kill, Diagnosis):
        return kill
    note = context.last_remediation or RemediationNote()
    return (_after_our_raise(kill, note, evidence) or _heap_above_limit(kill)
            or _at_ceiling(kill, context) or _raise(kill, note, evidence, context))


def _read_kill(facts: ContainerFacts) -> _Kill | Diagnosis:
    """The kill's figures, or an escalation when the container has no readable memory limit."""
    killed = facts.last_terminated or facts.terminated
    exit_code = killed.exit_code if killed is not None else None
    quoted = (f"container {facts.name}: lastState.terminated.reason=OOMKilled, exitCode={exit_code}, "
              f"restarts={facts.restart_count}")
    limit_text = facts.limits.get("memory")
    unread = _Kill(facts, exit_code, quoted, limit_text or "", 0, 0)
    if not limit_text or quantity.is_zero(limit_text):
        written = f" (its limit is {limit_text!r}, which means none)" if limit_text else ""
        return unread.escalate(f"Container {facts.name} was OOM-killed with no memory limit{written}: the node or "
                               "the pod's cgroup ran out of memory. Set a memory request and limit from observed "
                               "usage.")
    try:
        limit = quantity.parse_bytes(limit_text)
        request = quantity.parse_bytes(facts.requests.get("memory", "0") or "0")
    except quantity.QuantityError:
        return unread.escalate(f"Container {facts.name} was OOM-killed, but its memory figures cannot be read "
                               f"({limit_text!r}): a person must look.")
    return _Kill(facts, exit_code, quoted, limit_text, limit, request)


def _after_our_raise(kill: _Kill, note: RemediationNote, evidence: Evidence) -> Diagnosis | None:
    """Killed again on the template KubeSent raised: the bump did not help (DESIGN.md principle 6)."""
    name = kill.facts.name
    if note.remedy == RemedyKind.RAISE_MEMORY_LIMIT and note.container == name \
            and note.template_hash and note.template_hash != evidence.template_hash:
        was = note.previous.get("memory_limit", "?")
        return kill.escalate(f"Container {name} is still OOM-killed after KubeSent raised its memory limit "
                             f"(previously {was}): the bump did not help. Investigate memory use; roll back if "
                             "needed.", 95)
    return None


def _heap_above_limit(kill: _Kill) -> Diagnosis | None:
    """A runtime heap flag at or above the limit: the heap flag is the fault, not the limit."""
    facts = kill.facts
    heap = heap_flag_bytes(facts.heap_flags)
    if heap is None or heap < HEAP_SHARE_OF_LIMIT * kill.limit:
        return None
    return Diagnosis(category=Category.OOM_KILLED,
                     remedy=Remedy(kind=RemedyKind.FIX_COMMAND_OR_ARGS, container=facts.name),
                     root_cause=(f"Container {facts.name} sets a heap of {quantity.format_bytes(heap)} "
                                 f"({', '.join(facts.heap_flags)}) against a memory limit of {kill.limit_text}: the "
                                 "runtime is allowed to grow past the cgroup limit. Lower the heap flag (or use "
                                 "-XX:MaxRAMPercentage) so heap plus overhead fits the limit."),
                     confidence=90, evidence=(kill.quoted, f"heap flags: {' '.join(facts.heap_flags)}"),
                     source="rule:oom_killed")


def _at_ceiling(kill: _Kill, context: RuleContext) -> Diagnosis | None:
    if kill.limit < context.memory_ceiling_bytes:
        return None
    return kill.escalate(f"Container {kill.facts.name} was OOM-killed at {kill.shown}, already at or above the "
                         f"ceiling of {quantity.format_bytes(context.memory_ceiling_bytes)}: a person must decide.")


def _total_cap(kill: _Kill, note: RemediationNote, context: RuleContext) -> tuple[int, Diagnosis | None]:
    """The most KubeSent may raise this limit to in total (0: no earlier raise), or an escalation."""
    original = note.original_value("memory_limit", kill.facts.name)
    try:
        cap_total = int(quantity.parse_bytes(str(original)) * context.max_total_increase_factor) if original else 0
    except quantity.QuantityError:
        cap_total = 0
    if cap_total and kill.limit >= cap_total:
        return cap_total, kill.escalate(
            f"Container {kill.facts.name} already had its memory limit raised from {original} to "
            f"{kill.limit_text}, the most KubeSent may add in total: a person must decide.")
    return cap_total, None


def _why_propose_only(facts: ContainerFacts) -> str | None:
    """Why a raise must wait for a person: the kill looks like growth, not an undersized limit."""
    uptime = uptime_seconds(facts)
    if uptime is not None and uptime >= LEAK_UPTIME_SECONDS:
        return (f"the container ran {uptime / 3600:.1f} h before the kill: usage grew into the limit, "
                "which looks like a leak that more memory only delays")
    if _steady_growth(facts.logs_previous or facts.logs_current):
        return "the logs show memory growing steadily until the kill, which looks like a leak"
    return None


def _raise(kill: _Kill, note: RemediationNote, evidence: Evidence, context: RuleContext) -> Diagnosis:
    """The VPA rule's raise, capped by the ceiling and the total cap."""
    facts = kill.facts
    # An OOM kill means the peak reached the limit: used = max(request, limit).
    needed = bounds.needed_memory_bytes(max(kill.limit, kill.request))
    capped = min(needed, context.memory_ceiling_bytes)
    cap_total, refused = _total_cap(kill, note, context)
    if refused is not None:
        return refused
    if cap_total:
        capped = min(capped, cap_total)
    new_limit = quantity.format_bytes(capped)
    propose_only = _why_propose_only(facts)
    cause = (f"Container {facts.name} was OOM-killed (exit code {kill.exit_code}) at its memory limit of "
             f"{kill.shown}. By the VPA rule (max(used + 100Mi, used × 1.2)) it needs at least "
             f"{quantity.format_bytes(needed)}; proposed limit {new_limit}.")
    if capped < needed:
        cause += f" Capped by the ceiling of {quantity.format_bytes(context.memory_ceiling_bytes)}."
    if _injected(evidence, facts.name):
        cause += (f" Container {facts.name} is not in the workload's template: it is injected (a service mesh "
                  "sidecar, say), so set its limit through the injector, e.g. Istio's "
                  "sidecar.istio.io/proxyMemoryLimit annotation on the pod template.")
    if propose_only:
        cause += f" Not applied automatically: {propose_only}."
    lines = [kill.quoted]
    growth_line = find_line(_MEMORY_FIGURE, facts.logs_previous or facts.logs_current) if propose_only else None
    if growth_line:
        lines.append(growth_line)
    return Diagnosis(category=Category.OOM_KILLED, root_cause=cause,
                     remedy=Remedy(kind=RemedyKind.RAISE_MEMORY_LIMIT, container=facts.name, memory_limit=new_limit),
                     confidence=95 if not propose_only else 80, evidence=tuple(lines), source="rule:oom_killed",
                     propose_only=propose_only)


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


def _injected(evidence: Evidence, name: str) -> bool:
    """The container is in the pod but not in the owner's template (a mesh sidecar, say)."""
    spec = objects.as_dict(evidence.owner.template.get("spec"))
    has_template = any(objects.as_list(spec.get(section)) for section in ("containers", "initContainers"))
    return has_template and templates.find_container(spec, name) is None


def _oom(facts: ContainerFacts) -> bool:
    last = facts.last_terminated or facts.terminated
    return last is not None and last.reason == "OOMKilled"


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
