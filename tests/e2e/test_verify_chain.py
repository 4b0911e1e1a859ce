"""The verifier on real local services: the OOM fix written by on_pod_event is queued in the Firestore emulator,
and kubesent_verify (functions-framework, pushed from a ticks topic on the Pub/Sub emulator, as Cloud Scheduler
would tick it) verifies it once its new pod has stayed Ready for the settle window."""

from __future__ import annotations

import os
import time

import pytest

from local_emulator import auditlog, exporter_event, incidents
from local_emulator.stack import TOPIC, Stack, StackOptions

pytestmark = pytest.mark.emulator

SETTLE_SECONDS = 3
OUTCOME_TIMEOUT_SECONDS = 45.0
TICK_SECONDS = 1.0


def test_an_applied_fix_is_verified_by_the_scheduled_verifier() -> None:
    stack = Stack(StackOptions(log_name=f"e2e-verify-{os.getpid()}", verifier=True, extra_env={
        "KUBESENT_VERIFY_SETTLE_SECONDS": str(SETTLE_SECONDS), "KUBESENT_VERIFY_INTERVAL_SECONDS": "1"}))
    try:
        stack.start()
        assert stack.sandbox is not None and stack.admin is not None and stack.verifier is not None
        [seeded] = incidents.seed(stack.sandbox, (incidents.by_name("oom-memory-hog"),))
        stack.admin.publish(TOPIC, [exporter_event.message_data(seeded.event)])
        records = stack.wait_for(lambda found: bool(auditlog.for_pod(found, seeded.pod_name)),
                                 timeout=OUTCOME_TIMEOUT_SECONDS)
        [applied] = auditlog.for_pod(records, seeded.pod_name)
        assert applied.fields["action"] == "applied", applied.fields["reason"]

        deadline, ticks = time.monotonic() + OUTCOME_TIMEOUT_SECONDS, 0
        outcomes: list[auditlog.LogRecord] = []
        while not outcomes and time.monotonic() < deadline:
            stack.tick()
            ticks += 1
            time.sleep(TICK_SECONDS)
            outcomes = [r for r in stack.verifier.records() if r.message == auditlog.INCIDENT
                        and r.fields.get("incident_id") == applied.fields["incident_id"]]

        assert outcomes, stack.verifier.tail()
        [verified] = outcomes
        assert verified.fields["verification"]["outcome"] == "verified", verified.fields
        assert verified.fields["action"] == "applied" and verified.fields["patch"] == applied.fields["patch"]
        assert ticks > 1  # the first due check finds the new pod healthy and waits out the settle window
        runs = [r for r in stack.verifier.records() if r.message == auditlog.VERIFY_RUN]
        assert runs and all(r.fields["severity"] == "INFO" for r in runs)
    finally:
        stack.stop()
