"""In-place resize (pods/resize) as the API server judges it for KubeSent's identity (issue 18).

A bare Pod after an OOM kill may get a bigger memory limit, within the ceiling; nothing else: no cut,
no CPU change, no pod that a controller owns. The same changes stay possible for an admin.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import kubernetes.client
import pytest

from kubesent import errors
from kubesent.cluster.kube import KubeCluster
from tests.controlplane import support

CONTAINER = {"name": "job", "image": "registry.example.com/batch/job:1.2.0",
             "resources": {"requests": {"memory": "64Mi", "cpu": "100m"}, "limits": {"memory": "128Mi", "cpu": "200m"}}}


def _pod(name: str, *, owner: dict[str, Any] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": {"app": name}}
    if owner is not None:
        # A controller reference to an object that exists, so the garbage collector keeps the pod.
        metadata["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"],
                                        "uid": owner["metadata"]["uid"], "controller": True}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
            "spec": {"containers": [copy.deepcopy(CONTAINER)], "restartPolicy": "Always"}}


@pytest.fixture()
def bare_pod(admin_client: kubernetes.client.ApiClient) -> Iterator[str]:
    name = support.unique("scratch")
    core = kubernetes.client.CoreV1Api(admin_client)
    core.create_namespaced_pod(support.ALLOWED, _pod(name))
    yield name
    core.delete_namespaced_pod(name, support.ALLOWED, grace_period_seconds=0)


def _resize(client: kubernetes.client.ApiClient, name: str, resources: dict[str, Any], *,
            dry_run: bool = False) -> dict[str, Any]:
    body = {"spec": {"containers": [{"name": "job", "resources": resources}]}}
    return KubeCluster(client).resize(namespace=support.ALLOWED, name=name, body=body, dry_run=dry_run)


def _limits(memory: str, cpu: str = "200m") -> dict[str, Any]:
    return {"limits": {"memory": memory, "cpu": cpu}}


def test_kubesent_may_raise_a_bare_pods_memory_limit_within_the_ceiling(
        kubesent_client: kubernetes.client.ApiClient, bare_pod: str) -> None:
    _resize(kubesent_client, bare_pod, _limits("256Mi"), dry_run=True)
    resized = _resize(kubesent_client, bare_pod, _limits("256Mi"))

    assert resized["spec"]["containers"][0]["resources"]["limits"]["memory"] == "256Mi"


@pytest.mark.parametrize(("resources", "why"), [
    (_limits("64Mi"), "raise an existing memory limit"),
    (_limits("8Gi"), "up to the ceiling"),
    (_limits("256Mi", cpu="2"), "keeps each container's CPU"),
    ({"requests": {"memory": "100Mi"}}, "memory request"),
])
def test_anything_else_is_refused_for_kubesent_and_allowed_for_an_admin(
        kubesent_client: kubernetes.client.ApiClient, admin_client: kubernetes.client.ApiClient, bare_pod: str,
        resources: dict[str, Any], why: str) -> None:
    with pytest.raises(errors.ClusterRefused) as refused:
        _resize(kubesent_client, bare_pod, resources, dry_run=True)

    assert "kubesent-resize-scope" in str(refused.value) and why in str(refused.value)
    _resize(admin_client, bare_pod, resources, dry_run=True)


def test_a_pod_a_controller_owns_is_never_resized_by_kubesent(
        kubesent_client: kubernetes.client.ApiClient, admin_client: kubernetes.client.ApiClient) -> None:
    name = support.unique("owned")
    core = kubernetes.client.CoreV1Api(admin_client)
    owner = admin_client.sanitize_for_serialization(core.create_namespaced_config_map(
        support.ALLOWED, {"metadata": {"name": f"{name}-owner"}}))
    core.create_namespaced_pod(support.ALLOWED, _pod(name, owner=owner))
    try:
        with pytest.raises(errors.ClusterRefused) as refused:
            _resize(kubesent_client, name, _limits("256Mi"), dry_run=True)
        assert "no controller" in str(refused.value)
    finally:
        core.delete_namespaced_pod(name, support.ALLOWED, grace_period_seconds=0)
        core.delete_namespaced_config_map(f"{name}-owner", support.ALLOWED)


def test_kubesent_cannot_resize_outside_the_allowed_namespaces(
        kubesent_client: kubernetes.client.ApiClient, admin_client: kubernetes.client.ApiClient) -> None:
    name = support.unique("elsewhere")
    core = kubernetes.client.CoreV1Api(admin_client)
    core.create_namespaced_pod(support.DENIED, _pod(name))
    try:
        with pytest.raises(errors.ClusterRefused):
            KubeCluster(kubesent_client).resize(namespace=support.DENIED, name=name, dry_run=True,
                                                body={"spec": {"containers": [{"name": "job",
                                                                               "resources": _limits("256Mi")}]}})
    finally:
        core.delete_namespaced_pod(name, support.DENIED, grace_period_seconds=0)
