"""KubeCluster: the official client over HTTP against the sandbox; errors land on our tree."""

from __future__ import annotations

import threading

import pytest

from kubesent import errors
from kubesent.cluster.kube import KubeCluster, build_api_client
from kubesent.evidence import secretsource
from kubesent.settings import Settings
from tests.support.scenarios import load_scenario


@pytest.fixture()
def cluster(sandbox):
    settings = Settings(kube_mode="explicit", kube_host=sandbox.url, kube_timeout_seconds=1.0)
    made = KubeCluster(build_api_client(settings), timeout_seconds=1.0)
    yield made
    made.close()


@pytest.fixture()
def loaded(sandbox):
    bundle, _ = load_scenario("oom-memory-hog")
    sandbox.load_bundle(bundle)
    return next(o for o in bundle["objects"] if o["kind"] == "Pod")


@pytest.mark.parametrize("status, error", [(500, errors.ClusterUnavailable), (503, errors.ClusterUnavailable),
                                           (429, errors.ClusterUnavailable), (403, errors.ClusterRefused),
                                           (404, errors.NotFound), (409, errors.Conflict)])
def test_api_statuses_map_onto_the_error_tree(sandbox, cluster, loaded, status, error):
    sandbox.inject_fault(method="GET", path=r"/api/v1/namespaces/demo/pods/.*", status=status, count=1)
    with pytest.raises(error) as caught:
        cluster.read(api_version="v1", kind="Pod", namespace="demo", name=loaded["metadata"]["name"])
    assert f"HTTP {status}" in str(caught.value)


def test_a_slow_api_is_a_transient_timeout(sandbox, cluster, loaded):
    sandbox.inject_fault(method="GET", path=r"/api/v1/namespaces/demo/pods/.*", status=200, delay_seconds=2.5, count=3)
    with pytest.raises(errors.ClusterUnavailable):
        cluster.read(api_version="v1", kind="Pod", namespace="demo", name=loaded["metadata"]["name"])


def test_untrusted_names_cannot_walk_the_api_path(sandbox, cluster):
    with pytest.raises(errors.NotFound):
        cluster.read(api_version="v1", kind="Pod", namespace="demo", name="../../../apis/apps/v1/deployments")
    assert all("/apis/apps" not in r["path"] for r in sandbox.requests)


def test_logs_previous_and_missing(cluster, loaded):
    name = loaded["metadata"]["name"]
    previous = cluster.read_log(namespace="demo", pod=name, container="memory-hog", previous=True, tail_lines=10,
                                limit_bytes=4096)
    assert "dispatching hogs" in previous
    assert cluster.read_log(namespace="demo", pod=name, container="no-such", previous=True, tail_lines=10,
                            limit_bytes=4096) == ""


def test_pod_events_are_found_by_the_pod(cluster, loaded):
    found = cluster.pod_events(namespace="demo", pod_name=loaded["metadata"]["name"], pod_uid=loaded["metadata"]["uid"])
    assert [e["reason"] for e in found] == ["BackOff"]


def test_calls_are_counted_per_thread(cluster, loaded):
    counts = []

    def work():
        cluster.read(api_version="v1", kind="Pod", namespace="demo", name=loaded["metadata"]["name"])
        counts.append(cluster.calls)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts == [1, 1, 1, 1]


def test_kubesent_never_patches_pods(cluster):
    with pytest.raises(errors.ClusterRefused):
        cluster.patch(api_version="v1", kind="Pod", namespace="demo", name="x", body={}, dry_run=True)


@pytest.mark.parametrize("status", [403, 404])
def test_an_operators_object_refused_or_absent_is_unknown(sandbox, cluster, status):
    """RBAC without the rules answers 403, a cluster without the CRD 404: either way no source, and no more than
    one get of each kind and one list."""
    sandbox.load_objects([{"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
                           "metadata": {"name": "db-creds", "namespace": "demo"}, "spec": {}}])
    for path in (r"/apis/external-secrets\.io/.*", r"/apis/bitnami\.com/.*"):
        sandbox.inject_fault(method="GET", path=path, status=status, count=3)

    found = secretsource.find(cluster, namespace="demo", secret_name="db-creds")

    assert found is None
    assert cluster.calls == (2 if status == 403 else 3)
