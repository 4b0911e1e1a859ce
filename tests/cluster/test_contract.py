"""One contract, both cluster backends: ``KubeCluster`` over HTTP against the sandbox, and ``MemoryCluster``.

Replay trusts ``MemoryCluster`` to answer as the official client does against a real API server; every test here
runs against both, on the same objects and logs. Where they differ the case is ``xfail(strict=True)`` for the
backend that departs, so the test flips to a failure the day the difference is fixed (none today). HTTP status
mapping and timeouts exist only over HTTP; they are tested in ``test_kube.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from kubesent import errors
from kubesent.cluster.api import Cluster
from kubesent.cluster.kube import KubeCluster, build_api_client
from kubesent.cluster.memory import MemoryCluster
from kubesent.settings import Settings
from local_emulator.kube_sandbox import KubeSandbox
from tests.support.scenarios import load_scenario

NAMESPACE = "demo"
DEPLOYMENT = {"api_version": "apps/v1", "kind": "Deployment", "namespace": NAMESPACE, "name": "memory-hog"}
LOG_LINES = "".join(f"line {number}\n" for number in range(1, 6))


# The operators' objects a Secret is made from, in the pod's namespace and in another (which must not leak in).
OPERATOR_OBJECTS: list[dict[str, Any]] = [
    {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
     "metadata": {"name": name, "namespace": namespace, "uid": f"uid-es-{namespace}-{name}", "resourceVersion": "5001"},
     "spec": {"secretStoreRef": {"name": "vault-backend", "kind": "SecretStore"}, "target": {"name": target}},
     "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "SecretSyncedError",
                                "message": "could not get secret data from provider"}]}}
    for namespace, name, target in ((NAMESPACE, "db-creds", "db-creds"), (NAMESPACE, "app-database", "app-db"),
                                    ("default", "elsewhere", "elsewhere"))] + [
    {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
     "metadata": {"name": "tls", "namespace": NAMESPACE, "uid": "uid-ss-tls", "resourceVersion": "5002"},
     "spec": {"encryptedData": {"tls.key": "AgBy3i4OJSWK+PiTySYZZA=="}},
     "status": {"conditions": [{"type": "Synced", "status": "False",
                                "message": "no key could decrypt secret (tls.key)"}]}}]


@dataclass(frozen=True)
class World:
    """What both backends hold: the oom-memory-hog scenario, plus neighbours that must not leak into answers."""

    objects: list[dict[str, Any]]
    logs: dict[str, dict[str, str]]
    neighbour: str
    pod: dict[str, Any]

    @property
    def pod_name(self) -> str:
        return str(self.pod["metadata"]["name"])

    @property
    def pod_uid(self) -> str:
        return str(self.pod["metadata"]["uid"])


def _event(name: str, *, namespace: str, pod_name: str, pod_uid: str | None, reason: str) -> dict[str, Any]:
    involved: dict[str, Any] = {"kind": "Pod", "namespace": namespace, "name": pod_name, "apiVersion": "v1"}
    if pod_uid is not None:
        involved["uid"] = pod_uid
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}", "resourceVersion": "3001",
                         "creationTimestamp": "2026-11-20T10:00:00Z"},
            "involvedObject": involved, "reason": reason, "message": reason, "type": "Warning", "count": 1,
            "firstTimestamp": "2026-11-20T10:00:00Z", "lastTimestamp": "2026-11-20T10:00:00Z",
            "source": {"component": "kubelet", "host": "node-a"}}


def _world() -> World:
    bundle, _ = load_scenario("oom-memory-hog")
    objects = copy.deepcopy(bundle["objects"])
    pod = next(o for o in objects if o["kind"] == "Pod")
    name, uid = pod["metadata"]["name"], pod["metadata"]["uid"]
    neighbour = copy.deepcopy(pod)
    neighbour["metadata"].update(name=f"{name[:-5]}zz9zz", uid="00000000-0000-0000-0000-00000000feed")
    objects += [
        neighbour,
        _event("same-pod-no-uid.1", namespace=NAMESPACE, pod_name=name, pod_uid=None, reason="Unhealthy"),
        _event("earlier-pod-same-name.1", namespace=NAMESPACE, pod_name=name, pod_uid="an-earlier-incarnation",
               reason="Killing"),
        _event("neighbour.1", namespace=NAMESPACE, pod_name=neighbour["metadata"]["name"],
               pod_uid=neighbour["metadata"]["uid"], reason="FailedMount"),
        _event("other-namespace.1", namespace="default", pod_name=name, pod_uid=uid, reason="FailedScheduling"),
        {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
         "metadata": {"name": "api-token", "namespace": NAMESPACE, "uid": "uid-secret", "resourceVersion": "4001"}},
        *OPERATOR_OBJECTS,
    ]
    logs = copy.deepcopy(bundle["logs"])
    logs[f"{NAMESPACE}/{name}/memory-hog"] = {"previous": LOG_LINES, "current": "now running\n"}
    logs[f"{NAMESPACE}/{neighbour['metadata']['name']}/memory-hog"] = {"current": "neighbour\n"}  # never restarted
    return World(objects=objects, logs=logs, pod=pod, neighbour=neighbour["metadata"]["name"])


@pytest.fixture(scope="module")
def world() -> World:
    return _world()


@pytest.fixture(params=["kube", "memory"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def cluster(backend: str, world: World) -> Iterator[Cluster]:
    """The parametrised backend holding a fresh copy of ``world``."""
    if backend == "memory":
        yield MemoryCluster(copy.deepcopy(world.objects), logs=copy.deepcopy(world.logs))
        return
    with KubeSandbox() as sandbox:
        sandbox.load_objects(copy.deepcopy(world.objects))
        for key, texts in world.logs.items():
            namespace, pod, container = key.split("/", 2)
            sandbox.set_logs(namespace=namespace, pod=pod, container=container, current=texts["current"],
                             previous=texts.get("previous"))
        settings = Settings(kube_mode="explicit", kube_host=sandbox.url, kube_timeout_seconds=5.0)
        kube = KubeCluster(build_api_client(settings), timeout_seconds=5.0)
        try:
            yield kube
        finally:
            kube.close()


def _memory_limit(deployment: dict[str, Any]) -> str:
    return str(deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"])


def _limit_patch(memory: str, *, resource_version: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"spec": {"template": {"spec": {"containers": [
        {"name": "memory-hog", "resources": {"limits": {"memory": memory}}}]}}}}
    if resource_version is not None:
        body["metadata"] = {"resourceVersion": resource_version}
    return body


# --- read -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "api_version", "name"), [("Deployment", "apps/v1", "memory-hog"),
                                                           ("ReplicaSet", "apps/v1", "memory-hog-wsrk7tf8m2"),
                                                           ("Pod", "v1", "memory-hog-wsrk7tf8m2-x2x4k")])
def test_read_returns_the_object_as_the_api_prints_it(cluster: Cluster, world: World, kind: str, api_version: str,
                                                      name: str) -> None:
    stored = next(o for o in world.objects if o["kind"] == kind and o["metadata"]["name"] == name)

    found = cluster.read(api_version=api_version, kind=kind, namespace=NAMESPACE, name=name)

    assert (found["kind"], found["metadata"]["name"], found["metadata"]["uid"]) == (kind, name,
                                                                                   stored["metadata"]["uid"])
    assert found["spec"] == stored["spec"]
    assert found.get("status") == stored.get("status")


@pytest.mark.parametrize(("namespace", "name"), [(NAMESPACE, "no-such-deployment"), ("default", "memory-hog")])
def test_reading_what_is_not_there_is_not_found(cluster: Cluster, namespace: str, name: str) -> None:
    with pytest.raises(errors.NotFound):
        cluster.read(api_version="apps/v1", kind="Deployment", namespace=namespace, name=name)


def test_not_found_is_a_permanent_refusal(cluster: Cluster) -> None:
    with pytest.raises(errors.NotFound) as caught:
        cluster.read(api_version="v1", kind="Pod", namespace=NAMESPACE, name="gone")

    assert isinstance(caught.value, errors.ClusterRefused) and isinstance(caught.value, errors.PermanentError)
    assert caught.value.status == 404


def test_a_kind_kubesent_never_reads_is_refused(cluster: Cluster) -> None:
    with pytest.raises(errors.ClusterRefused):
        cluster.read(api_version="v1", kind="Secret", namespace=NAMESPACE, name="api-token")


@pytest.mark.parametrize(("kind", "api_version", "name"), [("ExternalSecret", "external-secrets.io/v1", "db-creds"),
                                                           ("SealedSecret", "bitnami.com/v1alpha1", "tls")])
def test_an_operators_object_reads_with_its_status(cluster: Cluster, kind: str, api_version: str, name: str) -> None:
    stored = next(o for o in OPERATOR_OBJECTS if o["kind"] == kind and o["metadata"]["name"] == name)

    found = cluster.read(api_version=api_version, kind=kind, namespace=NAMESPACE, name=name)

    assert (found["apiVersion"], found["kind"], found["metadata"]["name"]) == (api_version, kind, name)
    assert (found["spec"], found["status"]) == (stored["spec"], stored["status"])


@pytest.mark.parametrize(("kind", "api_version"), [("ExternalSecret", "external-secrets.io/v1"),
                                                   ("SealedSecret", "bitnami.com/v1alpha1")])
def test_an_operators_object_that_is_not_there_is_not_found(cluster: Cluster, kind: str, api_version: str) -> None:
    with pytest.raises(errors.NotFound):
        cluster.read(api_version=api_version, kind=kind, namespace=NAMESPACE, name="no-such-object")


def test_external_secrets_are_listed_in_one_namespace(cluster: Cluster) -> None:
    listed = cluster.list_external_secrets(namespace=NAMESPACE)

    assert sorted(item["metadata"]["name"] for item in listed) == ["app-database", "db-creds"]
    assert cluster.list_external_secrets(namespace="empty") == []


def test_each_call_is_counted(cluster: Cluster, world: World) -> None:
    before = cluster.calls

    cluster.read(api_version="v1", kind="Pod", namespace=NAMESPACE, name=world.pod_name)
    cluster.pod_events(namespace=NAMESPACE, pod_name=world.pod_name, pod_uid=world.pod_uid)

    assert cluster.calls == before + 2


# --- pod_events -------------------------------------------------------------------------------------------------


def test_pod_events_are_that_pods_own(cluster: Cluster, world: World) -> None:
    found = cluster.pod_events(namespace=NAMESPACE, pod_name=world.pod_name, pod_uid=world.pod_uid)

    assert sorted(e["reason"] for e in found) == ["BackOff", "Unhealthy"]
    assert all(e["involvedObject"]["name"] == world.pod_name for e in found)


def test_pod_events_without_a_uid_include_earlier_pods_of_the_same_name(cluster: Cluster, world: World) -> None:
    found = cluster.pod_events(namespace=NAMESPACE, pod_name=world.pod_name, pod_uid="")

    assert sorted(e["reason"] for e in found) == ["BackOff", "Killing", "Unhealthy"]


def test_a_pod_without_events_has_none(cluster: Cluster) -> None:
    assert cluster.pod_events(namespace=NAMESPACE, pod_name="quiet-pod", pod_uid="u-1") == []


# --- read_log ---------------------------------------------------------------------------------------------------


def _log(cluster: Cluster, world: World, *, previous: bool, tail_lines: int = 100, limit_bytes: int = 4096,
         container: str = "memory-hog", pod: str | None = None) -> str:
    return cluster.read_log(namespace=NAMESPACE, pod=pod or world.pod_name, container=container, previous=previous,
                            tail_lines=tail_lines, limit_bytes=limit_bytes)


def test_the_previous_and_the_current_log_are_different_texts(cluster: Cluster, world: World) -> None:
    assert _log(cluster, world, previous=True) == LOG_LINES
    assert _log(cluster, world, previous=False) == "now running\n"


def test_a_log_is_tailed_by_lines(cluster: Cluster, world: World) -> None:
    assert _log(cluster, world, previous=True, tail_lines=2) == "line 4\nline 5\n"


def test_a_log_is_capped_in_bytes_from_its_start(cluster: Cluster, world: World) -> None:
    assert _log(cluster, world, previous=True, limit_bytes=10) == "line 1\nlin"


@pytest.mark.parametrize(("pod", "container"), [(None, "no-such-container"), ("no-such-pod", "memory-hog")])
def test_no_log_is_an_empty_text(cluster: Cluster, world: World, pod: str | None, container: str) -> None:
    assert _log(cluster, world, previous=True, pod=pod, container=container) == ""


def test_a_container_that_never_restarted_has_no_previous_log(cluster: Cluster, world: World) -> None:
    assert _log(cluster, world, previous=True, pod=world.neighbour) == ""
    assert _log(cluster, world, previous=False, pod=world.neighbour) == "neighbour\n"


# --- patch ------------------------------------------------------------------------------------------------------


def test_a_patch_merges_containers_by_name_and_keeps_the_rest(cluster: Cluster, world: World) -> None:
    before = cluster.read(**DEPLOYMENT)

    result = cluster.patch(**DEPLOYMENT, body=_limit_patch("110Mi"), dry_run=False)

    after = cluster.read(**DEPLOYMENT)
    container = after["spec"]["template"]["spec"]["containers"][0]
    original = before["spec"]["template"]["spec"]["containers"][0]
    assert _memory_limit(result) == _memory_limit(after) == "110Mi"
    assert container["resources"]["requests"] == original["resources"]["requests"]
    assert (container["image"], container["command"], container["args"]) == (original["image"], original["command"],
                                                                               original["args"])
    assert after["metadata"]["resourceVersion"] != before["metadata"]["resourceVersion"]


def test_a_patch_adds_and_replaces_env_entries_by_name(cluster: Cluster) -> None:
    add = {"spec": {"template": {"spec": {"containers": [{"name": "memory-hog", "env": [
        {"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]}}}}
    replace = {"spec": {"template": {"spec": {"containers": [{"name": "memory-hog", "env": [
        {"name": "B", "value": "3"}]}]}}}}

    cluster.patch(**DEPLOYMENT, body=add, dry_run=False)
    result = cluster.patch(**DEPLOYMENT, body=replace, dry_run=False)

    env = result["spec"]["template"]["spec"]["containers"][0]["env"]
    assert sorted((e["name"], e["value"]) for e in env) == [("A", "1"), ("B", "3")]


def test_a_dry_run_answers_the_result_and_leaves_the_object_unchanged(cluster: Cluster) -> None:
    before = cluster.read(**DEPLOYMENT)

    result = cluster.patch(**DEPLOYMENT, body=_limit_patch("110Mi"), dry_run=True)

    after = cluster.read(**DEPLOYMENT)
    assert _memory_limit(result) == "110Mi"
    assert after["spec"] == before["spec"]
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_a_current_resource_version_is_accepted(cluster: Cluster) -> None:
    current = cluster.read(**DEPLOYMENT)["metadata"]["resourceVersion"]

    result = cluster.patch(**DEPLOYMENT, body=_limit_patch("110Mi", resource_version=current), dry_run=False)

    assert _memory_limit(result) == "110Mi"


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_stale_resource_version_is_a_conflict(cluster: Cluster, dry_run: bool) -> None:
    stale = cluster.read(**DEPLOYMENT)["metadata"]["resourceVersion"]
    cluster.patch(**DEPLOYMENT, body=_limit_patch("64Mi"), dry_run=False)  # someone else wrote in between

    with pytest.raises(errors.Conflict) as caught:
        cluster.patch(**DEPLOYMENT, body=_limit_patch("110Mi", resource_version=stale), dry_run=dry_run)

    assert caught.value.status == 409
    assert _memory_limit(cluster.read(**DEPLOYMENT)) == "64Mi"


def test_patching_what_is_not_there_is_not_found(cluster: Cluster) -> None:
    with pytest.raises(errors.NotFound):
        cluster.patch(**{**DEPLOYMENT, "name": "no-such-deployment"}, body=_limit_patch("110Mi"), dry_run=True)


def test_kubesent_never_patches_a_pod(cluster: Cluster, world: World) -> None:
    with pytest.raises(errors.ClusterRefused):
        cluster.patch(api_version="v1", kind="Pod", namespace=NAMESPACE, name=world.pod_name,
                      body={"metadata": {"labels": {"patched": "yes"}}}, dry_run=True)
