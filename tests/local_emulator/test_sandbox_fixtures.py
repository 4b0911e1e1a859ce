"""Owner chains, the demo rollout controller, bundle/manifest loading and the CLI entry point."""
from __future__ import annotations

import copy
import json
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any

import kubernetes.client
import pytest
import yaml

from local_emulator.kube_sandbox import KubeSandbox
from local_emulator.kube_sandbox.controller import SCRIPT_ANNOTATION
from tests.local_emulator.sandbox_helpers import deployment_manifest

CLI_READY_SECONDS = 15  # the CLI imports PyYAML and binds a port; well under a second normally


def _with_script(script: dict[str, Any]) -> dict[str, Any]:
    manifest = deployment_manifest()
    manifest["metadata"]["annotations"][SCRIPT_ANNOTATION] = json.dumps(script)
    return manifest


def _current_pods(sandbox: KubeSandbox, core: kubernetes.client.CoreV1Api) -> list[Any]:
    return [pod for pod in core.list_namespaced_pod("default", label_selector="app=web").items
            if pod.metadata.deletion_timestamp is None]


def test_chain_links_owners(sandbox: KubeSandbox) -> None:
    status = {"phase": "Running", "containerStatuses": [{"name": "app", "restartCount": 4}]}

    deployment, replicaset, pods = sandbox.create_deployment_chain(
        deployment_manifest(), replicas=2, pod_status=status, pod_name_suffixes=["aaaaa", "bbbbb"])

    hash_value = replicaset["metadata"]["labels"]["pod-template-hash"]
    assert replicaset["metadata"]["name"] == f"web-{hash_value}" and len(hash_value) == 10
    assert replicaset["metadata"]["ownerReferences"][0]["uid"] == deployment["metadata"]["uid"]
    assert replicaset["metadata"]["ownerReferences"][0]["controller"] is True
    assert [pod["metadata"]["name"] for pod in pods] == [f"web-{hash_value}-aaaaa", f"web-{hash_value}-bbbbb"]
    assert all(pod["metadata"]["ownerReferences"][0]["uid"] == replicaset["metadata"]["uid"] for pod in pods)
    assert all(pod["status"] == status and pod["metadata"]["labels"]["pod-template-hash"] == hash_value for pod in pods)
    assert deployment["status"]["replicas"] == 2


@pytest.mark.parametrize(("script", "memory", "image", "waiting", "terminated"), [
    ({"oomKilledBelowMemory": "64Mi"}, "32Mi", None, "CrashLoopBackOff", ("OOMKilled", 137)),
    ({"oomKilledBelowMemory": "64Mi"}, "96Mi", None, None, None),
    ({"imagePullErrorUnless": ["shop/app:2.0", "envoy:1.30"]}, None, "shop/app:9.9", "ImagePullBackOff", None),
    ({"imagePullErrorUnless": ["shop/app:2.0", "envoy:1.30"]}, None, "shop/app:2.0", None, None),
    ({"crashLoop": {"exitCode": 1}}, "1Gi", None, "CrashLoopBackOff", ("Error", 1)),
    ({}, "1Gi", None, None, None),
])
def test_rollout_follows_script(sandbox: KubeSandbox, apps: kubernetes.client.AppsV1Api,
                                core: kubernetes.client.CoreV1Api, script: dict[str, Any],
                                memory: str | None, image: str | None, waiting: str | None,
                                terminated: tuple[str, int] | None) -> None:
    _, old_replicaset, old_pods = sandbox.create_deployment_chain(_with_script(script), replicas=1)
    container: dict[str, Any] = {"name": "app"}
    if memory:
        container["resources"] = {"limits": {"memory": memory}}
    if image:
        container["image"] = image

    apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {
        "metadata": {"annotations": {"restartedAt": "now"}}, "spec": {"containers": [container]}}}})

    pods = [pod for pod in _current_pods(sandbox, core) if pod.metadata.name != old_pods[0]["metadata"]["name"]]
    deployment = apps.read_namespaced_deployment("web", "default")
    old = apps.read_namespaced_replica_set(old_replicaset["metadata"]["name"], "default")
    assert len(pods) == 1
    lingering = core.read_namespaced_pod(old_pods[0]["metadata"]["name"], "default")
    app_status = next(status for status in pods[0].status.container_statuses if status.name == "app")
    if terminated:
        assert (app_status.last_state.terminated.reason, app_status.last_state.terminated.exit_code) == terminated
        assert app_status.restart_count >= 1
    assert deployment.status.observed_generation == deployment.metadata.generation
    assert deployment.status.updated_replicas == 1
    old_served = any(c["type"] == "Ready" and c["status"] == "True" for c in old_pods[0]["status"]["conditions"])
    if waiting:
        assert app_status.state.waiting.reason == waiting and not app_status.ready
    if waiting and old_served:
        # The new revision is not Ready: the old one, which served, keeps serving (maxUnavailable).
        assert old.spec.replicas == 1 and lingering.metadata.deletion_timestamp is None
        assert deployment.status.ready_replicas == 1 and deployment.status.replicas == 2
    elif waiting:
        assert old.spec.replicas == 0 and lingering.metadata.deletion_timestamp is not None
        assert deployment.status.ready_replicas == 0 and deployment.status.replicas == 1
    else:
        assert app_status.state.running is not None and app_status.ready
        assert old.spec.replicas == 0
        assert lingering.metadata.deletion_timestamp is not None  # Terminating, as for a grace period
        assert deployment.status.ready_replicas == 1 and deployment.status.replicas == 1


def test_next_rollout_removes_terminating_pods(sandbox: KubeSandbox, apps: kubernetes.client.AppsV1Api,
                                              core: kubernetes.client.CoreV1Api) -> None:
    _, _, first_pods = sandbox.create_deployment_chain(deployment_manifest(), replicas=1)
    for image in ("shop/app:2", "shop/app:3"):
        apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": image}]}}}})

    everything = core.list_namespaced_pod("default", label_selector="app=web").items

    assert first_pods[0]["metadata"]["name"] not in [pod.metadata.name for pod in everything]
    assert sorted(pod.metadata.deletion_timestamp is None for pod in everything) == [False, True]


def test_rollouts_can_be_switched_off(core: kubernetes.client.CoreV1Api) -> None:
    with KubeSandbox(rollouts=False) as quiet:
        quiet.create_deployment_chain(deployment_manifest(), replicas=1)
        quiet.store.patch(quiet._resource("apps/v1", "Deployment"), namespace="default", name="web",
                          content_type="application/merge-patch+json", manager="test",
                          body=json.dumps({"spec": {"template": {"metadata": {"labels": {"v": "2"}}}}}).encode())

        replicasets = quiet.store.list(quiet._resource("apps/v1", "ReplicaSet"), namespace="default")[0]

    assert len(replicasets) == 1


def test_dry_run_patch_does_not_roll_out(sandbox: KubeSandbox, apps: kubernetes.client.AppsV1Api,
                                         core: kubernetes.client.CoreV1Api) -> None:
    _, _, pods = sandbox.create_deployment_chain(deployment_manifest(), replicas=1)

    apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "other:1"}]}}}}, dry_run="All")

    assert [pod.metadata.name for pod in _current_pods(sandbox, core)] == [pods[0]["metadata"]["name"]]


def _bundle() -> dict[str, Any]:
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "api-1", "namespace": "shop", "uid": "pod-uid-1", "labels": {"app": "api"},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "api-7d9",
                                             "uid": "rs-uid", "controller": True}]},
           "spec": {"containers": [{"name": "api", "image": "api:1"}]},
           "status": {"phase": "Running", "containerStatuses": [{
               "name": "api", "image": "api:1", "imageID": "", "ready": False, "restartCount": 5,
               "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]}}
    event = {"metadata": {"name": "api-1.17a", "namespace": "shop", "uid": "ev-uid"},
             "reason": "BackOff", "type": "Warning", "message": "Back-off restarting failed container api",
             "source": {"component": "kubelet"}, "count": 3, "reportingComponent": "kubelet", "reportingInstance": "",
             "firstTimestamp": "2025-01-01T00:00:00Z", "lastTimestamp": "2025-01-01T00:01:00Z", "eventTime": None,
             "clusterName": "", "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "api-1",
                                                   "uid": "pod-uid-1", "apiVersion": "v1",
                                                   "fieldPath": "spec.containers{api}", "labels": {"app": "api"},
                                                   "ownerReferences": [], "deleted": False}}
    return {"id": "incident-1", "event": event, "objects": [pod],
            "logs": {"shop/api-1/api": {"current": "starting\n", "previous": "OOM\n"}}}


def test_bundle_file_loads_objects_event_and_logs(sandbox: KubeSandbox, core: kubernetes.client.CoreV1Api,
                                                  tmp_path: pathlib.Path) -> None:
    bundle_file = tmp_path / "bundles.jsonl"
    bundle_file.write_text(json.dumps(_bundle()) + "\n")

    sandbox.load_file(bundle_file)

    pod = core.read_namespaced_pod("api-1", "shop")
    event = sandbox.get_object(api_version="v1", kind="Event", namespace="shop", name="api-1.17a")
    assert pod.metadata.uid == "pod-uid-1" and pod.status.container_statuses[0].restart_count == 5
    assert pod.metadata.owner_references[0].uid == "rs-uid"
    assert event is not None and "clusterName" not in event
    assert set(event["involvedObject"]) == {"kind", "namespace", "name", "uid", "apiVersion", "fieldPath"}
    assert core.read_namespaced_pod_log("api-1", "shop", previous=True) == "OOM\n"
    assert [item.metadata.name for item in core.list_namespaced_event(
        "shop", field_selector="involvedObject.uid=pod-uid-1").items] == ["api-1.17a"]


def test_yaml_manifests_keep_given_fields(sandbox: KubeSandbox, tmp_path: pathlib.Path) -> None:
    manifest = copy.deepcopy(deployment_manifest(namespace="fresh"))
    manifest["metadata"]["managedFields"] = [{"manager": "argocd-controller", "operation": "Update"}]
    manifest["status"] = {"replicas": 1}
    manifests = tmp_path / "objects.yaml"
    manifests.write_text(yaml.safe_dump_all([manifest]))

    sandbox.load_file(manifests)

    stored = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="fresh", name="web")
    assert stored is not None and stored["status"] == {"replicas": 1}
    assert stored["metadata"]["managedFields"][0]["manager"] == "argocd-controller"
    assert sandbox.get_object(api_version="v1", kind="Namespace", namespace="", name="fresh") is not None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_cli_serves_loaded_files(tmp_path: pathlib.Path) -> None:
    bundle_file = tmp_path / "bundles.jsonl"
    bundle_file.write_text(json.dumps(_bundle()) + "\n")
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "local_emulator.kube_sandbox", "--host", "127.0.0.1",
                                "--port", str(port), "--load", str(bundle_file)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + CLI_READY_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=1) as response:
                    version = json.loads(response.read())
                break
            except OSError:
                assert time.monotonic() < deadline, "sandbox CLI did not become ready"
                time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/api/v1/namespaces/shop/pods/api-1"
        with urllib.request.urlopen(url, timeout=5) as response:
            pod = json.loads(response.read())
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)

    assert version["major"] == "1" and pod["metadata"]["uid"] == "pod-uid-1"
    assert process.returncode == 0, stderr
