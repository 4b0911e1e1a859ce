"""Model economics over the scenario corpus (tests/scenarios/corpus.jsonl), replayed in-process.

- the share of incidents decided without a model call;
- prompt characters per incident that WOULD go to the model (``prompt.render`` of each incident's
  evidence, whether or not the rules decided it), beside a naive prompt: the full Pod as YAML with
  ``managedFields`` (as the API server returns it) plus the last 50 log lines, unredacted.
"""

from __future__ import annotations

import copy
import json
import statistics
from typing import Any

from tests.bench.common import ROOT, Figure

CORPUS = ROOT / "tests" / "scenarios" / "corpus.jsonl"
NAIVE_LOG_LINES = 50


def _with_managed_fields(pod: dict[str, Any]) -> dict[str, Any]:
    """The Pod as a real API server returns it: managedFields for the controller (spec) and kubelet (status)."""
    from local_emulator.kube_sandbox import managed_fields

    pod = copy.deepcopy(pod)
    if not pod.get("metadata", {}).get("managedFields"):
        body = {key: value for key, value in pod.items() if key != "status"}
        managed_fields.record(pod, manager="kube-controller-manager", api_version="v1",
                              touched=managed_fields.fields_of(body))
        managed_fields.record(pod, manager="kubelet", api_version="v1", subresource="status",
                              touched=managed_fields.fields_of({"status": pod.get("status", {})}))
    return pod


def naive_prompt(bundle: dict[str, Any]) -> str | None:
    import yaml

    pod = next((o for o in bundle["objects"] if o.get("kind") == "Pod"), None)
    if pod is None:
        return None  # the pod is gone: nothing to send either way
    meta = pod["metadata"]
    parts = [yaml.safe_dump(_with_managed_fields(pod), sort_keys=False)]
    for key, texts in (bundle.get("logs") or {}).items():
        namespace, name, container = key.split("/", 2)
        if (namespace, name) != (meta.get("namespace"), meta.get("name")):
            continue
        text = texts.get("previous") or texts.get("current") or ""
        parts.append(f"logs of {container}:\n" + "\n".join(text.splitlines()[-NAIVE_LOG_LINES:]))
    return "\n".join(parts)


def run() -> list[Figure]:
    from kubesent import events
    from kubesent.cluster.memory import MemoryCluster
    from kubesent.diagnosis import prompt
    from kubesent.diagnosis.base import NullDiagnoser, Outcome
    from kubesent.ledger.memory import MemoryLedger
    from kubesent.pipeline import Pipeline
    from kubesent.settings import Settings
    from kubesent.wiring import ledger_settings

    settings = Settings(llm="none", ledger="memory", kube_mode="explicit", kube_host="http://unused")

    class CountingDiagnoser:
        def __init__(self) -> None:
            self.calls = 0

        def diagnose(self, evidence: Any, *, cached: Any, fresh: bool) -> Outcome:
            self.calls += 1
            return NullDiagnoser().diagnose(evidence, cached=cached, fresh=fresh)

    class Capturing(Pipeline):
        evidence: Any = None

        def _diagnose(self, evidence: Any, key: Any, now: Any) -> Any:  # type: ignore[override]
            self.evidence = evidence
            return super()._diagnose(evidence, key, now)

    rows = []
    for line in CORPUS.read_text().splitlines():
        if not line.strip():
            continue
        bundle = json.loads(line)
        event = events.parse_event(bundle["event"])
        diagnoser = CountingDiagnoser()
        pipeline = Capturing(settings, cluster=MemoryCluster(bundle["objects"], logs=bundle.get("logs") or {}),
                             ledger=MemoryLedger(ledger_settings(settings)), diagnoser=diagnoser)
        record = pipeline.handle(event, now=event.occurred_at)
        row: dict[str, Any] = {"id": bundle["id"], "action": record.action, "model_calls": diagnoser.calls,
                               "naive": len(naive_prompt(bundle) or "")}
        if pipeline.evidence is not None:
            system_text, user_text, _ = prompt.render(pipeline.evidence, settings)
            row["prompt"], row["evidence"] = len(system_text) + len(user_text), len(user_text)
        rows.append(row)

    total = len(rows)
    without_model = sum(1 for row in rows if row["model_calls"] == 0)
    diagnosed = [row for row in rows if "prompt" in row]
    prompt_mean = statistics.mean(row["prompt"] for row in diagnosed)
    system_chars = statistics.mean(row["prompt"] - row["evidence"] for row in diagnosed)
    evidence_mean = statistics.mean(row["evidence"] for row in diagnosed)
    naive_mean = statistics.mean(row["naive"] for row in diagnosed)
    left_to_model = sorted(row["id"] for row in rows if row["model_calls"])
    return [
        Figure("corpus: incidents decided without a model call", 100.0 * without_model / total, "%", None, "", "",
               f"{without_model}/{total} incidents; {len(diagnosed)} reached diagnosis; left to the model: "
               f"{', '.join(left_to_model) or 'none'}"),
        Figure("prompt evidence chars per incident (mean)", evidence_mean, "chars", naive_mean,
               f"naive: Pod YAML with managedFields + last {NAIVE_LOG_LINES} log lines, unredacted", "",
               f"the fenced, redacted evidence prompt.render builds, for all {len(diagnosed)} diagnosed incidents; "
               f"median {statistics.median(r['evidence'] for r in diagnosed):.0f} vs "
               f"{statistics.median(r['naive'] for r in diagnosed):.0f}; max "
               f"{max(r['evidence'] for r in diagnosed)} vs {max(r['naive'] for r in diagnosed)}"),
        Figure("prompt chars per incident incl. instructions (mean)", prompt_mean, "chars",
               naive_mean + system_chars, "naive + the same instructions", "",
               f"the system instructions alone are {system_chars:.0f} chars, "
               f"{100 * system_chars / prompt_mean:.0f}% of each prompt"),
    ]
