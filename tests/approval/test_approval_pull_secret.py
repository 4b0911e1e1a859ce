"""A pull refused for authorisation, with the pull secret proven by a Ready pod of the namespace: the
pipeline reads one list of pods, proposes the patch, and a person's approval writes it (on the sandbox)."""

from __future__ import annotations

from typing import Any

from kubesent.approval import Approver
from kubesent.ledger.memory import MemoryLedger
from tests.approval.support import KEY, NOW, Reports, token

SCENARIO = "image-401-pull-secret-proven-by-sibling"
POD_LIST = "/api/v1/namespaces/demo/pods"


def _pod_lists(sandbox: Any) -> list[dict[str, Any]]:
    return [request for request in sandbox.requests if request["method"] == "GET" and request["path"] == POD_LIST]


def test_the_proven_secret_is_proposed_after_one_list_and_an_approval_writes_it(scenario: Any, make_pipeline: Any,
                                                                                 sandbox: Any) -> None:
    event, expected = scenario(SCENARIO)
    ledger = MemoryLedger()

    record = make_pipeline(ledger=ledger).handle(event)

    assert (record.action, record.remedy, record.patch) == ("proposed", "add_image_pull_secret", expected["patch"])
    assert "ledger-worker-7c9f6d5b8-q7m2n" in record.root_cause and len(_pod_lists(sandbox)) == 1
    writer = make_pipeline(ledger=ledger, dry_run=False)
    approver = Approver(writer.settings, cluster=writer.cluster, ledger=ledger, key=KEY, reporter=Reports(),
                        clock=lambda: float(NOW))

    answer = approver.decide(token(record.incident_id), approver="slack:ana")

    assert answer.status == 200 and answer.title == "Applied", answer
    deployment = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="demo", name="ledger-api")
    assert deployment["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "harbor-pull"}]
    assert not any("/secrets" in request["path"] for request in sandbox.requests)  # KubeSent never reads one


def test_a_pull_that_is_not_refused_for_authorisation_lists_no_pods(scenario: Any, make_pipeline: Any,
                                                                     sandbox: Any) -> None:
    event, _ = scenario("image-not-found")

    record = make_pipeline().handle(event)

    assert record.category == "image_pull" and _pod_lists(sandbox) == []


def test_an_auth_failure_without_a_witness_lists_once_and_proposes_no_patch(scenario: Any, make_pipeline: Any,
                                                                             sandbox: Any) -> None:
    event, _ = scenario("image-private-registry-401")

    record = make_pipeline().handle(event)

    assert (record.action, record.remedy, record.patch) == ("proposed", "add_image_pull_secret", None)
    assert len(_pod_lists(sandbox)) == 1
