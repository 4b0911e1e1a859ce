"""One contract, two backends: the project's Python sandbox and a real kube-apiserver answer alike.

Every test here runs against both. Where the sandbox cannot follow the real server, the difference is
written in local_emulator/kube_sandbox/README.md ("Differences from a real API server") instead.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import kubernetes.client
import pytest
from kubernetes.client import ApiException

from local_emulator.kube_sandbox import KubeSandbox
from tests.controlplane import support

NAMESPACE = "contract"
STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


@pytest.fixture(scope="module")
def sandbox_client() -> Iterator[kubernetes.client.ApiClient]:
    with KubeSandbox(rollouts=False) as sandbox:
        configuration = kubernetes.client.Configuration()
        configuration.host = sandbox.url
        client = kubernetes.client.ApiClient(configuration)
        yield client
        client.close()


@pytest.fixture(params=["sandbox", "controlplane"])
def api(request: pytest.FixtureRequest) -> kubernetes.client.ApiClient:
    """An admin client of one backend, with the namespace `contract` in place."""
    client: kubernetes.client.ApiClient = request.getfixturevalue(
        "sandbox_client" if request.param == "sandbox" else "admin_client")
    core = kubernetes.client.CoreV1Api(client)
    try:
        core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    except ApiException as exc:
        if exc.status != 409:
            raise
    return client


def as_dict(client: kubernetes.client.ApiClient, obj: Any) -> dict[str, Any]:
    return client.sanitize_for_serialization(obj)  # type: ignore[no-any-return]


def two_containers() -> dict[str, Any]:
    second = {"name": "sidecar", "image": "registry.example/sidecar:1.0",
              "env": [{"name": "A", "value": "1"}], "volumeMounts": [{"name": "cache", "mountPath": "/cache"}]}
    spec = support.deployment("x")["spec"]["template"]["spec"]
    spec["containers"].append(second)
    spec["volumes"] = [{"name": "cache", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]
    return spec


def make_deployment(client: kubernetes.client.ApiClient, *, manager: str = "creator") -> dict[str, Any]:
    name = support.unique("web")
    body = support.deployment(name)
    body["spec"]["template"]["spec"] = two_containers()
    created = kubernetes.client.AppsV1Api(client).create_namespaced_deployment(NAMESPACE, body, field_manager=manager)
    return as_dict(client, created)


def patch(client: kubernetes.client.ApiClient, name: str, body: Any, content_type: str = STRATEGIC,
          **kwargs: Any) -> dict[str, Any]:
    result = kubernetes.client.AppsV1Api(client).patch_namespaced_deployment(
        name, NAMESPACE, body, _content_type=content_type, **kwargs)
    return as_dict(client, result)


def containers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in obj["spec"]["template"]["spec"]["containers"]}


def on_app(change: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"containers": [{"name": "app", **change}]}}}}


# ---- strategic merge --------------------------------------------------------------------------------
def test_strategic_merge_keys_containers_by_name(api: kubernetes.client.ApiClient) -> None:
    name = make_deployment(api)["metadata"]["name"]

    patched = patch(api, name, on_app({"resources": {"limits": {"memory": "1Gi"}}}))

    assert [c["name"] for c in patched["spec"]["template"]["spec"]["containers"]] == ["app", "sidecar"]
    app = containers(patched)["app"]
    assert app["resources"]["limits"] == {"memory": "1Gi", "cpu": "500m"}
    assert app["image"] == support.CONTAINER["image"]


def test_strategic_merge_keys_env_by_name_and_ports_by_container_port(api: kubernetes.client.ApiClient) -> None:
    name = make_deployment(api)["metadata"]["name"]

    patched = patch(api, name, on_app({"env": [{"name": "EXTRA", "value": "1"}, {"name": "MODE", "value": "dev"}],
                                       "ports": [{"containerPort": 9090, "name": "metrics"}]}))

    app = containers(patched)["app"]
    assert {e["name"]: e["value"] for e in app["env"]} == {"MODE": "dev", "EXTRA": "1"}
    assert sorted(p["containerPort"] for p in app["ports"]) == [8080, 9090]


def test_strategic_merge_keys_volumes_by_name(api: kubernetes.client.ApiClient) -> None:
    name = make_deployment(api)["metadata"]["name"]

    patched = patch(api, name, {"spec": {"template": {"spec": {"volumes": [
        {"name": "tmp", "emptyDir": {"medium": "Memory"}}]}}}})

    volumes = {v["name"]: v for v in patched["spec"]["template"]["spec"]["volumes"]}
    assert set(volumes) == {"cache", "tmp"}
    assert volumes["tmp"]["emptyDir"] == {"medium": "Memory"}


def test_strategic_merge_of_a_probe_keeps_its_handler(api: kubernetes.client.ApiClient) -> None:
    name = make_deployment(api)["metadata"]["name"]

    patched = patch(api, name, on_app({"livenessProbe": {"timeoutSeconds": 2}}))

    probe = containers(patched)["app"]["livenessProbe"]
    assert probe["timeoutSeconds"] == 2
    assert probe["httpGet"]["path"] == "/healthz"
    assert probe["initialDelaySeconds"] == 5


def test_strategic_merge_delete_directive_removes_one_entry(api: kubernetes.client.ApiClient) -> None:
    name = make_deployment(api)["metadata"]["name"]

    patched = patch(api, name, on_app({"env": [{"name": "MODE", "$patch": "delete"}]}))

    assert "env" not in containers(patched)["app"] or containers(patched)["app"]["env"] == []


# ---- merge patch and JSON patch ----------------------------------------------------------------------
def test_merge_patch_replaces_lists_whole(api: kubernetes.client.ApiClient) -> None:
    name = make_deployment(api)["metadata"]["name"]
    only = {"name": "app", "image": "registry.example/app:2.0"}

    patched = patch(api, name, {"spec": {"template": {"spec": {"containers": [only]}}}}, MERGE)

    assert [c["name"] for c in patched["spec"]["template"]["spec"]["containers"]] == ["app"]
    assert containers(patched)["app"]["image"] == "registry.example/app:2.0"
    assert "resources" not in containers(patched)["app"] or not containers(patched)["app"]["resources"]


def test_merge_patch_null_deletes_a_key(api: kubernetes.client.ApiClient) -> None:
    name = make_deployment(api)["metadata"]["name"]

    patched = patch(api, name, {"metadata": {"annotations": {"owner": None, "added": "yes"}}}, MERGE)

    annotations = patched["metadata"]["annotations"]
    # Not the whole map: the real Deployment controller adds deployment.kubernetes.io/revision when it gets there.
    assert "owner" not in annotations and annotations["added"] == "yes"


def test_json_patch_replace_add_remove(api: kubernetes.client.ApiClient) -> None:
    name = make_deployment(api)["metadata"]["name"]
    app = "/spec/template/spec/containers/0"

    patched = patch(api, name, [
        {"op": "replace", "path": f"{app}/resources/limits/memory", "value": "2Gi"},
        {"op": "add", "path": "/metadata/annotations/kubesent.dev~1note", "value": "x"},
        {"op": "remove", "path": f"{app}/readinessProbe"},
    ], JSON_PATCH)

    assert containers(patched)["app"]["resources"]["limits"]["memory"] == "2Gi"
    assert patched["metadata"]["annotations"]["kubesent.dev/note"] == "x"
    assert "readinessProbe" not in containers(patched)["app"]


def test_json_patch_failed_test_operation_is_refused(api: kubernetes.client.ApiClient) -> None:
    name = make_deployment(api)["metadata"]["name"]

    with pytest.raises(ApiException) as refused:
        patch(api, name, [{"op": "test", "path": "/spec/replicas", "value": 7},
                          {"op": "replace", "path": "/spec/replicas", "value": 1}], JSON_PATCH)

    assert refused.value.status == 422


# ---- dry-run, conflicts, errors ------------------------------------------------------------------------
def test_dry_run_answers_the_result_and_stores_nothing(api: kubernetes.client.ApiClient) -> None:
    created = make_deployment(api)
    name = created["metadata"]["name"]

    answered = patch(api, name, on_app({"resources": {"limits": {"memory": "3Gi"}}}), dry_run="All")
    stored = as_dict(api, kubernetes.client.AppsV1Api(api).read_namespaced_deployment(name, NAMESPACE))

    assert containers(answered)["app"]["resources"]["limits"]["memory"] == "3Gi"
    assert containers(stored)["app"]["resources"]["limits"]["memory"] == "512Mi"
    # Not the resourceVersion: on the real server the Deployment controller writes status meanwhile.
    assert stored["metadata"]["generation"] == created["metadata"]["generation"]


def test_a_stale_resource_version_is_a_409(api: kubernetes.client.ApiClient) -> None:
    created = make_deployment(api)
    name, stale = created["metadata"]["name"], created["metadata"]["resourceVersion"]
    patch(api, name, {"metadata": {"annotations": {"bump": "1"}}})

    with pytest.raises(ApiException) as conflict:
        patch(api, name, {"metadata": {"resourceVersion": stale, "annotations": {"kubesent.dev/x": "1"}}})

    assert conflict.value.status == 409


def test_an_invalid_object_is_a_422(api: kubernetes.client.ApiClient) -> None:
    name = make_deployment(api)["metadata"]["name"]

    with pytest.raises(ApiException) as invalid:
        patch(api, name, {"spec": {"replicas": -1}})

    assert invalid.value.status == 422


def test_a_missing_object_is_a_404(api: kubernetes.client.ApiClient) -> None:
    apps = kubernetes.client.AppsV1Api(api)

    with pytest.raises(ApiException) as read:
        apps.read_namespaced_deployment("does-not-exist", NAMESPACE)
    with pytest.raises(ApiException) as patched:
        patch(api, "does-not-exist", on_app({"image": "x"}))

    assert (read.value.status, patched.value.status) == (404, 404)


# ---- selectors -----------------------------------------------------------------------------------------
def test_label_selectors_equality_inequality_and_sets(api: kubernetes.client.ApiClient) -> None:
    core = kubernetes.client.CoreV1Api(api)
    tag = support.unique("sel")
    for name, tier in (("a", "web"), ("b", "db"), ("c", "cache")):
        core.create_namespaced_config_map(NAMESPACE, {"metadata": {"name": f"{tag}-{name}",
                                                                   "labels": {"run": tag, "tier": tier}}})

    def names(selector: str) -> list[str]:
        listed = core.list_namespaced_config_map(NAMESPACE, label_selector=selector)
        return sorted(item.metadata.name.rsplit("-", 1)[1] for item in listed.items)

    assert names(f"run={tag},tier=web") == ["a"]
    assert names(f"run={tag},tier!=web") == ["b", "c"]
    assert names(f"run={tag},tier in (db,cache)") == ["b", "c"]
    assert names(f"run={tag},tier notin (db)") == ["a", "c"]
    assert names(f"run={tag},!missing") == ["a", "b", "c"]


def test_field_selectors_on_events(api: kubernetes.client.ApiClient) -> None:
    core = kubernetes.client.CoreV1Api(api)
    pod = support.unique("pod")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for index, (kind, name) in enumerate((("Pod", pod), ("Pod", pod + "-other"), ("Deployment", pod))):
        core.create_namespaced_event(NAMESPACE, {
            "metadata": {"name": f"{pod}.{index}"}, "reason": "BackOff", "message": "m", "type": "Warning",
            "involvedObject": {"kind": kind, "name": name, "namespace": NAMESPACE},
            "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1, "source": {"component": "test"}})

    listed = core.list_namespaced_event(NAMESPACE, field_selector=f"involvedObject.kind=Pod,involvedObject.name={pod}")

    assert [item.metadata.name for item in listed.items] == [f"{pod}.0"]


def test_a_core_event_naming_another_namespace_needs_event_time(api: kubernetes.client.ApiClient) -> None:
    core = kubernetes.client.CoreV1Api(api)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    event = {"metadata": {"name": support.unique("cross")}, "reason": "OOMKilling", "message": "m", "type": "Warning",
             "involvedObject": {"kind": "Pod", "name": "web-0", "namespace": "elsewhere"},
             "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1, "source": {"component": "test"}}

    with pytest.raises(ApiException) as refused:
        core.create_namespaced_event(NAMESPACE, copy.deepcopy(event))
    # Non-zero microseconds: the client re-serialises the time, and the server's MicroTime needs them.
    event |= {"metadata": {"name": support.unique("cross")}, "eventTime": stamp.replace("Z", ".123456Z"),
              "reportingComponent": "test", "reportingInstance": "test-1", "action": "Killing"}
    accepted = core.create_namespaced_event(NAMESPACE, event)

    assert refused.value.status == 422
    assert accepted.involved_object.namespace == "elsewhere"


# ---- managed fields and the status split ------------------------------------------------------------------
def test_managed_fields_are_kept_per_manager(api: kubernetes.client.ApiClient) -> None:
    name = make_deployment(api, manager="creator")["metadata"]["name"]

    patched = patch(api, name, on_app({"resources": {"limits": {"memory": "1Gi"}}}), field_manager="kubesent")

    entries = {entry["manager"]: entry for entry in patched["metadata"]["managedFields"]}
    assert {"creator", "kubesent"} <= set(entries)
    assert entries["kubesent"]["operation"] == "Update"
    assert entries["kubesent"]["fieldsType"] == "FieldsV1"
    assert "f:spec" in entries["kubesent"]["fieldsV1"]


def test_status_is_written_only_through_its_subresource(api: kubernetes.client.ApiClient) -> None:
    core = kubernetes.client.CoreV1Api(api)
    name = support.unique("pod")
    if api.configuration.host.startswith("https://"):  # the sandbox needs no service account
        wait_for_default_service_account(core)
    core.create_namespaced_pod(NAMESPACE, {"metadata": {"name": name, "labels": {"app": name}},
                                           "spec": {"containers": [copy.deepcopy(support.CONTAINER)]}})

    core.patch_namespaced_pod(name, NAMESPACE, {"status": {"phase": "Failed"},
                                                "metadata": {"labels": {"seen": "yes"}}})
    after_main = as_dict(api, core.read_namespaced_pod(name, NAMESPACE))
    core.patch_namespaced_pod_status(name, NAMESPACE, {"status": {"phase": "Running"},
                                                       "spec": {"activeDeadlineSeconds": 30}})
    after_status = as_dict(api, core.read_namespaced_pod(name, NAMESPACE))

    assert after_main["metadata"]["labels"]["seen"] == "yes"
    assert after_main.get("status", {}).get("phase") in (None, "Pending")
    assert after_status["status"]["phase"] == "Running"
    assert "activeDeadlineSeconds" not in after_status["spec"]


def wait_for_default_service_account(core: kubernetes.client.CoreV1Api) -> None:
    """On the real server the ServiceAccount admission plugin needs `default`, made by the controller manager."""
    deadline = time.monotonic() + support.WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            core.read_namespaced_service_account("default", NAMESPACE)
            return
        except ApiException as exc:
            if exc.status != 404:
                raise
        time.sleep(0.25)
    raise AssertionError("the controller manager never made the `default` service account")
