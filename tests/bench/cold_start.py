"""Cold start: a fresh process imports ``main`` and handles its first OOM event against the sandbox.

Beside it, the baseline: the same, after importing every SDK the function uses at the top level (what a
``main.py`` with eager imports would pay). Function and baseline processes alternate, so machine noise
hits both alike; medians over ``ROUNDS`` processes each. The sandbox runs in this (the parent) process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench.common import FUNCTIONS, ROOT, Figure, median, scenario_bundle
from tests.support.scenarios import event_at

ROUNDS = 7
CHILD = ROOT / "tests" / "bench" / "_cold_child.py"


def _env(sandbox_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBESENT_") and k != "GEMINI_API_KEY"}
    env.update({"KUBESENT_KUBE_MODE": "explicit", "KUBESENT_KUBE_HOST": sandbox_url, "KUBESENT_LEDGER": "memory",
                "KUBESENT_LLM": "none", "KUBESENT_KUBE_TIMEOUT_SECONDS": "5", "PYTHONPATH": str(FUNCTIONS)})
    return env


def _one(mode: str, event: dict[str, Any], env: dict[str, str], functions: Path = FUNCTIONS) -> dict[str, Any]:
    """Spawn one child; ``wall_s`` is spawn → first event handled (its BENCH line), ``exit_s`` the teardown after."""
    env = {**env, "PYTHONPATH": str(functions)}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, str(CHILD), mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(json.dumps(event))
    child.stdin.close()
    lines, answered = [], None
    for line in child.stdout:
        lines.append(line)
        if line.startswith("BENCH "):
            answered = time.perf_counter()
    stderr = child.stderr.read() if child.stderr else ""
    child.wait(timeout=120)
    ended = time.perf_counter()
    if child.returncode != 0 or answered is None:
        raise RuntimeError(f"cold-start child {mode} failed ({child.returncode}): {stderr[-2000:]}")
    figures = json.loads(next(line for line in lines if line.startswith("BENCH "))[6:])
    figures["wall_s"] = answered - started
    figures["exit_s"] = ended - answered
    audit = [json.loads(line) for line in lines if line.startswith("{")]
    figures["action"] = audit[-1].get("action") if audit else None
    return figures


def run() -> list[Figure]:
    from local_emulator.kube_sandbox import KubeSandbox

    bundle = scenario_bundle("oom-memory-hog")
    runs: dict[str, list[dict[str, Any]]] = {"function": [], "baseline": [], "bare": []}
    with KubeSandbox() as sandbox:
        sandbox.load_bundle(bundle)
        env = _env(sandbox.url)
        for mode in runs:  # warm the page cache and __pycache__; not counted
            _one(mode, event_at(bundle, datetime.now(UTC)), env)
        for _ in range(ROUNDS):
            for mode in runs:
                runs[mode].append(_one(mode, event_at(bundle, datetime.now(UTC)), env))

    def med(mode: str, key: str) -> float:
        return median([r[key] for r in runs[mode]])

    actions = {r["action"] for r in runs["function"] + runs["baseline"]}
    loaded = runs["function"][0]["sdks_loaded"]
    bare = med("bare", "wall_s")
    return [
        Figure("cold start: import main + first OOM event (wall)", med("function", "wall_s"), "s",
               med("baseline", "wall_s"), "eager SDK imports + same", "ratio <= 0.5",
               f"spawn -> first event handled, median of {ROUNDS} fresh processes each, alternating; actions "
               f"{sorted(actions)}; bare interpreter {bare * 1000:.0f} ms; interpreter teardown after (not on the "
               f"request path) {med('function', 'exit_s') * 1000:.0f} vs {med('baseline', 'exit_s') * 1000:.0f} ms; "
               f"SDKs the function loaded: {', '.join(loaded)}"),
        Figure("cold start: peak RSS", med("function", "maxrss_kib") / 1024, "MiB",
               med("baseline", "maxrss_kib") / 1024, "eager SDK imports + same", "",
               f"ru_maxrss of the child; bare interpreter {med('bare', 'maxrss_kib') / 1024:.0f} MiB"),
        Figure("cold start: import main only", med("function", "main_import_s"), "s",
               med("baseline", "sdk_import_s") + med("baseline", "main_import_s"), "SDK imports + import main", "",
               f"in-process; the function's first event then took {med('function', 'first_event_s') * 1000:.0f} ms "
               f"(building the pipeline lazily imports the kubernetes client)"),
        Figure("cold start: first event after import", med("function", "first_event_s"), "s",
               med("baseline", "first_event_s"), "same, SDKs preloaded", "",
               "includes lazy imports (kubernetes, ledger) and the API calls"),
    ]
