"""``python -m kubesent diagnose`` against the sandbox: the report, --json like the API, the scan, exit codes,
and no write unless --apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from functions_framework import create_app

from kubesent.__main__ import main

MAIN = str(Path(__file__).resolve().parents[2] / "functions" / "main.py")


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("name", ["seed-oom", "seed-crashloop", "seed-image-pull"])
def test_diagnose_json_gives_the_same_remedy_as_the_api(function_env, sandbox, seeded, capsys, name):
    api = create_app("kubesent_http", MAIN, "http").test_client()
    from_api = api.post("/analyze", json={"namespace": "seed", "pod": name}).get_json()
    code = main(["diagnose", f"seed/{name}", "--json"])
    [line] = _json_lines(capsys.readouterr().out)
    assert set(line) == {"id", "action", "remedy", "category", "confidence", "target", "patch", "root_cause"}
    keys = ("remedy", "action", "category", "patch")
    assert [line[key] for key in keys] == [from_api[key] for key in keys]
    assert code == (0 if name == "seed-oom" else 1)
    assert sandbox.writes() == [] and [r for r in sandbox.requests if r["method"] != "GET"] == []


def test_the_report_reads_like_the_demo(function_env, seeded, capsys):
    assert main(["diagnose", "seed/seed-oom"]) == 0
    out = capsys.readouterr().out
    assert "seed/seed-oom: OOMKilled" in out and "DRY_RUN" in out and "110Mi" in out and "root cause:" in out


def test_a_namespace_scan_diagnoses_each_failing_pod_and_ends_with_a_table(function_env, sandbox, seeded, capsys):
    sandbox.load_objects([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "healthy", "namespace": "seed"},
                           "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                           "status": {"phase": "Running", "containerStatuses": [
                               {"name": "c", "ready": True, "restartCount": 0, "state": {"running": {}}}]}}])
    assert main(["diagnose", "--namespace", "seed"]) == 1
    captured = capsys.readouterr()
    assert "3 of 4 pods are failing now" in captured.err and "[3/3]" in captured.err
    table = captured.out.split("POD", 1)[1]
    assert "seed/seed-oom" in table and "fix_image_reference" in table and "3 diagnosed; 2 need a person" in table
    assert "healthy" not in table
    assert sandbox.writes() == []


def test_all_namespaces_json(function_env, seeded, capsys):
    assert main(["diagnose", "--all-namespaces", "--json"]) == 1
    assert {line["id"] for line in _json_lines(capsys.readouterr().out)} == {
        "seed/seed-oom", "seed/seed-crashloop", "seed/seed-image-pull"}


def test_apply_heals_through_the_safe_write_path(function_env, sandbox, seeded, capsys):
    assert main(["diagnose", "seed/seed-oom", "--apply", "--json"]) == 0
    [line] = _json_lines(capsys.readouterr().out)
    assert line["action"] == "applied"
    pod = sandbox.get_object(api_version="v1", kind="Pod", namespace="seed", name="seed-oom")
    assert pod["spec"]["containers"][0]["resources"]["limits"]["memory"] == "110Mi"


def test_apply_still_honours_dry_run(function_env, sandbox, seeded, monkeypatch, capsys):
    monkeypatch.setenv("KUBESENT_DRY_RUN", "true")
    assert main(["diagnose", "seed/seed-oom", "--apply", "--json"]) == 0
    assert _json_lines(capsys.readouterr().out)[0]["action"] == "dry_run" and sandbox.writes() == []


@pytest.mark.parametrize("argv", [["diagnose"], ["diagnose", "no-slash"], ["diagnose", "a/b/c"],
                                  ["diagnose", "seed/x", "--namespace", "seed"]])
def test_usage_errors_exit_2(function_env, argv, capsys):
    assert main(argv) == 2


def test_an_unknown_pod_exits_2(function_env, seeded, capsys):
    assert main(["diagnose", "seed/no-such-pod"]) == 2
    assert "404" in capsys.readouterr().err


def test_a_healthy_pod_needs_nobody(function_env, sandbox, capsys):
    sandbox.load_objects([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ok", "namespace": "default"},
                           "spec": {"containers": [{"name": "c", "image": "nginx"}]}, "status": {"phase": "Running"}}])
    assert main(["diagnose", "default/ok", "--json"]) == 0
    assert _json_lines(capsys.readouterr().out)[0]["action"] == "ignored"
