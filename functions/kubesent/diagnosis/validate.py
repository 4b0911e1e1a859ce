"""Re-validation of the model's answer against the evidence and the bounds: the model is untrusted.

Schema mode does not guarantee a valid answer (FACTS.md §5), and a prompt-injected model may answer
anything the schema allows. So every answer is parsed here from its raw text and checked: remedy in
the closed list, container in the pod, names shaped like Kubernetes names (a smuggled
``privileged: true`` fails by shape), limits above the current one and within the bounds, images in
the same repository, probes the container has, and quoted evidence that really was in the prompt.

Pure: no I/O, no SDK. Called by ``diagnosis.llm`` only. ``check`` raises ``Refused``; the caller
turns that into an escalation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kubesent import bounds, k8s, quantity, redaction
from kubesent.diagnosis.schema import (
    MAX_ROOT_CAUSE_CHARS,
    Diagnosis,
    Remedy,
    RemedyKind,
    RemedyParameters,
)
from kubesent.evidence.category import Category
from kubesent.evidence.model import ContainerFacts, Evidence
from kubesent.settings import Settings

# The model quotes at most this many evidence lines, each at most this long: enough to justify a
# remedy, too little to smuggle a document through the audit record.
MAX_EVIDENCE_LINES = 5
MAX_EVIDENCE_LINE_CHARS = 300
# A quote shorter than this ("OOM", "137") appears almost anywhere and proves nothing.
MIN_EVIDENCE_LINE_CHARS = 8
# Quantities as people write them in a manifest; exponents and signs are legal but never needed.
_QUANTITY_SHAPE = re.compile(r"^[0-9]{1,12}(?:\.[0-9]{1,6})?(?:Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")
# RFC 1123 label (container names) and subdomain (Secrets, ConfigMaps): lowercase, digits, '-', '.'.
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$")
# A ConfigMap/Secret key (IsConfigMapKey).
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
# An HTTP probe path: printable URL characters only, no spaces, no newlines.
_PROBE_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,252}$")
# Image reference grammar (distribution/reference), without the domain-specific niceties.
_IMAGE_SHAPE = re.compile(r"^[a-z0-9][a-z0-9._/:-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$")
_IMAGE = re.compile(
    r"^(?P<name>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::[0-9]{1,5})?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$")

# Remedies that act on one container; without a container they mean nothing.
_CONTAINER_REMEDIES = frozenset({
    RemedyKind.RAISE_MEMORY_LIMIT, RemedyKind.RAISE_CPU_LIMIT, RemedyKind.FIX_IMAGE_REFERENCE,
    RemedyKind.FIX_PROBE, RemedyKind.FIX_COMMAND_OR_ARGS, RemedyKind.FIX_SECURITY_CONTEXT,
    RemedyKind.ADD_MISSING_CONFIG,
})
# The fields of each kind copied into the Remedy; everything else the model filled is dropped.
_FIELDS_OF: dict[RemedyKind, tuple[str, ...]] = {
    RemedyKind.RAISE_MEMORY_LIMIT: ("container", "memory_limit"),
    RemedyKind.RAISE_CPU_LIMIT: ("container", "cpu_limit"),
    RemedyKind.FIX_IMAGE_REFERENCE: ("container", "image"),
    RemedyKind.ADD_IMAGE_PULL_SECRET: ("container", "image_pull_secret"),
    RemedyKind.FIX_PROBE: ("container", "probe", "probe_initial_delay_seconds", "probe_timeout_seconds",
                           "probe_period_seconds", "probe_failure_threshold", "probe_port", "probe_path"),
    RemedyKind.ADD_MISSING_CONFIG: ("container", "config_kind", "config_name", "config_key"),
    RemedyKind.FIX_COMMAND_OR_ARGS: ("container",),
    RemedyKind.FIX_SECURITY_CONTEXT: ("container",),
    RemedyKind.FIX_SCHEDULING: (),
    RemedyKind.ROLLBACK_ROLLOUT: (),
    RemedyKind.ESCALATE: (),
}
_PROBE_TIMING = ("probe_initial_delay_seconds", "probe_timeout_seconds", "probe_period_seconds",
                 "probe_failure_threshold")


class _AnswerHead(BaseModel):
    """The answer's first fields: what failed and why come before the remedy's parameters."""

    category: Category
    root_cause: str = Field(max_length=MAX_ROOT_CAUSE_CHARS)
    remedy: RemedyKind


class ModelAnswer(RemedyParameters, _AnswerHead):
    """The model's answer: flat, typed, bounded. Also the ``response_schema`` sent to Gemini.

    Lenient about unknown keys (they are never read); strict about every value it does read. The
    remedy's parameters are ``schema.RemedyParameters``, declared once.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    confidence: int = Field(ge=0, le=100)
    evidence: list[Annotated[str, Field(max_length=MAX_EVIDENCE_LINE_CHARS)]] = Field(
        default_factory=list, max_length=MAX_EVIDENCE_LINES)


class Refused(ValueError):
    """The answer cannot be acted on; ``str(exc)`` says why (no secrets: it quotes shapes, not data)."""


def parse(text: str | None) -> ModelAnswer:
    """Parse the raw answer text; raises ``Refused`` for missing text, invalid JSON or schema breaches."""
    if not text or not text.strip():
        raise Refused("the model returned no text")
    try:
        return ModelAnswer.model_validate_json(text)
    except ValidationError as exc:
        raise Refused(f"the answer does not match the schema: {_first_error(exc)}") from exc


def parse_cached(cached: dict[str, Any]) -> ModelAnswer:
    """Parse an answer stored in the ledger (``ModelAnswer.model_dump(mode="json")``)."""
    try:
        return ModelAnswer.model_validate(cached)
    except ValidationError as exc:
        raise Refused(f"the cached answer does not match the schema: {_first_error(exc)}") from exc


def check(answer: ModelAnswer, *, evidence: Evidence, settings: Settings, prompt_text: str | None,
          source: str) -> Diagnosis:
    """The diagnosis an accepted answer means, or ``Refused``.

    ``prompt_text``: what was sent; every quoted evidence line must be in it. ``None`` skips that
    check (a cached answer, whose quotes were checked against the prompt of its own call).
    """
    _check_shapes(answer)
    container = _check_container(answer, evidence)
    kind = answer.remedy
    if kind is RemedyKind.RAISE_MEMORY_LIMIT:
        _check_raise(answer.memory_limit, resource="memory", container=container, settings=settings)
    elif kind is RemedyKind.RAISE_CPU_LIMIT:
        _check_raise(answer.cpu_limit, resource="cpu", container=container, settings=settings)
    elif kind is RemedyKind.FIX_IMAGE_REFERENCE:
        _check_image(answer.image, container=container)
    elif kind is RemedyKind.ADD_IMAGE_PULL_SECRET and not answer.image_pull_secret:
        raise Refused("add_image_pull_secret without image_pull_secret")
    elif kind is RemedyKind.FIX_PROBE:
        _check_probe(answer, container=container)
    elif kind is RemedyKind.ADD_MISSING_CONFIG:
        _check_config(answer, evidence=evidence)
    elif kind is RemedyKind.ROLLBACK_ROLLOUT and rollback_blocker(evidence) is not None:
        raise Refused(f"rollback_rollout: {rollback_blocker(evidence)}")
    if prompt_text is not None:
        _check_quotes(answer, prompt_text=prompt_text)
    values: dict[str, Any] = {name: getattr(answer, name) for name in _FIELDS_OF[kind]}
    if "container" in values:
        values["container"] = container.name if container is not None else None
    return Diagnosis(
        category=answer.category,
        root_cause=redaction.redact(answer.root_cause)[:MAX_ROOT_CAUSE_CHARS],
        remedy=Remedy(kind=kind, **values),
        confidence=answer.confidence,
        evidence=tuple(redaction.redact(line) for line in answer.evidence),
        source=source,
    )


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "answer"
    return f"{where}: {first['msg']}"[:200]


def _check_shapes(answer: ModelAnswer) -> None:
    """Every name the model filled in, used by its remedy or not, must look like a name."""
    if answer.container is not None and not _DNS_LABEL.fullmatch(answer.container):
        raise Refused("container is not a valid container name")
    if answer.image is not None and not _IMAGE_SHAPE.fullmatch(answer.image):
        raise Refused("image is not a valid image reference")
    for field in ("image_pull_secret", "config_name"):
        value = getattr(answer, field)
        if value is not None and not _DNS_SUBDOMAIN.fullmatch(value):
            raise Refused(f"{field} is not a valid Kubernetes object name")
    if answer.config_key is not None and not _CONFIG_KEY.fullmatch(answer.config_key):
        raise Refused("config_key is not a valid ConfigMap/Secret key")
    if answer.probe_path is not None and not _PROBE_PATH.fullmatch(answer.probe_path):
        raise Refused("probe_path is not a valid HTTP path")
    for field in ("memory_limit", "cpu_limit"):
        value = getattr(answer, field)
        if value is not None and not _QUANTITY_SHAPE.fullmatch(value):
            raise Refused(f"{field} is not a Kubernetes quantity")


def _check_container(answer: ModelAnswer, evidence: Evidence) -> ContainerFacts | None:
    """The container the remedy acts on: the one named (which must be in the pod), else the focus."""
    if answer.container is not None:
        container = evidence.container(answer.container)
        if container is None:
            raise Refused(f"container {answer.container!r} is not in pod {evidence.pod_name}")
        if evidence.focus is not None and container.name != evidence.focus.name:
            # The evidence describes the failing container; a change to another one rests on nothing.
            raise Refused(f"container {answer.container!r} is not the failing container {evidence.focus.name!r}")
        return container
    if answer.remedy in _CONTAINER_REMEDIES:
        container = evidence.focus
        if container is None:
            raise Refused(f"{answer.remedy.value} names no container and the event names none")
        return container
    return None


def _require(container: ContainerFacts | None, kind: str) -> ContainerFacts:
    if container is None:  # unreachable: _check_container guarantees one for these kinds
        raise Refused(f"{kind} names no container")
    return container


# resource -> (remedy, parser, what one step may add beyond ×factor: the VPA's 100Mi for memory, FACTS.md §3)
_RAISES: dict[str, tuple[str, Callable[[str], int], int]] = {
    "memory": ("raise_memory_limit", quantity.parse_bytes, bounds.VPA_MARGIN_BYTES),
    "cpu": ("raise_cpu_limit", quantity.parse_millicores, 0),
}


def _check_raise(limit: str | None, *, resource: str, container: ContainerFacts | None, settings: Settings) -> None:
    """A raise must name a limit above the current one, under the ceiling, within one step."""
    kind, parse_quantity, margin = _RAISES[resource]
    facts = _require(container, kind)
    if not limit:
        raise Refused(f"{kind} without {resource}_limit")
    current_text = facts.limits.get(resource)
    if not current_text or quantity.is_zero(current_text):
        raise Refused(f"container {facts.name} has no {resource} limit to raise (a limit of 0 means none)")
    ceiling_text = settings.memory_ceiling if resource == "memory" else settings.cpu_ceiling
    try:
        current, wanted = parse_quantity(current_text), parse_quantity(limit)
        ceiling = parse_quantity(ceiling_text)
    except quantity.QuantityError as exc:
        raise Refused(str(exc)) from exc
    if wanted <= current:
        raise Refused(f"{resource} limit {limit} is not above the current {current_text}")
    if wanted > ceiling:
        raise Refused(f"{resource} limit {limit} is above the ceiling {ceiling_text}")
    if wanted > bounds.step_ceiling(current, factor=settings.max_increase_factor, margin=margin):
        step = f"x{settings.max_increase_factor:g}" + (" or +100Mi" if margin else "")
        raise Refused(f"{resource} limit {limit} is more than one bump above {current_text} (at most {step})")


def split_image(reference: str) -> tuple[str, str, str | None, str | None]:
    """``(registry, repository, tag, digest)`` with Docker's defaults; raises ``Refused`` if malformed.

    ``nginx`` is ``docker.io/library/nginx``; the first path part is a registry only when it has a
    ``.`` or ``:`` or is ``localhost`` (the distribution/reference rule).
    """
    match = _IMAGE.fullmatch(reference)
    if match is None:
        raise Refused("image is not a valid image reference")
    name = match.group("name")
    first, _, rest = name.partition("/")
    if rest and k8s.is_registry_host(first):
        registry, repository = first, rest
    else:
        registry, repository = k8s.DEFAULT_REGISTRY, name
    if registry in k8s.DOCKER_HUB_ALIASES:
        registry = k8s.DEFAULT_REGISTRY
    if registry == k8s.DEFAULT_REGISTRY and "/" not in repository:
        repository = f"library/{repository}"
    return registry, repository, match.group("tag"), match.group("digest")


def _check_image(image: str | None, *, container: ContainerFacts | None) -> None:
    facts = _require(container, "fix_image_reference")
    if not image:
        raise Refused("fix_image_reference without image")
    wanted = split_image(image)
    try:
        current = split_image(facts.image)
    except Refused as exc:
        raise Refused(f"the current image of {facts.name} cannot be parsed, so no change can be checked") from exc
    if wanted[:2] != current[:2]:
        raise Refused(f"image {wanted[0]}/{wanted[1]} is another registry or repository than "
                      f"{current[0]}/{current[1]}; only the tag or digest may change")
    if wanted[2:] == current[2:] or (wanted[2] is None and wanted[3] is None):
        raise Refused("image changes neither the tag nor the digest")


def _check_probe(answer: ModelAnswer, *, container: ContainerFacts | None) -> None:
    facts = _require(container, "fix_probe")
    if answer.probe is None:
        raise Refused("fix_probe without probe")
    if answer.probe not in {probe.name for probe in facts.probes}:
        raise Refused(f"container {facts.name} has no {answer.probe} probe")
    changes = [*_PROBE_TIMING, "probe_port", "probe_path"]
    if all(getattr(answer, field) is None for field in changes):
        raise Refused("fix_probe changes nothing")
    probe = next(p for p in facts.probes if p.name == answer.probe)
    before = bounds.probe_detection_seconds(initial_delay=probe.initial_delay_seconds, period=probe.period_seconds,
                                            failure_threshold=probe.failure_threshold, timeout=probe.timeout_seconds)
    after = bounds.probe_detection_seconds(
        initial_delay=_or(answer.probe_initial_delay_seconds, probe.initial_delay_seconds),
        period=_or(answer.probe_period_seconds, probe.period_seconds),
        failure_threshold=_or(answer.probe_failure_threshold, probe.failure_threshold),
        timeout=_or(answer.probe_timeout_seconds, probe.timeout_seconds))
    if after > bounds.MAX_DETECTION_GROWTH * before:
        raise Refused(f"the probe changes take its detection time from {before} s to {after} s "
                      f"(at most x{bounds.MAX_DETECTION_GROWTH:g})")


def rollback_blocker(evidence: Evidence) -> str | None:
    """Why a rollback is no remedy here, or None: the failing pod runs the newest revision of a
    Deployment and the revision before it still serves (rules and the model share this judgement)."""
    found = evidence.rollout
    if found is None:
        return "the pod is not a Deployment's, or its revisions cannot be read"
    if not found.newest:
        return f"the failing pod runs revision {found.current.number}, not the newest: the failure predates it"
    if found.previous is None:
        return "the Deployment keeps no earlier revision"
    if found.previous.available <= 0:
        return (f"the previous revision ({found.previous.name}) has no available pod: it is no known-good "
                "state to return to")
    if found.current.available > 0:
        return f"revision {found.current.number} has available pods: the rollout is not failing as a whole"
    return None


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _check_config(answer: ModelAnswer, *, evidence: Evidence) -> None:
    if answer.config_kind is None or not answer.config_name:
        raise Refused("add_missing_config without config_kind and config_name")
    reference = f"{answer.config_kind}/{answer.config_name}"
    referenced = reference in evidence.config_objects or any(
        ref.kind == answer.config_kind and ref.name == answer.config_name
        for facts in evidence.containers for ref in facts.config_refs)
    if not referenced:
        raise Refused(f"{reference} is not referenced by the pod")


def normalise(text: str) -> str:
    """Collapse all whitespace runs to one space, for comparing quotes with the prompt."""
    return " ".join(text.split())


def _check_quotes(answer: ModelAnswer, *, prompt_text: str) -> None:
    if answer.remedy is not RemedyKind.ESCALATE and not answer.evidence:
        raise Refused("the answer quotes no evidence for its remedy")
    haystack = normalise(prompt_text)
    for line in answer.evidence:
        quote = normalise(line)
        if len(quote) < MIN_EVIDENCE_LINE_CHARS or len(quote) > MAX_EVIDENCE_LINE_CHARS:
            raise Refused(f"an evidence line is not {MIN_EVIDENCE_LINE_CHARS}-{MAX_EVIDENCE_LINE_CHARS} characters")
        if quote not in haystack:
            raise Refused("an evidence line does not appear in the evidence that was sent")
