"""The approval tests' fixture: an OOM proposal in the ledger and an approver over the same sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from kubesent.approval import Approver
from kubesent.ledger.memory import MemoryLedger
from tests.approval.support import KEY, NOW, Reports


@pytest.fixture
def proposed(scenario: Any, make_pipeline: Any) -> dict[str, Any]:
    """An OOM proposal in the ledger, with an approver on the same cluster and ledger (writes allowed)."""
    event, _ = scenario("oom-memory-hog")
    ledger = MemoryLedger()
    record = make_pipeline(ledger=ledger, auto_apply_remedies="fix_probe").handle(event)
    assert record.action == "proposed" and record.patch is not None
    writer = make_pipeline(ledger=ledger, dry_run=False)
    reports = Reports()
    approver = Approver(writer.settings, cluster=writer.cluster, ledger=ledger, key=KEY, reporter=reports,
                        clock=lambda: float(NOW))
    return {"record": record, "approver": approver, "ledger": ledger, "reports": reports}
