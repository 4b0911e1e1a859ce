"""The deploy unit type-checks under ``mypy --strict`` and passes ruff: a regression shows up in CI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_functions_pass_mypy_strict():
    completed = subprocess.run([sys.executable, "-m", "mypy", "functions"], cwd=ROOT, capture_output=True,
                               text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout[-3000:]


def test_the_codebase_passes_ruff():
    """The strict rule set in pyproject.toml, over the deploy unit, the local emulator and the tests."""
    completed = subprocess.run([sys.executable, "-m", "ruff", "check", "functions", "local_emulator", "tests"],
                               cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stdout[-3000:]


def test_stage_packages_import_downwards_only():
    """The layers in pyproject.toml ([tool.importlinter]), judged by import-linter."""
    completed = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache",
                                str(ROOT / "pyproject.toml")], cwd=ROOT / "functions", capture_output=True,
                               text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert "0 broken" in completed.stdout
