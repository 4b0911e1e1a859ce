"""Remedies render the smallest strategic-merge patch on the owner's pod template, and nothing else."""

from __future__ import annotations

from kubesent import remedies
from kubesent.diagnosis.schema import Remedy, RemedyKind
from kubesent.evidence.model import Owner


def _owner(kind: str = "Deployment") -> Owner:
    template = {"spec": {"containers": [{"name": "app", "image": "registry.example.com/shop/web:1.4.2",
                                         "resources": {"limits": {"memory": "256Mi"}},
                                         "livenessProbe": {"httpGet": {"port": 8080, "path": "/healthz"},
                                                           "initialDelaySeconds": 10}}],
                         "imagePullSecrets": [{"name": "old"}]}}
    return Owner(api_version="apps/v1", kind=kind, namespace="shop", name="web", uid="u", resource_version="1",
                 labels={}, annotations={}, managers=(), template=template)


def test_memory_raise_touches_only_that_limit():
    patch, previous = remedies.render(Remedy(kind=RemedyKind.RAISE_MEMORY_LIMIT, container="app",
                                             memory_limit="356Mi"), _owner())
    assert patch == {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "resources": {"limits": {"memory": "356Mi"}}}]}}}}
    assert previous == {"memory_limit": "256Mi"}


def test_cronjob_templates_sit_under_the_job_template():
    patch, _ = remedies.render(Remedy(kind=RemedyKind.RAISE_MEMORY_LIMIT, container="app", memory_limit="356Mi"),
                               _owner("CronJob"))
    assert list(patch["spec"]) == ["jobTemplate"]


def test_probe_timing_changes_only_the_named_fields():
    patch, previous = remedies.render(Remedy(kind=RemedyKind.FIX_PROBE, container="app", probe="liveness",
                                             probe_initial_delay_seconds=73), _owner())
    assert patch["spec"]["template"]["spec"]["containers"][0] == {"name": "app",
                                                                  "livenessProbe": {"initialDelaySeconds": 73}}
    assert previous == {"livenessProbe.initialDelaySeconds": 10}


def test_an_image_fix_renders_only_with_an_image_and_only_the_image():
    assert remedies.render(Remedy(kind=RemedyKind.FIX_IMAGE_REFERENCE, container="app"), _owner()) == (None, {})
    patch, previous = remedies.render(Remedy(kind=RemedyKind.FIX_IMAGE_REFERENCE, container="app",
                                             image="registry.example.com/shop/web:1.4.3"), _owner())
    assert patch["spec"]["template"]["spec"]["containers"] == [{"name": "app",
                                                                "image": "registry.example.com/shop/web:1.4.3"}]
    assert previous == {"image": "registry.example.com/shop/web:1.4.2"}


def test_judgement_remedies_render_no_patch():
    for kind in (RemedyKind.ADD_MISSING_CONFIG, RemedyKind.FIX_COMMAND_OR_ARGS, RemedyKind.FIX_SECURITY_CONTEXT,
                 RemedyKind.FIX_SCHEDULING, RemedyKind.ESCALATE):
        assert remedies.render(Remedy(kind=kind, container="app"), _owner()) == (None, {})


def test_a_container_not_in_the_template_renders_nothing():
    assert remedies.render(Remedy(kind=RemedyKind.RAISE_MEMORY_LIMIT, container="istio-proxy",
                                  memory_limit="356Mi"), _owner()) == (None, {})


def test_a_raise_below_what_the_template_has_is_already_satisfied():
    lower = Remedy(kind=RemedyKind.RAISE_MEMORY_LIMIT, container="app", memory_limit="200Mi")
    assert remedies.already_satisfied(lower, _owner())
    assert not remedies.already_satisfied(lower.model_copy(update={"memory_limit": "300Mi"}), _owner())
