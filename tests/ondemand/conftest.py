"""The seed's three test pods in a running sandbox, and the environment the function and the CLI read."""

from __future__ import annotations

import pytest

from local_emulator import incidents


@pytest.fixture()
def seeded(sandbox):
    """The seed's bare Pods (local_emulator/scenarios/seed-*.yaml) as a node reports them, by name."""
    return {item.incident.name: item for item in incidents.seed(sandbox, incidents.SEED_INCIDENTS)}


@pytest.fixture()
def function_env(sandbox, monkeypatch):
    """The function's settings against the sandbox. Dry-run off: read-only must not depend on it."""
    for name, value in {"KUBESENT_KUBE_MODE": "explicit", "KUBESENT_KUBE_HOST": sandbox.url,
                        "KUBESENT_LEDGER": "memory", "KUBESENT_LLM": "none", "KUBESENT_DRY_RUN": "false",
                        "KUBESENT_KUBE_TIMEOUT_SECONDS": "2"}.items():
        monkeypatch.setenv(name, value)
