"""Per-event cost, warm: ``Pipeline.handle`` against the sandbox over HTTP, beside the physical floor.

(a) the rules path (oom-memory-hog), (b) the model path (an unexplained crash; FakeGemini answers at
once, through the real google-genai SDK), (c) the floor: the same requests as bare GETs over one
keep-alive urllib3 pool, and through the kubernetes ``ApiClient`` (what KubeCluster stands on).
Each iteration gets a fresh MemoryLedger, so every event is a new incident and takes the full path
(not the duplicate shortcut). Warm: the first iterations are discarded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.bench.common import Figure, percentile, scenario_bundle
from tests.support.scenarios import GOOD_MODEL_ANSWER, TRACEBACK, event_at, unexplained_crash

ITERATIONS = 200
WARMUP = 10


def _times(work: Callable[[], Any]) -> list[float]:
    for _ in range(WARMUP):
        work()
    samples = []
    for _ in range(ITERATIONS):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return samples


def _floor(sandbox_url: str, requests: list[dict[str, Any]]) -> tuple[list[float], list[float]]:
    """The same paths (PATCH → GET of the same object) as bare GETs: urllib3, and kubernetes ApiClient."""
    import urllib.parse

    import kubernetes
    import urllib3

    paths = []
    for request in requests:
        query = {k: v for k, v in (request.get("query") or {}).items() if k not in ("dryRun", "fieldManager")}
        paths.append(request["path"] + ("?" + urllib.parse.urlencode(query) if query else ""))
    pool = urllib3.PoolManager(maxsize=1)

    def raw() -> None:
        for path in paths:
            response = pool.request("GET", sandbox_url + path, headers={"Accept": "application/json"})
            assert response.status == 200, (path, response.status)

    configuration = kubernetes.client.Configuration()
    configuration.host = sandbox_url
    client = kubernetes.client.ApiClient(configuration)

    def through_client() -> None:
        for path in paths:
            method, url, headers, body, post = client.param_serialize("GET", path,
                                                                      header_params={"Accept": "application/json"})
            response = client.call_api(method, url, header_params=headers, body=body, post_params=post)
            response.read()

    try:
        return _times(raw), _times(through_client)
    finally:
        pool.clear()
        client.close()


def run() -> list[Figure]:
    import json

    from kubesent import events
    from kubesent.cluster.kube import KubeCluster, build_api_client
    from kubesent.diagnosis.llm import GeminiDiagnoser
    from kubesent.ledger.memory import MemoryLedger
    from kubesent.pipeline import Pipeline
    from kubesent.settings import Settings
    from kubesent.wiring import ledger_settings
    from local_emulator.kube_sandbox import KubeSandbox
    from tests.fakes.fake_gemini import FakeGemini, ScriptedResponse, candidate_response

    figures: list[Figure] = []
    with KubeSandbox() as sandbox, FakeGemini() as fake:
        # FakeGemini writes headers and body in two sends; with Nagle on, the client's delayed ACK stalls
        # each answer ~40 ms (measured: 60 ms vs 8.5 ms per model-path event). The real API does not.
        fake.set_default(ScriptedResponse(body=candidate_response(json.dumps(GOOD_MODEL_ANSWER))))
        now = datetime.now(UTC)
        oom = scenario_bundle("oom-memory-hog")
        crash = unexplained_crash(scenario_bundle("crashloop-command"), TRACEBACK)
        sandbox.load_bundle(oom)
        sandbox.load_bundle(crash)
        settings = Settings(kube_mode="explicit", kube_host=sandbox.url, ledger="memory", llm="none",
                            kube_timeout_seconds=5.0)
        model_settings = Settings(kube_mode="explicit", kube_host=sandbox.url, ledger="memory", llm="gemini",
                                  kube_timeout_seconds=5.0, gemini_base_url=fake.url, gemini_timeout_seconds=5.0,
                                  GEMINI_API_KEY="bench-key")
        cluster = KubeCluster(build_api_client(settings), timeout_seconds=5.0)
        diagnoser = GeminiDiagnoser(model_settings, base_delay_seconds=0.01)
        oom_event = events.parse_event(event_at(oom, now))
        crash_event = events.parse_event(event_at(crash, now))
        seen: dict[str, Any] = {}

        def handler(event: events.PodEvent, chosen: Settings, model: Any) -> Callable[[], Any]:
            from kubesent.diagnosis.base import NullDiagnoser

            def once() -> None:
                pipeline = Pipeline(chosen, cluster=cluster, ledger=MemoryLedger(ledger_settings(chosen)),
                                    diagnoser=model or NullDiagnoser())
                record = pipeline.handle(event, now=now)
                seen[event.involved_object.name] = record
            return once

        try:
            rules_samples = _times(handler(oom_event, settings, None))
            rules_record = seen[oom_event.involved_object.name]
            sandbox.clear_requests()
            handler(oom_event, settings, None)()
            one_event_requests = sandbox.requests
            before = fake.count
            model_samples = _times(handler(crash_event, model_settings, diagnoser))
            model_calls = (fake.count - before) / (ITERATIONS + WARMUP)
            model_record = seen[crash_event.involved_object.name]
        finally:
            cluster.close()
        raw_floor, client_floor = _floor(sandbox.url, one_event_requests)

    def ms(samples: list[float], share: float) -> float:
        return percentile(samples, share) * 1000

    calls = rules_record.api_calls
    methods = ", ".join(sorted({f"{r['method']}" for r in one_event_requests}))
    floor_p50 = ms(raw_floor, 0.5)
    figures.append(Figure("per event, rules path p50", ms(rules_samples, 0.5), "ms", floor_p50,
                          f"{calls} bare GETs (urllib3)", "",
                          f"{ITERATIONS} fresh incidents, oom-memory-hog -> {rules_record.action}; {calls} K8s API "
                          f"calls/event ({methods}); overhead over floor {ms(rules_samples, 0.5) - floor_p50:.2f} ms"))
    figures.append(Figure("per event, rules path p95", ms(rules_samples, 0.95), "ms", ms(raw_floor, 0.95),
                          f"{calls} bare GETs (urllib3) p95", ""))
    figures.append(Figure("per event, rules path vs client floor p50", ms(rules_samples, 0.5), "ms",
                          ms(client_floor, 0.5), f"{calls} GETs via kubernetes ApiClient.call_api", "",
                          f"overhead over the client floor {ms(rules_samples, 0.5) - ms(client_floor, 0.5):.2f} ms"))
    figures.append(Figure("K8s API calls per event (rules path)", float(calls), "calls", None, "", "",
                          "KubeCluster.calls, from the audit record's api_calls"))
    figures.append(Figure("per event, model path p50", ms(model_samples, 0.5), "ms", ms(rules_samples, 0.5),
                          "rules path p50", "",
                          f"FakeGemini answers at once (TCP_NODELAY); {model_calls:.0f} model call/event; "
                          f"{model_record.api_calls} K8s calls; -> {model_record.action}, prompt "
                          f"{(model_record.model or {}).get('prompt_chars')} chars; "
                          f"p95 {ms(model_samples, 0.95):.1f} ms"))
    return figures
