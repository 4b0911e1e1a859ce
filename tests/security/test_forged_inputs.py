"""Write attacks through replay, as the outside security review ran them (issue: guardrails).

Each attack starts from a scenario that KubeSent patches (`applied` with dry-run off), changes one thing
an attacker controls (a pod's metadata or spec, an Event, a label), and must end proposed, escalated or
ignored. The untouched scenario is checked too, so each test fails if the attack stops mattering.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.security.attack import WRITES, Bundle, bundle_of, obj, replay_bundle


def _pod_container(bundle: Bundle) -> dict[str, Any]:
    return obj(bundle, "Pod")["spec"]["containers"][0]


def _direct_deployment_owner(bundle: Bundle) -> None:
    deployment = obj(bundle, "Deployment")
    obj(bundle, "Pod")["metadata"]["ownerReferences"] = [{
        "apiVersion": "apps/v1", "kind": "Deployment", "name": deployment["metadata"]["name"],
        "uid": deployment["metadata"]["uid"], "controller": True}]


def _owner_reference_without_uid(bundle: Bundle) -> None:
    obj(bundle, "Pod")["metadata"]["ownerReferences"][0].pop("uid")


def _labels_outside_the_selector(bundle: Bundle) -> None:
    labels = obj(bundle, "Pod")["metadata"]["labels"]
    for key in list(obj(bundle, "ReplicaSet")["spec"]["selector"]["matchLabels"]):
        if key != "pod-template-hash":
            labels[key] = "someone-else"


def _another_template_hash(bundle: Bundle) -> None:
    obj(bundle, "Pod")["metadata"]["labels"]["pod-template-hash"] = "5d8f7c9b6a"


def _another_env(bundle: Bundle) -> None:
    _pod_container(bundle).setdefault("env", []).append({"name": "ALLOCATE", "value": "everything"})


def _another_command(bundle: Bundle) -> None:
    _pod_container(bundle)["command"] = ["sh", "-c", "tail /dev/zero"]


def _another_service_account(bundle: Bundle) -> None:
    obj(bundle, "Pod")["spec"]["serviceAccountName"] = "ci-deployer"


def _privileged_security_context(bundle: Bundle) -> None:
    obj(bundle, "Pod")["spec"]["securityContext"] = {"runAsUser": 0}


ATTACKS: dict[str, Callable[[Bundle], None]] = {
    "a pod naming a Deployment directly, with its uid": _direct_deployment_owner,
    "an ownerReference without a uid": _owner_reference_without_uid,
    "pod labels outside the ReplicaSet's selector": _labels_outside_the_selector,
    "a pod-template-hash that is not the ReplicaSet's": _another_template_hash,
    "a container env the template does not have": _another_env,
    "a command the template does not have": _another_command,
    "another service account": _another_service_account,
    "a pod-level securityContext the template does not have": _privileged_security_context,
}


def test_the_untouched_scenario_is_patched():
    assert replay_bundle(bundle_of("oom-memory-hog"))["action"] == "applied"


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_forged_pod_never_gets_its_named_owner_patched(attack):
    bundle = bundle_of("oom-memory-hog")
    ATTACKS[attack](bundle)

    result = replay_bundle(bundle)

    assert result["action"] not in WRITES, result


def test_the_container_a_remedy_targets_is_the_one_checked_against_the_template():
    """The event names a healthy app container; the OOM-killed one is a sidecar whose image is not the
    template's. The memory rule targets the sidecar, so the sidecar is what must match."""
    bundle = bundle_of("oom-memory-hog")
    pod, deployment = obj(bundle, "Pod"), obj(bundle, "Deployment")
    sidecar = {"name": "helper", "image": "busybox:1.36", "resources": {"limits": {"memory": "64Mi"}}}
    deployment["spec"]["template"]["spec"]["containers"].append(copy.deepcopy(sidecar))
    obj(bundle, "ReplicaSet")["spec"]["template"]["spec"]["containers"].append(copy.deepcopy(sidecar))
    pod["spec"]["containers"].append({**sidecar, "image": "evil.example/helper:latest"})
    status = pod["status"]["containerStatuses"]
    status.append({**copy.deepcopy(status[0]), "name": "helper"})
    status[0].update(state={"running": {"startedAt": "2026-11-20T09:00:00Z"}}, lastState={}, restartCount=0)
    bundle["event"].update(reason="Failed", message="Error: context deadline exceeded")

    result = replay_bundle(bundle)

    assert result["remedy"] == "raise_memory_limit" and result["action"] not in WRITES, result
    assert "helper" in json.dumps(result["patch"]), result


def _probe_bundle_without_listed_events() -> Bundle:
    bundle = bundle_of("probe-liveness-kill-backoff")
    bundle["objects"] = [o for o in bundle["objects"] if o["kind"] != "Event"]
    return bundle


def test_a_probe_fix_rests_on_the_kubelets_listed_events():
    assert replay_bundle(bundle_of("probe-liveness-kill-backoff"))["action"] == "applied"
    bundle = _probe_bundle_without_listed_events()
    bundle["event"].update(reason="Unhealthy", message=_unhealthy_message())

    result = replay_bundle(bundle)

    assert result["action"] not in WRITES, result


def _unhealthy_message() -> str:
    bundle = bundle_of("probe-liveness-kill-backoff")
    return next(o["message"] for o in bundle["objects"] if o["kind"] == "Event" and o["reason"] == "Unhealthy")


def test_an_event_from_another_namespace_is_ignored():
    bundle = bundle_of("oom-memory-hog")
    bundle["event"]["metadata"]["namespace"] = "attacker"
    bundle["event"]["eventTime"] = bundle["event"]["lastTimestamp"]

    result = replay_bundle(bundle)

    assert result["action"] == "ignored" and "namespace" in result["root_cause"], result


def test_an_event_about_another_pod_uid_is_ignored():
    bundle = bundle_of("oom-memory-hog")
    bundle["event"]["involvedObject"]["uid"] = "00000000-0000-0000-0000-000000000000"

    result = replay_bundle(bundle)

    assert result["action"] == "ignored" and "uid" in result["root_cause"], result


@pytest.mark.parametrize("namespace", ["kube-system\n", "demo\n", " demo"])
def test_a_namespace_with_trailing_characters_is_no_namespace(namespace):
    bundle = bundle_of("oom-memory-hog")
    bundle["event"]["involvedObject"]["namespace"] = namespace

    result = replay_bundle(bundle)

    assert result["action"] == "ignored" and "valid pod" in result["root_cause"], result
