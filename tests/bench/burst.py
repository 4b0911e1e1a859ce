"""Burst: 1,000 exporter events for 50 pods of one Deployment, through the whole local chain.

Pub/Sub emulator ─push─▶ functions-framework (``on_pod_event``) ─▶ sandbox, Firestore-emulator ledger,
started by ``local_emulator.stack.Stack`` (the demo's own stack) and warmed first (``_warm_up``).
Measured: events/second from the first publish to the 1,000th audit line, Kubernetes writes, model
calls, retries and dead letters, and the CPU each process spent per event.
Two bursts on one stack: the rules path (OOM, one patch applied) and the model path (an unexplained
crash; FakeGemini, in this process, counts the calls).

Baseline in the same run, just before each burst: the same 1,000 events pushed by the same emulator, through a
push subscription with the same push config (retry policy, dead letter, ack deadline), to the same server
(``FunctionProcess``: functions-framework under gunicorn, the same thread count and environment) serving
``tests/bench/noop_function.py``, a handler that only acknowledges. The two sides differ only in KubeSent's
handler. The emulator runs two push loops per subscription, each waiting for its answer before its next push
(and opening a new connection for each), so at most two pushes are in flight: events/s is about two over the
time one push takes, end to end, and an event that holds its push (the first of an incident) holds half the
pace.
Shown beside it, not used for the ratio: the emulator pushing to a bare ``http.server`` that answers 204
(no functions-framework, no gunicorn, no Flask), the transport's own ceiling.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.metadata
import json
import os
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.bench import noop_function
from tests.bench.common import ROOT, Figure, median, scenario_bundle
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


class _LogCounter:
    """Lines carrying ``mark`` that a process has written to its log since this counter was made.

    Reads only the bytes added since the last call: re-reading the whole log (a few ms per thousand lines,
    twenty times a second) took CPU the function needs on a 2-core machine. The same counter counts
    KubeSent's audit lines and the no-op baseline's marks, so both sides pay the same for being watched.
    """

    def __init__(self, path: Any, mark: bytes) -> None:
        self._handle = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._handle.seek(0, os.SEEK_END)
        self._mark = mark
        self._tail = b""  # a mark may be cut between two reads
        self.count = 0

    def poll(self) -> int:
        data = self._tail + self._handle.read()
        self.count += data.count(self._mark)
        # Keep what may begin a mark that the next read completes, never bytes of a mark already counted.
        last = data.rfind(self._mark)
        self._tail = data[max(len(data) - len(self._mark) + 1, last + len(self._mark) if last >= 0 else 0):]
        return self.count

    def close(self) -> None:
        self._handle.close()


def _group_cpu_seconds(group: int) -> float:
    """User + system CPU seconds of every live process in a process group (``FunctionProcess`` and the emulators
    each run in their own: gunicorn's arbiter and worker, gcloud and its JVM)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        if int(fields[2]) == group:  # pgrp; utime and stime are fields 14 and 15 of stat
            total += int(fields[11]) + int(fields[12])
    return total / tick


class _CpuMeter:
    """CPU spent per event by each process of the chain during one measured phase."""

    def __init__(self, groups: dict[str, int]) -> None:
        self._groups = groups
        self._before = self._read()

    def _read(self) -> dict[str, float]:
        readings = {name: _group_cpu_seconds(group) for name, group in self._groups.items()}
        readings["bench process"] = time.process_time()
        return readings

    def per_event_ms(self, events: int) -> dict[str, float]:
        after = self._read()
        return {name: (after[name] - self._before[name]) * 1000 / max(events, 1) for name in after}


def _wait_for(counter: _LogCounter, events: int, started: float) -> tuple[float, dict[int, float]]:
    """Poll until ``events`` marks are counted (or the timeout): the seconds it took, and when each share was
    reached."""
    marks: dict[int, float] = {}
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        count = counter.poll()
        for share in (50, 99, 100):
            if count >= events * share // 100 and share not in marks:
                marks[share] = time.perf_counter() - started
        if count >= events:
            break
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - started, marks


def _prepare(stack: Any, bundle: dict[str, Any]) -> tuple[set[str], list[bytes]]:
    """The sandbox's fifty pods, their names and the burst's 1,000 payloads (the baseline pushes the same)."""
    pods = _fifty_pod_chain(stack.sandbox, bundle)
    return {pod["metadata"]["name"] for pod in pods}, _payloads(bundle, pods)


def _burst(stack: Any, names: set[str], payloads: list[bytes], deployment: str, cpu_groups: dict[str, int]
           ) -> dict[str, Any]:
    """The burst's payloads through KubeSent's subscription: events/s to the last audit line, and what it did."""
    from local_emulator import auditlog
    from local_emulator.stack import TOPIC

    def ours(records: list[Any]) -> list[Any]:
        return [r for r in auditlog.incidents(records) if r.pod in names]

    counter = _LogCounter(stack.function.log_path, AUDIT_LINE_MARK)
    cpu = _CpuMeter(cpu_groups)
    started = time.perf_counter()
    _publish(stack.admin, TOPIC, payloads)
    published = time.perf_counter() - started
    elapsed, marks = _wait_for(counter, EVENTS, started)
    counter.close()
    cpu_ms = cpu.per_event_ms(EVENTS)
    records = stack.function.records()
    lines = ours(records)
    retries = [r for r in records if r.message == auditlog.RETRY]
    # Only the burst's Deployment counts, not the warm-up's namesake in its own namespace.
    writes = [w for w in stack.sandbox.writes() if f"/deployments/{deployment}" in str(w["path"])
              and f"/namespaces/{WARM_UP_NAMESPACE}/" not in str(w["path"])]
    actions: dict[str, int] = {}
    for line in lines:
        actions[line.action] = actions.get(line.action, 0) + 1
    duplicates = [r for r in lines if r.action == "ignored" and str(r.fields.get("reason", "")).startswith("duplicate")]
    progress = ", ".join(f"{share}% at {at:.1f} s" for share, at in sorted(marks.items()))
    return {"events_per_s": len(lines) / elapsed, "seconds": elapsed, "progress": progress or "none",
            "publish_s": published, "lines": len(lines), "cpu_ms": cpu_ms,
            "writes": len(writes), "retries": len(retries), "actions": actions, "duplicates": len(duplicates),
            # What the duplicates cost, from their own audit lines: Kubernetes API calls and ledger protocol calls
            # (each counted per thread by the function, whatever the backend does inside one call).
            "duplicate_api_calls": sum(int(r.fields.get("api_calls") or 0) for r in duplicates),
            "duplicate_ledger_ops": sum(int(r.fields.get("ledger_ops") or 0) for r in duplicates),
            "deciding_ms": [int(r.fields.get("duration_ms") or 0) for r in lines if r.action != "ignored"],
            "handler_ms_p50": median([float(r.fields.get("duration_ms") or 0) for r in lines]) if lines else None}


WARM_UP_CALLS = 30  # ledger admits against the fresh emulator before the bursts
WARM_UP_NAMESPACE = "bench-warm-up"  # the model path's warm-up incident: apart from the bursts' incidents
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


def _in_namespace(bundle: dict[str, Any], namespace: str) -> dict[str, Any]:
    """The bundle moved to another namespace: the same objects and logs, another incident key."""
    bundle = copy.deepcopy(bundle)
    for obj in bundle["objects"]:
        if obj["metadata"].get("namespace"):
            obj["metadata"]["namespace"] = namespace
        if obj["kind"] == "Event":
            obj["involvedObject"]["namespace"] = namespace
    bundle["event"]["metadata"]["namespace"] = namespace
    bundle["event"]["involvedObject"]["namespace"] = namespace
    bundle["logs"] = {f"{namespace}/{key.split('/', 1)[1]}": texts for key, texts in bundle["logs"].items()}
    return bundle


def _warm_model_path(stack: Any, bundle: dict[str, Any]) -> int:
    """Warm the model path as ``_warm_up`` warms the rules path: one model-path incident in another namespace.

    The function loads google-genai and builds its client on its first model call (DESIGN principle 7). Paid
    inside the model burst, that one event took 2.7-5.2 s on this machine (the import, its pydantic models and an
    SSL context, while the emulator's other push loop shares the GIL), a cold start the cold_start section
    measures already; the burst measures a storm meeting an instance that has used its model before. Its own
    model call is made before the bursts and is not counted in theirs. Returns that first event's handler ms.
    """
    from local_emulator import auditlog
    from local_emulator.stack import TOPIC

    warm = _in_namespace(bundle, WARM_UP_NAMESPACE)
    stack.sandbox.load_objects(warm["objects"])
    for key, texts in warm["logs"].items():
        _, pod, container = key.split("/")
        stack.sandbox.set_logs(namespace=WARM_UP_NAMESPACE, pod=pod, container=container,
                               current=texts.get("current", ""), previous=texts.get("previous"))
    stack.admin.publish(TOPIC, [json.dumps(event_at(warm, datetime.now(UTC))).encode()])

    def decided(records: list[Any]) -> list[Any]:
        return [r for r in auditlog.incidents(records) if r.action != "ignored"
                and (r.fields.get("event") or {}).get("namespace") == WARM_UP_NAMESPACE]

    records = stack.wait_for(lambda records: bool(decided(records)), timeout=WARM_UP_TIMEOUT_SECONDS, poll=0.1)
    found = decided(records)
    if not found:
        raise RuntimeError(f"the model path's warm-up incident was not decided in {WARM_UP_TIMEOUT_SECONDS:.0f} s")
    return int(found[0].fields.get("duration_ms") or 0)


NOOP_TOPIC = "bench-noop"
NOOP_MARK = noop_function.MARK


def _start_noop(stack: Any) -> Any:
    """The baseline's server: ``FunctionProcess`` as the stack starts the function (same command, environment and
    thread count) serving the no-op handler, behind its own topic and push subscription made by the same
    ``create_chain`` (same retry policy, dead letter and ack deadline), warmed with one event as the function is."""
    from local_emulator import gcloud_emulators
    from local_emulator.stack import PROJECT, RUN_DIR, FunctionProcess

    noop = FunctionProcess(port=gcloud_emulators.free_port(), env=stack.function.env,
                           log_path=RUN_DIR / "bench-noop.log", target=noop_function.TARGET,
                           source=ROOT / "tests" / "bench" / "noop_function.py")
    try:
        noop.wait_ready()
        stack.admin.create_chain(topic=NOOP_TOPIC, dead_letter_topic=f"{NOOP_TOPIC}-dead-letter",
                                 subscription=f"{NOOP_TOPIC}-push",
                                 dead_letter_subscription=f"{NOOP_TOPIC}-dead-letter-pull",
                                 push_endpoint=f"{noop.url}/projects/{PROJECT}/topics/{NOOP_TOPIC}")
        counter = _LogCounter(noop.log_path, NOOP_MARK)
        stack.admin.publish(NOOP_TOPIC, [b"{}"])
        _wait_for(counter, 1, time.perf_counter())
        counter.close()
    except BaseException:
        noop.stop()
        raise
    return noop


def _noop_burst(stack: Any, noop: Any, payloads: list[bytes], cpu_groups: dict[str, int]) -> dict[str, Any]:
    """The burst's very payloads through the baseline's subscription, timed and watched as the burst is."""
    counter = _LogCounter(noop.log_path, NOOP_MARK)
    cpu = _CpuMeter(cpu_groups)
    started = time.perf_counter()
    _publish(stack.admin, NOOP_TOPIC, payloads)
    elapsed, _ = _wait_for(counter, len(payloads), started)
    counter.close()
    return {"events_per_s": counter.count / elapsed, "seconds": elapsed, "events": counter.count,
            "cpu_ms": cpu.per_event_ms(len(payloads))}


class _Bare(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    received = 0
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _Bare.lock:
            _Bare.received += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        del format, args

    def handle(self) -> None:
        # The emulator opens a connection per push and resets one it does not use: not worth a traceback.
        with contextlib.suppress(ConnectionError):
            super().handle()


def _bare_ceiling(stack: Any, payloads: list[bytes]) -> float:
    """Events/s the emulator pushes to a bare http.server in this process that answers 204 at once: the transport
    alone, without functions-framework, gunicorn or Flask. Shown for scale; not the ratio's baseline."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Bare)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        admin = stack.admin
        admin.publisher.create_topic(name=admin.topic_path("bench-bare"), timeout=10)
        admin.subscriber.create_subscription(request={
            "name": admin.subscription_path("bench-bare-push"), "topic": admin.topic_path("bench-bare"),
            "push_config": {"push_endpoint": f"http://127.0.0.1:{server.server_address[1]}/bare"},
            "ack_deadline_seconds": 30}, timeout=10)
        _Bare.received = 0
        started = time.perf_counter()
        _publish(admin, "bench-bare", payloads)
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while _Bare.received < len(payloads) and time.monotonic() < deadline:
            time.sleep(0.02)
        return _Bare.received / (time.perf_counter() - started)
    finally:
        server.shutdown()
        server.server_close()


def _server_description(stack: Any) -> str:
    threads = stack.function.env.get("THREADS") or f"{(os.cpu_count() or 1) * 4} (cpu_count*4, THREADS unset)"
    return (f"functions-framework {importlib.metadata.version('functions-framework')} under gunicorn "
            f"{importlib.metadata.version('gunicorn')}: 1 worker, gthread, {threads} threads, as deployed "
            "(infra/function.tf sets no THREADS); at most 2 pushes in flight (the emulator's two push loops per "
            "subscription; production's concurrency is 1 request per instance)")


def _cpu_note(cpu_ms: dict[str, float]) -> str:
    return "CPU ms/event: " + ", ".join(f"{name} {value:.1f}" for name, value in cpu_ms.items())


def run() -> list[Figure]:
    from local_emulator.stack import DEAD_LETTER_SUBSCRIPTION, Stack, StackOptions
    from tests.fakes.fake_gemini import FakeGemini, ScriptedResponse, candidate_response

    with FakeGemini() as fake:
        fake.set_default(ScriptedResponse(body=candidate_response(json.dumps(GOOD_MODEL_ANSWER))))
        options = StackOptions(log_name="bench-burst", dry_run=False, extra_env={
            "KUBESENT_LLM": "gemini", "KUBESENT_GEMINI_BASE_URL": fake.url, "GEMINI_API_KEY": "bench-key"})
        stack_started = time.perf_counter()
        with Stack(options) as stack:
            start_s = time.perf_counter() - stack_started
            server = _server_description(stack)
            oom = scenario_bundle("oom-memory-hog")
            crash = unexplained_crash(scenario_bundle("crashloop-command"), TRACEBACK)
            _warm_up(stack, oom)
            warm_model_ms = _warm_model_path(stack, crash)
            warm_model_calls = fake.count
            noop = _start_noop(stack)
            try:
                groups = {"function": stack.function.process.pid, "no-op function": noop.process.pid,
                          "Pub/Sub emulator": stack.pubsub.process.pid,
                          "Firestore emulator": stack.firestore.process.pid}
                names, payloads = _prepare(stack, oom)
                rules_base = _noop_burst(stack, noop, payloads, groups)
                rules = _burst(stack, names, payloads, "memory-hog", groups)
                rules_model_calls = fake.count - warm_model_calls
                names, payloads = _prepare(stack, crash)
                model_base = _noop_burst(stack, noop, payloads, groups)
                model = _burst(stack, names, payloads, "crashloop-command", groups)
                model_calls = fake.count - warm_model_calls - rules_model_calls
            finally:
                noop.stop()
            bare = _bare_ceiling(stack, payloads)
            dead = stack.admin.pull_dead_letters(DEAD_LETTER_SUBSCRIPTION)
    bursts = (rules, model)
    duplicates = sum(b["duplicates"] for b in bursts)
    rules_ratio = rules["events_per_s"] / rules_base["events_per_s"]
    model_ratio = model["events_per_s"] / model_base["events_per_s"]
    slower, slower_base, slower_name = ((rules, rules_base, "rules") if rules_ratio <= model_ratio
                                        else (model, model_base, "model"))
    both = f"both bursts: {duplicates} duplicate events of {2 * EVENTS}"
    baseline_name = "no-op handler, same functions-framework server and push config, measured just before"

    def per_push(result: dict[str, Any]) -> str:
        return f"{1000 / result['events_per_s']:.2f} ms/push"

    return [
        Figure("burst: Kubernetes API calls per duplicate event", sum(b["duplicate_api_calls"] for b in bursts)
               / max(duplicates, 1), "calls", None, "", "<= 0.1", f"{both}; from their audit lines",
               key="burst.api_calls_per_duplicate"),
        Figure("burst: ledger operations per duplicate event", sum(b["duplicate_ledger_ops"] for b in bursts)
               / max(duplicates, 1), "ops", None, "", "<= 0.1",
               f"{both}; ledger protocol calls (admit, count_duplicates, ...) from their audit lines",
               key="burst.ledger_ops_per_duplicate"),
        Figure("burst: throughput against the no-op endpoint", slower["events_per_s"], "events/s",
               slower_base["events_per_s"], baseline_name, ">= 0.5",
               f"the burst with the lower ratio ({slower_name}): rules {rules['events_per_s']:.0f} vs "
               f"{rules_base['events_per_s']:.0f} ({rules_ratio:.2f}), model {model['events_per_s']:.0f} vs "
               f"{model_base['events_per_s']:.0f} ({model_ratio:.2f}) events/s; {server}",
               key="burst.throughput_ratio"),
        Figure("burst: Kubernetes writes, both bursts", float(rules["writes"] + model["writes"]), "writes", None, "",
               "== 1", "the rules path's one patch; the model path proposes", key="burst.writes"),
        Figure("burst: model calls, both bursts", float(rules_model_calls + model_calls), "calls", None, "", "<= 1",
               "FakeGemini request count", key="burst.model_calls"),
        Figure("burst, rules path: events/s to all acknowledged", rules["events_per_s"], "events/s",
               rules_base["events_per_s"], baseline_name, "",
               f"{rules['lines']}/{EVENTS} events / {PODS} pods of one Deployment acknowledged in "
               f"{rules['seconds']:.1f} s ({rules['progress']}; publish {rules['publish_s']:.1f} s), "
               f"{per_push(rules)} vs {per_push(rules_base)}; actions {rules['actions']}; handler p50 "
               f"{rules['handler_ms_p50']:.0f} ms, the deciding event {rules['deciding_ms']} ms; "
               f"{_cpu_note(rules['cpu_ms'])}; baseline {_cpu_note(rules_base['cpu_ms'])}; "
               f"stack start {start_s:.1f} s"),
        Figure("burst, rules path: Kubernetes writes", float(rules["writes"]), "writes", None, "", "== 1",
               f"model calls {rules_model_calls} (goal 0); retries {rules['retries']}"),
        Figure("burst, model path: events/s to all acknowledged", model["events_per_s"], "events/s",
               model_base["events_per_s"], baseline_name, "",
               f"unexplained crash, {model['lines']}/{EVENTS} events / {PODS} pods in {model['seconds']:.1f} s "
               f"({model['progress']}), {per_push(model)} vs {per_push(model_base)}; actions {model['actions']}; "
               f"handler p50 {model['handler_ms_p50']:.0f} ms, the deciding event {model['deciding_ms']} ms (model "
               f"path warmed first: {warm_model_calls} model call in namespace {WARM_UP_NAMESPACE}, its event "
               f"{warm_model_ms} ms); writes {model['writes']}; retries "
               f"{model['retries']}; {_cpu_note(model['cpu_ms'])}; baseline {_cpu_note(model_base['cpu_ms'])}"),
        Figure("burst, model path: model calls", float(model_calls), "calls", None, "", "<= 1",
               "FakeGemini request count for the model-path burst"),
        Figure("burst: no-op function against a bare http.server", min(rules_base["events_per_s"],
                                                                       model_base["events_per_s"]), "events/s",
               bare, "emulator push to a bare http.server answering 204 (no functions-framework)", "",
               "for scale, not the ratio's baseline: what functions-framework, gunicorn and Flask cost per push "
               f"before any handler runs ({1000 / bare:.2f} ms/push bare)"),
        Figure("burst: messages dead-lettered", float(len(dead)), "messages", None, "", "== 0",
               "pulled from the dead-letter subscription after both bursts"),
    ]
