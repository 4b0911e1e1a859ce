"""Burst: 1,000 exporter events for 50 pods of one Deployment, through the whole local chain.

Pub/Sub emulator ─push─▶ functions-framework (``on_pod_event``) ─▶ sandbox, Firestore-emulator ledger,
started by ``local_emulator.stack.Stack`` (the demo's own stack) and warmed first (``_warm_up``).
Measured: events/second from the first publish to the 1,000th audit line, Kubernetes writes, model
calls, retries and dead letters.
Two bursts on one stack: the rules path (OOM, one patch applied) and the model path (an unexplained
crash; FakeGemini, in this process, counts the calls). Baseline in the same run: the emulator pushing
the same 1,000 messages to a no-op HTTP endpoint in this process (the transport's own ceiling).
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.bench.common import Figure, median, scenario_bundle
from tests.support.scenarios import GOOD_MODEL_ANSWER, TRACEBACK, event_at, unexplained_crash

PODS = 50
EVENTS = 1000
PUBLISH_BATCH = 100
TIMEOUT_SECONDS = 90.0  # a burst that has not settled by then is reported as such, not waited for
POLL_SECONDS = 0.05
# How every audit line starts its payload (audit.AuditRecord.log_line: compact JSON, severity first).
AUDIT_LINE_MARK = b'"message":"kubesent.incident"'


def _fifty_pod_chain(sandbox: Any, bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The bundle's Deployment and ReplicaSet with PODS failing pods (as tests/test_pipeline_ledger.py)."""
    pod = next(o for o in bundle["objects"] if o["kind"] == "Pod")
    sandbox.load_objects([o for o in bundle["objects"] if o["kind"] not in ("Pod",)])
    pods = []
    for index in range(PODS):
        clone = copy.deepcopy(pod)
        clone["metadata"]["name"] = f"{pod['metadata']['name'][:-5]}p{index:04d}"
        clone["metadata"]["uid"] = f"00000000-0000-4000-8000-{index:012d}"
        pods.append(clone)
    sandbox.load_objects(pods)
    namespace = pod["metadata"]["namespace"]
    for clone in pods:
        for key, texts in bundle["logs"].items():
            sandbox.set_logs(namespace=namespace, pod=clone["metadata"]["name"], container=key.rsplit("/", 1)[1],
                             current=texts.get("current", ""), previous=texts.get("previous"))
    return pods


def _payloads(bundle: dict[str, Any], pods: list[dict[str, Any]]) -> list[bytes]:
    template = event_at(bundle, datetime.now(UTC))
    payloads = []
    for index in range(EVENTS):
        pod = pods[index % PODS]
        event = copy.deepcopy(template)
        event["involvedObject"].update(name=pod["metadata"]["name"], uid=pod["metadata"]["uid"])
        event["metadata"]["name"] = f"{pod['metadata']['name']}.{index}"
        payloads.append(json.dumps(event, separators=(",", ":")).encode())
    return payloads


def _publish(admin: Any, topic: str, payloads: list[bytes]) -> None:
    for start in range(0, len(payloads), PUBLISH_BATCH):
        admin.publish(topic, payloads[start:start + PUBLISH_BATCH])


def _audit_lines(stack: Any) -> int:
    """Audit lines the function has written so far, counted in the log's bytes.

    Polling by parsing the whole log (a few ms per thousand lines, ten times a second) took CPU the function
    needs on a 2-core machine, a cost the no-op baseline never paid; the log is parsed once, at the end.
    """
    return int(stack.function.log_path.read_bytes().count(AUDIT_LINE_MARK))


def _burst(stack: Any, bundle: dict[str, Any], deployment: str) -> dict[str, Any]:
    from local_emulator import auditlog
    from local_emulator.stack import TOPIC

    pods = _fifty_pod_chain(stack.sandbox, bundle)
    names = {pod["metadata"]["name"] for pod in pods}
    payloads = _payloads(bundle, pods)

    def ours(records: list[Any]) -> list[Any]:
        return [r for r in auditlog.incidents(records) if r.pod in names]

    base = _audit_lines(stack)
    started = time.perf_counter()
    _publish(stack.admin, TOPIC, payloads)
    published = time.perf_counter() - started
    marks: dict[int, float] = {}
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        count = _audit_lines(stack) - base
        for share in (50, 99, 100):
            if count >= EVENTS * share // 100 and share not in marks:
                marks[share] = time.perf_counter() - started
        if count >= EVENTS:
            break
        time.sleep(POLL_SECONDS)
    elapsed = time.perf_counter() - started
    records = stack.function.records()
    lines = ours(records)
    retries = [r for r in records if r.message == auditlog.RETRY]
    writes = [w for w in stack.sandbox.writes() if f"/deployments/{deployment}" in str(w["path"])]
    actions: dict[str, int] = {}
    for line in lines:
        actions[line.action] = actions.get(line.action, 0) + 1
    duplicates = [r for r in lines if r.action == "ignored" and str(r.fields.get("reason", "")).startswith("duplicate")]
    progress = ", ".join(f"{share}% at {at:.1f} s" for share, at in sorted(marks.items()))
    return {"events_per_s": len(lines) / elapsed, "seconds": elapsed, "progress": progress or "none",
            "publish_s": published, "lines": len(lines),
            "writes": len(writes), "retries": len(retries), "actions": actions, "duplicates": len(duplicates),
            # What the duplicates cost, from their own audit lines: Kubernetes API calls and ledger protocol calls
            # (each counted per thread by the function, whatever the backend does inside one call).
            "duplicate_api_calls": sum(int(r.fields.get("api_calls") or 0) for r in duplicates),
            "duplicate_ledger_ops": sum(int(r.fields.get("ledger_ops") or 0) for r in duplicates),
            "handler_ms_p50": median([float(r.fields.get("duration_ms") or 0) for r in lines]) if lines else None}


WARM_UP_CALLS = 30  # ledger admits against the fresh emulator before the bursts
WARM_UP_TIMEOUT_SECONDS = 60.0


def _warm_up(stack: Any, bundle: dict[str, Any]) -> None:
    """Warm the Firestore emulator and the function before measuring, as a storm meets them in production.

    A freshly started emulator JVM answers its first calls in seconds on a loaded machine; the function's 5 s
    ledger timeout turns them into retries, and the Pub/Sub emulator then backs off its pushes for the rest of
    the burst. That measures the emulator's JIT, not KubeSent. The function's own first event (lazy imports,
    the pipeline) is warmed with an event for a pod that does not exist: acknowledged, no ledger call.
    """
    from kubesent import ledger
    from kubesent.ledger.firestore import FirestoreLedger
    from local_emulator import auditlog
    from local_emulator.stack import PROJECT, TOPIC

    previous = os.environ.get("FIRESTORE_EMULATOR_HOST")
    os.environ["FIRESTORE_EMULATOR_HOST"] = stack.firestore.host_port
    warm = FirestoreLedger(ledger.Settings(), project=PROJECT, collection="bench-warm-up",
                           timeout_seconds=WARM_UP_TIMEOUT_SECONDS)
    try:
        for index in range(WARM_UP_CALLS):
            key = ledger.IncidentKey("warm-up", "warm-up", "Deployment", f"w{index}", "app", "oom_killed", "h")
            warm.admit(key, now=datetime.now(UTC))
            warm.complete(key, {"action": "ignored"}, now=datetime.now(UTC))
    finally:
        warm.close()
        if previous is None:
            os.environ.pop("FIRESTORE_EMULATOR_HOST", None)
        else:
            os.environ["FIRESTORE_EMULATOR_HOST"] = previous
    event = event_at(bundle, datetime.now(UTC))
    event["involvedObject"].update(name="warm-up-pod", uid="warm-up")
    stack.admin.publish(TOPIC, [json.dumps(event).encode()])
    stack.wait_for(lambda records: any(r.pod == "warm-up-pod" for r in auditlog.incidents(records)),
                   timeout=WARM_UP_TIMEOUT_SECONDS, poll=0.1)


class _NoOp(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    received = 0
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _NoOp.lock:
            _NoOp.received += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        del format, args


def _transport_ceiling(stack: Any, payloads: list[bytes]) -> float:
    """Events/s the emulator pushes to an endpoint that acknowledges at once."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NoOp)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        admin = stack.admin
        admin.publisher.create_topic(name=admin.topic_path("bench-noop"), timeout=10)
        admin.subscriber.create_subscription(request={
            "name": admin.subscription_path("bench-noop-push"), "topic": admin.topic_path("bench-noop"),
            "push_config": {"push_endpoint": f"http://127.0.0.1:{server.server_address[1]}/noop"},
            "ack_deadline_seconds": 30}, timeout=10)
        _NoOp.received = 0
        started = time.perf_counter()
        _publish(admin, "bench-noop", payloads)
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while _NoOp.received < len(payloads) and time.monotonic() < deadline:
            time.sleep(0.02)
        return _NoOp.received / (time.perf_counter() - started)
    finally:
        server.shutdown()
        server.server_close()


def run() -> list[Figure]:
    from local_emulator.stack import DEAD_LETTER_SUBSCRIPTION, Stack, StackOptions
    from tests.fakes.fake_gemini import FakeGemini, ScriptedResponse, candidate_response

    threads = int(os.environ.get("THREADS", (os.cpu_count() or 1) * 4))
    with FakeGemini() as fake:
        fake.set_default(ScriptedResponse(body=candidate_response(json.dumps(GOOD_MODEL_ANSWER))))
        options = StackOptions(log_name="bench-burst", dry_run=False, extra_env={
            "KUBESENT_LLM": "gemini", "KUBESENT_GEMINI_BASE_URL": fake.url, "GEMINI_API_KEY": "bench-key"})
        stack_started = time.perf_counter()
        with Stack(options) as stack:
            start_s = time.perf_counter() - stack_started
            oom = scenario_bundle("oom-memory-hog")
            _warm_up(stack, oom)
            rules = _burst(stack, oom, "memory-hog")
            rules_model_calls = fake.count
            crash = unexplained_crash(scenario_bundle("crashloop-command"), TRACEBACK)
            model = _burst(stack, crash, "crashloop-command")
            model_calls = fake.count - rules_model_calls
            ceiling = _transport_ceiling(stack, _payloads(oom, [{"metadata": {"name": f"noop-{i}", "uid": str(i)}}
                                                                for i in range(PODS)]))
            dead = stack.admin.pull_dead_letters(DEAD_LETTER_SUBSCRIPTION)
    server = (f"functions-framework 3.10 under gunicorn: 1 worker, gthread, {threads} threads "
              "(THREADS or cpu_count*4)")
    bursts = (rules, model)
    duplicates = sum(b["duplicates"] for b in bursts)
    slower = min(rules["events_per_s"], model["events_per_s"])
    both = f"both bursts: {duplicates} duplicate events of {2 * EVENTS}"
    return [
        Figure("burst: Kubernetes API calls per duplicate event", sum(b["duplicate_api_calls"] for b in bursts)
               / max(duplicates, 1), "calls", None, "", "<= 0.1", f"{both}; from their audit lines",
               key="burst.api_calls_per_duplicate"),
        Figure("burst: ledger operations per duplicate event", sum(b["duplicate_ledger_ops"] for b in bursts)
               / max(duplicates, 1), "ops", None, "", "<= 0.1",
               f"{both}; ledger protocol calls (admit, count_duplicates, ...) from their audit lines",
               key="burst.ledger_ops_per_duplicate"),
        Figure("burst: throughput against the no-op endpoint", slower, "events/s", ceiling,
               "emulator push to a no-op endpoint", ">= 0.5",
               f"the slower burst (rules {rules['events_per_s']:.0f}, model {model['events_per_s']:.0f} events/s)",
               key="burst.throughput_ratio"),
        Figure("burst: Kubernetes writes, both bursts", float(rules["writes"] + model["writes"]), "writes", None, "",
               "== 1", "the rules path's one patch; the model path proposes", key="burst.writes"),
        Figure("burst: model calls, both bursts", float(rules_model_calls + model_calls), "calls", None, "", "<= 1",
               "FakeGemini request count", key="burst.model_calls"),
        Figure("burst, rules path: events/s to all acknowledged", rules["events_per_s"], "events/s", ceiling,
               "emulator push to a no-op endpoint", "",
               f"{rules['lines']}/{EVENTS} events / {PODS} pods of one Deployment acknowledged in "
               f"{rules['seconds']:.1f} s ({rules['progress']}; publish {rules['publish_s']:.1f} s); "
               f"actions {rules['actions']}; handler p50 {rules['handler_ms_p50']:.0f} ms; "
               f"{server}; stack start {start_s:.1f} s"),
        Figure("burst, rules path: Kubernetes writes", float(rules["writes"]), "writes", None, "", "== 1",
               f"model calls {rules_model_calls} (goal 0); retries {rules['retries']}"),
        Figure("burst, model path: events/s to all acknowledged", model["events_per_s"], "events/s", ceiling,
               "emulator push to a no-op endpoint", "",
               f"unexplained crash, {model['lines']}/{EVENTS} events / {PODS} pods in {model['seconds']:.1f} s "
               f"({model['progress']}); actions {model['actions']}; handler p50 "
               f"{model['handler_ms_p50']:.0f} ms; writes {model['writes']}; retries {model['retries']}"),
        Figure("burst, model path: model calls", float(model_calls), "calls", None, "", "<= 1",
               "FakeGemini request count for the model-path burst"),
        Figure("burst: messages dead-lettered", float(len(dead)), "messages", None, "", "== 0",
               "pulled from the dead-letter subscription after both bursts"),
    ]
