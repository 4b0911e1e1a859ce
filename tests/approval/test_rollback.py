"""An approved rollback (issue 16): the previous ReplicaSet's live template, written at the click, on the sandbox."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubesent.approval import Approver
from kubesent.evidence.rollout import ENV_VALUE_PLACEHOLDER
from kubesent.ledger.memory import MemoryLedger
from local_emulator.kube_sandbox import KubeSandbox, resources
from tests.approval.support import KEY, NOW, Reports, token

ENV = [{"name": "DB_URL", "value": "postgres://checkout@db:5432/shop"}]
PREVIOUS_IMAGE = "ghcr.io/example/checkout-api:v2.3.0"


def listed(sandbox: KubeSandbox, *, api_version: str, kind: str) -> list[dict[str, Any]]:
    resource = resources.by_kind(api_version=api_version, kind=kind)
    assert resource is not None
    return list(sandbox.store.list(resource, namespace="demo")[0])


def with_env(sandbox: KubeSandbox) -> None:
    """Give every revision (and the failing pod) the same env value: it lives in the cluster, never in a record."""
    changed = []
    for kind, api_version in (("Deployment", "apps/v1"), ("ReplicaSet", "apps/v1"), ("Pod", "v1")):
        for obj in listed(sandbox, api_version=api_version, kind=kind):
            obj = copy.deepcopy(obj)
            spec = obj["spec"] if kind == "Pod" else obj["spec"]["template"]["spec"]
            spec["containers"][0]["env"] = copy.deepcopy(ENV)
            changed.append(obj)
    sandbox.load_objects(changed)


@pytest.fixture
def rollback(scenario: Any, make_pipeline: Any, sandbox: KubeSandbox) -> dict[str, Any]:
    event, _ = scenario("rollout-bad-image-tag")
    with_env(sandbox)
    ledger = MemoryLedger()
    record = make_pipeline(ledger=ledger).handle(event)
    assert record.action == "proposed" and record.remedy == "rollback_rollout", record.reason
    writer = make_pipeline(ledger=ledger, dry_run=False)
    approver = Approver(writer.settings, cluster=writer.cluster, ledger=ledger, key=KEY, reporter=Reports(),
                        clock=lambda: float(NOW))
    return {"record": record, "approver": approver, "ledger": ledger}


def deployment(sandbox: KubeSandbox) -> dict[str, Any]:
    found = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="demo", name="checkout-api")
    assert found is not None
    return found


def test_an_approved_rollback_restores_the_previous_revisions_live_template(
        rollback: dict[str, Any], sandbox: KubeSandbox) -> None:
    proposal = rollback["record"]
    assert proposal.patch["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == ENV_VALUE_PLACEHOLDER

    answer = rollback["approver"].decide(token(proposal.incident_id), approver="ana@example.com")

    assert answer.status == 200 and answer.title == "Applied", answer.detail
    template = deployment(sandbox)["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == PREVIOUS_IMAGE
    assert template["spec"]["containers"][0]["env"] == ENV  # the live value, not the record's placeholder
    assert "pod-template-hash" not in template["metadata"]["labels"]
    assert deployment(sandbox)["metadata"]["annotations"]["kubesent.dev/approved-by"] == "ana@example.com"
    stored = rollback["ledger"].stored_record(proposal.incident_id)
    assert "postgres://" not in str(stored) and "postgres://" not in str(answer.record)


def test_a_rollback_is_refused_once_the_previous_revision_no_longer_serves(
        rollback: dict[str, Any], sandbox: KubeSandbox) -> None:
    [previous] = [rs for rs in listed(sandbox, api_version="apps/v1", kind="ReplicaSet")
                  if rs["spec"]["template"]["spec"]["containers"][0]["image"] == PREVIOUS_IMAGE]
    previous["status"]["availableReplicas"] = 0
    sandbox.load_objects([previous])

    answer = rollback["approver"].decide(token(rollback["record"].incident_id), approver="ana@example.com")

    assert answer.status == 409 and "no longer has an available pod" in answer.detail
    assert deployment(sandbox)["spec"]["template"]["spec"]["containers"][0]["image"] != PREVIOUS_IMAGE
