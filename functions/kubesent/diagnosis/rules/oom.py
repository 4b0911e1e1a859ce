"""The OOM-kill rule: raise the limit by the VPA rule only when the evidence says the limit is too small.

A raise fixes a container whose working set outgrew its limit at start-up. It only delays a leak, and
it cannot help a runtime whose heap ignores or follows the limit. So, in order:
1. a kill after KubeSent already raised this limit escalates (a failed fix is never repeated);
2. a runtime that sizes its heap past the limit, from the limit, or from the node, or a Go collector that
   cannot act before the kill, gets its flag fixed;
3. a command that writes without bound gets a person;
4. otherwise the VPA rule's number, written on its own only for the start-up shape (killed within
   minutes of starting, every run short, no earlier raise: neither KubeSent's, on record, nor anyone's,
   seen in a Deployment's older ReplicaSets with a lower limit) or when the memory trend shows a plateau
   at the limit; anything else is proposed with the reason.

Pure: reads Evidence and RuleContext only. Listed in ``registry.RULES``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubesent import bounds, objects, quantity
from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules.memory import MEMORY_FIGURE, steady_growth
from kubesent.diagnosis.rules.text import find_line
from kubesent.diagnosis.schema import ESCALATE, Diagnosis, Remedy, RemedyKind
from kubesent.evidence import podfacts, rollout, runtime, templates, trend
from kubesent.evidence.annotation import RemediationNote
from kubesent.evidence.category import Category
from kubesent.evidence.model import ContainerFacts, Evidence

# A working set that outgrows its limit does so while the process starts: loading code, caches, a JIT.
# Past this, the kill follows traffic or time: growth a raise only delays. Half the kubelet's 10 minutes
# of running after which it counts a container as started well (it resets the crash back-off then).
STARTUP_WINDOW_SECONDS = 300
# A fixed heap at or above this share of the limit leaves no room for metaspace, threads and buffers.
HEAP_SHARE_OF_LIMIT = 0.9
# A heap sized at this share of the limit or more leaves too little for the rest of the JVM: lower the
# share, since a raise grows the heap with it.
HEAP_PERCENTAGE_TOO_HIGH = 75.0
# The kubelet's crash back-off: 10 s doubling to 5 minutes (pkg/kubelet/kubelet.go).
BACKOFF_INITIAL_SECONDS = 10
BACKOFF_MAX_SECONDS = 300
# Older revisions named in a reason: enough to show the history of raises, few enough to read.
MAX_REVISIONS_NAMED = 3


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

    def fix_flags(self, cause: str, *lines: str) -> Diagnosis:
        return Diagnosis(category=Category.OOM_KILLED,
                         remedy=Remedy(kind=RemedyKind.FIX_COMMAND_OR_ARGS, container=self.facts.name),
                         root_cause=cause, confidence=90, evidence=(self.quoted, *lines), source="rule:oom_killed")


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
    return (_after_our_raise(kill, note, evidence) or _after_a_recorded_raise(kill, evidence, context)
            or _heap_above_limit(kill) or _heap_share(kill)
            or _jvm_blind(kill) or _go_collector(kill) or _unbounded(kill) or _at_ceiling(kill, context)
            or _raise(kill, note, evidence, context))


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


def _after_a_recorded_raise(kill: _Kill, evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    """The ledger's history, which no later remediation or edit can hide: a pod stamped after KubeSent's
    raise of this container is killed again, so the raise failed and is never repeated."""
    hashes = context.memory_raises.get(kill.facts.name)
    if hashes is None or evidence.template_hash in hashes:
        return None  # never raised, or this pod predates the raise (it is being replaced)
    return kill.escalate(f"Container {kill.facts.name} is OOM-killed again on a template KubeSent's earlier "
                         "memory raise produced: the raise did not help, and KubeSent does not repeat a failed "
                         "fix. Investigate memory use.", 95)


def _heap_above_limit(kill: _Kill) -> Diagnosis | None:
    """A fixed heap (its maximum, or a floor the JVM never shrinks below) at or above the limit: the heap flag
    is the fault, not the limit."""
    facts = kill.facts
    sizing = runtime.heap_sizing(facts.heap_flags)
    floor = sizing.floor_bytes()
    if floor is None or floor < HEAP_SHARE_OF_LIMIT * kill.limit:
        return None
    flags = sizing.floor_flag() + (f"; flags: {', '.join(facts.heap_flags)}" if len(facts.heap_flags) > 1 else "")
    return kill.fix_flags(f"Container {facts.name} sets a heap of {quantity.format_bytes(floor)} "
                          f"({flags}) against a memory limit of "
                          f"{kill.limit_text}: the runtime is allowed to grow past the cgroup limit. Lower the heap "
                          "flag (or use -XX:MaxRAMPercentage) so heap plus overhead fits the limit.",
                          f"heap flags: {' '.join(facts.heap_flags)}")


def _heap_share(kill: _Kill) -> Diagnosis | None:
    """A heap sized as a large share of the limit: a raise grows the heap with it. An explicit maximum (-Xmx)
    overrides the percentage; a starting share (InitialRAMPercentage) is capped by it, so never decides alone."""
    sizing = runtime.heap_sizing(kill.facts.heap_flags)
    share = sizing.limit_share()
    if share is None or share < HEAP_PERCENTAGE_TOO_HIGH:
        return None
    starting = sizing.starting_share()
    starts = (f", and starts it there ({sizing.initial_flag}), so it behaves like a fixed heap"
              if starting is not None and starting >= HEAP_PERCENTAGE_TOO_HIGH else "")
    return kill.fix_flags(f"Container {kill.facts.name} sizes its JVM heap at {share:g}% of the memory "
                          f"limit ({sizing.flag}){starts}, leaving too little for metaspace, threads and buffers; a "
                          "bigger limit grows the heap with it. Lower MaxRAMPercentage (the JVM's default is "
                          f"{runtime.JVM_DEFAULT_MAX_RAM_PERCENTAGE:g}%).",
                          f"heap flags: {' '.join(kill.facts.heap_flags)}")


def _go_collector(kill: _Kill) -> Diagnosis | None:
    """A Go runtime whose collector cannot act before the kill: GOGC=off with no soft limit, or a soft limit
    (GOMEMLIMIT, Go 1.19+) at or above the container's limit (FACTS.md §9)."""
    sizing = runtime.heap_sizing(kill.facts.heap_flags)
    soft = sizing.go_soft_limit_bytes
    if soft is not None and soft >= kill.limit:
        why = (f"its Go soft memory limit GOMEMLIMIT ({quantity.format_bytes(soft)}) is at or above the memory limit, "
               "so the collector never works harder before the kill")
    elif soft is None and sizing.go_gc_off:
        why = "its Go collector is off (GOGC=off) with no GOMEMLIMIT, so the heap grows until the kill"
    else:
        return None
    return kill.fix_flags(f"Container {kill.facts.name} was OOM-killed at {kill.shown}: {why}. Set GOMEMLIMIT to "
                          "about 90% of the limit (and raise the limit only if the live memory needs it).",
                          f"runtime settings: {' '.join(kill.facts.heap_flags)}")


def _jvm_blind(kill: _Kill) -> Diagnosis | None:
    """A JVM that cannot see the limit sizes its heap from the node: no limit is ever enough."""
    why = runtime.jvm_without_container_support(kill.facts.image)
    if why is None or runtime.heap_sizing(kill.facts.heap_flags).fixed_bytes is not None:
        return None
    return kill.fix_flags(f"Container {kill.facts.name} was OOM-killed at {kill.shown}: {why}. Set -Xmx to fit "
                          "the limit, or move to a container-aware JDK.", f"image: {kill.facts.image}")


def _unbounded(kill: _Kill) -> Diagnosis | None:
    """A command that writes without bound fills any limit: a person must fix the command."""
    fragment = runtime.unbounded_writer((*kill.facts.command, *kill.facts.args))
    if fragment is None:
        return None
    return kill.fix_flags(f"Container {kill.facts.name} was OOM-killed at {kill.shown}, and its command writes "
                          f"without bound ({fragment!r}): any limit fills. Fix the command.", f"command: {fragment}")


def _at_ceiling(kill: _Kill, context: RuleContext) -> Diagnosis | None:
    if kill.limit < context.memory_ceiling_bytes:
        return None
    return kill.escalate(f"Container {kill.facts.name} was OOM-killed at {kill.shown}, already at or above the "
                         f"ceiling of {quantity.format_bytes(context.memory_ceiling_bytes)}: a person must decide.")


def _total_cap(kill: _Kill, note: RemediationNote, context: RuleContext) -> tuple[int, Diagnosis | None]:
    """The most KubeSent may raise this limit to in total (0: no earlier raise), or an escalation."""
    original = (context.original_memory_limits.get(kill.facts.name)
                or note.original_value("memory_limit", kill.facts.name))
    try:
        cap_total = int(quantity.parse_bytes(str(original)) * context.max_total_increase_factor) if original else 0
    except quantity.QuantityError:
        cap_total = 0
    if cap_total and kill.limit >= cap_total:
        return cap_total, kill.escalate(
            f"Container {kill.facts.name} already had its memory limit raised from {original} to "
            f"{kill.limit_text}, the most KubeSent may add in total: a person must decide.")
    return cap_total, None


def _why_not_on_its_own(kill: _Kill, note: RemediationNote, evidence: Evidence,
                        context: RuleContext) -> str | None:
    """Why the raise must wait for a person, or None when the evidence shows an undersized limit."""
    facts = kill.facts
    shape = evidence.memory_trend
    if shape is not None and shape.kind is trend.TrendKind.LEAK:
        return f"the memory trend grows steadily until the kill ({shape.describe()}), which looks like a leak"
    if (note.remedy == RemedyKind.RAISE_MEMORY_LIMIT and note.container == facts.name) or (
            facts.name in context.memory_raises):
        return "KubeSent already raised this limit once; a second kill points to growth a raise only delays"
    earlier = _earlier_raise(kill, evidence)
    if earlier is not None:
        return earlier
    if shape is not None and shape.kind is trend.TrendKind.UNDERSIZED:
        return None
    run = podfacts.last_run_seconds(facts)
    if run is None:
        return "how long the container ran before the kill is unknown, so start-up cannot be told from growth"
    if run > STARTUP_WINDOW_SECONDS:
        return (f"the container ran {_duration(run)} before the kill: its memory grew with traffic or time, "
                "which a raise only delays")
    average = _average_run_seconds(facts, evidence)
    if average is not None and average > STARTUP_WINDOW_SECONDS:
        return (f"its runs lasted {_duration(average)} on average ({facts.restart_count} restarts since the pod "
                "started): it was killed after running, not while starting")
    if steady_growth(facts.logs_previous or facts.logs_current):
        return "the logs show memory growing steadily until the kill, which looks like a leak"
    return None


def _earlier_raise(kill: _Kill, evidence: Evidence) -> str | None:
    """The Deployment's older revisions that ran this container with a lower limit: whoever made the change,
    the limit was raised before and the container is killed again, so a raise did not hold."""
    found = evidence.rollout
    if found is None:
        return None
    lower: list[str] = []
    for revision, limit_text in rollout.earlier_limits(found, container=kill.facts.name, resource="memory"):
        try:
            lowered = limit_text is not None and quantity.parse_bytes(limit_text) < kill.limit
        except quantity.QuantityError:
            lowered = False
        if lowered:
            lower.append(f"revision {revision.number} ({revision.name}) had {limit_text}")
    if not lower:
        return None
    shown = "; ".join(lower[:MAX_REVISIONS_NAMED]) + ("; …" if len(lower) > MAX_REVISIONS_NAMED else "")
    return (f"the limit was raised before ({shown}; revision {found.current.number}, this pod's, has "
            f"{kill.limit_text}) and the container is killed again: a kill after a raise points to growth a raise "
            "only delays; if each raise only lengthened the time to the next kill, it is a leak")


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
    propose_only = _why_not_on_its_own(kill, note, evidence, context)
    run = podfacts.last_run_seconds(facts)
    ran = f" after {_duration(run)} of running" if run is not None else ""
    cause = (f"Container {facts.name} was OOM-killed (exit code {kill.exit_code}){ran} at its memory limit of "
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
    if evidence.memory_trend is not None:
        lines.append(f"memory trend: {evidence.memory_trend.describe()}")
    growth_line = find_line(MEMORY_FIGURE, facts.logs_previous or facts.logs_current) if propose_only else None
    if growth_line:
        lines.append(growth_line)
    return Diagnosis(category=Category.OOM_KILLED, root_cause=cause,
                     remedy=Remedy(kind=RemedyKind.RAISE_MEMORY_LIMIT, container=facts.name, memory_limit=new_limit),
                     confidence=95 if not propose_only else 80, evidence=tuple(lines), source="rule:oom_killed",
                     propose_only=propose_only)


def _average_run_seconds(facts: ContainerFacts, evidence: Evidence) -> float | None:
    """The pod's age at the event, less the kubelet's back-off between restarts, over its runs."""
    started = podfacts.parse_time(evidence.pod_started_at)
    occurred = evidence.event.occurred_at
    if started is None or occurred is None or facts.restart_count <= 0:
        return None
    backoff = sum(min(BACKOFF_INITIAL_SECONDS * 2**i, BACKOFF_MAX_SECONDS) for i in range(facts.restart_count))
    running = (occurred - started).total_seconds() - backoff
    return float(max(running, 0.0)) / (facts.restart_count + 1)


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def _injected(evidence: Evidence, name: str) -> bool:
    """The container is in the pod but not in the owner's template (a mesh sidecar, say)."""
    spec = objects.as_dict(evidence.owner.template.get("spec"))
    has_template = any(objects.as_list(spec.get(section)) for section in ("containers", "initContainers"))
    return has_template and templates.find_container(spec, name) is None


def _oom(facts: ContainerFacts) -> bool:
    last = facts.last_terminated or facts.terminated
    return last is not None and last.reason == "OOMKilled"
