"""Healing a bare Pod in place through pods/resize, end to end against the sandbox: dry-run first, then the
resize with its precondition and the annotation, the QoS class kept, the kubelet's answer recorded, and a
refusal or a server without the subresource ending as a proposal with nothing written."""

from __future__ import annotations

import copy

import pytest

from kubesent import events, inplace, qos
from kubesent.cluster.memory import MemoryCluster
from kubesent.errors import ClusterRefused
from kubesent.ledger.memory import MemoryLedger
from local_emulator import incidents

GUARANTEED = {"requests": {"memory": "10Mi", "cpu": "100m"}, "limits": {"memory": "10Mi", "cpu": "100m"}}


def _seed_oom(sandbox, *, resources=None, script=None):
    incident = incidents.by_name("seed-oom")
    if resources is not None or script is not None:
        manifest = copy.deepcopy(incident.manifest_object())
        if resources is not None:
            manifest["spec"]["containers"][0]["resources"] = resources
        if script is not None:
            manifest["metadata"]["annotations"]["sandbox.kubesent.dev/script"] = script
        incident = _Custom(incident, manifest)
    [item] = incidents.seed(sandbox, (incident,))
    return events.parse_event(item.event)


class _Custom:
    """The seed OOM incident with another manifest (resources, script)."""

    def __init__(self, base, manifest):
        self._base, self._manifest = base, manifest

    def __getattr__(self, name):
        return getattr(self._base, name)

    def manifest_object(self):
        return copy.deepcopy(self._manifest)


def _pod(sandbox):
    return sandbox.get_object(api_version="v1", kind="Pod", namespace="seed", name="seed-oom")


def _patches(sandbox):
    return [(r["path"].rsplit("/", 1)[-1], r["dry_run"]) for r in sandbox.requests if r["method"] == "PATCH"]


def test_dry_run_first_then_the_resize_then_the_annotation(sandbox, make_pipeline):
    event = _seed_oom(sandbox)
    ledger = _RecordingLedger()
    record = make_pipeline(dry_run=False, ledger=ledger).handle(event)
    assert record.action == "applied" and record.target.kind == "Pod"
    assert _patches(sandbox) == [("resize", True), ("resize", False), ("seed-oom", False)]
    pod = _pod(sandbox)
    assert pod["spec"]["containers"][0]["resources"] == {"requests": {"memory": "10Mi"}, "limits": {"memory": "110Mi"}}
    assert qos.qos_class(pod["spec"]) == "Burstable"
    assert pod["status"]["phase"] == "Running" and pod["status"]["containerStatuses"][0]["ready"] is True
    assert "kubesent.dev/last-remediation" in pod["metadata"]["annotations"]
    assert "applied: the container runs with a memory limit of 110Mi" in record.reason
    resize = next(r for r in sandbox.requests if r["path"].endswith("/resize") and not r["dry_run"])
    assert resize["query"]["fieldManager"] == "kubesent"
    [(key, remediation)] = ledger.recorded
    assert key.owner_kind == "Pod" and remediation.previous == {"memory_limit": "10Mi"}


class _RecordingLedger(MemoryLedger):
    def __init__(self):
        super().__init__()
        self.recorded = []

    def record_remediation(self, key, remediation):
        self.recorded.append((key, remediation))
        super().record_remediation(key, remediation)


def test_dry_run_mode_sends_only_the_servers_dry_run(sandbox, make_pipeline):
    record = make_pipeline().handle(_seed_oom(sandbox))
    assert record.action == "dry_run" and record.dry_run_result == "accepted"
    assert _patches(sandbox) == [("resize", True)] and sandbox.writes() == []


def test_a_guaranteed_pod_moves_its_request_with_the_limit(sandbox, make_pipeline):
    record = make_pipeline(dry_run=False).handle(_seed_oom(sandbox, resources=GUARANTEED))
    assert record.action == "applied"
    assert record.patch["spec"]["containers"][0]["resources"] == {"limits": {"memory": "110Mi"},
                                                                  "requests": {"memory": "110Mi"}}
    resources = _pod(sandbox)["spec"]["containers"][0]["resources"]
    assert resources["requests"]["memory"] == resources["limits"]["memory"] == "110Mi"
    assert qos.qos_class(_pod(sandbox)["spec"]) == "Guaranteed"


@pytest.mark.parametrize(("status", "fragment"), [(403, "refused the resize"), (422, "refused the resize"),
                                                  (404, "no pods/resize"), (405, "no pods/resize")])
def test_a_refused_or_missing_resize_is_a_proposal_with_nothing_written(sandbox, make_pipeline, status, fragment):
    event = _seed_oom(sandbox)
    sandbox.inject_fault(method="PATCH", path=r"/pods/seed-oom/resize$", status=status, count=5)
    record = make_pipeline(dry_run=False).handle(event)
    assert record.action == "proposed" and fragment in record.reason
    assert sandbox.writes() == []
    assert _pod(sandbox)["spec"]["containers"][0]["resources"]["limits"]["memory"] == "10Mi"


def test_an_infeasible_resize_is_recorded(sandbox, make_pipeline):
    script = '{"oomKilledBelowMemory": "64Mi", "resizeInfeasibleAbove": "64Mi"}'
    record = make_pipeline(dry_run=False).handle(_seed_oom(sandbox, script=script))
    assert record.action == "applied" and "PodResizePending/Infeasible" in record.reason


def test_the_sandbox_refuses_a_qos_change_and_a_spec_change_outside_resources(sandbox):
    _seed_oom(sandbox, resources=GUARANTEED)
    import kubernetes

    configuration = kubernetes.client.Configuration()
    configuration.host = sandbox.url
    with kubernetes.client.ApiClient(configuration) as api_client:
        core = kubernetes.client.CoreV1Api(api_client)
        body = {"spec": {"containers": [{"name": "memory-hog", "resources": {"limits": {"memory": "20Mi"}}}]}}
        with pytest.raises(kubernetes.client.ApiException) as refused:
            core.patch_namespaced_pod_resize("seed-oom", "seed", body)
        assert refused.value.status == 422 and "QOS" in refused.value.body
        image = {"spec": {"containers": [{"name": "memory-hog", "image": "other:1", "resources": GUARANTEED}]}}
        resized = core.patch_namespaced_pod_resize("seed-oom", "seed", image, dry_run="All")
        assert resized.spec.containers[0].image == "polinux/stress:1.0.4"


def test_memory_cluster_resize_keeps_the_qos_class():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "n", "resourceVersion": "1"},
           "spec": {"containers": [{"name": "c", "resources": copy.deepcopy(GUARANTEED)}]}}
    cluster = MemoryCluster([pod])
    with pytest.raises(ClusterRefused) as refused:
        cluster.resize(namespace="n", name="p", dry_run=False,
                       body={"spec": {"containers": [{"name": "c", "resources": {"limits": {"memory": "20Mi"}}}]}})
    assert refused.value.status == 422
    both = {"limits": {"memory": "20Mi"}, "requests": {"memory": "20Mi"}}
    cluster.resize(namespace="n", name="p", dry_run=False, body={"spec": {"containers": [{"name": "c",
                                                                                         "resources": both}]}})
    assert cluster.writes[0]["verb"] == "resize"


@pytest.mark.parametrize(("spec", "expected"), [
    ({"containers": [{"name": "a"}]}, "BestEffort"),
    ({"containers": [{"name": "a", "resources": {"limits": {"memory": "1Gi", "cpu": "1"}}}]}, "Guaranteed"),
    ({"containers": [{"name": "a", "resources": GUARANTEED}, {"name": "b"}]}, "Burstable"),
    ({"containers": [{"name": "a", "resources": {"limits": {"memory": "1Gi"}}}]}, "Burstable"),
    ({"containers": [{"name": "a", "resources": {"requests": {"memory": "1024Mi", "cpu": "1000m"},
                                                 "limits": {"memory": "1Gi", "cpu": "1"}}}]}, "Guaranteed"),
])
def test_qos_class(spec, expected):
    assert qos.qos_class(spec) == expected


def test_resize_state_reads_the_kubelets_conditions():
    pending = {"status": {"conditions": [{"type": "PodResizePending", "status": "True", "reason": "Deferred"}]}}
    progress = {"status": {"conditions": [{"type": "PodResizeInProgress", "status": "True"}]}}
    assert inplace.resize_state(pending).startswith("PodResizePending/Deferred")
    assert inplace.resize_state(progress).startswith("PodResizeInProgress")
    assert inplace.resize_state({}).startswith("no resize condition")
