"""checkov finds nothing on infra/ or on the built manifests, except checks skipped inline with a reason."""

from __future__ import annotations

import json
import pathlib
import subprocess

import pytest

from tests.infra.support import CHECKOV, INFRA


def run_checkov(*args: str) -> dict:
    if not CHECKOV.exists():
        pytest.fail(f"checkov is missing at {CHECKOV}: run `make .venv-checkov` "
                    "(python3 -m venv .venv-checkov && .venv-checkov/bin/pip install checkov==3.3.30)")
    result = subprocess.run([str(CHECKOV), "--skip-download", "--quiet", "--output", "json", *args],
                            capture_output=True, text=True, timeout=240, check=False)
    assert result.stdout.strip(), f"checkov printed nothing:\n{result.stderr[-2000:]}"
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{check['check_id']} {check['resource']} ({check['file_path']})"
              for report in reports for check in report.get("results", {}).get("failed_checks", [])]
    assert not failed, "checkov failed checks (fix, or skip inline with a one-line reason):\n" + "\n".join(failed)
    return {"reports": reports, "returncode": result.returncode}


def passed(outcome: dict) -> int:
    return sum(int(report.get("summary", {}).get("passed", 0)) for report in outcome["reports"])


def skipped(outcome: dict) -> list[dict]:
    return [check for report in outcome["reports"] for check in report.get("results", {}).get("skipped_checks", [])]


def test_checkov_terraform() -> None:
    outcome = run_checkov("-d", str(INFRA), "--framework", "terraform")

    assert outcome["returncode"] == 0
    assert passed(outcome) >= 20, "checkov must actually have scanned the Terraform"
    assert all(check.get("suppress_comment") for check in skipped(outcome)), "every skip needs a reason"


def test_checkov_kubernetes_manifests(built_dir: pathlib.Path) -> None:
    outcome = run_checkov("-d", str(built_dir), "--framework", "kubernetes")

    assert outcome["returncode"] == 0
    assert passed(outcome) >= 20, "checkov must actually have scanned the manifests"
    assert all(check.get("suppress_comment") for check in skipped(outcome)), "every skip needs a reason"
