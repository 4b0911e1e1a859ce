"""Approval re-checks everything at the click: the real cluster client against the sandbox.

The pipeline proposes a memory raise (the allow-list leaves it out); a person's signed link approves it.
"""

from __future__ import annotations

import time
import urllib.request
from datetime import UTC, datetime
from typing import Any

from kubesent import approval
from kubesent.write import APPROVED_BY
from tests.approval.support import NOW, deployment, memory_limit, token


def test_a_good_approval_writes_the_patch_with_the_approver(proposed: dict[str, Any], sandbox: Any) -> None:
    record = proposed["record"]

    answer = proposed["approver"].decide(token(record.incident_id), approver="ana@example.com")

    assert answer.status == 200 and answer.title == "Applied", answer.detail
    assert memory_limit(sandbox) == "110Mi"
    annotations = deployment(sandbox)["metadata"]["annotations"]
    assert annotations[APPROVED_BY] == "ana@example.com"
    patches = [r["dry_run"] for r in sandbox.requests if r["method"] == "PATCH"]
    assert patches == [True, False]  # the server-side dry-run first, then the one real patch
    assert answer.record is not None and answer.record.action == "applied"
    assert "approved by ana@example.com" in answer.record.reason
    assert proposed["reports"].records == [answer.record]
    assert proposed["ledger"].stored_record(record.incident_id)["action"] == "applied"


def test_a_forged_link_is_401_and_writes_nothing(proposed: dict[str, Any], sandbox: Any) -> None:
    forged = token(proposed["record"].incident_id, key=b"another-key-of-enough-length-0123456789")

    answer = proposed["approver"].decide(forged, approver="mallory")

    assert answer.status == 401 and memory_limit(sandbox) == "10Mi"
    assert proposed["approver"].decide("garbage", approver="mallory").status == 401


def test_an_expired_link_is_410(proposed: dict[str, Any], sandbox: Any) -> None:
    answer = proposed["approver"].decide(token(proposed["record"].incident_id, expires_at=NOW - 1), approver="ana")

    assert answer.status == 410 and answer.title == "Link expired" and memory_limit(sandbox) == "10Mi"


def test_a_double_click_and_a_replay_change_nothing(proposed: dict[str, Any], sandbox: Any) -> None:
    link = token(proposed["record"].incident_id)
    first = proposed["approver"].decide(link, approver="ana")
    writes = len(sandbox.writes())

    second = proposed["approver"].decide(link, approver="ana")
    replay = proposed["approver"].decide(link, approver="mallory")
    reject_after = proposed["approver"].decide(token(proposed["record"].incident_id, "reject"), approver="bob")

    assert first.status == 200
    assert second.status == replay.status == reject_after.status == 410
    assert second.detail == replay.detail and "approve by ana" in second.detail
    assert len(sandbox.writes()) == writes


def test_a_changed_workload_makes_the_proposal_stale(proposed: dict[str, Any], sandbox: Any) -> None:
    changed = deployment(sandbox)
    changed["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = "12Mi"
    sandbox.load_objects([changed])

    answer = proposed["approver"].decide(token(proposed["record"].incident_id), approver="ana")

    assert answer.status == 410 and answer.title == "Stale proposal", answer.detail
    assert memory_limit(sandbox) == "12Mi"


def test_an_already_fixed_workload_is_refused_as_fixed(proposed: dict[str, Any], sandbox: Any) -> None:
    changed = deployment(sandbox)
    changed["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = "110Mi"
    sandbox.load_objects([changed])

    answer = proposed["approver"].decide(token(proposed["record"].incident_id), approver="ana")

    assert answer.status == 410 and answer.title == "Already fixed"


def test_a_gone_pod_makes_the_proposal_stale(proposed: dict[str, Any], sandbox: Any) -> None:
    pod = proposed["record"].owner_chain[0].split("/", 1)[1]
    request = urllib.request.Request(f"{sandbox.url}/api/v1/namespaces/demo/pods/{pod}", method="DELETE")
    urllib.request.urlopen(request, timeout=5).close()

    answer = proposed["approver"].decide(token(proposed["record"].incident_id), approver="ana")

    assert answer.status == 410 and "pod is gone" in answer.detail


def test_a_gitops_workload_is_refused_at_the_click(proposed: dict[str, Any], sandbox: Any) -> None:
    changed = deployment(sandbox)
    changed["metadata"].setdefault("annotations", {})["argocd.argoproj.io/tracking-id"] = "shop:apps/Deployment:x"
    sandbox.load_objects([changed])

    answer = proposed["approver"].decide(token(proposed["record"].incident_id), approver="ana")

    assert answer.status == 409 and "another controller manages" in answer.detail
    assert memory_limit(sandbox) == "10Mi"


def test_a_policy_refusal_at_click_time_wins_over_the_person(proposed: dict[str, Any], sandbox: Any) -> None:
    changed = deployment(sandbox)
    changed["metadata"].setdefault("annotations", {})["kubesent.dev/auto-remediate"] = "false"
    sandbox.load_objects([changed])

    answer = proposed["approver"].decide(token(proposed["record"].incident_id), approver="ana")

    assert answer.status == 409 and "opts out" in answer.detail and memory_limit(sandbox) == "10Mi"


def test_reject_and_snooze_are_recorded_without_a_write(proposed: dict[str, Any], sandbox: Any) -> None:
    writes = len(sandbox.writes())

    rejected = proposed["approver"].decide(token(proposed["record"].incident_id, "reject"), approver="bob")

    assert rejected.status == 200 and rejected.record is not None
    assert rejected.record.reason.startswith("rejected by bob")
    assert len(sandbox.writes()) == writes and memory_limit(sandbox) == "10Mi"


def test_the_preview_never_writes(proposed: dict[str, Any], sandbox: Any) -> None:
    writes = len(sandbox.writes())

    answer, claims = proposed["approver"].preview(token(proposed["record"].incident_id))

    assert answer.status == 200 and claims is not None and claims.decision == "approve"
    assert len(sandbox.writes()) == writes
    assert proposed["ledger"].read_marker("approval/" + proposed["record"].incident_id) is None


def test_only_rendered_remedies_are_approvable() -> None:
    assert "add_missing_config" not in approval.APPROVABLE and "raise_memory_limit" in approval.APPROVABLE
    assert time.time() > 0


def test_a_snooze_is_recorded_with_its_end(proposed: dict[str, Any]) -> None:
    snoozed = proposed["approver"].decide(token(proposed["record"].incident_id, "snooze"), approver="bob")

    assert snoozed.status == 200 and snoozed.record is not None and snoozed.record.reason.startswith("snoozed")
    marker = proposed["ledger"].read_marker("snooze/" + proposed["record"].incident_id)
    assert marker is not None and marker["until"] > NOW and marker["by"] == "bob"


def test_a_decision_abandoned_by_a_crashed_instance_is_taken_over_later(proposed: dict[str, Any]) -> None:
    incident_id = proposed["record"].incident_id
    proposed["ledger"].write_marker("approval/" + incident_id, {"status": "pending", "at": NOW - 3600},
                                    now=datetime.fromtimestamp(NOW, UTC), create_only=True)

    answer = proposed["approver"].decide(token(incident_id), approver="ana")

    assert answer.status == 200 and answer.title == "Applied"


def test_a_refused_read_is_an_answer_not_a_crash(proposed: dict[str, Any], sandbox: Any) -> None:
    sandbox.inject_fault(method="GET", path=".*/pods/.*", status=403, count=5)

    answer = proposed["approver"].decide(token(proposed["record"].incident_id), approver="ana")

    assert answer.status == 409 and "could not carry this out" in answer.detail


def test_the_stored_proposal_says_what_failed(proposed: dict[str, Any]) -> None:
    """The ledger's copy has the event summary, so the notifier and the approval page can show what failed."""
    record = proposed["record"]

    stored = proposed["ledger"].stored_record(record.incident_id)
    answer, _ = proposed["approver"].preview(token(record.incident_id))

    assert stored["event"] == record.event and stored["event"]["reason"] == "BackOff"
    assert stored["event"]["pod"] == record.owner_chain[0].split("/", 1)[1] and stored["event"]["message"]
    assert answer.record is not None and answer.record.event["reason"] == "BackOff"
