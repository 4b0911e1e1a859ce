"""The pipeline end to end through the real ``kubernetes`` client against the sandbox over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from kubesent import errors, events
from local_emulator.kube_sandbox import KubeSandbox
from tests.support.pipelines import PipelineFactory
from tests.support.scenarios import event_at, load_scenario


def _deployment(sandbox: KubeSandbox, name: str, namespace: str = "demo") -> dict:
    found = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace=namespace, name=name)
    assert found is not None
    return found


def _memory_limit(deployment: dict, container: str) -> str:
    for item in deployment["spec"]["template"]["spec"]["containers"]:
        if item["name"] == container:
            return item["resources"]["limits"]["memory"]
    raise AssertionError(f"no container {container}")


def test_oom_in_dry_run_proposes_the_vpa_limit_and_writes_nothing(sandbox, scenario, make_pipeline: PipelineFactory):
    event, expected = scenario("oom-memory-hog")
    record = make_pipeline().handle(event)
    assert record.action == "dry_run"
    assert record.patch == expected["patch"]
    assert record.dry_run_result == "accepted"
    assert sandbox.writes() == []
    assert any(r["method"] == "PATCH" and r["dry_run"] for r in sandbox.requests), \
        "the server-side dry-run was not sent"
    assert _memory_limit(_deployment(sandbox, "memory-hog"), "memory-hog") == "10Mi"


def test_oom_with_dry_run_off_patches_the_deployment_and_records_why(sandbox, scenario, make_pipeline):
    event, _ = scenario("oom-memory-hog")
    record = make_pipeline(dry_run=False).handle(event)
    assert record.action == "applied", record.reason
    deployment = _deployment(sandbox, "memory-hog")
    assert _memory_limit(deployment, "memory-hog") == "110Mi"
    note = json.loads(deployment["metadata"]["annotations"]["kubesent.dev/last-remediation"])
    assert note["remedy"] == "raise_memory_limit" and note["previous"] == {"memory_limit": "10Mi"}
    managers = [entry["manager"] for entry in deployment["metadata"].get("managedFields", [])]
    assert "kubesent" in managers
    writes = sandbox.writes()
    assert len(writes) == 1 and writes[0]["method"] == "PATCH"
    patches = [r for r in sandbox.requests if r["method"] == "PATCH"]
    assert [r["dry_run"] for r in patches] == [True, False], "the server-side dry-run comes first"


def test_second_event_for_the_same_incident_is_a_duplicate(sandbox, scenario, make_pipeline):
    event, _ = scenario("oom-memory-hog")
    pipeline = make_pipeline()
    assert pipeline.handle(event).action == "dry_run"
    again = pipeline.handle(event)
    assert again.action == "ignored" and again.reason.startswith("duplicate")
    assert again.api_calls == 0, "the instance answers a decided incident's repeat from memory"


def test_without_the_fast_path_a_duplicate_costs_only_the_reads_that_identify_it(sandbox, scenario, make_pipeline):
    event, _ = scenario("oom-memory-hog")
    pipeline = make_pipeline(duplicate_ttl_seconds=0)
    assert pipeline.handle(event).action == "dry_run"
    again = pipeline.handle(event)
    assert again.action == "ignored" and again.reason.startswith("duplicate")
    assert again.api_calls == 3, "pod, ReplicaSet, Deployment"


@pytest.mark.parametrize("name", ["missing-configmap", "missing-secret-key", "crashloop-command", "image-not-found"])
def test_manifest_problems_end_as_proposals_naming_the_cause(sandbox, scenario, make_pipeline, name):
    event, expected = scenario(name)
    record = make_pipeline(dry_run=False).handle(event)
    assert record.action == "proposed", record.reason
    assert record.remedy == expected["remedy"]
    if "root_cause_contains" in expected:
        assert expected["root_cause_contains"] in record.root_cause
    assert sandbox.writes() == []


def test_bare_pod_is_resized_in_place_never_patched(sandbox, scenario, make_pipeline):
    event, _ = scenario("bare-pod-oom")
    record = make_pipeline(dry_run=False).handle(event)
    assert record.action == "applied" and "pods/resize" in record.reason
    assert [write["path"] for write in sandbox.writes()] == ["/api/v1/namespaces/demo/pods/scratch/resize",
                                                             "/api/v1/namespaces/demo/pods/scratch"]


def test_bare_pod_without_the_resize_subresource_gets_a_proposal(sandbox, scenario, make_pipeline):
    event, _ = scenario("bare-pod-oom")
    sandbox.inject_fault(method="PATCH", path=r"/resize$", status=404, count=2)
    record = make_pipeline(dry_run=False).handle(event)
    assert record.action == "proposed" and "bare Pod" in record.reason
    assert sandbox.writes() == []


def test_kube_system_is_never_patched(sandbox, scenario, make_pipeline):
    event, _ = scenario("kube-system-oom")
    record = make_pipeline(dry_run=False).handle(event)
    assert record.action == "ignored" and "deny-listed" in record.reason
    assert sandbox.writes() == [] and sandbox.requests == []


def test_gitops_managed_workload_is_never_patched(sandbox, scenario, make_pipeline):
    event, _ = scenario("gitops-oom")
    record = make_pipeline(dry_run=False).handle(event)
    assert record.action == "proposed"
    assert "argocd" in record.reason
    assert sandbox.writes() == []


def test_foreign_field_manager_on_the_template_blocks_the_patch(sandbox, now, make_pipeline):
    bundle, _ = load_scenario("oom-memory-hog")
    deployment = next(o for o in bundle["objects"] if o["kind"] == "Deployment")
    deployment["metadata"]["managedFields"] = [{"manager": "kustomize-controller", "operation": "Apply",
                                                "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
                                                "fieldsV1": {"f:spec": {"f:template": {"f:spec": {}}}}}]
    sandbox.load_bundle(bundle)
    record = make_pipeline(dry_run=False).handle(events.parse_event(event_at(bundle, now)))
    assert record.action == "proposed" and "kustomize-controller" in record.reason
    assert sandbox.writes() == []


def test_opt_out_annotation_is_respected(sandbox, now, make_pipeline):
    bundle, _ = load_scenario("oom-memory-hog")
    deployment = next(o for o in bundle["objects"] if o["kind"] == "Deployment")
    deployment["metadata"]["annotations"]["kubesent.dev/auto-remediate"] = "false"
    sandbox.load_bundle(bundle)
    record = make_pipeline(dry_run=False).handle(events.parse_event(event_at(bundle, now)))
    assert record.action == "proposed" and "opts out" in record.reason
    assert sandbox.writes() == []


def test_injected_500s_raise_so_pubsub_retries(sandbox, scenario, make_pipeline):
    event, _ = scenario("oom-memory-hog")
    sandbox.inject_fault(method="GET", path=r"/api/v1/namespaces/demo/pods/.*", status=500, count=1)
    with pytest.raises(errors.TransientError):
        make_pipeline(dry_run=False).handle(event)
    assert sandbox.writes() == []


def test_a_retry_after_a_transient_fault_is_handled_not_a_duplicate(sandbox, scenario, make_pipeline):
    event, _ = scenario("oom-memory-hog")
    pipeline = make_pipeline(dry_run=False)
    sandbox.inject_fault(method="PATCH", path=r".*/deployments/memory-hog", status=503, count=1)
    with pytest.raises(errors.TransientError):
        pipeline.handle(event)
    assert pipeline.handle(event).action == "applied"


def test_forbidden_reads_are_acknowledged_with_a_clear_reason(sandbox, scenario, make_pipeline):
    event, _ = scenario("oom-memory-hog")
    sandbox.inject_fault(method="GET", path=r"/api/v1/namespaces/demo/pods/.*", status=403, count=1)
    record = make_pipeline().handle(event)
    assert record.action == "escalated" and "RBAC" in record.reason


def test_a_pod_that_is_gone_is_ignored(sandbox, now, make_pipeline):
    bundle, _ = load_scenario("oom-memory-hog")
    record = make_pipeline().handle(events.parse_event(event_at(bundle, now)))
    assert record.action == "ignored" and "gone" in record.reason


def test_stale_events_are_dropped_without_reading_the_cluster(sandbox, scenario, make_pipeline, now):
    event, _ = scenario("oom-memory-hog")
    record = make_pipeline().handle(event, now=now + timedelta(hours=2))
    assert record.action == "ignored" and "stale" in record.reason
    assert record.api_calls == 0


def test_conflict_is_reread_once_and_applied(sandbox, scenario, make_pipeline):
    event, _ = scenario("oom-memory-hog")
    sandbox.inject_fault(method="PATCH", path=r".*/deployments/memory-hog", status=409, count=1)
    record = make_pipeline(dry_run=False).handle(event)
    assert record.action == "applied"
    assert _memory_limit(_deployment(sandbox, "memory-hog"), "memory-hog") == "110Mi"


def test_a_template_already_raised_is_not_cut_back(sandbox, now, make_pipeline):
    bundle, _ = load_scenario("oom-memory-hog")
    deployment = next(o for o in bundle["objects"] if o["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = "512Mi"
    sandbox.load_bundle(bundle)
    record = make_pipeline(dry_run=False).handle(events.parse_event(event_at(bundle, now)))
    assert record.action == "ignored" and "already" in record.reason
    assert _memory_limit(_deployment(sandbox, "memory-hog"), "memory-hog") == "512Mi"


def _victim_and_attacker(bundle):
    """A victim Deployment 'payments' and an attacker's bare pod that names it as its owner."""
    deployment = next(o for o in bundle["objects"] if o["kind"] == "Deployment")
    pod = next(o for o in bundle["objects"] if o["kind"] == "Pod")
    victim = json.loads(json.dumps(deployment))
    victim["metadata"].update(name="payments", uid="9a1f0f5e-0000-4000-8000-000000000001")
    attacker = json.loads(json.dumps(pod))
    attacker["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "payments",
                                                "uid": "forged", "controller": True}]
    return victim, attacker


def test_a_pod_naming_another_teams_deployment_cannot_get_it_patched(sandbox, now, make_pipeline):
    bundle, _ = load_scenario("oom-memory-hog")
    victim, attacker = _victim_and_attacker(bundle)
    sandbox.load_objects([victim, attacker])
    record = make_pipeline(dry_run=False).handle(events.parse_event(event_at(bundle, now)))
    assert record.action == "proposed" and sandbox.writes() == []


def test_a_pod_whose_container_differs_from_the_template_is_only_proposed(sandbox, now, make_pipeline):
    bundle, _ = load_scenario("oom-memory-hog")
    pod = next(o for o in bundle["objects"] if o["kind"] == "Pod")
    pod["spec"]["containers"][0]["image"] = "polinux/stress:1.0.4-patched-by-a-webhook"
    sandbox.load_bundle(bundle)
    record = make_pipeline(dry_run=False).handle(events.parse_event(event_at(bundle, now)))
    assert record.action == "proposed" and "template" in record.reason
    assert sandbox.writes() == []


def test_a_limit_that_only_a_limitrange_set_is_not_imposed_on_the_template(sandbox, now, make_pipeline):
    bundle, _ = load_scenario("oom-memory-hog")
    for obj in bundle["objects"]:
        if obj["kind"] in ("Deployment", "ReplicaSet"):
            obj["spec"]["template"]["spec"]["containers"][0].pop("resources")
    sandbox.load_bundle(bundle)
    record = make_pipeline(dry_run=False).handle(events.parse_event(event_at(bundle, now)))
    assert record.action == "proposed" and sandbox.writes() == []


def test_namespaces_outside_the_allow_list_are_not_even_read(sandbox, scenario, make_pipeline):
    event, _ = scenario("oom-memory-hog")
    record = make_pipeline(namespaces_allow=("shop", "payments")).handle(event)
    assert record.action == "ignored" and "KUBESENT_NAMESPACES_ALLOW" in record.reason
    assert record.api_calls == 0 and sandbox.requests == []


def test_an_event_claiming_another_cluster_is_ignored(sandbox, now, make_pipeline):
    bundle, _ = load_scenario("oom-memory-hog")
    sandbox.load_bundle(bundle)
    event = event_at(bundle, now)
    event["clusterName"] = "someone-elses"
    record = make_pipeline(cluster_name="prod").handle(events.parse_event(event))
    assert record.action == "ignored" and "someone-elses" in record.reason


def test_a_forged_cluster_name_does_not_mint_a_fresh_incident(sandbox, now, make_pipeline):
    bundle, _ = load_scenario("oom-memory-hog")
    sandbox.load_bundle(bundle)
    pipeline = make_pipeline()
    first = event_at(bundle, now)
    assert pipeline.handle(events.parse_event(first)).action == "dry_run"
    forged = {**first, "clusterName": "forged-1"}
    assert pipeline.handle(events.parse_event(forged)).action == "ignored"


class RacingCluster:
    """The real cluster client, but someone edits the Deployment between KubeSent's read and its write."""

    def __init__(self, inner, sandbox):
        self.inner, self.sandbox, self.raced = inner, sandbox, False

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def patch(self, **kwargs):
        if not kwargs["dry_run"] and not self.raced:
            self.raced = True
            deployment = self.sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="demo",
                                                 name="memory-hog")
            deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = "512Mi"
            deployment["metadata"]["resourceVersion"] = str(int(deployment["metadata"]["resourceVersion"]) + 1000)
            self.sandbox.load_objects([deployment])
        return self.inner.patch(**kwargs)


def test_a_concurrent_edit_is_not_overwritten(sandbox, scenario, make_pipeline):
    event, _ = scenario("oom-memory-hog")
    pipeline = make_pipeline(dry_run=False)
    pipeline.cluster = RacingCluster(pipeline.cluster, sandbox)
    record = pipeline.handle(event)
    assert record.action == "ignored" and "already" in record.reason
    assert _memory_limit(_deployment(sandbox, "memory-hog"), "memory-hog") == "512Mi"


def test_secrets_in_event_messages_never_reach_the_audit_line(sandbox, now, make_pipeline):
    bundle, _ = load_scenario("missing-configmap")
    sandbox.load_bundle(bundle)
    event = event_at(bundle, now)
    event["message"] = 'Error: configmap "api-settings" not found (token=ghp_abcdefghijklmnopqrstuvwxyz0123456789)'
    record = make_pipeline().handle(events.parse_event(event))
    line = record.log_line()
    assert "ghp_abcdefghijklmnopqrstuvwxyz0123456789" not in line and "REDACTED" in record.event["message"]


def test_a_deployment_with_limits_only_is_still_patched(sandbox, now, make_pipeline):
    """The API server defaults a pod's missing requests to its limits; that is not drift."""
    bundle, _ = load_scenario("oom-memory-hog")
    for obj in bundle["objects"]:
        spec = obj["spec"]["template"]["spec"] if obj["kind"] in ("Deployment", "ReplicaSet") else None
        if spec:
            spec["containers"][0]["resources"].pop("requests")
            spec["containers"][0]["livenessProbe"] = {"httpGet": {"port": 8080}}
        elif obj["kind"] == "Pod":
            obj["spec"]["containers"][0]["livenessProbe"] = {
                "httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10,
                "successThreshold": 1, "failureThreshold": 3}
    sandbox.load_bundle(bundle)
    record = make_pipeline(dry_run=False).handle(events.parse_event(event_at(bundle, now)))
    assert record.action == "applied", record.reason
