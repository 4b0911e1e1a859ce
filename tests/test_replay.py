"""``replay`` as the DESIGN.md contract states it, over every scenario folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kubesent import replay
from kubesent.settings import Settings
from tests.support import scenarios
from tests.support.scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parents[1]
NAMES = scenarios.names()
CONTRACT_KEYS = {"id", "action", "remedy", "category", "confidence", "target", "patch", "root_cause"}
REMEDIES = {"raise_memory_limit", "raise_cpu_limit", "fix_image_reference", "add_image_pull_secret", "fix_probe",
            "add_missing_config", "fix_command_or_args", "fix_security_context", "fix_scheduling", "rollback_rollout",
            "escalate"}


def _settings(**overrides) -> Settings:
    return Settings(**{"llm": "none", "ledger": "memory", **overrides})


@pytest.mark.parametrize("name", NAMES)
def test_each_scenario_reaches_its_expected_outcome(name):
    line = (SCENARIOS / name / "bundle.json").read_text()
    expected = json.loads((SCENARIOS / name / "expected.json").read_text())
    result = replay.replay_line(line, settings=_settings(), diagnoser=replay.wiring.build_diagnoser(_settings()),
                                index=1)
    assert set(result) >= CONTRACT_KEYS
    assert result["remedy"] in REMEDIES and 0 <= result["confidence"] <= 100
    assert "action" in expected and (expected["action"] == "ignored" or "remedy" in expected), \
        f"{name}/expected.json must pin the action and, unless ignored, the remedy"
    for key in ("action", "remedy", "category", "target", "patch"):
        if key in expected:
            assert result[key] == expected[key], (key, result)
    if "root_cause_contains" in expected:
        assert expected["root_cause_contains"] in result["root_cause"]
    if "reason_contains" in expected:
        assert expected["reason_contains"] in result["reason"], result["reason"]


def _run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KUBESENT_") and k != "GEMINI_API_KEY"}
    return subprocess.run([sys.executable, "-m", "kubesent", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**clean, "PYTHONPATH": "functions", **(env or {})}, timeout=120, check=False)


def test_the_cli_prints_one_json_object_per_line_in_input_order():
    completed = _run_cli("replay", str(SCENARIOS / "corpus.jsonl"))
    assert completed.returncode == 0, completed.stderr
    outputs = [json.loads(line) for line in completed.stdout.splitlines()]
    inputs = [json.loads(line)["id"] for line in (SCENARIOS / "corpus.jsonl").read_text().splitlines() if line]
    assert [o["id"] for o in outputs] == inputs
    assert all(set(o) == CONTRACT_KEYS for o in outputs), "exactly the contract's keys"
    by_id = {o["id"]: o for o in outputs}
    assert by_id["oom-memory-hog"]["action"] == "dry_run"


def test_with_dry_run_off_an_allowed_patch_reports_applied():
    completed = _run_cli("replay", str(SCENARIOS / "corpus.jsonl"), env={"KUBESENT_DRY_RUN": "false"})
    by_id = {o["id"]: o for o in map(json.loads, completed.stdout.splitlines())}
    assert by_id["oom-memory-hog"]["action"] == "applied"
    assert by_id["gitops-oom"]["action"] == "proposed"


def test_explain_adds_each_decisions_reason():
    completed = _run_cli("replay", "--explain", str(SCENARIOS / "corpus.jsonl"))
    by_id = {o["id"]: o for o in map(json.loads, completed.stdout.splitlines())}
    assert "KUBESENT_DRY_RUN" in by_id["oom-memory-hog"]["reason"]


def test_a_malformed_line_yields_an_ignored_result_and_the_rest_still_run(tmp_path):
    good = (SCENARIOS / "missing-configmap" / "bundle.json").read_text().replace("\n", "")
    path = tmp_path / "mixed.jsonl"
    path.write_text("{not json\n" + good + "\n" + '{"id": "no-event", "objects": []}\n')
    outputs = [json.loads(line) for line in _run_cli("replay", "--explain", str(path)).stdout.splitlines()]
    assert [o["action"] for o in outputs] == ["ignored", "proposed", "ignored"]
    assert "bad bundle" in outputs[0]["root_cause"]


def test_a_missing_file_is_a_clear_error():
    completed = _run_cli("replay", "/nonexistent/bundles.jsonl")
    assert completed.returncode == 2 and "cannot read" in completed.stderr


def test_audit_prints_the_whole_record_the_function_would_log():
    completed = _run_cli("replay", "--audit", str(SCENARIOS / "corpus.jsonl"))
    assert completed.returncode == 0, completed.stderr
    records = {o["id"]: o for o in map(json.loads, completed.stdout.splitlines())}
    hog = records["oom-memory-hog"]
    assert hog["action"] == "dry_run" and hog["previous"] == {"memory_limit": "10Mi"}
    assert hog["owner_chain"] == ["Pod/memory-hog-wsrk7tf8m2-x2x4k", "ReplicaSet/memory-hog-wsrk7tf8m2",
                                  "Deployment/memory-hog"]
    assert any("OOMKilled" in line for line in hog["evidence"])
    assert len(records) == len(NAMES)
