"""Renders Evidence into the model's prompt: ``prompt.txt`` filled in with ``string.Template``.

The evidence goes between a per-request fence (``<<<UNTRUSTED-DATA-{nonce}>>>``) that the data
cannot forge: the nonce is random, and any ``<<<``/``>>>`` inside the data is broken up. Every
string is passed through ``redaction.redact`` again (defence in depth: Evidence is redacted already).
Only env var *names* are rendered, never values; no Secret data, no manifests.

Pure apart from the random nonce; no SDK. Called by ``diagnosis.llm``.
"""

from __future__ import annotations

import json
import secrets
import string
from importlib import resources

from kubesent import redaction
from kubesent.evidence.model import ContainerFacts, Evidence, ProbeFacts, SecretSource, Termination
from kubesent.settings import Settings

# The line in prompt.txt that separates the system instructions from the user message.
_USER_MARKER = "=== user ===\n"
# 64 random bits: a log cannot guess the fence it would need to close.
NONCE_BYTES = 8
# A single log line longer than this is noise (a JSON blob, a minified stack); its head is enough.
MAX_LOG_LINE_CHARS = 500
# Per-field cap for other free text (event messages, termination messages, command lines).
MAX_FIELD_CHARS = 600


def _template() -> tuple[string.Template, string.Template]:
    text = resources.files("kubesent.diagnosis").joinpath("prompt.txt").read_text(encoding="utf-8")
    system, _, user = text.partition(_USER_MARKER)
    return string.Template(system), string.Template(user)


def neutralise(text: str) -> str:
    """Redact, and break up anything that could pose as the fence."""
    cleaned = redaction.redact(text)
    while "<<<" in cleaned or ">>>" in cleaned:
        cleaned = cleaned.replace("<<<", "< < ").replace(">>>", " > >")
    return cleaned


# Scheduling constraints and volumes fit in this; a larger spec is cut rather than crowding out the logs.
POD_SPEC_CHARS = 1500


def _clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    # Cut before redacting too: redaction is linear, but a field of a pod spec can be a megabyte.
    cleaned = neutralise(text[: 2 * limit])
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def render(evidence: Evidence, settings: Settings, *, nonce: str | None = None) -> tuple[str, str, str]:
    """``(system_text, user_text, nonce)`` for one incident."""
    nonce = nonce or secrets.token_hex(NONCE_BYTES)
    system_template, user_template = _template()
    system_text = system_template.substitute(
        nonce=nonce, factor=f"{settings.max_increase_factor:g}",
        memory_ceiling=settings.memory_ceiling, cpu_ceiling=settings.cpu_ceiling)
    user_text = user_template.substitute(nonce=nonce, evidence=render_evidence(evidence, settings))
    return system_text, user_text, nonce


def render_evidence(evidence: Evidence, settings: Settings) -> str:
    """The evidence as compact text, logs last (they are the bulk and the least trusted)."""
    lines = [
        f"pod: {_clip(evidence.namespace)}/{_clip(evidence.pod_name)} phase={_clip(evidence.phase)}"
        + (f" reason={_clip(evidence.pod_reason)}" if evidence.pod_reason else ""),
        f"owner: {_clip(evidence.owner.kind)}/{_clip(evidence.owner.name)}"
        f" chain: {_clip(' <- '.join(evidence.owner_chain))}",
        f"failure category (from rules): {evidence.category.value}",
        f"triggering event: {_clip(evidence.event.reason)}: {_clip(evidence.event_message)}",
    ]
    if evidence.pod_message:
        lines.append(f"pod message: {_clip(evidence.pod_message)}")
    for condition in evidence.conditions:
        lines.append("condition: " + " ".join(f"{key}={_clip(str(value))}" for key, value in sorted(condition.items())))
    if evidence.pod_spec:
        lines.append("pod spec (pruned): " + _clip(json.dumps(evidence.pod_spec, sort_keys=True, default=str),
                                                   POD_SPEC_CHARS))
    if evidence.rollout is not None:
        for label, revision in (("failing pod's revision", evidence.rollout.current),
                                ("previous revision", evidence.rollout.previous)):
            if revision is not None:
                lines.append(f"{label}: {revision.number} ReplicaSet {_clip(revision.name)} "
                             f"available {revision.available}/{revision.replicas} images "
                             f"{_clip(', '.join(revision.images()))}")
        lines.append(f"failing revision is the newest: {evidence.rollout.newest}")
    if evidence.memory_trend is not None:
        lines.append(f"memory trend: {_clip(evidence.memory_trend.describe())}")
    if evidence.secret_source is not None:
        lines.append(_secret_source_line(evidence.secret_source))
    if evidence.focus_container:
        lines.append(f"failing container: {_clip(evidence.focus_container)}")
    for facts in evidence.containers:
        lines.extend(_container_lines(facts, evidence))
    if evidence.events:
        lines.append("recent events:")
        for event in evidence.events:
            lines.append(f"  {_clip(event.type)} {_clip(event.reason)} x{event.count}: {_clip(event.message)}")
    lines.extend(_log_lines(evidence, budget=settings.prompt_log_chars))
    return "\n".join(lines)


def _secret_source_line(source: SecretSource) -> str:
    store = f" (store {_clip(source.store)})" if source.store else ""
    status = _clip("; ".join(source.conditions)) if source.conditions else "no status conditions"
    return (f"missing Secret {_clip(source.secret_name)} is made by {_clip(source.kind)} "
            f"{_clip(source.namespace)}/{_clip(source.name)}{store}; its status: {status}")


def _container_lines(facts: ContainerFacts, evidence: Evidence) -> list[str]:
    kind = "init container" if facts.init else "container"
    lines = [f"{kind} {_clip(facts.name)}:", f"  image: {_clip(facts.image)}"]
    if facts.command:
        lines.append(f"  command: {_clip(json.dumps(list(facts.command)))}")
    if facts.args:
        lines.append(f"  args: {_clip(json.dumps(list(facts.args)))}")
    lines.append(f"  requests: {_resources(facts.requests)}  limits: {_resources(facts.limits)}")
    for probe in facts.probes:
        lines.append("  " + _probe_line(probe))
    if facts.ports:
        lines.append("  ports: " + ", ".join(f"{_clip(name) or '-'}={port}" for name, port in facts.ports))
    if facts.env_names:
        lines.append("  env names: " + _clip(", ".join(facts.env_names)))
    if facts.secret_env_names:
        lines.append("  env names from Secrets: " + _clip(", ".join(facts.secret_env_names)))
    for ref in facts.config_refs:
        exists = evidence.config_objects.get(f"{ref.kind}/{ref.name}")
        state = "exists" if exists else "MISSING" if exists is False else "unknown"
        key = f" key={_clip(ref.key)}" if ref.key else ""
        lines.append(f"  uses {_clip(ref.kind)}/{_clip(ref.name)}{key} via {_clip(ref.via)}"
                     f"{' (optional)' if ref.optional else ''}: {state}")
    if facts.security_context:
        lines.append(f"  securityContext: {_clip(json.dumps(facts.security_context, sort_keys=True, default=str))}")
    state = "running" if facts.running else "not running"
    if facts.waiting_reason:
        state = f"waiting: {_clip(facts.waiting_reason)} {_clip(facts.waiting_message)}".rstrip()
    lines.append(f"  state: {state}; ready={facts.ready}; restarts={facts.restart_count}")
    if facts.terminated is not None:
        lines.append("  terminated: " + _termination(facts.terminated))
    if facts.last_terminated is not None:
        lines.append("  last terminated: " + _termination(facts.last_terminated))
    return lines


def _resources(values: dict[str, str]) -> str:
    if not values:
        return "none"
    return ", ".join(f"{_clip(name)}={_clip(value)}" for name, value in sorted(values.items()))


def _probe_line(probe: ProbeFacts) -> str:
    target = f" port={_clip(str(probe.port))}" if probe.port is not None else ""
    target += f" path={_clip(probe.path)}" if probe.path else ""
    return (f"{_clip(probe.name)} probe: {_clip(probe.handler)}{target}"
            f" initialDelaySeconds={probe.initial_delay_seconds} timeoutSeconds={probe.timeout_seconds}"
            f" periodSeconds={probe.period_seconds}"
            f" failureThreshold={probe.failure_threshold}")


def _termination(termination: Termination) -> str:
    text = f"reason={_clip(termination.reason)} exitCode={termination.exit_code}"
    if termination.started_at or termination.finished_at:
        text += f" started={termination.started_at} finished={termination.finished_at}"
    if termination.message:
        text += f" message={_clip(termination.message)}"
    return text


def _log_lines(evidence: Evidence, *, budget: int) -> list[str]:
    """Log tails, failing container first, previous run before current, sharing ``budget`` chars."""
    ordered = sorted(evidence.containers, key=lambda facts: facts.name != evidence.focus_container)
    sections = [(facts.name, which, text) for facts in ordered
                for which, text in (("previous", facts.logs_previous), ("current", facts.logs_current))
                if text.strip()]
    lines: list[str] = []
    remaining = budget
    for index, (name, which, text) in enumerate(sections):
        share = remaining // (len(sections) - index)
        if share <= 0:
            break
        tail = _tail(text, share)
        remaining -= len(tail)
        lines.append(f"log of {_clip(name)} ({which} run), last {len(tail)} characters:")
        lines.append(tail)
    return lines


def _tail(text: str, limit: int) -> str:
    """The end of a log, redacted, with long lines cut, cut at a line start when possible."""
    capped = redaction.redact_log(text, max_chars=limit, max_line_chars=MAX_LOG_LINE_CHARS)
    cleaned = neutralise(capped)
    if len(cleaned) > limit:
        cleaned = cleaned[-limit:]
        newline = cleaned.find("\n")
        if 0 <= newline < len(cleaned) - 1:
            cleaned = cleaned[newline + 1:]
    return cleaned.rstrip("\n")
