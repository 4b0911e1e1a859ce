"""The kustomizations build, validate against Kubernetes schemas, and agree with infra/ and the function."""

from __future__ import annotations

import re
from typing import Any

import kubernetes_validate
import pytest

from kubesent import events
from kubesent.settings import Settings
from local_emulator.controlplane import identities
from tests.infra.support import KUSTOMIZATIONS, Terraform, exporter_config

# A version kubernetes-validate ships whose schemas have admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy.
K8S_VERSION = "1.32.0"
RESTRICTED_CONTAINER = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True}
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "*", "escalate", "bind", "impersonate"}


def of_kind(documents: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in documents if doc["kind"] == kind]


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_every_manifest_validates_against_the_schemas(built_manifests: dict, name: str) -> None:
    documents = built_manifests[name]
    assert documents
    for document in documents:
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)


@pytest.mark.parametrize("name", ["base", "overlays/gke", "overlays/minikube"])
def test_exporter_deployment_is_restricted_and_pinned(built_manifests: dict, name: str) -> None:
    (deployment,) = of_kind(built_manifests[name], "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]

    assert deployment["spec"]["replicas"] == 1
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert RESTRICTED_CONTAINER.items() <= container["securityContext"].items()
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert {"requests", "limits"} <= set(container["resources"])
    assert re.fullmatch(r"ghcr\.io/resmoio/kubernetes-event-exporter(:v\d+\.\d+(\.\d+)?|@sha256:[0-9a-f]{64})",
                        container["image"]), container["image"]
    (namespace,) = of_kind(built_manifests[name], "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("name", ["base", "overlays/gke", "overlays/minikube"])
def test_exporter_route_is_anchored_and_matches_what_kubesent_handles(built_manifests: dict, name: str) -> None:
    config = exporter_config(built_manifests[name])
    (route,) = config["route"]["routes"]
    (match,) = route["match"]

    assert config["logFormat"] == "json"
    for rule in [*route["drop"], match]:
        for key, pattern in rule.items():
            if key != "receiver":
                assert pattern.startswith("^") and pattern.endswith("$"), f"{key}: {pattern} is not anchored"
    assert (match["type"], match["kind"]) == ("^Warning$", "^Pod$")
    reasons = set(re.fullmatch(r"\^\((.*)\)\$", match["reason"]).group(1).split("|"))  # type: ignore[union-attr]
    assert reasons == set(events.POD_FAILURE_REASONS)
    (receiver,) = config["receivers"]
    assert receiver["name"] == match["receiver"]
    assert set(receiver["pubsub"]) == {"gcloud_project_id", "topic", "create_topic"}  # FACTS.md §1
    assert receiver["pubsub"]["create_topic"] is False


def test_overlays_share_the_base_route(built_manifests: dict) -> None:
    base = exporter_config(built_manifests["base"])
    for name in ("overlays/gke", "overlays/minikube"):
        overlay = exporter_config(built_manifests[name])
        assert overlay["route"] == base["route"], f"{name} route drifted from base/config.yaml"
        assert overlay["maxEventAgeSeconds"] == base["maxEventAgeSeconds"]


def test_gke_overlay_publishes_to_the_terraform_topic_as_the_terraform_sa(built_manifests: dict,
                                                                         terraform: Terraform) -> None:
    config = exporter_config(built_manifests["overlays/gke"])
    (service_account,) = of_kind(built_manifests["overlays/gke"], "ServiceAccount")
    exporter_sa = terraform.of_type("google_service_account")["exporter"]

    assert config["receivers"][0]["pubsub"]["topic"] == terraform.default("incidents_topic")
    assert "var.incidents_topic" in terraform.of_type("google_pubsub_topic")["incidents"]["name"]
    annotation = service_account["metadata"]["annotations"]["iam.gke.io/gcp-service-account"]
    assert annotation.split("@")[0] == exporter_sa["account_id"].strip('"').replace(
        "${var.function_name}", terraform.default("function_name"))
    assert service_account["metadata"]["name"] == terraform.default("exporter_k8s_service_account")
    assert service_account["metadata"]["namespace"] == terraform.default("exporter_k8s_namespace")


def test_minikube_overlay_targets_the_local_emulator(built_manifests: dict) -> None:
    config = exporter_config(built_manifests["overlays/minikube"])
    (deployment,) = of_kind(built_manifests["overlays/minikube"], "Deployment")
    env = {item["name"]: item["value"] for item in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}

    assert env["PUBSUB_EMULATOR_HOST"] == "host.minikube.internal:8085"
    assert config["receivers"][0]["pubsub"]["gcloud_project_id"] == "kubesent-local"
    assert config["receivers"][0]["pubsub"]["topic"] == "kubesent-events"


def test_exporter_rbac_reads_events_and_pods_only(built_manifests: dict) -> None:
    (role,) = of_kind(built_manifests["base"], "ClusterRole")
    granted = {(group, resource, verb) for rule in role["rules"] for group in rule["apiGroups"]
               for resource in rule["resources"] for verb in rule["verbs"]}

    assert granted == {("", "events", "get"), ("", "events", "list"), ("", "events", "watch"), ("", "pods", "get")}


def test_kubesent_rbac_reads_what_it_calls_and_writes_narrowly(built_manifests: dict, terraform: Terraform) -> None:
    documents = built_manifests["kubesent-rbac"]
    roles = {role["metadata"]["name"]: role for role in of_kind(documents, "ClusterRole")}
    reader, patcher = roles["kubesent-reader"], roles["kubesent-patcher"]
    resources = {resource for rule in reader["rules"] for resource in rule["resources"]}
    verbs = {verb for rule in reader["rules"] for verb in rule["verbs"]}
    granted = {(resource, verb) for rule in reader["rules"] for resource in rule["resources"] for verb in rule["verbs"]}
    # Exactly the calls in functions/kubesent/cluster/kube.py: single GETs, the pod's events and the
    # Deployment's ReplicaSets, listed. No ConfigMaps (issue 13 finding 2): gather.py reads their 403 as "unknown".
    # Pods listed in a namespace: the verifier (a workload's pods) and, after a pull refused for authorisation,
    # the namespace's pods for a pull secret they prove (evidence/pullsecrets.py).
    called = {(path.rsplit("/", 1)[1], "get") for path in ("v1/pods", "apps/replicasets",
                                                          "apps/deployments", "apps/statefulsets", "apps/daemonsets",
                                                          "batch/jobs", "batch/cronjobs")}
    # The verifier lists a patched workload's pods (verify.py), by its selector, in these namespaces only.
    assert granted == called | {("pods/log", "get"), ("events", "list"), ("replicasets", "list"), ("pods", "list"),
                                ("externalsecrets", "get"), ("externalsecrets", "list"), ("sealedsecrets", "get")}
    # The operators' objects a missing Secret is made from, each in its own API group; never their stores.
    groups = {resource: rule["apiGroups"] for rule in reader["rules"] for resource in rule["resources"]}
    assert (groups["externalsecrets"], groups["sealedsecrets"]) == (["external-secrets.io"], ["bitnami.com"])
    assert not resources & {"secretstores", "clustersecretstores"}

    assert "secrets" not in resources and not any(r.startswith(("pods/exec", "pods/attach")) for r in resources)
    assert not verbs & WRITE_VERBS, "the reader writes nothing"
    # Patches of the three workload kinds, and a bare Pod's in-place resize; never a patch of a pod itself.
    assert [(rule["verbs"], set(rule["resources"])) for rule in patcher["rules"]] == [
        (["patch"], {"deployments", "statefulsets", "daemonsets"}), (["patch"], {"pods/resize"})]
    assert not of_kind(documents, "ClusterRoleBinding"), "nothing is bound cluster-wide by default"
    bindings = of_kind(documents, "RoleBinding")
    assert bindings and all(b["metadata"]["namespace"] not in {"kube-system", "kube-public", "kube-node-lease"}
                            for b in bindings)
    accounts = terraform.of_type("google_service_account")
    function_sa, approver_sa = (accounts[name]["account_id"].strip('"').replace(
        "${var.function_name}", terraform.default("function_name")) for name in ("function", "approver"))
    # Two identities, the same two roles each: the function, and the approval endpoint's own service account.
    subjects = {b["metadata"]["name"]: s for b in bindings for s in b["subjects"]}
    assert all(s["kind"] == "User" for s in subjects.values())
    user, approver = subjects["kubesent-reader"]["name"], subjects["kubesent-approver-reader"]["name"]
    assert user.split("@")[0] == function_sa and approver.split("@")[0] == approver_sa
    assert {b["metadata"]["name"]: (b["roleRef"]["name"], b["subjects"][0]["name"]) for b in bindings} == {
        "kubesent-reader": ("kubesent-reader", user), "kubesent-patcher": ("kubesent-patcher", user),
        "kubesent-approver-reader": ("kubesent-reader", approver),
        "kubesent-approver-patcher": ("kubesent-patcher", approver)}
    # A policy for the function's patches, one for the approver's, one for a bare Pod's resize (both may resize).
    policies = {p["metadata"]["name"]: p for p in of_kind(documents, "ValidatingAdmissionPolicy")}
    bindings_of = {b["spec"]["policyName"]: b for b in of_kind(documents, "ValidatingAdmissionPolicyBinding")}
    assert set(policies) == set(bindings_of) == {"kubesent-patch-scope", "kubesent-approve-scope",
                                                 "kubesent-resize-scope"}
    expected = {"kubesent-patch-scope": f"request.userInfo.username == '{user}'",
                "kubesent-approve-scope": f"request.userInfo.username == '{approver}'",
                "kubesent-resize-scope": f"request.userInfo.username == '{user}' || "
                                         f"request.userInfo.username == '{approver}'"}
    (params,) = [cm for cm in of_kind(documents, "ConfigMap") if cm["metadata"]["name"] == "kubesent-guardrails"]
    for name, policy in policies.items():
        binding = bindings_of[name]
        assert policy["spec"]["matchConditions"][0]["expression"] == expected[name]
        assert binding["spec"]["validationActions"] == ["Deny"]
        assert binding["spec"]["paramRef"]["name"] == params["metadata"]["name"]
        assert binding["spec"]["paramRef"]["namespace"] == params["metadata"]["namespace"] == "kube-system"
    assert params["data"]["username"] == user and params["data"]["approverUsername"] == approver


def test_terraform_kubesent_env_and_the_function_share_the_ceilings(terraform: Terraform) -> None:
    env = identities.read_env()
    output = terraform.outputs["kubesent_rbac_env"]["value"]

    assert terraform.default("memory_ceiling") == env["memoryCeiling"] == Settings().memory_ceiling
    assert terraform.default("cpu_ceiling") == env["cpuCeiling"] == Settings().cpu_ceiling
    for key in ("username", "approverUsername", "memoryCeiling", "cpuCeiling", "namespaces"):
        assert f"{key}=" in output
    assert "google_service_account.approver[0].email" in output
    assert "KUBESENT_MEMORY_CEILING" in terraform.text and "var.memory_ceiling" in terraform.text
