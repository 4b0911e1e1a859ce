"""Quantities an attacker or a typo controls: a limit of 0 is no limit, a malformed one is a person's job."""

from __future__ import annotations

import json

import pydantic
import pytest

from kubesent import events
from kubesent.cluster.memory import MemoryCluster
from kubesent.diagnosis.base import NullDiagnoser
from kubesent.ledger.memory import MemoryLedger
from kubesent.pipeline import Pipeline
from kubesent.settings import Settings
from kubesent.wiring import ledger_settings
from tests.security.attack import WRITES, bundle_of, obj, replay_bundle


def _set_memory_limit(bundle: dict, value: str) -> None:
    for kind in ("Deployment", "ReplicaSet"):
        obj(bundle, kind)["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = value
    obj(bundle, "Pod")["spec"]["containers"][0]["resources"]["limits"]["memory"] = value


def _handle(bundle: dict):
    """The function's own path (not replay's safety net): the pipeline over the bundle's objects."""
    settings = Settings(llm="none", ledger="memory", dry_run=False)
    pipeline = Pipeline(settings, cluster=MemoryCluster(bundle["objects"], logs=bundle.get("logs") or {}),
                        ledger=MemoryLedger(ledger_settings(settings)), diagnoser=NullDiagnoser())
    event = events.parse_event(bundle["event"])
    return pipeline.handle(event, now=event.occurred_at)


@pytest.mark.parametrize("zero", ["0", "0Mi", "0.0"])
def test_a_zero_memory_limit_is_no_limit_and_is_never_raised(zero):
    bundle = bundle_of("oom-memory-hog")
    _set_memory_limit(bundle, zero)

    result = replay_bundle(bundle)

    assert result["action"] not in WRITES and result["patch"] is None, result
    assert "no memory limit" in result["root_cause"], result


def test_a_malformed_limit_in_the_template_escalates_without_a_crash():
    bundle = bundle_of("oom-memory-hog")
    _set_memory_limit(bundle, "lots")

    record = _handle(bundle)

    assert record.action == "escalated" and "cannot be read" in record.root_cause


def test_a_malformed_original_in_the_annotation_is_no_reason_to_crash():
    bundle = bundle_of("oom-memory-hog")
    obj(bundle, "Deployment")["metadata"].setdefault("annotations", {})["kubesent.dev/last-remediation"] = json.dumps(
        {"remedy": "raise_memory_limit", "container": "memory-hog", "original": {"memory_limit/memory-hog": "½Gi"}})

    record = _handle(bundle)

    assert record.action in ("applied", "proposed", "escalated")


def test_an_eviction_naming_a_malformed_limit_is_diagnosed_not_crashed():
    bundle = bundle_of("evicted-memory-over-request")
    for o in bundle["objects"]:
        spec = o.get("spec", {}).get("template", {}).get("spec") if o["kind"] != "Pod" else o.get("spec")
        for container in (spec or {}).get("containers", []):
            container.setdefault("resources", {}).setdefault("limits", {})["memory"] = "1 GB"

    record = _handle(bundle)

    assert record.action not in WRITES and record.category == "evicted"


@pytest.mark.parametrize("ceiling", ["lots", "-1Gi", "0"])
def test_a_ceiling_that_is_no_positive_quantity_is_a_configuration_error(ceiling):
    with pytest.raises(pydantic.ValidationError, match="positive Kubernetes quantity"):
        Settings(memory_ceiling=ceiling)
