"""The admission policy judged by a real kube-apiserver (issue 13, finding 1).

KubeSent's own patches pass; every attack of the security review is refused for KubeSent's identity and
allowed for an admin (so it is the policy that refuses, not the schema). Dry-run goes through admission.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import kubernetes.client
import pytest
from kubernetes.client import ApiException

from kubesent import k8s, policy
from tests.controlplane import support

STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
CONTAINERS = "/spec/template/spec/containers/0"
T = TypeVar("T")


def container_patch(change: dict[str, Any]) -> dict[str, Any]:
    """A strategic-merge patch of the container `app`, as kubesent.remedies renders one."""
    return {"spec": {"template": {"spec": {"containers": [{"name": "app", **change}]}}}}


def probe(field: str, **timing: int) -> dict[str, Any]:
    return container_patch({field: timing})


# (id, patch, content type): what KubeSent's remedies produce.
OWN_PATCHES = [
    ("memory-limit-raised", container_patch({"resources": {"limits": {"memory": "1Gi"}}}), STRATEGIC),
    ("memory-limit-to-the-ceiling", container_patch({"resources": {"limits": {"memory": "4Gi"}}}), STRATEGIC),
    ("cpu-limit-raised", container_patch({"resources": {"limits": {"cpu": "1"}}}), STRATEGIC),
    ("probe-timeout-one-step", probe("livenessProbe", timeoutSeconds=2), STRATEGIC),
    ("probe-initial-delay-one-step", probe("livenessProbe", initialDelaySeconds=20), STRATEGIC),
    ("readiness-period-one-step", probe("readinessProbe", periodSeconds=10), STRATEGIC),
    ("kubesent-annotation", {"metadata": {"annotations": {"kubesent.dev/remediation": '{"kind":"raise"}'}}},
     STRATEGIC),
    ("limit-and-annotation-in-one-patch",
     {**container_patch({"resources": {"limits": {"memory": "768Mi"}}}),
      "metadata": {"annotations": {"kubesent.dev/original-memory-limit": "512Mi"}}}, STRATEGIC),
]

# (id, patch, content type): issue 13 finding 1, and what else the policy must compare whole.
ATTACKS = [
    ("memory-limit-cut-to-1Mi", container_patch({"resources": {"limits": {"memory": "1Mi"}}}), STRATEGIC),
    ("memory-limit-raised-to-1Ei", container_patch({"resources": {"limits": {"memory": "1Ei"}}}), STRATEGIC),
    ("memory-limit-just-over-the-ceiling", container_patch({"resources": {"limits": {"memory": "4097Mi"}}}),
     STRATEGIC),
    ("cpu-limit-over-the-ceiling", container_patch({"resources": {"limits": {"cpu": "5"}}}), STRATEGIC),
    ("limits-removed", [{"op": "remove", "path": f"{CONTAINERS}/resources/limits"}], JSON_PATCH),
    ("memory-limit-removed", [{"op": "remove", "path": f"{CONTAINERS}/resources/limits/memory"}], JSON_PATCH),
    ("requests-cpu-512", container_patch({"resources": {"requests": {"cpu": "512"}}}), STRATEGIC),
    ("requests-memory-raised", container_patch({"resources": {"requests": {"memory": "300Mi"}}}), STRATEGIC),
    ("nvidia-gpu-added", container_patch({"resources": {"limits": {"nvidia.com/gpu": "8"}}}), STRATEGIC),
    ("liveness-failure-threshold-max-int", probe("livenessProbe", failureThreshold=2147483647), STRATEGIC),
    ("hair-trigger-probe", probe("livenessProbe", periodSeconds=1, timeoutSeconds=1, failureThreshold=1),
     STRATEGIC),
    ("probe-handler-changed", container_patch({"livenessProbe": {"httpGet": {"path": "/", "port": 8080}}}),
     STRATEGIC),
    ("probe-removed", [{"op": "remove", "path": f"{CONTAINERS}/readinessProbe"}], JSON_PATCH),
    ("startup-probe-added", container_patch({"startupProbe": {"tcpSocket": {"port": 8080}}}), STRATEGIC),
    ("image-changed", container_patch({"image": "evil.example/miner:1"}), STRATEGIC),
    ("env-added", container_patch({"env": [{"name": "LD_PRELOAD", "value": "/tmp/x.so"}]}), STRATEGIC),
    ("privileged-container", container_patch({"securityContext": {"privileged": True}}), STRATEGIC),
    ("second-container", {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "image": "evil.example/sidecar:1"}]}}}}, STRATEGIC),
    # A PodSpec field the previous policy did not list (beta and on by default in 1.35): it passed.
    ("pod-hostnameOverride-unlisted", {"spec": {"template": {"spec": {"hostnameOverride": "db-primary"}}}},
     STRATEGIC),
    ("pod-hostNetwork", {"spec": {"template": {"spec": {"hostNetwork": True}}}}, STRATEGIC),
    ("pod-hostPID", {"spec": {"template": {"spec": {"hostPID": True}}}}, STRATEGIC),
    ("pod-service-account", {"spec": {"template": {"spec": {"serviceAccountName": "default"}}}}, STRATEGIC),
    ("pod-automount-token", {"spec": {"template": {"spec": {"automountServiceAccountToken": True}}}}, STRATEGIC),
    ("pod-dns-config", {"spec": {"template": {"spec": {"dnsConfig": {"nameservers": ["203.0.113.9"]}}}}},
     STRATEGIC),
    ("pod-init-container", {"spec": {"template": {"spec": {"initContainers": [
        {"name": "init", "image": "evil.example/init:1"}]}}}}, STRATEGIC),
    ("pod-volume", {"spec": {"template": {"spec": {"volumes": [
        {"name": "host", "hostPath": {"path": "/"}}]}}}}, STRATEGIC),
    ("replicas", {"spec": {"replicas": 5}}, STRATEGIC),
    ("template-label", {"spec": {"template": {"metadata": {"labels": {"extra": "x"}}}}}, STRATEGIC),
    ("workload-label", {"metadata": {"labels": {"team": "other"}}}, STRATEGIC),
    ("foreign-annotation", {"metadata": {"annotations": {"argocd.argoproj.io/sync-options": "Prune=false"}}},
     STRATEGIC),
    ("foreign-annotation-removed", {"metadata": {"annotations": {"owner": None}}}, STRATEGIC),
    ("managed-fields-rewritten", {"metadata": {
        "annotations": {"kubesent.dev/remediation": "x"},
        "managedFields": [{"manager": "kubesent", "operation": "Update", "apiVersion": "apps/v1",
                           "fieldsType": "FieldsV1",
                           "fieldsV1": {"f:metadata": {"f:annotations": {"f:kubesent.dev/remediation": {}}}}}]}},
     MERGE),
]


def patch(client: kubernetes.client.ApiClient, name: str, body: Any, content_type: str, *,
          dry_run: bool = False) -> dict[str, Any]:
    apps = kubernetes.client.AppsV1Api(client)
    kwargs: dict[str, Any] = {"_content_type": content_type, "field_manager": "kubesent"}
    if dry_run:
        kwargs["dry_run"] = "All"
    result = apps.patch_namespaced_deployment(name, support.ALLOWED, body, **kwargs)
    return client.sanitize_for_serialization(result)  # type: ignore[no-any-return]


def refusal(exc: ApiException) -> str:
    return str(exc.body)


PARAMS = "kubesent-guardrails"


def refused_now(client: kubernetes.client.ApiClient, name: str, body: dict[str, Any]) -> bool:
    try:
        patch(client, name, body, STRATEGIC, dry_run=True)
    except ApiException as exc:
        if exc.status == 403:
            return True
        raise
    raise AssertionError("not refused yet")


def eventually(attempt: Callable[[], T]) -> T:
    """The policy reads params through an informer: retry until the change is seen."""
    deadline = time.monotonic() + support.WAIT_SECONDS
    while True:
        try:
            return attempt()
        except (ApiException, AssertionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.fixture()
def workload(admin_client: kubernetes.client.ApiClient) -> Iterator[str]:
    name = support.unique("guarded")
    apps = kubernetes.client.AppsV1Api(admin_client)
    apps.create_namespaced_deployment(support.ALLOWED, support.deployment(name), field_manager="gitops-tool")
    yield name
    apps.delete_namespaced_deployment(name, support.ALLOWED)


@pytest.mark.parametrize(("body", "content_type"), [case[1:] for case in OWN_PATCHES],
                         ids=[case[0] for case in OWN_PATCHES])
def test_kubesents_own_patches_pass(kubesent_client: kubernetes.client.ApiClient, workload: str,
                                    body: Any, content_type: str) -> None:
    patched = patch(kubesent_client, workload, body, content_type)

    assert patched["metadata"]["name"] == workload
    assert any(entry["manager"] == "kubesent" for entry in patched["metadata"]["managedFields"])


# A CPU request of 512 is only valid (and only an attack the policy must see) without a smaller CPU limit.
NO_CPU_LIMIT = {**support.CONTAINER, "resources": {"requests": {"memory": "256Mi", "cpu": "250m"},
                                                   "limits": {"memory": "512Mi"}}}
# A limit cut below the request is invalid whoever sends it; the review's target had no requests.
LIMITS_ONLY = {**support.CONTAINER, "resources": {"limits": {"memory": "512Mi", "cpu": "500m"}}}
ATTACK_CONTAINERS = {"requests-cpu-512": NO_CPU_LIMIT, "memory-limit-cut-to-1Mi": LIMITS_ONLY}


@pytest.mark.parametrize(("attack", "body", "content_type"), ATTACKS, ids=[case[0] for case in ATTACKS])
def test_each_attack_is_refused_for_kubesent_and_allowed_for_an_admin(
        kubesent_client: kubernetes.client.ApiClient, admin_client: kubernetes.client.ApiClient,
        attack: str, body: Any, content_type: str) -> None:
    name = support.unique("attacked")
    apps = kubernetes.client.AppsV1Api(admin_client)
    apps.create_namespaced_deployment(support.ALLOWED,
                                      support.deployment(name, container=ATTACK_CONTAINERS.get(attack)),
                                      field_manager="gitops-tool")
    try:
        with pytest.raises(ApiException) as refused:
            patch(kubesent_client, name, copy.deepcopy(body), content_type)

        assert refused.value.status == 403
        assert "kubesent-patch-scope" in refusal(refused.value)
        patch(admin_client, name, copy.deepcopy(body), content_type)  # the same change, by a person: allowed
    finally:
        apps.delete_namespaced_deployment(name, support.ALLOWED)


@pytest.mark.parametrize("field", ["livenessProbe", "readinessProbe"])
@pytest.mark.parametrize("attribute", list(policy._PROBE_STEP))
def test_one_probe_step_is_exactly_what_the_function_allows(
        kubesent_client: kubernetes.client.ApiClient, admin_client: kubernetes.client.ApiClient,
        workload: str, attribute: str, field: str) -> None:
    timing, factor, margin = policy._PROBE_STEP[attribute]
    current = k8s.probe_timing(support.CONTAINER[field], timing)
    largest = max(current * factor, current + margin)

    with pytest.raises(ApiException) as refused:
        patch(kubesent_client, workload, probe(field, **{timing: largest + 1}), STRATEGIC)
    patched = patch(kubesent_client, workload, probe(field, **{timing: largest}), STRATEGIC)

    assert refused.value.status == 403
    container = patched["spec"]["template"]["spec"]["containers"][0]
    assert container[field][timing] == largest


def test_server_side_dry_run_runs_admission(kubesent_client: kubernetes.client.ApiClient, workload: str) -> None:
    raise_memory = container_patch({"resources": {"limits": {"memory": "1Gi"}}})
    too_much = container_patch({"resources": {"limits": {"memory": "8Gi"}}})

    dry = patch(kubesent_client, workload, raise_memory, STRATEGIC, dry_run=True)
    with pytest.raises(ApiException) as refused:
        patch(kubesent_client, workload, too_much, STRATEGIC, dry_run=True)

    assert dry["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "1Gi"
    assert refused.value.status == 403 and "kubesent-patch-scope" in refusal(refused.value)


def test_a_limit_of_zero_is_never_raised(kubesent_client: kubernetes.client.ApiClient,
                                         admin_client: kubernetes.client.ApiClient) -> None:
    name = support.unique("unlimited")
    container = {"name": "app", "image": "registry.example/app:1.0", "resources": {"limits": {"memory": "0"}}}
    apps = kubernetes.client.AppsV1Api(admin_client)
    apps.create_namespaced_deployment(support.ALLOWED, support.deployment(name, container=container))
    try:
        with pytest.raises(ApiException) as refused:
            patch(kubesent_client, name, container_patch({"resources": {"limits": {"memory": "100Mi"}}}), STRATEGIC)
        assert refused.value.status == 403 and "kubesent-patch-scope" in refusal(refused.value)
    finally:
        apps.delete_namespaced_deployment(name, support.ALLOWED)


def test_statefulsets_are_guarded_too(kubesent_client: kubernetes.client.ApiClient,
                                      admin_client: kubernetes.client.ApiClient) -> None:
    name = support.unique("db")
    spec = support.deployment(name)["spec"]
    statefulset = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
                   "spec": {"serviceName": name, "replicas": 0, "selector": spec["selector"],
                            "template": spec["template"]}}
    apps_admin = kubernetes.client.AppsV1Api(admin_client)
    apps_admin.create_namespaced_stateful_set(support.ALLOWED, statefulset)
    apps = kubernetes.client.AppsV1Api(kubesent_client)
    try:
        apps.patch_namespaced_stateful_set(name, support.ALLOWED, container_patch(
            {"resources": {"limits": {"memory": "1Gi"}}}), field_manager="kubesent")
        with pytest.raises(ApiException) as refused:
            apps.patch_namespaced_stateful_set(name, support.ALLOWED, container_patch(
                {"resources": {"limits": {"memory": "8Gi"}}}), field_manager="kubesent")
        assert refused.value.status == 403 and "kubesent-patch-scope" in refusal(refused.value)
    finally:
        apps_admin.delete_namespaced_stateful_set(name, support.ALLOWED)


def test_the_ceilings_come_from_the_params_configmap(kubesent_client: kubernetes.client.ApiClient,
                                                     admin_client: kubernetes.client.ApiClient,
                                                     workload: str) -> None:
    """One source for Terraform, kustomize and the policy: raising the params' ceiling lets a bigger raise in."""
    core = kubernetes.client.CoreV1Api(admin_client)
    six_gi = container_patch({"resources": {"limits": {"memory": "6Gi"}}})
    with pytest.raises(ApiException) as refused:
        patch(kubesent_client, workload, six_gi, STRATEGIC, dry_run=True)
    core.patch_namespaced_config_map(PARAMS, "kube-system", {"data": {"memoryCeiling": "8Gi"}})
    try:
        allowed = eventually(lambda: patch(kubesent_client, workload, six_gi, STRATEGIC, dry_run=True))
    finally:
        core.patch_namespaced_config_map(PARAMS, "kube-system", {"data": {"memoryCeiling": "4Gi"}})
        eventually(lambda: refused_now(kubesent_client, workload, six_gi))

    assert refused.value.status == 403
    assert allowed["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "6Gi"

