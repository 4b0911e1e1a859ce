"""Owner chains over a bundle's objects: who to patch, and when to patch nothing."""

from __future__ import annotations

import copy

from kubesent.cluster.memory import MemoryCluster
from kubesent.evidence import owners, templates
from tests.support.scenarios import load_scenario


def _objects():
    bundle, _ = load_scenario("oom-memory-hog")
    by_kind = {o["kind"]: o for o in bundle["objects"] if o["kind"] != "Event"}
    return by_kind["Deployment"], by_kind["ReplicaSet"], by_kind["Pod"]


def test_pod_replicaset_deployment_resolves_to_the_deployment():
    deployment, replica_set, pod = _objects()
    found = owners.resolve_owner(MemoryCluster([deployment, replica_set, pod]), pod)
    chain, top, unfollowed = found.chain, found.top, found.unfollowed
    assert top["kind"] == "Deployment" and unfollowed is None and found.unverified is None
    assert found.template_hash == replica_set["metadata"]["labels"]["pod-template-hash"]
    assert chain == ["Pod/" + pod["metadata"]["name"], "ReplicaSet/" + replica_set["metadata"]["name"],
                     "Deployment/memory-hog"]


def test_a_missing_replicaset_is_bridged_by_the_controllers_naming_rule():
    deployment, _, pod = _objects()
    found = owners.resolve_owner(MemoryCluster([deployment, pod]), pod)
    assert found.top["kind"] == "Deployment" and found.unfollowed is None and found.chain[-1] == "Deployment/memory-hog"
    assert found.unverified and "name only" in found.unverified, "a guessed owner is never patched"


def test_the_naming_rule_needs_a_matching_selector():
    deployment, _, pod = _objects()
    other = copy.deepcopy(deployment)
    other["spec"]["selector"]["matchLabels"] = {"app": "something-else"}
    found = owners.resolve_owner(MemoryCluster([other, pod]), pod)
    assert found.top["kind"] == "Pod" and found.unfollowed is not None


def test_a_replicaset_run_by_an_unknown_controller_is_not_followed():
    deployment, replica_set, pod = _objects()
    replica_set = copy.deepcopy(replica_set)
    replica_set["metadata"]["ownerReferences"] = [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                                   "name": "memory-hog", "uid": "r-1", "controller": True}]
    found = owners.resolve_owner(MemoryCluster([deployment, replica_set, pod]), pod)
    assert found.top["kind"] == "ReplicaSet" and found.unfollowed["kind"] == "Rollout"
    assert found.chain[-1] == "Rollout/memory-hog"


def test_an_owner_reference_with_the_wrong_uid_is_not_followed():
    deployment, replica_set, pod = _objects()
    pod = copy.deepcopy(pod)
    pod["metadata"]["ownerReferences"][0]["uid"] = "forged"
    found = owners.resolve_owner(MemoryCluster([deployment, replica_set, pod]), pod)
    assert found.top["kind"] == "Pod" and "another uid" in found.unverified


def test_template_managers_name_who_wrote_the_pod_template():
    deployment, _, _ = _objects()
    deployment = copy.deepcopy(deployment)
    deployment["metadata"]["managedFields"] = [
        {"manager": "argocd-controller", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {}}}}},
        {"manager": "kube-controller-manager", "fieldsV1": {"f:status": {}}},
    ]
    assert templates.template_managers(deployment) == ("argocd-controller",)
