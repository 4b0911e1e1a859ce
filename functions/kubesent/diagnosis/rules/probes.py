"""Rules for probe failures: fix the probe only when the probe itself is wrong. Pure.

Wrong port (not a port the container declares), wrong path (404), or a start-up slower than the
liveness probe allows. A probe answering 5xx means the app is failing: escalate, never loosen it.
"""

from __future__ import annotations

import math

from kubesent import bounds
from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules.text import INLINE_QUOTE_CHARS, MAX_QUOTE_CHARS, compile_pattern, find_line, quote
from kubesent.diagnosis.schema import ESCALATE, MAX_PROBE_SECONDS, Diagnosis, Remedy, RemedyKind
from kubesent.evidence.category import Category
from kubesent.evidence.model import ContainerFacts, Evidence, ProbeFacts

_PROBE_KIND = compile_pattern(r"^(Liveness|Readiness|Startup) probe (?:failed|errored)")
_STATUS = compile_pattern(r"statuscode: ([0-9]{3})")
_REFUSED = compile_pattern(r"(?i)connection refused|connect: connection reset|no route to host")
_TIMEOUT = compile_pattern(r"(?i)context deadline exceeded|Client\.Timeout exceeded|timeout|timed out")
# Spring Boot, Quarkus, Micronaut, Node/Express, Go servers: how apps announce they finished starting.
_STARTED_IN = compile_pattern(r"(?i)started \S*.{0,80}? in ([0-9]+(?:\.[0-9]+)?) ?(ms|milliseconds|s|seconds|sec)\b")
_STARTING = compile_pattern(r"(?i)starting|initiali[sz]ing|loading|warming|migrat|bootstrapping|connecting")
# Margin on an observed start-up time, for a slower node or a cold cache.
STARTUP_MARGIN_FACTOR = 1.5
STARTUP_MARGIN_SECONDS = 10


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
    slow = _slow_start(facts, probe, probe_name)
    if slow is not None:
        return diagnosis(slow.remedy, slow.root_cause, slow.confidence, *slow.evidence)
    if _TIMEOUT.search(message) and probe.timeout_seconds <= 1:
        return diagnosis(Remedy(kind=RemedyKind.FIX_PROBE, container=facts.name, probe=probe_name,
                                probe_timeout_seconds=5),
                         f"The {probe_name} probe of {facts.name} times out with "
                         f"timeoutSeconds={probe.timeout_seconds}. A 1 s timeout fails on any pause (GC, a busy "
                         "CPU); 5 s is a common setting. If the "
                         "endpoint is slow because the app is overloaded, fix that instead.", 70)
    return None


def _slow_start(facts: ContainerFacts, probe: ProbeFacts, probe_name: str) -> Diagnosis | None:
    """Liveness kills a container that was still starting: raise initialDelaySeconds to fit start-up."""
    if probe_name != "liveness" or facts.restart_count == 0:
        return None
    if any(p.name == "startup" for p in facts.probes):
        return None
    log = facts.logs_previous or facts.logs_current
    started = _STARTED_IN.search(log) if log else None
    budget = probe.initial_delay_seconds + probe.period_seconds * probe.failure_threshold
    if started:
        seconds = float(started.group(1)) / (1000 if started.group(2).lower() in ("ms", "milliseconds") else 1)
        if seconds <= budget:
            return None
        delay = min(MAX_PROBE_SECONDS, math.ceil(bounds.step_ceiling(seconds, factor=STARTUP_MARGIN_FACTOR,
                                                                     margin=STARTUP_MARGIN_SECONDS)))
        return Diagnosis(
            category=Category.PROBE_FAILURE, confidence=92, source="rule:probe_failure",
            evidence=(started.group(0)[:MAX_QUOTE_CHARS],),
            remedy=Remedy(kind=RemedyKind.FIX_PROBE, container=facts.name, probe="liveness",
                          probe_initial_delay_seconds=delay),
            root_cause=(f"{facts.name} needs about {seconds:.0f} s to start, but its liveness probe starts failing "
                        f"it after {budget} s (initialDelaySeconds {probe.initial_delay_seconds} + "
                        f"{probe.failure_threshold} × {probe.period_seconds} s), so it is killed while starting. "
                        f"Raise initialDelaySeconds to {delay}."))
    last = find_line(_STARTING, log) if log else None
    if last is not None and not facts.ready and _REFUSED.search(log) is None:
        delay = min(MAX_PROBE_SECONDS, max(2 * probe.initial_delay_seconds, probe.initial_delay_seconds + 30))
        return Diagnosis(
            category=Category.PROBE_FAILURE, confidence=70, source="rule:probe_failure", evidence=(last,),
            remedy=Remedy(kind=RemedyKind.FIX_PROBE, container=facts.name, probe="liveness",
                          probe_initial_delay_seconds=delay),
            root_cause=(f"{facts.name} is killed by its liveness probe while its log still shows start-up work, "
                        f"within {budget} s of starting. It may need longer to start: consider initialDelaySeconds "
                        f"{delay} or a startupProbe."))
    return None
