"""The duplicate fast path, through the pipeline against the sandbox: what it answers, and what it must not."""

from __future__ import annotations

import copy
import json
import threading
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest

from kubesent import errors, events
from kubesent.diagnosis.base import NullDiagnoser
from kubesent.duplicates import FastPath
from kubesent.ledger.memory import MemoryLedger
from local_emulator.kube_sandbox import KubeSandbox
from tests.support.scenarios import TRACEBACK, event_at, load_scenario, unexplained_crash

TTL_SECONDS = 60
FLUSH_SECONDS = 30


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fast_path(clock: Clock, *, max_entries: int = 100) -> FastPath:
    return FastPath(ttl_seconds=TTL_SECONDS, max_entries=max_entries, flush_seconds=FLUSH_SECONDS, clock=clock)


def _oom(sandbox: KubeSandbox, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    bundle, _ = load_scenario("oom-memory-hog")
    sandbox.load_bundle(bundle)
    return bundle, event_at(bundle, now)


def _sibling(sandbox: KubeSandbox, bundle: dict[str, Any], payload: dict[str, Any], *, index: int) -> dict[str, Any]:
    """Another pod of the same ReplicaSet, failing the same way, and its event."""
    pod = copy.deepcopy(next(o for o in bundle["objects"] if o["kind"] == "Pod"))
    pod["metadata"]["name"] = f"{pod['metadata']['name'][:-5]}s{index:04d}"
    pod["metadata"]["uid"] = f"00000000-0000-4000-8000-{index:012d}"
    sandbox.load_objects([pod])
    sibling = copy.deepcopy(payload)
    sibling["involvedObject"].update(name=pod["metadata"]["name"], uid=pod["metadata"]["uid"])
    return sibling


def _requests(sandbox: KubeSandbox) -> int:
    return len(sandbox.requests)


def test_repeats_of_a_decided_incident_are_answered_without_a_cluster_read(sandbox, make_pipeline, now):
    _, payload = _oom(sandbox, now)
    pipeline = make_pipeline()
    first = pipeline.handle(events.parse_event(payload))
    assert first.action == "dry_run"
    before = _requests(sandbox)

    repeats = [pipeline.handle(events.parse_event(payload)) for _ in range(5)]

    assert _requests(sandbox) == before, "not one request reached the API server"
    assert all(r.action == "ignored" and r.reason.startswith("duplicate:") for r in repeats)
    assert all(r.api_calls == 0 and r.incident_id == first.incident_id for r in repeats)
    assert all(r.event["pod"] == payload["involvedObject"]["name"] for r in repeats), "each event has its own record"


def test_a_sibling_pod_named_by_its_verified_controller_is_answered_from_memory(sandbox, make_pipeline, now):
    bundle, payload = _oom(sandbox, now)
    sibling = _sibling(sandbox, bundle, payload, index=1)
    pipeline = make_pipeline()
    first = pipeline.handle(events.parse_event(payload))

    again = pipeline.handle(events.parse_event(sibling))

    assert again.action == "ignored" and again.api_calls == 0 and again.incident_id == first.incident_id
    assert again.owner_chain[0] == f"Pod/{sibling['involvedObject']['name']}"


def test_an_event_naming_another_controller_uid_goes_the_whole_way(sandbox, make_pipeline, now):
    bundle, payload = _oom(sandbox, now)
    forged = _sibling(sandbox, bundle, payload, index=2)
    forged["involvedObject"]["ownerReferences"][0]["uid"] = "not-the-replicaset"
    pipeline = make_pipeline()
    pipeline.handle(events.parse_event(payload))

    record = pipeline.handle(events.parse_event(forged))

    assert record.api_calls > 0, "the event's own claim is not enough: its pod is read"


@pytest.mark.parametrize("change", ["reason", "container"])
def test_another_reason_or_container_of_the_same_pod_is_not_answered_from_memory(sandbox, make_pipeline, now,
                                                                                 change):
    _, payload = _oom(sandbox, now)
    pipeline = make_pipeline()
    pipeline.handle(events.parse_event(payload))
    other = copy.deepcopy(payload)
    if change == "reason":
        other["reason"] = "OOMKilling"
    else:
        other["involvedObject"]["fieldPath"] = "spec.containers{sidecar}"

    record = pipeline.handle(events.parse_event(other))

    assert record.api_calls > 0 and "from memory" not in record.reason


def test_the_memory_forgets_after_its_ttl(sandbox, make_pipeline, now):
    _, payload = _oom(sandbox, now)
    clock = Clock()
    pipeline = make_pipeline(fast_path=fast_path(clock))
    pipeline.handle(events.parse_event(payload))
    assert pipeline.handle(events.parse_event(payload)).api_calls == 0

    clock.now += TTL_SECONDS + 1
    expired = pipeline.handle(events.parse_event(payload))

    assert expired.api_calls == 3 and expired.reason == "duplicate: duplicate: incident already handled", \
        "the ledger answers again (pod, ReplicaSet, Deployment read)"
    assert pipeline.handle(events.parse_event(payload)).api_calls == 0, "and the ledger's answer is remembered"


def test_the_memory_is_bounded(sandbox, make_pipeline, now):
    bundle, payload = _oom(sandbox, now)
    siblings = [_sibling(sandbox, bundle, payload, index=i) for i in range(3)]
    for sibling in siblings:  # without the controller key, each pod is its own entry
        sibling["involvedObject"].pop("ownerReferences")
    pipeline = make_pipeline(fast_path=fast_path(Clock(), max_entries=2))
    for sibling in siblings:
        pipeline.handle(events.parse_event(sibling))

    newest_first = [pipeline.handle(events.parse_event(sibling)).api_calls for sibling in reversed(siblings)]

    assert newest_first[:2] == [0, 0] and newest_first[2] > 0, "the least recently used key went first"


def test_nothing_is_remembered_after_a_transient_fault(sandbox, make_pipeline, now):
    _, payload = _oom(sandbox, now)
    pipeline = make_pipeline(dry_run=False)
    sandbox.inject_fault(method="PATCH", path=r".*/deployments/memory-hog", status=503, count=1)
    with pytest.raises(errors.TransientError):
        pipeline.handle(events.parse_event(payload))

    retry = pipeline.handle(events.parse_event(payload))

    assert retry.action == "applied", "the redelivery is handled, not answered from memory"


def test_a_failed_read_remembers_nothing(sandbox, make_pipeline, now):
    _, payload = _oom(sandbox, now)
    pipeline = make_pipeline()
    sandbox.inject_fault(method="GET", path=r"/api/v1/namespaces/demo/pods/.*", status=500, count=1)
    with pytest.raises(errors.TransientError):
        pipeline.handle(events.parse_event(payload))

    assert pipeline.handle(events.parse_event(payload)).action == "dry_run"


class ReentrantDiagnoser:
    """While the incident is being diagnosed, the instance receives a repeat of its event (another thread in
    production; the same thread here, so the test is deterministic)."""

    def __init__(self, payload: dict[str, Any], *, fail: bool = False) -> None:
        self.payload = payload
        self.fail = fail
        self.pipeline: Any = None
        self.during: Any = None

    def diagnose(self, evidence, *, cached, fresh):
        self.during = self.pipeline.handle(events.parse_event(self.payload))
        if self.fail:
            raise errors.ModelUnavailable("scripted 503")
        return NullDiagnoser().diagnose(evidence, cached=cached, fresh=fresh)


def _model_path(sandbox: KubeSandbox, now: datetime) -> dict[str, Any]:
    bundle = unexplained_crash(load_scenario("crashloop-command")[0], TRACEBACK)
    sandbox.load_bundle(bundle)
    return event_at(bundle, now)


def test_a_repeat_while_this_instance_holds_the_claim_is_a_duplicate_as_the_ledger_says(sandbox, make_pipeline,
                                                                                          now):
    payload = _model_path(sandbox, now)
    diagnoser = ReentrantDiagnoser(payload)
    pipeline = diagnoser.pipeline = make_pipeline(diagnoser=diagnoser)

    pipeline.handle(events.parse_event(payload))

    assert diagnoser.during.action == "ignored" and diagnoser.during.api_calls == 0
    assert "this instance is handling" in diagnoser.during.reason


def test_a_released_claim_is_forgotten_so_the_redelivery_reaches_the_ledger(sandbox, make_pipeline, now):
    payload = _model_path(sandbox, now)
    diagnoser = ReentrantDiagnoser(payload, fail=True)
    pipeline = diagnoser.pipeline = make_pipeline(diagnoser=diagnoser)
    with pytest.raises(errors.TransientError):
        pipeline.handle(events.parse_event(payload))
    diagnoser.fail, diagnoser.pipeline = False, make_pipeline()  # the repeat inside now goes to a bystander

    redelivery = pipeline.handle(events.parse_event(payload))

    assert redelivery.action == "escalated" and redelivery.api_calls > 0


def test_another_instances_live_claim_is_not_remembered(sandbox, make_pipeline, now):
    _, payload = _oom(sandbox, now)
    shared = MemoryLedger()
    holder, bystander = make_pipeline(ledger=shared), make_pipeline(ledger=shared)
    key = _claim_for(holder, payload, now)

    first = bystander.handle(events.parse_event(payload))
    assert first.reason.startswith("duplicate: duplicate: claimed by another handler")
    shared.release(key)  # the holder met a transient fault

    assert bystander.handle(events.parse_event(payload)).action == "dry_run", "the redelivery proceeds"


def _claim_for(pipeline: Any, payload: dict[str, Any], now: datetime) -> Any:
    """Claim the event's incident in the pipeline's ledger, as another instance mid-way would hold it."""
    from kubesent.evidence import gather
    from kubesent.pipeline import _incident_key

    key = _incident_key(gather.identify(pipeline.cluster, events.parse_event(payload), cluster=""))
    pipeline.ledger.admit(key, now=now)
    return key


def test_duplicates_are_counted_in_the_ledger_once_per_incident_and_interval(sandbox, make_pipeline, now):
    _, payload = _oom(sandbox, now)
    clock = Clock()
    ledger = MemoryLedger()
    pipeline = make_pipeline(ledger=ledger, fast_path=fast_path(clock))
    first = pipeline.handle(events.parse_event(payload))
    key = _claim_key(ledger, first.incident_id)

    burst = [pipeline.handle(events.parse_event(payload)) for _ in range(40)]
    assert ledger.audit(key)["duplicates"] == 1, "the first duplicate is written at once, the rest wait"
    assert sum(r.ledger_ops for r in burst) / len(burst) <= 0.1
    clock.now += FLUSH_SECONDS
    pipeline.handle(events.parse_event(payload))

    assert ledger.audit(key)["duplicates"] == 41


def _claim_key(ledger: MemoryLedger, incident_id: str | None) -> Any:
    """What ``MemoryLedger.audit`` needs of a key: its id (the audit record names it)."""
    del ledger
    return SimpleNamespace(id=incident_id)


def test_concurrent_repeats_are_all_answered_and_counted(sandbox, make_pipeline, now):
    _, payload = _oom(sandbox, now)
    ledger = MemoryLedger()
    clock = Clock()
    pipeline = make_pipeline(ledger=ledger, fast_path=fast_path(clock))
    first = pipeline.handle(events.parse_event(payload))
    results: list[Any] = []
    lock = threading.Lock()

    def repeat() -> None:
        for _ in range(25):
            record = pipeline.handle(events.parse_event(payload))
            with lock:
                results.append(record)

    threads = [threading.Thread(target=repeat) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    clock.now += FLUSH_SECONDS
    pipeline.handle(events.parse_event(payload))

    assert len(results) == 200 and all(r.api_calls == 0 and r.action == "ignored" for r in results)
    assert ledger.audit(_claim_key(ledger, first.incident_id))["duplicates"] == 201


def test_replay_judges_every_bundle_afresh_even_the_same_one_twice():
    from kubesent import replay
    from kubesent.settings import Settings

    line = json.dumps(load_scenario("oom-memory-hog")[0]) + "\n"
    first, second = replay.replay_audit([line, line], settings=Settings(ledger="memory", llm="none"))

    assert first["action"] == second["action"] == "dry_run"
    assert first["api_calls"] == second["api_calls"] > 0, "a fresh pipeline per bundle: nothing from memory"


def test_a_pod_the_named_controller_did_not_name_goes_the_whole_way(sandbox, make_pipeline, now):
    """A new ReplicaSet's pod whose event still names the old ReplicaSet (stale references) is no repeat."""
    bundle, payload = _oom(sandbox, now)
    stale = _sibling(sandbox, bundle, payload, index=3)
    renamed = copy.deepcopy(next(o for o in bundle["objects"] if o["kind"] == "Pod"))
    renamed["metadata"].update(name="memory-hog-6b7c9d8f5-abcde", uid=stale["involvedObject"]["uid"])
    sandbox.load_objects([renamed])
    stale["involvedObject"]["name"] = "memory-hog-6b7c9d8f5-abcde"
    pipeline = make_pipeline()
    pipeline.handle(events.parse_event(payload))

    record = pipeline.handle(events.parse_event(stale))

    assert record.api_calls > 0 and "from memory" not in record.reason
