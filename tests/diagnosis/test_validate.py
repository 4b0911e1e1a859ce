"""validate: the model's answer checked against the evidence and the bounds (pure, no server)."""

from __future__ import annotations

from typing import Any

import pytest

from kubesent.diagnosis import validate
from kubesent.diagnosis.schema import RemedyKind
from kubesent.evidence.model import ConfigRef, ContainerFacts, ProbeFacts
from kubesent.settings import Settings
from tests.fakes import evidence_builder

PROMPT = "error: unknown flag: --prot\nBack-off restarting failed container app"
SETTINGS = Settings(llm="none", memory_ceiling="4Gi", cpu_ceiling="4", max_increase_factor=2.0)


def answer(**fields: Any) -> validate.ModelAnswer:
    base: dict[str, Any] = {"category": "crash_loop", "root_cause": "r", "remedy": "fix_command_or_args",
                            "container": "app", "confidence": 80, "evidence": ["error: unknown flag: --prot"]}
    base.update(fields)
    return validate.ModelAnswer.model_validate(base)


def check(model_answer: validate.ModelAnswer, facts: ContainerFacts | None = None,
          prompt_text: str | None = PROMPT) -> Any:
    containers = (facts,) if facts is not None else None
    return validate.check(model_answer, evidence=evidence_builder.evidence(containers=containers),
                          settings=SETTINGS, prompt_text=prompt_text, source="model:test")


@pytest.mark.parametrize(("limit", "accepted"), [
    ("512Mi", True),  # x2
    ("356Mi", True),  # +100Mi on 256Mi is below x2, so x2 bounds
    ("513Mi", False),  # above x2
    ("256Mi", False),  # not above
    ("1Ti", False),  # ceiling
    ("-1Gi", False), ("1e3Mi", False), ("lots", False),
])
def test_memory_bounds(limit: str, accepted: bool) -> None:
    model_answer = answer(remedy="raise_memory_limit", memory_limit=limit)
    if accepted:
        assert check(model_answer).remedy.memory_limit == limit
    else:
        with pytest.raises(validate.Refused):
            check(model_answer)


def test_small_memory_limit_may_grow_by_the_vpa_margin() -> None:
    facts = evidence_builder.container(limits={"memory": "32Mi"})

    diagnosis = check(answer(remedy="raise_memory_limit", memory_limit="132Mi"), facts)

    assert diagnosis.remedy.memory_limit == "132Mi"


def test_no_current_limit_cannot_be_raised() -> None:
    facts = evidence_builder.container(limits={})

    with pytest.raises(validate.Refused, match="no memory limit"):
        check(answer(remedy="raise_memory_limit", memory_limit="512Mi"), facts)
    with pytest.raises(validate.Refused, match="no cpu limit"):
        check(answer(remedy="raise_cpu_limit", cpu_limit="1"), facts)


@pytest.mark.parametrize(("limit", "accepted"), [("1", True), ("1001m", False), ("5", False), ("500m", False)])
def test_cpu_bounds(limit: str, accepted: bool) -> None:
    model_answer = answer(remedy="raise_cpu_limit", cpu_limit=limit)
    if accepted:
        assert check(model_answer).remedy.cpu_limit == limit
    else:
        with pytest.raises(validate.Refused):
            check(model_answer)


@pytest.mark.parametrize(("reference", "expected"), [
    ("nginx", ("docker.io", "library/nginx", None, None)),
    ("nginx:1.25", ("docker.io", "library/nginx", "1.25", None)),
    ("docker.io/library/nginx:1.25", ("docker.io", "library/nginx", "1.25", None)),
    ("index.docker.io/library/nginx", ("docker.io", "library/nginx", None, None)),
    ("bitnami/redis:7", ("docker.io", "bitnami/redis", "7", None)),
    ("localhost:5000/app:dev", ("localhost:5000", "app", "dev", None)),
    ("europe-docker.pkg.dev/p/r/app@sha256:" + "a" * 64,
     ("europe-docker.pkg.dev", "p/r/app", None, "sha256:" + "a" * 64)),
])
def test_split_image(reference: str, expected: tuple[str, str, str | None, str | None]) -> None:
    assert validate.split_image(reference) == expected


@pytest.mark.parametrize(("current", "wanted", "accepted"), [
    ("nginx:1.25", "docker.io/library/nginx:1.26", True),
    ("nginx:1.25", "nginx@sha256:" + "b" * 64, True),
    ("nginx:1.25", "evil/nginx:1.25", False),
    ("nginx:1.25", "evil.io/library/nginx:1.25", False),
    ("nginx:1.25", "nginx:1.25", False),
    ("nginx:1.25", "nginx", False),
    ("nginx:1.25", "nginx:1.26 --privileged", False),
])
def test_image_same_repository_only(current: str, wanted: str, accepted: bool) -> None:
    facts = evidence_builder.container(image=current)
    model_answer = answer(remedy="fix_image_reference", image=wanted)
    if accepted:
        assert check(model_answer, facts).remedy.image == wanted
    else:
        with pytest.raises(validate.Refused):
            check(model_answer, facts)


@pytest.mark.parametrize("fields", [
    {"remedy": "add_image_pull_secret", "image_pull_secret": "regcred\nprivileged: true"},
    {"remedy": "add_image_pull_secret", "image_pull_secret": "RegCred"},
    {"remedy": "add_missing_config", "config_kind": "ConfigMap", "config_name": "cfg privileged: true"},
    {"container": "App"},
    {"probe_path": "/healthz\nprivileged: true"},  # unused by the remedy, still refused by shape
])
def test_names_are_refused_by_shape(fields: dict[str, Any]) -> None:
    with pytest.raises(validate.Refused, match="not a valid"):
        check(answer(**fields))


def test_probe_must_exist_on_the_container() -> None:
    with pytest.raises(validate.Refused, match="no readiness probe"):
        check(answer(remedy="fix_probe", probe="readiness", probe_timeout_seconds=5))


def test_probe_timing_fix_is_accepted_and_port_change_is_marked() -> None:
    timing = check(answer(remedy="fix_probe", probe="liveness", probe_initial_delay_seconds=30))
    port = check(answer(remedy="fix_probe", probe="liveness", probe_port=9090))

    assert timing.remedy.touches_only_probe_timing()
    assert not port.remedy.touches_only_probe_timing()


def test_missing_config_must_be_referenced_by_the_pod() -> None:
    facts = evidence_builder.container(config_refs=(ConfigRef(kind="ConfigMap", name="web-config", key="app.yaml",
                                                              optional=False, via="volume"),))
    accepted = check(answer(remedy="add_missing_config", config_kind="ConfigMap", config_name="web-config",
                            config_key="app.yaml"), facts)

    assert accepted.remedy.config_name == "web-config"
    with pytest.raises(validate.Refused, match="not referenced"):
        check(answer(remedy="add_missing_config", config_kind="Secret", config_name="other"), facts)


def test_only_the_fields_of_the_kind_are_kept() -> None:
    diagnosis = check(answer(remedy="fix_command_or_args", cpu_limit="1", probe="liveness"))

    assert diagnosis.remedy.kind is RemedyKind.FIX_COMMAND_OR_ARGS
    assert diagnosis.remedy.cpu_limit is None and diagnosis.remedy.probe is None


def test_quotes_are_compared_after_whitespace_normalisation() -> None:
    diagnosis = check(answer(evidence=["  error:   unknown flag:\t--prot "]))

    assert diagnosis.evidence


@pytest.mark.parametrize("quotes", [["made up line that never was"], ["--prot"], []])
def test_quotes_must_come_from_the_prompt(quotes: list[str]) -> None:
    with pytest.raises(validate.Refused):
        check(answer(evidence=quotes))


def test_escalate_needs_no_quotes_and_cache_skips_them() -> None:
    assert check(answer(remedy="escalate", container=None, evidence=[])).remedy.kind is RemedyKind.ESCALATE
    assert check(answer(evidence=["not in any prompt"]), prompt_text=None).remedy.kind is RemedyKind.FIX_COMMAND_OR_ARGS


def test_container_defaults_to_the_failing_one() -> None:
    assert check(answer(container=None)).remedy.container == "app"


@pytest.mark.parametrize("text", [None, "", "{", '{"remedy": "escalate"}', "[]"])
def test_parse_refuses_unusable_text(text: str | None) -> None:
    with pytest.raises(validate.Refused):
        validate.parse(text)


def test_root_cause_is_redacted() -> None:
    diagnosis = check(answer(root_cause="key AKIAIOSFODNN7EXAMPLE leaked"))

    assert "AKIAIOSFODNN7EXAMPLE" not in diagnosis.root_cause


def test_probe_facts_of_other_containers_do_not_count() -> None:
    sidecar = evidence_builder.container(name="sidecar", probes=(
        ProbeFacts(name="readiness", handler="tcpSocket", port=1, path=None, initial_delay_seconds=0,
                   timeout_seconds=1, period_seconds=1, failure_threshold=1),))
    evidence = evidence_builder.evidence(containers=(evidence_builder.container(), sidecar))

    with pytest.raises(validate.Refused, match="no readiness probe"):
        validate.check(answer(remedy="fix_probe", probe="readiness", probe_timeout_seconds=3), evidence=evidence,
                       settings=SETTINGS, prompt_text=PROMPT, source="model:test")
