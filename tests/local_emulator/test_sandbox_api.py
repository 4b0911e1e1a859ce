"""The sandbox through the official `kubernetes` Python client: CRUD, patches, watch, logs, faults."""
from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from typing import Any

import kubernetes.client
import kubernetes.watch
import pytest
import urllib3
from kubernetes.client.rest import ApiException

from local_emulator.kube_sandbox import KubeSandbox
from local_emulator.kube_sandbox.store import HISTORY_SIZE
from tests.local_emulator.sandbox_helpers import deployment_manifest


def _pod(name: str, *, labels: dict[str, str] | None = None, containers: int = 1) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": labels or {}},
            "spec": {"containers": [{"name": f"c{index}", "image": "busybox"} for index in range(containers)]}}


def _raw(sandbox: KubeSandbox, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, str, Any]:
    parsed = urllib.parse.urlsplit(sandbox.url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        text = response.read().decode()
        content_type = response.getheader("Content-Type") or ""
        return response.status, content_type, json.loads(text) if "json" in content_type else text
    finally:
        connection.close()


def test_create_read_list(sandbox: KubeSandbox, core: kubernetes.client.CoreV1Api) -> None:
    created = core.create_namespaced_pod("default", _pod("one", labels={"app": "a"}))
    core.create_namespace({"metadata": {"name": "other"}})
    core.create_namespaced_pod("other", {**_pod("two"), "metadata": {"name": "two"}})

    read = core.read_namespaced_pod("one", "default")
    everywhere = core.list_pod_for_all_namespaces()
    status, _, listed = _raw(sandbox, "GET", "/api/v1/namespaces/default/pods")

    assert created.metadata.uid and created.metadata.resource_version and created.metadata.generation == 1
    assert read.metadata.uid == created.metadata.uid and read.status.phase == "Pending"
    assert sorted(pod.metadata.name for pod in everywhere.items) == ["one", "two"]
    assert status == 200 and listed["kind"] == "PodList" and listed["metadata"]["resourceVersion"]
    assert listed["items"][0]["kind"] == "Pod" and listed["items"][0]["apiVersion"] == "v1"


def test_generate_name_and_missing_namespace(core: kubernetes.client.CoreV1Api) -> None:
    created = core.create_namespaced_config_map("default", {"metadata": {"generateName": "cfg-"}, "data": {}})

    with pytest.raises(ApiException) as missing:
        core.create_namespaced_config_map("nowhere", {"metadata": {"name": "x"}})

    assert created.metadata.name.startswith("cfg-") and len(created.metadata.name) == len("cfg-") + 5
    assert missing.value.status == 404


def test_not_found_and_already_exists_are_status_objects(core: kubernetes.client.CoreV1Api) -> None:
    core.create_namespaced_pod("default", _pod("dup"))

    with pytest.raises(ApiException) as exists:
        core.create_namespaced_pod("default", _pod("dup"))
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_pod("ghost", "default")

    assert exists.value.status == 409 and json.loads(exists.value.body)["reason"] == "AlreadyExists"
    body = json.loads(missing.value.body)
    assert missing.value.status == 404
    assert body["kind"] == "Status" and body["reason"] == "NotFound"
    assert body["details"] == {"name": "ghost", "kind": "pods"}


def test_three_patch_types_and_generation(sandbox: KubeSandbox, apps: kubernetes.client.AppsV1Api) -> None:
    sandbox.load_objects([deployment_manifest()])
    name, namespace = "web", "default"

    apps.patch_namespaced_deployment(name, namespace, {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "resources": {"limits": {"memory": "256Mi"}}}]}}}}, field_manager="kubesent")
    apps.patch_namespaced_deployment(name, namespace, {"metadata": {"annotations": {"x": "1"}}},
                                     _content_type="application/merge-patch+json")
    result = apps.patch_namespaced_deployment(name, namespace, [
        {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "shop/app:2"}])

    app = result.spec.template.spec.containers[0]
    assert app.resources.limits["memory"] == "256Mi" and app.resources.limits["cpu"] == "500m"
    assert app.image == "shop/app:2" and result.metadata.annotations["x"] == "1"
    assert len(result.spec.template.spec.containers) == 2
    assert result.metadata.generation == 3  # two spec changes; the annotation is not spec
    kubesent = [entry for entry in result.metadata.managed_fields if entry.manager == "kubesent"]
    assert kubesent and "f:template" in kubesent[0].fields_v1["f:spec"]


def test_dry_run_persists_nothing(sandbox: KubeSandbox, apps: kubernetes.client.AppsV1Api,
                                  core: kubernetes.client.CoreV1Api) -> None:
    sandbox.load_objects([deployment_manifest()])
    before = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="default", name="web")
    counter = core.list_namespaced_pod("default").metadata.resource_version

    patched = apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 5}}, dry_run="All")
    created = core.create_namespaced_pod("default", _pod("dry"), dry_run="All")
    apps.delete_namespaced_deployment("web", "default", dry_run="All")

    assert patched.spec.replicas == 5 and created.metadata.name == "dry"
    assert sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="default", name="web") == before
    assert sandbox.get_object(api_version="v1", kind="Pod", namespace="default", name="dry") is None
    assert core.list_namespaced_pod("default").metadata.resource_version == counter
    assert sandbox.writes() == []
    assert [request["dry_run"] for request in sandbox.requests if request["method"] != "GET"] == [True, True, True]


def test_status_subresource_split(sandbox: KubeSandbox, apps: kubernetes.client.AppsV1Api) -> None:
    sandbox.load_objects([{**deployment_manifest(), "status": {"replicas": 1, "readyReplicas": 1}}])

    main = apps.patch_namespaced_deployment("web", "default", {"status": {"readyReplicas": 0},
                                                               "spec": {"replicas": 2}})
    status = apps.patch_namespaced_deployment_status("web", "default", {"status": {"readyReplicas": 0},
                                                                         "spec": {"replicas": 9}})

    assert main.status.ready_replicas == 1 and main.spec.replicas == 2
    assert status.status.ready_replicas == 0 and status.spec.replicas == 2


def test_conflicts_on_stale_resource_version(sandbox: KubeSandbox, apps: kubernetes.client.AppsV1Api) -> None:
    sandbox.load_objects([deployment_manifest()])
    stale = apps.read_namespaced_deployment("web", "default")
    apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 2}})

    with pytest.raises(ApiException) as patched:
        apps.patch_namespaced_deployment("web", "default", {"metadata": {
            "resourceVersion": stale.metadata.resource_version}, "spec": {"replicas": 3}})
    with pytest.raises(ApiException) as replaced:
        apps.replace_namespaced_deployment("web", "default", stale)
    fresh = apps.read_namespaced_deployment("web", "default")
    fresh.spec.replicas = 4
    replaced_ok = apps.replace_namespaced_deployment("web", "default", fresh)

    for error in (patched.value, replaced.value):
        assert error.status == 409 and json.loads(error.body)["reason"] == "Conflict"
    assert replaced_ok.spec.replicas == 4


def test_pod_spec_is_immutable_except_image(core: kubernetes.client.CoreV1Api) -> None:
    core.create_namespaced_pod("default", _pod("fixed"))

    image = core.patch_namespaced_pod("fixed", "default",
                                      {"spec": {"containers": [{"name": "c0", "image": "busybox:2"}]}})
    with pytest.raises(ApiException) as invalid:
        core.patch_namespaced_pod("fixed", "default", {"spec": {"containers": [
            {"name": "c0", "resources": {"limits": {"memory": "1Gi"}}}]}})

    assert image.spec.containers[0].image == "busybox:2"
    assert invalid.value.status == 422 and json.loads(invalid.value.body)["reason"] == "Invalid"


def test_unsupported_media_types_get_415(sandbox: KubeSandbox) -> None:
    sandbox.load_objects([deployment_manifest()])
    path = "/apis/apps/v1/namespaces/default/deployments/web"

    apply_status, _, apply_body = _raw(sandbox, "PATCH", path, b"{}", {"Content-Type": "application/apply-patch+yaml"})
    proto_status, _, _ = _raw(sandbox, "POST", "/api/v1/namespaces", b"k8s\x00",
                              {"Content-Type": "application/vnd.kubernetes.protobuf"})

    assert apply_status == 415 and apply_body["reason"] == "UnsupportedMediaType"
    assert proto_status == 415


def test_logs_current_previous_tail_and_limit(sandbox: KubeSandbox, core: kubernetes.client.CoreV1Api) -> None:
    core.create_namespaced_pod("default", _pod("app"))
    core.create_namespaced_pod("default", _pod("multi", containers=2))
    sandbox.set_logs(namespace="default", pod="app", container="c0", current="a\nb\nc\n",
                     previous="boom\nOOM\n")

    current = core.read_namespaced_pod_log("app", "default")
    tail = core.read_namespaced_pod_log("app", "default", tail_lines=2)
    limited = core.read_namespaced_pod_log("app", "default", limit_bytes=3)
    previous = core.read_namespaced_pod_log("app", "default", container="c0", previous=True)
    with pytest.raises(ApiException) as no_container:
        core.read_namespaced_pod_log("multi", "default")
    with pytest.raises(ApiException) as no_previous:
        core.read_namespaced_pod_log("multi", "default", container="c1", previous=True)

    assert (current, tail, limited, previous) == ("a\nb\nc\n", "b\nc\n", "a\nb", "boom\nOOM\n")
    assert no_container.value.status == 400 and "a container name must be specified" in no_container.value.body
    assert no_previous.value.status == 400
    assert json.loads(no_previous.value.body)["message"] == \
        'previous terminated container "c1" in pod "multi" not found'


def test_label_and_field_selectors(sandbox: KubeSandbox, core: kubernetes.client.CoreV1Api) -> None:
    for name, labels in (("p1", {"app": "a", "env": "prod"}), ("p2", {"app": "b", "env": "dev"}),
                         ("p3", {"app": "c", "canary": "yes"})):
        core.create_namespaced_pod("default", _pod(name, labels=labels))
    reasons = (("p1", "BackOff"), ("p2", "Failed"), ("p1", "Failed"))
    sandbox.load_objects([{"apiVersion": "v1", "kind": "Event",
                           "metadata": {"name": f"e{index}", "namespace": "default"},
                           "involvedObject": {"kind": "Pod", "name": name, "namespace": "default"},
                           "reason": reason, "type": "Warning"}
                          for index, (name, reason) in enumerate(reasons)])

    def names(selector: str) -> list[str]:
        return sorted(pod.metadata.name for pod in core.list_namespaced_pod("default", label_selector=selector).items)

    events = core.list_namespaced_event("default", field_selector="involvedObject.name=p1,reason!=BackOff")

    assert names("app=a") == ["p1"] and names("app==a") == ["p1"] and names("app!=a") == ["p2", "p3"]
    assert names("app in (a, b)") == ["p1", "p2"] and names("app notin (a,b)") == ["p3"]
    assert names("canary") == ["p3"] and names("!canary") == ["p1", "p2"]
    assert names("env,app in (a,c)") == ["p1"]
    assert [event.metadata.name for event in events.items] == ["e2"]
    assert [event.metadata.name for event in core.list_event_for_all_namespaces(
        field_selector="involvedObject.kind=Pod,type=Warning,metadata.name=e1").items] == ["e1"]


def test_watch_streams_changes(core: kubernetes.client.CoreV1Api) -> None:
    start = core.list_namespaced_pod("default").metadata.resource_version
    core.create_namespaced_pod("default", _pod("w1"))
    core.patch_namespaced_pod("w1", "default", {"metadata": {"labels": {"x": "y"}}})
    core.delete_namespaced_pod("w1", "default")
    watcher = kubernetes.watch.Watch()

    seen = [(event["type"], event["object"].metadata.name) for event in watcher.stream(
        core.list_namespaced_pod, "default", resource_version=start, timeout_seconds=1)]

    assert seen == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]


def test_watch_sees_live_change_then_times_out(core: kubernetes.client.CoreV1Api) -> None:
    timer = threading.Timer(0.3, lambda: core.create_namespaced_config_map("default", {"metadata": {"name": "live"}}))
    timer.start()

    seen = [event["object"].metadata.name for event in kubernetes.watch.Watch().stream(
        core.list_namespaced_config_map, "default", timeout_seconds=2)]
    timer.join()

    assert seen == ["live"]


def test_watch_too_old_resource_version_is_gone(sandbox: KubeSandbox, core: kubernetes.client.CoreV1Api) -> None:
    sandbox.load_objects([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{index}"}}
                          for index in range(HISTORY_SIZE + 5)])

    with pytest.raises(ApiException) as gone:
        list(kubernetes.watch.Watch().stream(core.list_namespaced_config_map, "default",
                                             resource_version="1", timeout_seconds=1))

    assert gone.value.status == 410


def test_injected_faults(sandbox: KubeSandbox, core: kubernetes.client.CoreV1Api) -> None:
    core.create_namespaced_pod("default", _pod("target"))
    sandbox.inject_fault(method="GET", path=r"/pods/target$", status=500, count=1)
    sandbox.inject_fault(method="PATCH", path=r"/pods/", status=403, count=1)

    with pytest.raises(ApiException) as server_error:
        core.read_namespaced_pod("target", "default")
    recovered = core.read_namespaced_pod("target", "default")
    with pytest.raises(ApiException) as forbidden:
        core.patch_namespaced_pod("target", "default", {"metadata": {"labels": {"a": "b"}}})

    assert server_error.value.status == 500 and recovered.metadata.name == "target"
    assert forbidden.value.status == 403 and json.loads(forbidden.value.body)["reason"] == "Forbidden"


def test_injected_delay_times_out_the_client(sandbox: KubeSandbox, core: kubernetes.client.CoreV1Api) -> None:
    core.create_namespaced_pod("default", _pod("slow"))
    # urllib3 retries a timed-out GET, so every attempt must be slow.
    sandbox.inject_fault(path=r"/pods/slow$", status=200, delay_seconds=0.5, count=10)

    with pytest.raises((urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.MaxRetryError)):
        core.read_namespaced_pod("slow", "default", _request_timeout=0.2)


def test_delete_cascades_to_owned_objects(sandbox: KubeSandbox, apps: kubernetes.client.AppsV1Api) -> None:
    deployment, replicaset, pods = sandbox.create_deployment_chain(deployment_manifest(), replicas=2)

    apps.delete_namespaced_deployment("web", "default")

    assert sandbox.get_object(api_version="apps/v1", kind="ReplicaSet", namespace="default",
                              name=replicaset["metadata"]["name"]) is None
    assert all(sandbox.get_object(api_version="v1", kind="Pod", namespace="default",
                                  name=pod["metadata"]["name"]) is None for pod in pods)
    assert [request["method"] for request in sandbox.writes()] == ["DELETE"]


def test_control_plane_over_http(sandbox: KubeSandbox, core: kubernetes.client.CoreV1Api) -> None:
    pod = _pod("remote")
    _raw(sandbox, "POST", "/_sandbox/load", json.dumps([pod]).encode(), {"Content-Type": "application/json"})
    _raw(sandbox, "POST", "/_sandbox/logs", json.dumps({"namespace": "default", "pod": "remote",
                                                        "container": "c0", "current": "hi\n"}).encode())
    _raw(sandbox, "POST", "/_sandbox/faults", json.dumps({"path": "/pods/remote$", "status": 503}).encode())

    with pytest.raises(ApiException) as unavailable:
        core.read_namespaced_pod("remote", "default")
    log = core.read_namespaced_pod_log("remote", "default")
    _raw(sandbox, "POST", "/_sandbox/faults", json.dumps({"path": ".*", "status": 500, "count": 99}).encode())
    _raw(sandbox, "DELETE", "/_sandbox/faults")
    status, _, requests = _raw(sandbox, "GET", "/_sandbox/requests")

    assert unavailable.value.status == 503 and log == "hi\n"
    assert core.read_namespaced_pod("remote", "default").metadata.name == "remote"
    assert status == 200 and any(request["path"].endswith("/pods/remote/log") for request in requests)
