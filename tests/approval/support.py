"""Helpers of the approval tests: a proposal in the ledger, signed tokens, the Deployment's state."""

from __future__ import annotations

from typing import Any

from kubesent import tokens

KEY = b"approval-key-for-tests-0123456789abcdef"
NOW = 1_900_000_000


class Reports:
    def __init__(self) -> None:
        self.records: list[Any] = []

    def report(self, record: Any) -> None:
        self.records.append(record)


def token(incident_id: str, decision: tokens.Decision = "approve", *, expires_at: int = NOW + 600,
          key: bytes = KEY) -> str:
    return tokens.mint(key, incident_id=incident_id, decision=decision, expires_at=expires_at)


def deployment(sandbox: Any) -> dict[str, Any]:
    found = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="demo", name="memory-hog")
    assert found is not None
    return found


def memory_limit(sandbox: Any) -> str:
    return str(deployment(sandbox)["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"])
