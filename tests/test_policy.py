"""The policy is pure: each rule of the safety policy, on its own, with the reason a person reads."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kubesent import policy
from kubesent.diagnosis.schema import Diagnosis, Remedy, RemedyKind
from kubesent.evidence.category import Category
from kubesent.evidence.model import Owner
from kubesent.settings import Settings

PATCH = {"spec": {"template": {"spec": {"containers": [{"name": "app"}]}}}}


def _owner(**changes) -> Owner:
    template = {"spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "256Mi", "cpu": "500m"}},
                                         "livenessProbe": {"httpGet": {"port": 8080}, "initialDelaySeconds": 10}}],
                         "initContainers": [{"name": "migrate", "resources": {"limits": {"memory": "64Mi"}}}]}}
    values = dict(api_version="apps/v1", kind="Deployment", namespace="shop", name="web", uid="u", resource_version="1",
                  labels={}, annotations={}, managers=("kubectl-client-side-apply",), template=template)
    values.update(changes)
    return Owner(**values)


def _diagnosis(remedy: Remedy, confidence: int = 95, **changes) -> Diagnosis:
    return Diagnosis(category=Category.OOM_KILLED, root_cause="x", remedy=remedy, confidence=confidence, **changes)


def _decide(diagnosis, owner=None, **kwargs):
    settings = kwargs.pop("settings", Settings(dry_run=False))
    patch = kwargs.pop("patch", PATCH)
    checks = policy.Checks(**{"breaker_open": False, "template_drift": None, "total_factor": 1.0,
                              "uncorroborated": None, **kwargs})
    return policy.decide(diagnosis, owner or _owner(), namespace="shop", patch=patch, settings=settings,
                         checks=checks)


_POD_SPEC = {"spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "256Mi"}}}]}}
MEMORY = Remedy(kind=RemedyKind.RAISE_MEMORY_LIMIT, container="app", memory_limit="356Mi")


def test_a_bounded_raise_on_a_plain_deployment_is_applied():
    assert _decide(_diagnosis(MEMORY)).action == "applied"


def test_dry_run_is_the_default():
    assert _decide(_diagnosis(MEMORY), settings=Settings()).action == "dry_run"


@pytest.mark.parametrize("kwargs, fragment", [
    ({"owner": _owner(kind="Pod", template={"metadata": {"ownerReferences": [
        {"kind": "Job", "name": "gone", "uid": "j", "controller": True}]}, **_POD_SPEC})}, "bare Pod"),
    ({"owner": _owner(kind="Job")}, "immutable"),
    ({"owner": _owner(annotations={"kubesent.dev/auto-remediate": "false"})}, "opts out"),
    ({"owner": _owner(labels={"kustomize.toolkit.fluxcd.io/name": "apps"})}, "another controller"),
    ({"owner": _owner(managers=("argocd-controller",))}, "argocd-controller"),
    ({"template_drift": "the pod's image differs"}, "does not match"),
    ({"breaker_open": True}, "circuit breaker"),
    ({"uncorroborated": "no probe failure is among the kubelet's events"}, "only the forwarded event"),
    ({"patch": None}, "needs a person"),
])
def test_each_guard_turns_an_apply_into_a_proposal(kwargs, fragment):
    decision = _decide(_diagnosis(MEMORY), **kwargs)
    assert decision.action == "proposed" and fragment in decision.reason


def test_low_confidence_and_suspected_leaks_are_proposed():
    assert "confidence" in _decide(_diagnosis(MEMORY, confidence=80)).reason
    assert _decide(_diagnosis(MEMORY, propose_only="a leak")).reason == "a leak"


@pytest.mark.parametrize("remedy", [
    Remedy(kind=RemedyKind.RAISE_MEMORY_LIMIT, container="app", memory_limit="8Gi"),
    Remedy(kind=RemedyKind.RAISE_MEMORY_LIMIT, container="app", memory_limit="1Gi"),
    Remedy(kind=RemedyKind.RAISE_CPU_LIMIT, container="app", cpu_limit="3"),
    Remedy(kind=RemedyKind.FIX_PROBE, container="app", probe="liveness", probe_initial_delay_seconds=600),
])
def test_out_of_bounds_numbers_are_refused(remedy):
    assert _decide(_diagnosis(remedy)).action == "escalated"


def test_the_total_cap_stops_repeated_raises():
    decision = _decide(_diagnosis(MEMORY), total_factor=5.0)
    assert decision.action == "escalated" and "TOTAL" in decision.reason


def test_a_template_without_a_limit_gets_no_limit_imposed():
    owner = _owner(template={"spec": {"containers": [{"name": "app"}]}})
    assert _decide(_diagnosis(MEMORY), owner=owner).action == "proposed"


def test_init_containers_are_only_proposed():
    remedy = Remedy(kind=RemedyKind.RAISE_MEMORY_LIMIT, container="migrate", memory_limit="164Mi")
    assert "init container" in _decide(_diagnosis(remedy)).reason


def test_probe_port_or_path_changes_are_proposals():
    remedy = Remedy(kind=RemedyKind.FIX_PROBE, container="app", probe="liveness", probe_port=8081)
    assert _decide(_diagnosis(remedy)).action == "proposed"


def test_non_allowed_namespaces_are_proposals():
    decision = policy.decide(_diagnosis(MEMORY), _owner(), namespace="kube-system", patch=PATCH,
                             settings=Settings(dry_run=False),
                             checks=policy.Checks(breaker_open=False, template_drift=None, total_factor=1.0,
                                                  uncorroborated=None))
    assert decision.action == "proposed"


def test_only_the_three_contract_kinds_may_ever_be_auto_applied():
    with pytest.raises(ValidationError):
        Settings(auto_apply_remedies=("raise_memory_limit", "fix_image_reference"))


def test_an_image_fix_is_never_applied_even_with_a_patch_and_full_confidence():
    remedy = Remedy(kind=RemedyKind.FIX_IMAGE_REFERENCE, container="app", image="registry.example.com/shop/web:1.4.3")
    decision = _decide(_diagnosis(remedy, confidence=100))
    assert decision.action == "proposed" and "never applied automatically" in decision.reason


def test_a_bare_pods_memory_after_an_oom_kill_is_resized_in_place():
    bare = _owner(kind="Pod", api_version="v1", template={"metadata": {"name": "web"}, **_POD_SPEC})
    assert policy.resizable_in_place(_diagnosis(MEMORY), bare)
    assert _decide(_diagnosis(MEMORY), bare).action == "applied"


@pytest.mark.parametrize("diagnosis", [
    _diagnosis(Remedy(kind=RemedyKind.RAISE_CPU_LIMIT, container="app", cpu_limit="1")),
    Diagnosis(category=Category.EVICTED, root_cause="x", confidence=95, remedy=MEMORY),
])
def test_a_bare_pod_gets_nothing_else_in_place(diagnosis):
    bare = _owner(kind="Pod", api_version="v1", template={"metadata": {"name": "web"}, **_POD_SPEC})
    decision = _decide(diagnosis, bare)
    assert decision.action == "proposed" and "bare Pod" in decision.reason
