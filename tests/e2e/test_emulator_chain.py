"""The whole chain on real local services: Pub/Sub emulator push → functions-framework → on_pod_event
→ Kubernetes API sandbox, with the Firestore-emulator ledger.

One module-scoped run (the demo's own ``Stack``) seeds every scenario, injects a one-shot 503 on
one pod's GET, publishes the exporter events plus a malformed message, and waits for the audit
lines; each test then checks one promise of DESIGN.md against what the function logged and what
the sandbox saw. Every process is stopped by the fixture's finaliser.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from local_emulator import auditlog, exporter_event, incidents
from local_emulator.kube_sandbox import KubeSandbox
from local_emulator.stack import DEAD_LETTER_SUBSCRIPTION, TOPIC, Stack, StackOptions

pytestmark = pytest.mark.emulator

# The scenario whose pod GET fails once with 503: it must be retried by Pub/Sub, then judged.
FLAKY = "missing-configmap"
MALFORMED = b'{"this is": not JSON'
# Every line arrives within seconds; redelivery after a 503 waits the 1 s minimum backoff.
OUTCOME_TIMEOUT_SECONDS = 45.0
# After the malformed message is rejected, long enough for a wrongly-nacked message to be redelivered
# (minimum backoff 1 s) at least once.
REDELIVERY_WATCH_SECONDS = 3.0


@dataclass
class Run:
    stack: Stack
    sandbox: KubeSandbox
    seeded: dict[str, incidents.Seeded]
    message_ids: dict[str, str]  # scenario name (or "malformed") -> Pub/Sub message id
    records: list[auditlog.LogRecord]
    output: str  # the function's whole stdout/stderr
    dead_letters: list[bytes]


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    # One log per test process: concurrent runs (two checkouts, two agents) must not share a file.
    stack = Stack(StackOptions(log_name=f"e2e-function-{os.getpid()}"))
    try:
        stack.start()
        assert stack.sandbox is not None and stack.admin is not None and stack.function is not None
        seeded = {item.incident.name: item for item in incidents.seed(stack.sandbox)}
        stack.sandbox.inject_fault(method="GET", path=rf"^/api/v1/namespaces/demo/pods/{seeded[FLAKY].pod_name}$",
                                   status=503, count=1)
        names = [*seeded, "malformed"]
        payloads = [exporter_event.message_data(item.event) for item in seeded.values()] + [MALFORMED]
        message_ids = dict(zip(names, stack.admin.publish(TOPIC, payloads), strict=True))

        def settled(records: list[auditlog.LogRecord]) -> bool:
            judged = all(auditlog.for_pod(records, item.pod_name) for item in seeded.values())
            return judged and any(record.message == auditlog.REJECTED for record in records)

        stack.wait_for(settled, timeout=OUTCOME_TIMEOUT_SECONDS)
        time.sleep(REDELIVERY_WATCH_SECONDS)
        output = stack.function.output()
        dead_letters = stack.admin.pull_dead_letters(DEAD_LETTER_SUBSCRIPTION)
        yield Run(stack=stack, sandbox=stack.sandbox, seeded=seeded, message_ids=message_ids,
                  records=auditlog.parse(output), output=output, dead_letters=dead_letters)
    finally:
        stack.stop()


def _only_incident(run: Run, name: str) -> auditlog.LogRecord:
    found = auditlog.for_pod(run.records, run.seeded[name].pod_name)
    assert len(found) == 1, f"{name}: expected one incident line, got {len(found)}:\n{run.output[-3000:]}"
    return found[0]


def _deployment_writes(run: Run, name: str) -> list[dict[str, object]]:
    deployment = run.seeded[name].deployment_name
    return [write for write in run.sandbox.writes() if f"/deployments/{deployment}" in str(write["path"])]


def test_oom_deployment_gets_the_new_memory_limit(run: Run) -> None:
    record = _only_incident(run, "oom-memory-hog")
    deployment = run.sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="demo",
                                        name=run.seeded["oom-memory-hog"].deployment_name)

    assert record.action == "applied"
    assert deployment is not None
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["memory"] == "110Mi"
    assert incidents.recovered_pod(run.sandbox, run.seeded["oom-memory-hog"]) is not None


@pytest.mark.parametrize(("name", "remedy"), [("crashloop-command", "fix_command_or_args"),
                                              ("image-not-found", "fix_image_reference")])
def test_unsafe_fixes_end_as_proposals_with_no_write(run: Run, name: str, remedy: str) -> None:
    record = _only_incident(run, name)

    assert (record.action, record.fields["remedy"]) == ("proposed", remedy)
    assert _deployment_writes(run, name) == []


def test_malformed_message_is_acknowledged_not_redelivered(run: Run) -> None:
    malformed_id = run.message_ids["malformed"]
    rejected = [record for record in run.records if record.message == auditlog.REJECTED]

    assert [record.fields.get("messageId") for record in rejected] == [malformed_id]
    assert rejected[0].fields["error"] == "BadEvent"
    assert run.dead_letters == []


def test_transient_api_fault_is_retried_then_handled(run: Run) -> None:
    retries = [record for record in run.records if record.message == auditlog.RETRY]
    flaky_pod = run.seeded[FLAKY].pod_name
    positions = {id(record): index for index, record in enumerate(run.records)}
    incident = _only_incident(run, FLAKY)

    assert [record.fields.get("messageId") for record in retries] == [run.message_ids[FLAKY]]
    assert retries[0].fields["error"] == "ClusterUnavailable"
    assert positions[id(retries[0])] < positions[id(incident)]
    assert (incident.pod, incident.action, incident.fields["remedy"]) == (flaky_pod, "proposed", "add_missing_config")


def test_concurrent_events_log_one_json_object_per_line(run: Run) -> None:
    """Four pushes are handled on concurrent threads; Cloud Logging needs each audit line whole."""
    assert auditlog.merged_lines(run.output) == []
