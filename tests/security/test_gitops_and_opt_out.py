"""Workloads another system reconciles are proposed, never patched live; so are those that opt out."""

from __future__ import annotations

import pytest

from tests.security.attack import WRITES, bundle_of, obj, replay_bundle


def _template_manager(manager: str, operation: str) -> dict:
    return {"manager": manager, "operation": operation, "apiVersion": "apps/v1",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}}


@pytest.mark.parametrize(("where", "key", "value"), [
    ("annotations", "configmanagement.gke.io/managed", "enabled"),
    ("annotations", "configsync.gke.io/resource-id", "apps_deployment_demo_memory-hog"),
    ("labels", "app.kubernetes.io/managed-by", "configmanagement.gke.io"),
    ("annotations", "kapp.k14s.io/identity", "v1;demo/apps/Deployment/memory-hog;apps/v1"),
    ("labels", "kapp.k14s.io/app", "1700000000000000000"),
])
def test_config_sync_and_kapp_marks_make_a_proposal(where, key, value):
    bundle = bundle_of("oom-memory-hog")
    obj(bundle, "Deployment")["metadata"].setdefault(where, {})[key] = value

    result = replay_bundle(bundle)

    assert result["action"] == "proposed" and "another controller" in result["reason"], result


@pytest.mark.parametrize("manager", ["configsync.gke.io", "pulumi-kubernetes-7f3a", "crossplane-kubernetes-provider"])
def test_a_reconciler_that_applies_the_template_makes_a_proposal(manager):
    bundle = bundle_of("oom-memory-hog")
    obj(bundle, "Deployment")["metadata"]["managedFields"] = [_template_manager(manager, "Apply")]

    result = replay_bundle(bundle)

    assert result["action"] == "proposed" and manager in result["reason"], result


def test_a_person_applying_with_kubectl_is_no_reconciler():
    bundle = bundle_of("oom-memory-hog")
    obj(bundle, "Deployment")["metadata"]["managedFields"] = [_template_manager("kubectl", "Apply")]

    assert replay_bundle(bundle)["action"] == "applied"


@pytest.mark.parametrize("value", ["false", "no", "0", "off", " OFF "])
def test_the_opt_out_annotation_takes_the_usual_spellings(value):
    bundle = bundle_of("oom-memory-hog")
    obj(bundle, "Deployment")["metadata"].setdefault("annotations", {})["kubesent.dev/auto-remediate"] = value

    result = replay_bundle(bundle)

    assert result["action"] not in WRITES and "opts out" in result["reason"], result
