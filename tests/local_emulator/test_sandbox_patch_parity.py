"""The sandbox's PATCH must match Kubernetes' own patch code (`kubectl patch --local`)."""
from __future__ import annotations

import copy
import http.client
import json
import pathlib
import urllib.parse
from typing import Any

import pytest

from local_emulator.kube_sandbox import KubeSandbox
from tests.local_emulator.sandbox_helpers import deployment_manifest, run_kubectl

_SERVER_METADATA = ("resourceVersion", "generation", "managedFields", "uid", "creationTimestamp")
_CONTENT_TYPES = {"strategic": "application/strategic-merge-patch+json",
                  "merge": "application/merge-patch+json", "json": "application/json-patch+json"}


def _template(spec_patch: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": spec_patch}}}


def _app(**fields: Any) -> dict[str, Any]:
    return _template({"containers": [{"name": "app", **fields}]})


CONTAINERS = "/spec/template/spec/containers"

CASES: list[tuple[str, str, Any]] = [
    ("resources-by-name", "strategic", _app(resources={"limits": {"memory": "256Mi"}})),
    ("add-env", "strategic", _app(env=[{"name": "C", "value": "3"}])),
    ("change-env", "strategic", _app(env=[{"name": "A", "value": "10"}])),
    ("delete-env", "strategic", _app(env=[{"name": "B", "$patch": "delete"}])),
    ("delete-container", "strategic", _template({"containers": [{"name": "sidecar", "$patch": "delete"}]})),
    ("add-container", "strategic", _template({"containers": [{"name": "new", "image": "n:1"}]})),
    ("add-two-containers-and-change", "strategic", _template({"containers": [
        {"name": "n1", "image": "n:1"}, {"name": "sidecar", "image": "envoy:1.31"}, {"name": "n2", "image": "n:2"}]})),
    ("add-port", "strategic", _app(ports=[{"containerPort": 9090, "name": "metrics"}])),
    ("change-port-name", "strategic", _app(ports=[{"containerPort": 8080, "name": "web"}])),
    ("add-volume-and-mount", "strategic", {"spec": {"template": {"spec": {
        "volumes": [{"name": "tmp", "emptyDir": {"medium": "Memory"}}],
        "containers": [{"name": "app", "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]}]}}}}),
    ("mount-by-mountPath", "strategic", _app(volumeMounts=[{"mountPath": "/data", "readOnly": True}])),
    ("retainKeys-volume-source", "strategic", _template({"volumes": [
        {"name": "cfg", "secret": {"secretName": "s"}, "$retainKeys": ["name", "secret"]}]})),
    ("delete-volume", "strategic", {"spec": {"template": {"spec": {
        "volumes": [{"name": "cfg", "$patch": "delete"}],
        "containers": [{"name": "app", "volumeMounts": [{"mountPath": "/cfg", "$patch": "delete"}]}]}}}}),
    ("init-container-image", "strategic", _template({"initContainers": [{"name": "init", "image": "busybox:1.37"}]})),
    ("tolerations-atomic", "strategic", _template({"tolerations": [{"key": "gpu", "operator": "Exists"}]})),
    ("imagePullSecrets-add", "strategic", _template({"imagePullSecrets": [{"name": "other"}]})),
    ("setElementOrder-containers", "strategic", _template({
        "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "new"}, {"name": "app"}],
        "containers": [{"name": "new", "image": "n:1"}]})),
    ("setElementOrder-env", "strategic", _template({"containers": [{
        "name": "app", "$setElementOrder/env": [{"name": "B"}, {"name": "A"}]}]})),
    ("null-deletes-limit", "strategic", _app(resources={"limits": {"cpu": None}})),
    ("null-deletes-nodeSelector", "strategic", _template({"nodeSelector": None})),
    ("replace-containers-list", "strategic", _template({"containers": [
        {"name": "only", "image": "x:1"}, {"$patch": "replace"}]})),
    ("replace-map", "strategic", _app(resources={"$patch": "replace", "limits": {"memory": "1Gi"}})),
    ("args-atomic", "strategic", _app(args=["--port", "9090", "--verbose"])),
    ("envFrom-atomic", "strategic", _app(envFrom=[{"secretRef": {"name": "app-secret"}}])),
    ("hostAliases-by-ip", "strategic", _template({"hostAliases": [
        {"ip": "10.0.0.1", "hostnames": ["b.local"]}, {"ip": "10.0.0.2", "hostnames": ["c.local"]}]})),
    ("finalizers-merge", "strategic", {"metadata": {"finalizers": ["c.io/three"]}}),
    ("finalizers-deleteFromPrimitiveList", "strategic",
     {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.io/one"]}}),
    ("labels-and-null-annotation", "strategic",
     {"metadata": {"labels": {"tier": "back", "new": "y"}, "annotations": {"note": None}}}),
    ("new-container-with-null-inside", "strategic", _template({"containers": [
        {"name": "new", "image": "x", "env": [{"name": "Q", "value": None}]}]})),
    ("delete-map-directive", "strategic", _app(resources={"$patch": "delete"})),
    ("setElementOrder-primitive-finalizers", "strategic", {"metadata": {
        "$setElementOrder/finalizers": ["b.io/two", "c.io/new", "a.io/one"], "finalizers": ["c.io/new"]}}),
    ("delete-then-readd-env", "strategic", _app(env=[{"name": "A", "$patch": "delete"}, {"name": "A", "value": "9"}])),
    ("delete-port-by-containerPort", "strategic", _app(ports=[{"containerPort": 8080, "$patch": "delete"}])),
    ("null-deletes-env-list", "strategic", _app(env=None)),
    ("setElementOrder-only-reorders-volumes", "strategic", _template({
        "$setElementOrder/volumes": [{"name": "cfg"}, {"name": "data"}]})),
    ("merge-replaces-lists", "merge", _template({"containers": [{"name": "app", "image": "shop/app:2.0"}]})),
    ("merge-nested-and-null", "merge", {"metadata": {"annotations": {"owner": None, "x": "y"}},
                                        "spec": {"replicas": 3, "template": {"spec": {"nodeSelector": None}}}}),
    ("json-replace-image", "json", [{"op": "replace", "path": f"{CONTAINERS}/0/image", "value": "shop/app:3"}]),
    ("json-add-env-end", "json",
     [{"op": "add", "path": f"{CONTAINERS}/0/env/-", "value": {"name": "Z", "value": "z"}}]),
    ("json-remove-and-add-map-key", "json", [
        {"op": "remove", "path": f"{CONTAINERS}/0/env/0"},
        {"op": "add", "path": "/metadata/annotations/a~1b", "value": "slash"}]),
    ("json-test-then-replace", "json", [
        {"op": "test", "path": f"{CONTAINERS}/0/resources/limits/memory", "value": "128Mi"},
        {"op": "replace", "path": f"{CONTAINERS}/0/resources/limits/memory", "value": "192Mi"}]),
    ("json-move-copy", "json", [
        {"op": "copy", "from": f"{CONTAINERS}/0/image", "path": "/metadata/annotations/image"},
        {"op": "move", "from": "/metadata/labels/tier", "path": "/metadata/labels/layer"}]),
]


def _comparable(obj: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(obj)
    for field in _SERVER_METADATA:
        result.get("metadata", {}).pop(field, None)
    result.pop("status", None)
    return result


def _http_patch(url: str, path: str, content_type: str, body: Any) -> tuple[int, dict[str, Any]]:
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    try:
        connection.request("PATCH", path, body=json.dumps(body), headers={"Content-Type": content_type})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_there_are_at_least_25_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize(("patch_type", "patch"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_patch_matches_kubectl_local(sandbox: KubeSandbox, tmp_path: pathlib.Path, patch_type: str,
                                     patch: Any) -> None:
    manifest = deployment_manifest()
    manifest_file = tmp_path / "deploy.json"
    manifest_file.write_text(json.dumps(manifest))
    sandbox.load_objects([manifest])
    expected = json.loads(run_kubectl("patch", "--local", "-f", str(manifest_file), "-o", "json",
                                      "--type", patch_type, "-p", json.dumps(patch)).stdout)

    status, actual = _http_patch(sandbox.url, "/apis/apps/v1/namespaces/default/deployments/web",
                                 _CONTENT_TYPES[patch_type], patch)

    assert status == 200, actual
    assert _comparable(expected) != _comparable(manifest), "the patch should change something"
    assert _comparable(actual) == _comparable(expected)


def _pod_manifest() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "solo", "namespace": "default", "labels": {"app": "solo"},
                         "finalizers": ["x.io/keep"]},
            "spec": {"containers": [{"name": "app", "image": "app:1"}, {"name": "log", "image": "log:1"}],
                     "tolerations": [{"key": "a", "operator": "Exists"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"},
                                                          {"type": "PodScheduled", "status": "True"}],
                       "podIPs": [{"ip": "10.1.0.5"}]}}


POD_CASES: list[tuple[str, str, str, Any]] = [
    ("pod-image", "", "strategic", {"spec": {"containers": [{"name": "log", "image": "log:2"}]}}),
    ("pod-add-toleration", "", "strategic", {"spec": {"tolerations": [
        {"key": "a", "operator": "Exists"}, {"key": "b", "operator": "Exists"}]}}),
    ("pod-finalizers-and-labels", "", "strategic", {"metadata": {"finalizers": ["y.io/also"], "labels": {"v": "2"}}}),
    ("pod-status-condition-by-type", "/status", "strategic", {"status": {"conditions": [
        {"type": "Ready", "status": "False", "reason": "ContainersNotReady"}]}}),
    ("pod-status-add-podIP", "/status", "strategic", {"status": {"podIPs": [{"ip": "fd00::5"}]}}),
    ("pod-status-merge-phase", "/status", "merge", {"status": {"phase": "Failed", "reason": "Evicted"}}),
]


@pytest.mark.parametrize(("subresource", "patch_type", "patch"), [case[1:] for case in POD_CASES],
                         ids=[case[0] for case in POD_CASES])
def test_pod_patch_matches_kubectl_local(sandbox: KubeSandbox, tmp_path: pathlib.Path, subresource: str,
                                         patch_type: str, patch: Any) -> None:
    manifest = _pod_manifest()
    manifest_file = tmp_path / "pod.json"
    manifest_file.write_text(json.dumps(manifest))
    sandbox.load_objects([manifest])
    expected = json.loads(run_kubectl("patch", "--local", "-f", str(manifest_file), "-o", "json",
                                      "--type", patch_type, "-p", json.dumps(patch)).stdout)

    status, actual = _http_patch(sandbox.url, f"/api/v1/namespaces/default/pods/solo{subresource}",
                                 _CONTENT_TYPES[patch_type], patch)

    assert status == 200, actual
    for field in _SERVER_METADATA:
        actual["metadata"].pop(field, None)
        expected["metadata"].pop(field, None)
    assert actual == expected
