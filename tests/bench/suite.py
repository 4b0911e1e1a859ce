"""``make bench``: every benchmark, each figure beside a baseline measured in the same run.

    .venv/bin/python -m tests.bench.suite [--json bench-results.json] [--skip burst,cold_start,...]

Prints one table (name, value, unit, baseline, ratio, goal, note) and writes the same rows as JSON.
Asserts nothing about time: the machine is shared and noisy, so read the ratios, not the absolutes.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable

from tests.bench.common import Figure

SECTIONS = ("cold_start", "per_event", "burst", "economics", "redaction", "sandbox")


def _redaction() -> list[Figure]:
    from tests.bench import bench_redaction

    figures = bench_redaction.run()
    mb = bench_redaction.LOG_BYTES / 1e6
    return [
        Figure("redaction: redact_log throughput, 5 MB log", figures["redact_log_mb_per_s"], "MB/s",
               figures["redact_mb_per_s"], "redact (no line cut) on the same log", "",
               f"{mb:.1f} MB synthetic log, 10% of lines secrets, median of {bench_redaction.REPEATS}"),
        Figure("redaction: hostile 1 MB line, worst case", figures["hostile_1mb_line_redact_log_max_s"], "s",
               figures["hostile_1mb_line_redact_max_s"], "redact (no line cut), worst case", "",
               "max over 7 crafted lines (jwt prefixes, unterminated quotes, ...)"),
        Figure("redaction: RE2 vs re, 100 KB of jwt prefixes", figures["compare_100kb_jwt_prefixes_re2_s"], "s",
               figures["compare_100kb_jwt_prefixes_re_s"], "Python re, same combined pattern", "",
               "why RE2 (FACTS §8)"),
    ]


def _sandbox() -> list[Figure]:
    from local_emulator.kube_sandbox import KubeSandbox
    from tests.bench import bench_sandbox

    with KubeSandbox() as sandbox:
        sandbox.load_objects([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bench", "namespace": "default"},
                               "spec": {"containers": [{"name": "app", "image": "app:1"}]},
                               "status": {"phase": "Running"}}])
        raw = [bench_sandbox._raw_round(sandbox.url) for _ in range(bench_sandbox.ROUNDS)]
        client = [bench_sandbox._client_round(sandbox.url) for _ in range(bench_sandbox.ROUNDS)]
    return [Figure(f"sandbox: {bench_sandbox.REQUESTS} sequential GETs (kubernetes client)", statistics.median(client),
                   "s", statistics.median(raw), "http.client, one keep-alive connection", "< 2 s",
                   f"CoreV1Api.read_namespaced_pod, median of {bench_sandbox.ROUNDS}")]


def _runners() -> dict[str, Callable[[], list[Figure]]]:
    from tests.bench import burst, cold_start, economics, per_event

    return {"cold_start": cold_start.run, "per_event": per_event.run, "burst": burst.run,
            "economics": economics.run, "redaction": _redaction, "sandbox": _sandbox}


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def render(header: dict[str, object], figures: list[Figure]) -> str:
    lines = [f"KubeSent benchmarks - {header['date']} - {header['cpu_count']} cores - Python {header['python']} "
             f"- {header['platform']}",
             "Figures from a shared, noisy machine: compare each value with its baseline (same run), not across runs.",
             ""]
    columns = ("name", "value", "unit", "baseline", "ratio", "goal")
    rows = [(f.name, _fmt(f.value), f.unit, _fmt(f.baseline), _fmt(f.ratio), f.goal or "") for f in figures]
    widths = [max(len(columns[i]), *(len(r[i]) for r in rows)) for i in range(len(columns))]
    lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    for figure, row in zip(figures, rows, strict=True):
        lines.append("  ".join(cell.rjust(w) if i in (1, 3, 4) else cell.ljust(w)
                               for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
        detail = "; ".join(part for part in (f"baseline: {figure.baseline_name}" if figure.baseline_name else "",
                                             figure.note) if part)
        if detail:
            lines.append(" " * 4 + detail)
    return "\n".join(lines)


def keyed(figures: list[Figure]) -> dict[str, dict[str, float | None]]:
    """The figures with a contract key, as ``{"burst": {"writes": 1.0, ...}}``: a ratio where there is a
    baseline, else the value."""
    sections: dict[str, dict[str, float | None]] = {}
    for figure in figures:
        if figure.key:
            section, name = figure.key.split(".", 1)
            sections.setdefault(section, {})[name] = figure.ratio if figure.baseline else figure.value
    return sections


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.suite", description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="also write the rows here")
    parser.add_argument("--skip", default="", help=f"comma-separated sections to skip: {', '.join(SECTIONS)}")
    parser.add_argument("--only", default="", help="comma-separated sections to run")
    args = parser.parse_args(argv)
    skip = {name for name in args.skip.split(",") if name}
    only = {name for name in args.only.split(",") if name}
    header: dict[str, object] = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
        "note": "ratios on a shared machine; no figure is asserted"}
    figures: list[Figure] = []
    durations: dict[str, float] = {}
    for name, runner in _runners().items():
        if name in skip or (only and name not in only):
            continue
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            figures.extend(runner())
        except Exception as exc:  # one broken section must not hide the others' figures
            traceback.print_exc()
            figures.append(Figure(f"{name}: FAILED", None, "", note=f"{type(exc).__name__}: {exc}"[:300]))
        durations[name] = time.perf_counter() - started
        print(f"[bench] {name} done in {durations[name]:.1f} s", file=sys.stderr, flush=True)
    header["section_seconds"] = {name: round(seconds, 1) for name, seconds in durations.items()}
    print(render(header, figures))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"header": header, "figures": [f.as_dict() for f in figures], **keyed(figures)}, handle,
                      indent=2)
            handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
