"""Rules for probe failures: fix the probe only when the probe itself is wrong. Pure.

Wrong port (not a port the container declares), wrong path (404), or a start-up slower than the
liveness probe allows (judged from the kubelet's facts: restarts, kills, run lengths, readiness). A probe
answering 5xx means the app is failing: escalate, never loosen it.
"""

from __future__ import annotations

from kubesent import bounds
from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules.text import INLINE_QUOTE_CHARS, MAX_QUOTE_CHARS, compile_pattern, find_line, quote
from kubesent.diagnosis.schema import ESCALATE, MAX_PROBE_SECONDS, Diagnosis, Remedy, RemedyKind
from kubesent.evidence import podfacts
from kubesent.evidence.category import Category
from kubesent.evidence.model import ContainerFacts, Evidence, ProbeFacts

_PROBE_KIND = compile_pattern(r"^(Liveness|Readiness|Startup) probe (?:failed|errored)")
_STATUS = compile_pattern(r"statuscode: ([0-9]{3})")
_REFUSED = compile_pattern(r"(?i)connection refused|connect: connection reset|no route to host")
_TIMEOUT = compile_pattern(r"(?i)context deadline exceeded|Client\.Timeout exceeded|timeout|timed out")
# Spring Boot, Quarkus, Micronaut, Node/Express, Go servers: how apps announce they finished starting.
_STARTED_IN = compile_pattern(r"(?i)started \S*.{0,80}? in ([0-9]+(?:\.[0-9]+)?) ?(ms|milliseconds|s|seconds|sec)\b")
# The pod's default terminationGracePeriodSeconds (core/v1 defaults).
DEFAULT_GRACE_SECONDS = 30
# One step of initialDelaySeconds, as the policy bounds it (policy._PROBE_STEP): ×4 or +120 s.
INITIAL_DELAY_STEP_FACTOR = 4
INITIAL_DELAY_STEP_SECONDS = 120


def _probe(facts: ContainerFacts, name: str) -> ProbeFacts | None:
    return next((p for p in facts.probes if p.name == name), None)


def _declared(facts: ContainerFacts, port: int | str | None) -> bool:
    return any(port in (number, name) for name, number in facts.ports)


# Servers announcing a loopback-only address: the kubelet probes the pod IP, so they refuse it.
_LOOPBACK_BIND = compile_pattern(r"(?i)(?:running on|listening on|listening at|bound to|serving on|started on|"
                                 r"server at|bind(?:ing)? to)\s+(?:https?://)?(?:127\.0\.0\.1|localhost|\[::1\])[:/]?")
_GRPC_NO_HEALTH = compile_pattern(r"(?i)does not implement the grpc health protocol|unknown service grpc\.health")
_LIVENESS_KILL = compile_pattern(r"failed (?:liveness|startup) probe, will be restarted")
# Exit codes of a container the kubelet killed: SIGKILL (137) or SIGTERM honoured (143).
_KILLED_EXIT_CODES = (137, 143)


def _probe_message(evidence: Evidence) -> str | None:
    """The probe failure to reason about: the Unhealthy event itself, or, for a container that was
    killed and is now backing off, the newest liveness/startup failure among the pod's events."""
    if evidence.category is Category.PROBE_FAILURE:
        return evidence.event_message
    facts = evidence.focus
    last = (facts.last_terminated or facts.terminated) if facts else None
    if evidence.category is not Category.CRASH_LOOP or last is None or last.exit_code not in _KILLED_EXIT_CODES:
        return None
    if not any(e.reason == "Killing" and _LIVENESS_KILL.search(e.message) for e in evidence.events) and not any(
            e.reason == "Unhealthy" and e.message.startswith(("Liveness", "Startup")) for e in evidence.events):
        return None
    for event in evidence.events:  # newest first
        if event.reason == "Unhealthy" and event.message.startswith(("Liveness", "Startup")):
            return event.message
    return None


def probe_failure(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    del context
    if evidence.focus is None:
        return None
    message = _probe_message(evidence)
    if message is None:
        return None
    facts = evidence.focus
    kind_match = _PROBE_KIND.search(message)
    if kind_match is None:
        return None
    probe_name = kind_match.group(1).lower()
    probe = _probe(facts, probe_name)
    quoted = quote(message)

    def diagnosis(remedy: Remedy, cause: str, confidence: int, *lines: str) -> Diagnosis:
        return Diagnosis(category=Category.PROBE_FAILURE, remedy=remedy, root_cause=cause, confidence=confidence,
                         evidence=(quoted, *lines), source="rule:probe_failure")

    status = _STATUS.search(message)
    if _GRPC_NO_HEALTH.search(message):
        return diagnosis(Remedy(kind=RemedyKind.FIX_PROBE, container=facts.name, probe=probe_name),
                         f"The {probe_name} probe of {facts.name} is a gRPC health check, but the server does not "
                         "implement grpc.health.v1.Health: register the health service, or probe with tcpSocket "
                         "or httpGet instead.", 88)
    bind_line = find_line(_LOOPBACK_BIND, facts.logs_previous, facts.logs_current) if _REFUSED.search(message) else None
    if bind_line:
        return diagnosis(Remedy(kind=RemedyKind.FIX_COMMAND_OR_ARGS, container=facts.name),
                         f"{facts.name} listens on the loopback address only ({bind_line[:INLINE_QUOTE_CHARS]!r}), "
                         "so the kubelet's "
                         f"{probe_name} probe to the pod IP is refused. Bind to 0.0.0.0 (e.g. --host 0.0.0.0) in the "
                         "command or config.",
                         90, bind_line)
    if status and status.group(1).startswith("5"):
        return diagnosis(ESCALATE, f"The app in {facts.name} answers its {probe_name} probe with HTTP "
                         f"{status.group(1)}: the app itself reports it is unhealthy. Loosening the probe would hide "
                         "it; investigate the app and its dependencies.", 85)
    if probe is None:
        return None

    if probe.handler in ("httpGet", "tcpSocket", "grpc") and facts.ports and not _declared(facts, probe.port) \
            and _REFUSED.search(message):
        declared = [number for _, number in facts.ports]
        port = declared[0] if len(declared) == 1 else None
        return diagnosis(Remedy(kind=RemedyKind.FIX_PROBE, container=facts.name, probe=probe_name,
                                probe_port=port),
                         f"The {probe_name} probe of {facts.name} targets port {probe.port}, which the container "
                         f"does not declare (it declares {', '.join(map(str, declared))}); connections are refused. "
                         "Point the probe at the port the app listens on.", 88)
    if status and status.group(1) == "404":
        return diagnosis(Remedy(kind=RemedyKind.FIX_PROBE, container=facts.name, probe=probe_name),
                         f"The {probe_name} probe of {facts.name} requests {probe.path!r}, which the app answers "
                         "with 404 Not Found: the probe path is wrong.", 85)
    slow = _slow_start(evidence, facts, probe, probe_name)
    if slow is not None:
        return slow
    if _TIMEOUT.search(message) and probe.timeout_seconds <= 1:
        return diagnosis(Remedy(kind=RemedyKind.FIX_PROBE, container=facts.name, probe=probe_name,
                                probe_timeout_seconds=5),
                         f"The {probe_name} probe of {facts.name} times out with "
                         f"timeoutSeconds={probe.timeout_seconds}. A 1 s timeout fails on any pause (GC, a busy "
                         "CPU); 5 s is a common setting. If the "
                         "endpoint is slow because the app is overloaded, fix that instead.", 70)
    return None


def _slow_start(evidence: Evidence, facts: ContainerFacts, probe: ProbeFacts, probe_name: str) -> Diagnosis | None:
    """The liveness probe kills the container while it is still starting: give it one bounded step more.

    The facts are the kubelet's: the container was restarted, the kubelet killed it for failing its
    liveness probe, it never became Ready, and its last run lasted no longer than the probe allows a
    dead app. The new initialDelaySeconds doubles the probe's detection time at most. The app's own log
    ("started in 85 s") is text anyone who reaches the app can write: it may only make KubeSent more
    careful (it says start-up takes longer than one step gives: a person decides), never set the number.
    """
    if probe_name != "liveness" or facts.restart_count == 0 or facts.ready:
        return None
    if any(p.name == "startup" for p in facts.probes) or not _killed_by_liveness(evidence, facts):
        return None
    budget = bounds.probe_detection_seconds(initial_delay=probe.initial_delay_seconds, period=probe.period_seconds,
                                            failure_threshold=probe.failure_threshold, timeout=probe.timeout_seconds)
    run = podfacts.last_run_seconds(facts)
    # After the last failed probe the kubelet stops the container, which may take its grace period.
    grace = evidence.pod_spec.get("terminationGracePeriodSeconds")
    allowance = budget + max(probe.period_seconds, grace if isinstance(grace, int) else DEFAULT_GRACE_SECONDS)
    if run is None or run > allowance:
        return None  # it ran past what the probe allows a dead app: it started, then failed
    delay = min(MAX_PROBE_SECONDS, probe.initial_delay_seconds + budget,
                int(bounds.step_ceiling(probe.initial_delay_seconds, factor=INITIAL_DELAY_STEP_FACTOR,
                                        margin=INITIAL_DELAY_STEP_SECONDS)))
    detection = delay + budget - probe.initial_delay_seconds
    log = facts.logs_previous or facts.logs_current
    started = _STARTED_IN.search(log) if log else None
    claimed = (float(started.group(1)) / (1000 if started.group(2).lower() in ("ms", "milliseconds") else 1)
               if started else None)
    if claimed is not None and claimed <= budget:
        return None  # the app says it starts within the probe's budget: the probe is not the problem
    propose_only = None
    if claimed is not None and claimed > detection:
        propose_only = (f"the app's log says start-up takes {claimed:.0f} s, more than one bounded step "
                        f"({detection} s) reaches: set initialDelaySeconds or a startupProbe deliberately")
    lines = [f"container {facts.name}: killed by its liveness probe after {run:.0f} s of running, "
             f"{facts.restart_count} restarts, never Ready"]
    if started:
        lines.append(started.group(0)[:MAX_QUOTE_CHARS])
    return Diagnosis(
        category=Category.PROBE_FAILURE, confidence=92 if started else 90, source="rule:probe_failure",
        evidence=tuple(lines), propose_only=propose_only,
        remedy=Remedy(kind=RemedyKind.FIX_PROBE, container=facts.name, probe="liveness",
                      probe_initial_delay_seconds=delay),
        root_cause=(f"{facts.name} is killed by its liveness probe while starting: it never became Ready and ran "
                    f"{run:.0f} s, as long as the probe gives a dead app ({budget} s: initialDelaySeconds "
                    f"{probe.initial_delay_seconds} + {probe.failure_threshold} × {probe.period_seconds} s + "
                    f"timeout {probe.timeout_seconds} s) and the kill takes. Raise initialDelaySeconds to "
                    f"{delay}, which at most doubles how long a dead app goes unnoticed."))


def _killed_by_liveness(evidence: Evidence, facts: ContainerFacts) -> bool:
    """The kubelet's own word: a Killing event for a failed liveness probe, or the kill's exit code."""
    last = facts.last_terminated or facts.terminated
    killed = last is not None and last.exit_code in _KILLED_EXIT_CODES
    said = any(e.reason == "Killing" and _LIVENESS_KILL.search(e.message) and e.reporter in ("kubelet", "")
               for e in evidence.events)
    return killed or said
