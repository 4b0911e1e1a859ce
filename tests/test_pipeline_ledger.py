"""The pipeline with the Firestore ledger on its emulator: bursts, outages, recurrence, breaker."""

from __future__ import annotations

import copy
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from kubesent import errors, events
from kubesent.diagnosis.base import NullDiagnoser, Outcome
from kubesent.ledger.firestore import FirestoreLedger
from kubesent.wiring import ledger_settings
from local_emulator.gcloud_emulators import free_port
from tests.support.pipelines import PipelineFactory
from tests.support.scenarios import event_at, load_scenario

pytestmark = pytest.mark.emulator

PODS = 50
EVENTS = 1000
WORKERS = 8  # concurrent function instances


def _firestore(factory: PipelineFactory, emulator, **overrides) -> FirestoreLedger:
    settings = factory.settings(**overrides)
    return FirestoreLedger(ledger_settings(settings), project=emulator.project, timeout_seconds=10.0)


def _fifty_pod_chain(sandbox, bundle):
    """Load the bundle's Deployment and ReplicaSet with PODS failing pods, as a 50-replica rollout shows."""
    pod = next(o for o in bundle["objects"] if o["kind"] == "Pod")
    sandbox.load_objects([o for o in bundle["objects"] if o["kind"] in ("Deployment", "ReplicaSet")])
    pods = []
    for index in range(PODS):
        clone = copy.deepcopy(pod)
        clone["metadata"]["name"] = f"{pod['metadata']['name'][:-5]}p{index:04d}"
        clone["metadata"]["uid"] = f"00000000-0000-4000-8000-{index:012d}"
        pods.append(clone)
    sandbox.load_objects(pods)
    for clone in pods:
        for key, texts in bundle["logs"].items():
            sandbox.set_logs(namespace="demo", pod=clone["metadata"]["name"], container=key.rsplit("/", 1)[1],
                             current=texts.get("current", ""), previous=texts.get("previous"))
    return pods


def _events_for(bundle, pods, now):
    template = event_at(bundle, now)
    made = []
    for index in range(EVENTS):
        pod = pods[index % PODS]
        event = copy.deepcopy(template)
        event["involvedObject"].update(name=pod["metadata"]["name"], uid=pod["metadata"]["uid"])
        event["metadata"]["name"] = f"{pod['metadata']['name']}.{index}"
        made.append(events.parse_event(event))
    return made


def test_a_burst_of_1000_events_for_50_pods_makes_exactly_one_write(sandbox, make_pipeline, firestore_env, now):
    bundle, _ = load_scenario("oom-memory-hog")
    pods = _fifty_pod_chain(sandbox, bundle)
    burst = _events_for(bundle, pods, now)
    ledgers = [_firestore(make_pipeline, firestore_env) for _ in range(WORKERS)]
    pipelines = [make_pipeline(dry_run=False, ledger=ledger) for ledger in ledgers]
    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            records = list(pool.map(lambda pair: pipelines[pair[0] % WORKERS].handle(pair[1]), enumerate(burst)))
    finally:
        for ledger in ledgers:
            ledger.close()
    actions = [r.action for r in records]
    assert actions.count("applied") == 1
    assert set(actions) <= {"applied", "ignored"}
    # The ledger, not luck, keeps it to one: all but the first event of each pod are its duplicates.
    duplicates = sum(1 for r in records if r.action == "ignored" and r.reason.startswith("duplicate"))
    assert duplicates >= EVENTS - PODS
    assert len(sandbox.writes()) == 1
    deployment = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="demo", name="memory-hog")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "110Mi"


class CountingDiagnoser:
    """Counts model calls; answers escalate like the null diagnoser, with something to cache."""

    def __init__(self) -> None:
        self.calls = 0

    def diagnose(self, evidence, *, cached, fresh):
        if cached is None:
            self.calls += 1
        outcome = NullDiagnoser().diagnose(evidence, cached=cached, fresh=fresh)
        return Outcome(outcome.diagnosis, None, to_cache={"answer": "escalate"})


def test_a_burst_the_rules_cannot_decide_costs_at_most_one_model_call(sandbox, make_pipeline, firestore_env, now):
    bundle, _ = load_scenario("crashloop-command")
    pod = next(o for o in bundle["objects"] if o["kind"] == "Pod")
    for item in pod["spec"]["containers"]:
        item.pop("command", None), item.pop("args", None)  # no command override: the rules are not sure
    deployment = next(o for o in bundle["objects"] if o["kind"] == "Deployment")
    for item in deployment["spec"]["template"]["spec"]["containers"]:
        item.pop("command", None), item.pop("args", None)
    pods = _fifty_pod_chain(sandbox, bundle)
    burst = _events_for(bundle, pods, now)[:200]
    diagnoser = CountingDiagnoser()
    ledger = _firestore(make_pipeline, firestore_env)
    pipeline = make_pipeline(ledger=ledger, diagnoser=diagnoser)
    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            records = list(pool.map(pipeline.handle, burst))
    finally:
        ledger.close()
    assert diagnoser.calls == 1
    assert [r.action for r in records].count("escalated") == 1


def test_with_firestore_down_the_event_is_retried_and_nothing_is_written(sandbox, scenario, make_pipeline,
                                                                          monkeypatch):
    event, _ = scenario("oom-memory-hog")
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{free_port()}")  # nothing listens there
    dead = FirestoreLedger(ledger_settings(make_pipeline.settings()), project="kubesent-down", timeout_seconds=1.0)
    try:
        with pytest.raises(errors.TransientError):
            make_pipeline(dry_run=False, ledger=dead).handle(event)
    finally:
        dead.close()
    assert sandbox.writes() == []


def test_the_same_failure_on_the_patched_template_escalates_as_ineffective(sandbox, make_pipeline, firestore_env, now):
    bundle, _ = load_scenario("oom-memory-hog")
    sandbox.load_bundle(bundle)
    ledger = _firestore(make_pipeline, firestore_env)
    pipeline = make_pipeline(dry_run=False, ledger=ledger)
    try:
        assert pipeline.handle(events.parse_event(event_at(bundle, now))).action == "applied"
        # The rollout's new pod (the controller's new ReplicaSet, 110Mi) is OOM-killed again ten minutes later.
        pod = next(o for o in bundle["objects"] if o["kind"] == "Pod")
        deployment = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="demo", name="memory-hog")
        pods = sandbox.store.list(sandbox._resource("v1", "Pod"), namespace="demo")
        new_pod = next(p for p in pods[0]
                       if p["metadata"]["name"] != pod["metadata"]["name"])
        again = copy.deepcopy(new_pod)
        again["status"] = copy.deepcopy(pod["status"])
        sandbox.load_objects([again])
        later = now + timedelta(minutes=10)
        event = event_at(bundle, later)
        event["involvedObject"].update(name=again["metadata"]["name"], uid=again["metadata"]["uid"])
        record = pipeline.handle(events.parse_event(event), now=later)
    finally:
        ledger.close()
    assert record.action == "escalated" and "did not work" in record.reason
    assert len(sandbox.writes()) == 1
    note = json.loads(deployment["metadata"]["annotations"]["kubesent.dev/last-remediation"])
    assert note["previous"] == {"memory_limit": "10Mi"}, "the pre-patch value is on record for a rollback"
