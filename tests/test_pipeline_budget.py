"""The shared model budget through the pipeline: the sandbox, the real google-genai SDK against the fake model,
and the ledger (memory, and Firestore on its emulator for 20 instances at once)."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from kubesent import errors, events
from kubesent.audit import AuditRecord
from kubesent.diagnosis.llm import GeminiDiagnoser
from kubesent.ledger.firestore import FirestoreLedger
from kubesent.ledger.memory import MemoryLedger
from kubesent.reporting import BUDGET_MESSAGE, TopicReporter
from kubesent.wiring import ledger_settings
from local_emulator.kube_sandbox import KubeSandbox
from tests.fakes.fake_gemini import FakeGemini, ScriptedResponse, candidate_response
from tests.support.pipelines import PipelineFactory
from tests.support.scenarios import GOOD_MODEL_ANSWER, TRACEBACK, event_at, load_scenario, unexplained_crash

INSTANCES = 20
REDELIVERIES = 3
# Many namespaces fail at once here on purpose; the breaker is not what these tests are about.
NO_BREAKER = {"breaker_cluster_namespaces": 1000}


@pytest.fixture()
def fake() -> Iterator[FakeGemini]:
    with FakeGemini() as server:
        server.set_default(ScriptedResponse(body=candidate_response(json.dumps(GOOD_MODEL_ANSWER))))
        yield server


def _diagnoser(fake: FakeGemini, make_pipeline: PipelineFactory) -> GeminiDiagnoser:
    settings = make_pipeline.settings(llm="gemini", gemini_base_url=fake.url, gemini_timeout_seconds=5.0,
                                      GEMINI_API_KEY="test-key")
    return GeminiDiagnoser(settings, base_delay_seconds=0.01)


def _in_namespace(bundle: dict[str, Any], namespace: str) -> dict[str, Any]:
    """The bundle moved to another namespace: another workload, so another incident (and another pod uid: uids
    are unique across a cluster)."""
    moved = copy.deepcopy(bundle)
    for obj in moved["objects"]:
        obj["metadata"]["namespace"] = namespace
        if obj["kind"] == "Pod":
            obj["metadata"]["uid"] = moved["event"]["involvedObject"]["uid"] = f"uid-{namespace}"
    moved["event"]["metadata"]["namespace"] = moved["event"]["involvedObject"]["namespace"] = namespace
    moved["logs"] = {f"{namespace}/{key.split('/', 1)[1]}": texts for key, texts in moved["logs"].items()}
    return moved


def _model_path_events(sandbox: KubeSandbox, count: int, when: datetime) -> list[dict[str, Any]]:
    """``count`` incidents the rules leave to the model, one per namespace."""
    bundle = unexplained_crash(load_scenario("crashloop-command")[0], TRACEBACK)
    payloads = []
    for index in range(count):
        moved = _in_namespace(bundle, f"team-{index:02d}")
        sandbox.load_bundle(moved)
        payloads.append(moved)
    return [event_at(moved, when) for moved in payloads]


def _exhausted(record: AuditRecord) -> bool:
    return record.action == "escalated" and "model budget exhausted" in record.reason


def test_past_the_budget_rules_still_decide_and_the_rest_escalates_with_the_reason(sandbox, make_pipeline, fake,
                                                                                    now):
    oom, _ = load_scenario("oom-memory-hog")
    sandbox.load_bundle(oom)
    [crash] = _model_path_events(sandbox, 1, now)
    pipeline = make_pipeline(diagnoser=_diagnoser(fake, make_pipeline), model_calls_per_hour=0)

    by_rules = pipeline.handle(events.parse_event(event_at(oom, now)))
    refused = pipeline.handle(events.parse_event(crash))

    assert by_rules.action == "dry_run" and by_rules.model_budget is None, "a rule's decision costs no budget"
    assert _exhausted(refused) and "the hour's 0 model calls" in refused.reason, refused.reason
    assert "KUBESENT_MODEL_CALLS_PER_HOUR" in refused.reason and refused.remedy == "escalate"
    assert refused.model_budget == {"hour": "0/0", "day": "0/300", "exhausted": "hour", "notify": True,
                                    "window": now.strftime("%Y-%m-%dT%H")}
    assert fake.count == 0


def test_a_model_call_shows_the_budget_in_the_audit_line(sandbox, make_pipeline, fake, now):
    [crash] = _model_path_events(sandbox, 1, now)
    pipeline = make_pipeline(diagnoser=_diagnoser(fake, make_pipeline))

    record = pipeline.handle(events.parse_event(crash))

    assert record.diagnosed_by.startswith("model:") and fake.count == 1
    assert record.model_budget is not None
    assert (record.model_budget["hour"], record.model_budget["day"]) == ("1/50", "1/300")


class LedgerFailingOnce(MemoryLedger):
    """Storing the model's answer lands, but its reply is lost once: the handler raises, the redelivery finds
    the answer cached."""

    failed = False

    def store_diagnosis(self, key, answer, *, now):
        super().store_diagnosis(key, answer, now=now)
        if not self.failed:
            self.failed = True
            raise errors.LedgerUnavailable("scripted lost reply")


def test_a_cached_diagnosis_costs_no_budget(sandbox, make_pipeline, fake, now):
    [crash] = _model_path_events(sandbox, 1, now)
    pipeline = make_pipeline(diagnoser=_diagnoser(fake, make_pipeline), ledger=LedgerFailingOnce(),
                             model_calls_per_hour=1)
    with pytest.raises(errors.TransientError):
        pipeline.handle(events.parse_event(crash))

    redelivery = pipeline.handle(events.parse_event(crash))

    assert redelivery.model["cached"] is True and redelivery.model_budget is None
    assert redelivery.action == "proposed" and fake.count == 1


def test_the_window_resets_and_each_window_notifies_once(sandbox, make_pipeline, fake, now):
    start = now.replace(minute=10)
    crashes = _model_path_events(sandbox, 4, start)
    pipeline = make_pipeline(diagnoser=_diagnoser(fake, make_pipeline), model_calls_per_hour=1, **NO_BREAKER)

    first_hour = [pipeline.handle(events.parse_event(crash), now=start) for crash in crashes[:3]]
    next_hour = start + timedelta(hours=1)
    after = pipeline.handle(events.parse_event(event_at(_in_namespace(
        unexplained_crash(load_scenario("crashloop-command")[0], TRACEBACK), "team-03"), next_hour)), now=next_hour)

    assert first_hour[0].diagnosed_by.startswith("model:")
    assert [_exhausted(r) for r in first_hour] == [False, True, True]
    assert [r.model_budget["notify"] for r in first_hour] == [False, True, False], "one notice per window"
    assert after.diagnosed_by.startswith("model:") and after.model_budget["hour"] == "1/1"
    assert fake.count == 2


class Publisher:
    """A Pub/Sub publisher that keeps what it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[bytes, dict[str, str]]] = []

    def publish(self, topic: str, data: bytes, **attributes: str) -> Any:
        del topic
        self.messages.append((data, attributes))
        return _Done()


class _Done:
    def result(self, timeout: float) -> None:
        del timeout


def test_the_report_topic_gets_one_budget_notice_per_window(sandbox, make_pipeline, fake, now, capsys):
    crashes = _model_path_events(sandbox, 3, now)
    pipeline = make_pipeline(diagnoser=_diagnoser(fake, make_pipeline), model_calls_per_hour=1, **NO_BREAKER)
    publisher = Publisher()
    reporter = TopicReporter("projects/p/topics/reports", publisher=publisher)

    for crash in crashes:
        reporter.report(pipeline.handle(events.parse_event(crash)))

    notices = [json.loads(data) for data, attributes in publisher.messages if attributes.get("kind") == "model_budget"]
    assert len(publisher.messages) == 3 + 1
    assert len(notices) == 1 and notices[0]["window"] == "hour" and notices[0]["hour"] == "1/1"
    assert capsys.readouterr().out.count(BUDGET_MESSAGE) == 1, "and one log line for the alert"


@pytest.mark.emulator
def test_twenty_instances_share_the_budget_exactly(sandbox, make_pipeline, fake, firestore_env, now):
    crashes = _model_path_events(sandbox, INSTANCES, now)
    settings = make_pipeline.settings(**NO_BREAKER)
    ledgers = [FirestoreLedger(ledger_settings(settings), project=firestore_env.project, timeout_seconds=10.0)
               for _ in range(INSTANCES)]
    # Twenty clients connect to the one in-process sandbox at once: give them the API server's patience.
    pipelines = [make_pipeline(diagnoser=_diagnoser(fake, make_pipeline), ledger=ledger, model_calls_per_hour=5,
                               kube_timeout_seconds=10.0, **NO_BREAKER) for ledger in ledgers]
    barrier = threading.Barrier(INSTANCES)
    records: list[AuditRecord] = []
    lock = threading.Lock()

    def instance(index: int) -> None:
        barrier.wait()
        for _ in range(REDELIVERIES):  # as Pub/Sub redelivers after a transient fault
            try:
                record = pipelines[index].handle(events.parse_event(crashes[index]))
                break
            except errors.TransientError:
                continue
        with lock:
            records.append(record)

    threads = [threading.Thread(target=instance, args=(i,)) for i in range(INSTANCES)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for ledger in ledgers:
            ledger.close()

    assert len(records) == INSTANCES
    assert fake.count == 5 and sum(r.diagnosed_by.startswith("model:") for r in records) == 5
    assert sum(_exhausted(r) for r in records) == INSTANCES - 5
    assert sum(bool(r.model_budget and r.model_budget["notify"]) for r in records) == 1
