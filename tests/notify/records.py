"""Audit records as the pipeline writes them, for the notification and approval tests."""

from __future__ import annotations

from typing import Any

from kubesent.audit import AuditRecord, Target

INCIDENT_ID = "0123456789abcdef0123456789abcdef01234567"


def proposal(**changes: Any) -> AuditRecord:
    fields: dict[str, Any] = dict(
        action="proposed", reason="raise_memory_limit is never applied automatically (KUBESENT_AUTO_APPLY_REMEDIES)",
        incident="-/shop/Deployment/api/api/oom_killed/abc123", incident_id=INCIDENT_ID,
        event={"reason": "BackOff", "namespace": "shop", "pod": "api-6d4f-x1", "uid": "u1",
               "message": "Back-off restarting failed container api"},
        category="oom_killed", remedy="raise_memory_limit", confidence=95,
        root_cause="container api was OOM-killed at its 64Mi limit",
        evidence=["lastState.terminated.reason=OOMKilled exitCode=137", "password=hunter2 in the log tail"],
        diagnosed_by="rules", target=Target(kind="Deployment", namespace="shop", name="api"),
        patch={"spec": {"template": {"spec": {"containers": [{"name": "api", "resources": {
            "limits": {"memory": "128Mi"}}}]}}}},
        previous={"memory_limit": "64Mi"}, owner_chain=["Pod/api-6d4f-x1", "ReplicaSet/api-6d4f", "Deployment/api"])
    fields.update(changes)
    return AuditRecord(**fields)


def escalation() -> AuditRecord:
    return proposal(action="escalated", reason="the fix did not work: recurrence", patch=None, previous=None,
                    remedy="escalate")
