"""Every applied fix is verified, and undone when it made things worse (issue 16), on the Kubernetes API sandbox.

The pipeline applies the demo's OOM fix through the official client; the sandbox's Deployment controller rolls
out the patched template and its scripted kubelet reports the new pods. The verifier then judges the rollout.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from kubesent import events, undo, verify
from kubesent.audit import AuditRecord
from kubesent.ledger.memory import MemoryLedger
from kubesent.pipeline import Pipeline
from local_emulator import incidents
from local_emulator.kube_sandbox import KubeSandbox
from local_emulator.kube_sandbox.controller import SCRIPT_ANNOTATION
from tests.support.pipelines import PipelineFactory

OOM = incidents.by_name("oom-memory-hog")
NAME, NAMESPACE = "memory-hog", "demo"


@dataclass(frozen=True)
class Scripted(incidents.Incident):
    """The demo's OOM incident with another sandbox script; ``limit_only``: no memory request (the API server
    then reserves the limit, so a raise also raises what the scheduler must find)."""

    script: dict[str, Any] | None = None
    limit_only: bool = False

    def deployment(self) -> dict[str, Any]:
        document = super().deployment()
        if self.script is not None:
            document["metadata"]["annotations"][SCRIPT_ANNOTATION] = json.dumps(self.script)
        if self.limit_only:
            document["spec"]["template"]["spec"]["containers"][0]["resources"].pop("requests")
        return document


class Reporter:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def report(self, record: AuditRecord) -> None:
        self.records.append(record)


def applied(sandbox: KubeSandbox, make_pipeline: PipelineFactory, now: datetime, incident: incidents.Incident,
            ledger: MemoryLedger) -> tuple[Pipeline, AuditRecord]:
    [seeded] = incidents.seed(sandbox, (incident,), now=now)
    pipeline = make_pipeline(ledger=ledger, dry_run=False)
    record = pipeline.handle(events.parse_event(seeded.event), now=now)
    assert record.action == "applied", record.reason
    return pipeline, record


def verifier(make_pipeline: PipelineFactory, pipeline: Pipeline, ledger: MemoryLedger, reporter: Reporter,
             **overrides: Any) -> verify.Verifier:
    return verify.Verifier(make_pipeline.settings(dry_run=False, **overrides), cluster=pipeline.cluster,
                           ledger=ledger, reporter=reporter)


def deployment(sandbox: KubeSandbox) -> dict[str, Any]:
    found = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace=NAMESPACE, name=NAME)
    assert found is not None
    return found


def memory_limit(sandbox: KubeSandbox) -> str:
    return str(deployment(sandbox)["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"])


def test_an_oom_fix_is_verified_once_its_pods_stay_ready_for_the_settle_window(
        sandbox: KubeSandbox, make_pipeline: PipelineFactory, now: datetime) -> None:
    ledger, reporter = MemoryLedger(), Reporter()
    pipeline, record = applied(sandbox, make_pipeline, now, OOM, ledger)
    checker = verifier(make_pipeline, pipeline, ledger, reporter)

    assert checker.run(now=now + timedelta(seconds=30)) == []  # not due yet
    assert checker.run(now=now + timedelta(seconds=61)) == []  # healthy, settling
    [verified] = checker.run(now=now + timedelta(seconds=61 + 300))

    assert verified.verification is not None and verified.verification["outcome"] == "verified"
    assert verified.action == "applied" and verified.incident_id == record.incident_id
    assert verified.patch == record.patch  # the incident's record, moved on
    assert reporter.records == [verified]
    assert ledger.read_marker(f"verify/{record.incident_id}")["outcome"] == "verified"  # type: ignore[index]
    assert ledger.due_verifications(now=now + timedelta(days=1), limit=10) == []
    assert memory_limit(sandbox) == "110Mi"


def test_a_raise_that_leaves_the_pod_unschedulable_is_undone(
        sandbox: KubeSandbox, make_pipeline: PipelineFactory, now: datetime) -> None:
    incident = Scripted(**vars(OOM), script={"oomKilledBelowMemory": "64Mi", "unschedulableAboveMemory": "64Mi"},
                        limit_only=True)
    ledger, reporter = MemoryLedger(), Reporter()
    pipeline, _ = applied(sandbox, make_pipeline, now, incident, ledger)
    assert undo.PREFIX + "memory" in deployment(sandbox)["metadata"]["annotations"]

    [worse] = verifier(make_pipeline, pipeline, ledger, reporter).run(now=now + timedelta(seconds=61))

    assert worse.verification is not None and worse.verification["outcome"] == "worse"
    assert "Insufficient memory" in worse.verification["detail"]
    assert worse.verification["undo"] == "undone: memory limit of memory-hog restored to 10Mi (was 110Mi)"
    assert worse.action == "escalated"
    assert memory_limit(sandbox) == "10Mi"
    annotations = deployment(sandbox)["metadata"]["annotations"]
    assert undo.PREFIX + "memory" not in annotations and worse.incident_id in annotations[undo.REVERTED]


def test_a_persons_change_after_the_fix_is_never_undone(
        sandbox: KubeSandbox, make_pipeline: PipelineFactory, now: datetime) -> None:
    incident = Scripted(**vars(OOM), script={"oomKilledBelowMemory": "64Mi", "unschedulableAboveMemory": "64Mi"},
                        limit_only=True)
    ledger, reporter = MemoryLedger(), Reporter()
    pipeline, _ = applied(sandbox, make_pipeline, now, incident, ledger)
    # A person's edit over HTTP, as kubectl would send it: the template changes, so the generation moves on.
    pipeline.cluster.patch(api_version="apps/v1", kind="Deployment", namespace=NAMESPACE, name=NAME, dry_run=False,
                           body={"spec": {"template": {"spec": {"containers": [
                               {"name": "memory-hog", "env": [{"name": "X", "value": "1"}]}]}}}})

    [worse] = verifier(make_pipeline, pipeline, ledger, reporter).run(now=now + timedelta(seconds=61))

    assert worse.verification is not None and worse.verification["outcome"] == "worse"
    assert worse.verification["undo"].startswith("not undone: the workload changed after KubeSent's patch")
    assert memory_limit(sandbox) == "110Mi"


def test_a_raise_that_did_not_stop_the_oom_kills_is_not_healed(
        sandbox: KubeSandbox, make_pipeline: PipelineFactory, now: datetime) -> None:
    incident = Scripted(**vars(OOM), script={"oomKilledBelowMemory": "200Mi"})
    ledger, reporter = MemoryLedger(), Reporter()
    pipeline, _ = applied(sandbox, make_pipeline, now, incident, ledger)

    [not_healed] = verifier(make_pipeline, pipeline, ledger, reporter).run(now=now + timedelta(seconds=61))

    assert not_healed.verification is not None and not_healed.verification["outcome"] == "not_healed"
    assert "OOMKilled" in not_healed.verification["detail"]
    assert not_healed.verification["undo"] == "" and not_healed.action == "escalated"
    assert memory_limit(sandbox) == "110Mi"  # not worse: the raise stays, a person takes over


@pytest.mark.parametrize(("undo_on", "expected_limit", "said"), [
    (True, "10Mi", "undone:"), (False, "110Mi", "not undone: automatic undo is off")])
def test_a_rollout_that_never_becomes_ready_stalls_past_its_deadline(
        sandbox: KubeSandbox, make_pipeline: PipelineFactory, now: datetime, undo_on: bool, expected_limit: str,
        said: str) -> None:
    incident = Scripted(**vars(OOM), script={"oomKilledBelowMemory": "64Mi", "notReady": True})
    ledger, reporter = MemoryLedger(), Reporter()
    pipeline, _ = applied(sandbox, make_pipeline, now, incident, ledger)
    checker = verifier(make_pipeline, pipeline, ledger, reporter, verify_undo=undo_on)

    assert checker.run(now=now + timedelta(seconds=61)) == []  # rolling out, within 600 s
    [stalled] = checker.run(now=now + timedelta(seconds=700))

    assert stalled.verification is not None and stalled.verification["outcome"] == "stalled"
    assert "did not finish within 600 s" in stalled.verification["detail"]
    assert stalled.verification["undo"].startswith(said)
    assert memory_limit(sandbox) == expected_limit


def test_a_dry_run_writes_nothing_to_verify(sandbox: KubeSandbox, make_pipeline: PipelineFactory,
                                            now: datetime) -> None:
    ledger = MemoryLedger()
    [seeded] = incidents.seed(sandbox, (OOM,), now=now)
    record = make_pipeline(ledger=ledger, dry_run=True).handle(events.parse_event(seeded.event), now=now)

    assert record.action == "dry_run"
    assert ledger.due_verifications(now=now + timedelta(days=1), limit=10) == []


def test_a_probe_fix_whose_rollout_stalls_is_restored_field_by_field(
        sandbox: KubeSandbox, make_pipeline: PipelineFactory, now: datetime,
        scenario: Callable[[str], tuple[events.PodEvent, dict[str, Any]]]) -> None:
    event, _ = scenario("probe-slow-start-spring-boot")
    before = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="demo", name="orders-service")
    assert before is not None
    # The app never becomes Ready with the loosened probe either: the rollout makes no progress.
    before["metadata"].setdefault("annotations", {})[SCRIPT_ANNOTATION] = json.dumps({"notReady": True})
    sandbox.load_objects([before])
    old_probe = before["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]
    ledger, reporter = MemoryLedger(), Reporter()
    pipeline = make_pipeline(ledger=ledger, dry_run=False)
    record = pipeline.handle(event, now=now)
    assert record.action == "applied" and record.remedy == "fix_probe", record.reason
    patched = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="demo", name="orders-service")
    assert patched is not None and patched["spec"]["template"]["spec"]["containers"][0]["livenessProbe"] != old_probe

    [stalled] = verifier(make_pipeline, pipeline, ledger, reporter).run(now=now + timedelta(seconds=700))

    assert stalled.verification is not None and stalled.verification["outcome"] == "stalled"
    assert stalled.verification["undo"].startswith("undone: livenessProbe.initialDelaySeconds of"), stalled.reason
    after = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="demo", name="orders-service")
    assert after is not None
    restored = after["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]
    assert restored.get("initialDelaySeconds", 0) == old_probe.get("initialDelaySeconds", 0)
    assert not any(key.startswith(undo.PREFIX) for key in after["metadata"]["annotations"])
