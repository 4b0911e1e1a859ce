"""The sandbox through kubectl: discovery, short names, create/get/patch/delete, logs, events."""
from __future__ import annotations

import json
import pathlib

import pytest
import yaml

from local_emulator.kube_sandbox import KubeSandbox
from tests.local_emulator.sandbox_helpers import deployment_manifest, kubectl_json, run_kubectl


@pytest.fixture()
def loaded(sandbox: KubeSandbox) -> KubeSandbox:
    sandbox.create_deployment_chain(deployment_manifest(), replicas=1, pod_name_suffixes=["abcde"])
    sandbox.load_objects([
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
         "spec": {"selector": {"matchLabels": {"app": "db"}}, "template": {"metadata": {"labels": {"app": "db"}},
                  "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}}}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "default"},
         "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": {"metadata": {"labels": {"app": "agent"}},
                  "spec": {"containers": [{"name": "agent", "image": "agent:1"}]}}}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-cfg", "namespace": "default"},
         "data": {"k": "v"}},
        {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.1", "namespace": "default"},
         "involvedObject": {"kind": "Pod", "name": "target-pod", "namespace": "default"}, "reason": "BackOff",
         "type": "Warning", "message": "Back-off restarting failed container"},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "default"},
         "spec": {"schedule": "0 0 * * *", "jobTemplate": {"spec": {"template": {"spec": {
             "restartPolicy": "Never", "containers": [{"name": "job", "image": "job:1"}]}}}}}},
    ])
    return sandbox


@pytest.mark.parametrize(("short_name", "expected"), [
    ("po", "web-"), ("deploy", "web"), ("rs", "web-"), ("sts", "db"), ("ds", "agent"), ("ev", "web.1"),
    ("cm", "app-cfg"), ("ns", "default"), ("cj", "nightly"),
])
def test_short_names_resolve(loaded: KubeSandbox, short_name: str, expected: str) -> None:
    output = run_kubectl("get", short_name, server=loaded.url).stdout

    assert output.splitlines()[0].startswith("NAME")
    assert any(line.startswith(expected) for line in output.splitlines()[1:]), output


def test_get_json_lists_items(loaded: KubeSandbox) -> None:
    pods = kubectl_json("get", "pods", server=loaded.url)

    assert pods["kind"] == "List" and pods["items"][0]["metadata"]["name"].startswith("web-")
    assert pods["items"][0]["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"


def test_create_from_file_and_delete(sandbox: KubeSandbox, tmp_path: pathlib.Path) -> None:
    manifest = tmp_path / "manifests.yaml"
    manifest.write_text(yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
        {**deployment_manifest(namespace="shop")}]))

    created = run_kubectl("create", "--validate=false", "-f", str(manifest), server=sandbox.url).stdout
    fetched = kubectl_json("get", "deploy", "web", "-n", "shop", server=sandbox.url)
    deleted = run_kubectl("delete", "deploy", "web", "-n", "shop", server=sandbox.url).stdout

    assert "namespace/shop created" in created and "deployment.apps/web created" in created
    assert fetched["spec"]["template"]["spec"]["containers"][0]["name"] == "app"
    assert 'deployment.apps "web" deleted' in deleted
    assert sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="shop", name="web") is None


@pytest.mark.parametrize(("patch_type", "patch", "memory"), [
    ("strategic", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "resources": {"limits": {"memory": "300Mi"}}}]}}}}, "300Mi"),
    ("merge", {"spec": {"replicas": 1, "template": {"metadata": {"annotations": {"x": "y"}}}}}, "128Mi"),
    ("json", [{"op": "replace", "path": "/spec/template/spec/containers/0/resources/limits/memory",
               "value": "200Mi"}], "200Mi"),
])
def test_kubectl_patch_types(loaded: KubeSandbox, patch_type: str, patch: object, memory: str) -> None:
    run_kubectl("patch", "deploy", "web", "--type", patch_type, "-p", json.dumps(patch), server=loaded.url)

    stored = loaded.get_object(api_version="apps/v1", kind="Deployment", namespace="default", name="web")

    assert stored is not None
    assert stored["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == memory
    assert len(stored["spec"]["template"]["spec"]["containers"]) == 2


def test_kubectl_patch_dry_run_server(loaded: KubeSandbox) -> None:
    run_kubectl("patch", "deploy", "web", "--dry-run=server", "-p", '{"spec":{"replicas":7}}', server=loaded.url)

    stored = loaded.get_object(api_version="apps/v1", kind="Deployment", namespace="default", name="web")

    assert stored is not None and stored["spec"]["replicas"] == 1
    assert loaded.writes() == []


def test_kubectl_logs(loaded: KubeSandbox) -> None:
    pod = "web-" + kubectl_json("get", "rs", server=loaded.url)["items"][0]["metadata"]["name"][len("web-"):] + "-abcde"
    loaded.set_logs(namespace="default", pod=pod, container="app", current="now\n", previous="before\nOOMKilled\n")

    current = run_kubectl("logs", pod, "-c", "app", server=loaded.url).stdout
    previous = run_kubectl("logs", pod, "-c", "app", "--previous", "--tail=1", server=loaded.url).stdout
    missing = run_kubectl("logs", pod, "-c", "sidecar", "--previous", server=loaded.url, check=False)

    assert current == "now\n" and previous == "OOMKilled\n"
    assert missing.returncode != 0 and 'previous terminated container "sidecar"' in missing.stderr


def test_kubectl_events_field_selector(loaded: KubeSandbox) -> None:
    events = kubectl_json("get", "events", "--field-selector", "involvedObject.name=target-pod", server=loaded.url)
    none = kubectl_json("get", "events", "--field-selector", "involvedObject.name=other", server=loaded.url)

    assert [event["reason"] for event in events["items"]] == ["BackOff"] and none["items"] == []


def test_imperative_create_sends_protobuf_and_gets_415(sandbox: KubeSandbox) -> None:
    result = run_kubectl("create", "namespace", "foo", server=sandbox.url, check=False)

    assert result.returncode != 0 and "protobuf" in result.stderr


def test_discovery_documents(sandbox: KubeSandbox) -> None:
    resources = run_kubectl("api-resources", server=sandbox.url).stdout
    versions = run_kubectl("api-versions", server=sandbox.url).stdout.split()

    assert "deployments" in resources and "deploy" in resources and "cronjobs" in resources
    assert {"v1", "apps/v1", "batch/v1"} <= set(versions)


def test_kubectl_resizes_a_pod_in_place(sandbox: KubeSandbox) -> None:
    sandbox.load_objects([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo", "namespace": "default"},
                           "spec": {"containers": [{"name": "app", "image": "app:1",
                                                    "resources": {"limits": {"memory": "64Mi"}}}]},
                           "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": True}]}}])
    patch = '{"spec":{"containers":[{"name":"app","resources":{"limits":{"memory":"128Mi"}}}]}}'
    run_kubectl("patch", "pod", "solo", "--subresource", "resize", "-p", patch, server=sandbox.url)
    pod = kubectl_json("get", "pod", "solo", server=sandbox.url)
    assert pod["spec"]["containers"][0]["resources"]["limits"]["memory"] == "128Mi"
    assert pod["status"]["containerStatuses"][0]["resources"]["limits"]["memory"] == "128Mi"
