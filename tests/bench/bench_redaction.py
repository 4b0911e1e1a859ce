"""Benchmark for kubesent.redaction. Prints figures; asserts nothing.

    .venv/bin/python tests/bench/bench_redaction.py

- throughput of ``redact_log`` and ``redact`` on a 5 MB synthetic log full of (fake) secrets and look-alikes,
  median of 5 runs;
- the time for one hostile 1 MB line, through ``redact_log`` (which cuts lines) and ``redact`` (which does not);
- the time for 1 MB of one rule's prefix repeated, for each rule family added for issue 14 (cookies,
  credential query names, command flags, env-style names, YAML values below their key), with the masks
  made, so the work done is visible beside the time;
- the same combined pattern run by Python's ``re`` and by RE2 over smaller hostile inputs.

``run()`` returns the figures for the benchmark suite.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "functions"))

from kubesent import redaction  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "redaction"
LOG_BYTES = 5 * 1024 * 1024
HOSTILE_BYTES = 1_000_000
# Python's re backtracks; keep its inputs small enough that the comparison finishes.
COMPARE_BYTES = 100_000
REPEATS = 5
# Share of log lines that carry a secret: far denser than real logs, so the figure is a floor.
SECRET_LINE_SHARE = 0.1

FILLER = (
    '{{"ts":"2024-05-01T10:{m:02d}:{s:02d}Z","level":"info","msg":"GET /api/v1/orders/{n} 200","latency_ms":{n}}}',
    "2024-05-01 10:{m:02d}:{s:02d} WARN pool exhausted, waiting for connection (active={n}, idle=0)",
    "\tat com.example.orders.OrderService.load(OrderService.java:{n})",
    "I0501 10:{m:02d}:{s:02d}.123456       1 controller.go:{n}] synced pod default/api-7d9f8b6c5d-x2x9z",
    "Error: ENOENT: no such file or directory, open '/app/config/{n}.json'",
)


def synthetic_log(size: int = LOG_BYTES, seed: int = 7) -> str:
    rng = random.Random(seed)
    secrets = [case["text"] for case in json.loads((FIXTURES / "secrets.json").read_text())]
    lookalikes = json.loads((FIXTURES / "lookalikes.json").read_text())
    lines: list[str] = []
    total = 0
    while total < size:
        roll = rng.random()
        if roll < SECRET_LINE_SHARE:
            line = rng.choice(secrets)
        elif roll < 2 * SECRET_LINE_SHARE:
            line = rng.choice(lookalikes)
        else:
            line = rng.choice(FILLER).format(m=rng.randrange(60), s=rng.randrange(60), n=rng.randrange(10_000))
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)


def hostile_lines() -> dict[str, str]:
    def repeat(unit: str, size: int = HOSTILE_BYTES) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    return {
        "one letter": "a" * HOSTILE_BYTES,
        "password with a huge value": "password=" + "x" * HOSTILE_BYTES,
        "jwt prefix repeated": repeat("eyJ"),
        "keys inside jwt-looking runs": repeat("eyJ-AKIAIOSFODNN7EXAMPLE-"),
        "unterminated quoted values": repeat('password:"AKIAIOSFODNN7EXAMPLE '),
        "harmless keys": repeat("author="),
        "dense short secrets": repeat("pwd=1 "),
    }


def rule_prefix_inputs() -> dict[str, str]:
    """1 MB (unless named) of one rule family's prefix, repeated so that every copy must be judged."""
    def repeat(unit: str, size: int = HOSTILE_BYTES) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    return {
        "cookie words without pairs": repeat("cookie: x "),
        "many cookie headers": repeat("Cookie: a=b\n"),
        "credential query names, no values": repeat("?key=&sig="),
        "short flags after a command": "mysql" + repeat(" -p -a -u"),
        "env-style names, plain values": repeat("A_KEY=abc "),
        "secret keys on every line": repeat("password:\n"),
        "blank lines under a secret key": "password:\n" + "\n" * HOSTILE_BYTES,
        "one block scalar of 1 MB": "password: |\n" + repeat("  x\n"),
        # Each value reads its full 512-byte bound before being judged benign: the slowest known shape
        # per byte, so it is kept at the test's 112 KB rather than a megabyte.
        "benign values after keys, 112 KB": repeat("pass=${", 112_000),
    }


def _median_seconds(work: Callable[[], object], repeats: int = REPEATS) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _once(work: Callable[[], object]) -> float:
    return _median_seconds(work, repeats=1)


def compare_engines() -> dict[str, tuple[float, float]]:
    """Seconds for Python's re and for RE2 to find every match of the same combined pattern."""
    backtracking = re.compile(redaction._COMBINED.pattern.encode())
    inputs = {
        "dashes": b"-" * COMPARE_BYTES,
        "letters": b"a" * COMPARE_BYTES,
        "jwt prefixes": b"eyJ" * (COMPARE_BYTES // 3),
        "keys in jwt-looking runs": b"eyJ-AKIAIOSFODNN7EXAMPLE-" * (COMPARE_BYTES // 25),
    }
    return {
        name: (_once(lambda data=data: sum(1 for _ in backtracking.finditer(data))),
               _once(lambda data=data: sum(1 for _ in redaction._COMBINED.finditer(data))))
        for name, data in inputs.items()
    }


def run() -> dict[str, float]:
    log = synthetic_log()
    megabytes = len(log.encode()) / 1e6
    figures = {
        "redact_log_mb_per_s": megabytes / _median_seconds(lambda: redaction.redact_log(log, max_chars=len(log) + 1)),
        "redact_mb_per_s": megabytes / _median_seconds(lambda: redaction.redact(log)),
    }
    hostile = hostile_lines()
    figures["hostile_1mb_line_redact_log_max_s"] = max(
        _once(lambda text=text: redaction.redact_log(text, max_chars=2 * HOSTILE_BYTES)) for text in hostile.values())
    figures["hostile_1mb_line_redact_max_s"] = max(
        _once(lambda text=text: redaction.redact(text)) for text in hostile.values())
    figures["rule_prefixes_1mb_redact_max_s"] = max(
        _once(lambda text=text: redaction.redact(text)) for text in rule_prefix_inputs().values())
    for name, (backtracking_s, re2_s) in compare_engines().items():
        key = name.replace(" ", "_").replace("-", "_")
        figures[f"compare_100kb_{key}_re_s"] = backtracking_s
        figures[f"compare_100kb_{key}_re2_s"] = re2_s
    return figures


def main() -> None:
    print(f"pattern set: {len(redaction._RULES)} rules in one RE2 regex")
    log = synthetic_log()
    print(f"synthetic log: {len(log.encode()) / 1e6:.1f} MB, {log.count(chr(10)) + 1} lines, "
          f"{redaction.redact(log).count(redaction.MASK_PREFIX)} masks")
    figures = run()
    print(f"redact_log throughput: {figures['redact_log_mb_per_s']:.1f} MB/s (median of {REPEATS})")
    print(f"redact throughput:     {figures['redact_mb_per_s']:.1f} MB/s (median of {REPEATS})")
    print("hostile 1 MB single line, seconds (redact_log cuts lines; redact does not):")
    for name, text in hostile_lines().items():
        capped = _once(lambda text=text: redaction.redact_log(text, max_chars=2 * HOSTILE_BYTES))
        uncapped = _once(lambda text=text: redaction.redact(text))
        print(f"  {name:32s} redact_log {capped:7.4f}   redact {uncapped:7.4f}")
    print("one rule family's prefix repeated (1 MB unless named), seconds through redact, masks made (work done):")
    for name, text in rule_prefix_inputs().items():
        started = time.perf_counter()
        masks = redaction.redact(text).count(redaction.MASK_PREFIX)
        print(f"  {name:36s} redact {time.perf_counter() - started:7.4f}   masks {masks}")
    print(f"same combined pattern over {COMPARE_BYTES // 1000} KB, seconds to find all matches:")
    for name, (backtracking_s, re2_s) in compare_engines().items():
        print(f"  {name:32s} re {backtracking_s:7.4f}   re2 {re2_s:7.4f}")


if __name__ == "__main__":
    main()
