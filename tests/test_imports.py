"""Cold-start hygiene: importing ``main`` loads only what every event needs, and the layers hold."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"
HEAVY = ("google.genai", "google.cloud.firestore", "google.cloud.secretmanager", "google.cloud.pubsub_v1", "grpc")


def test_importing_main_does_not_load_the_model_ledger_or_secret_sdks():
    code = "import sys, json, main; print(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run([sys.executable, "-c", code], cwd=FUNCTIONS, capture_output=True, text=True,
                               timeout=60, check=True)
    loaded = json.loads(completed.stdout)
    for prefix in HEAVY:
        assert not any(m == prefix or m.startswith(prefix + ".") for m in loaded), f"main imports {prefix}"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


OWNERS = {"kubernetes": {"kubesent/cluster/kube.py"}, "google.genai": {"kubesent/diagnosis/llm.py"},
          "google.cloud.firestore": {"kubesent/ledger/firestore.py"},
          "google.cloud.secretmanager": {"kubesent/secrets.py"}, "functions_framework": {"main.py"},
          "google.cloud.pubsub_v1": {"kubesent/reporting.py"},
          "google.cloud.monitoring": {"kubesent/metrics/cloud_monitoring.py"},
          "google.cloud.monitoring_v3": {"kubesent/metrics/cloud_monitoring.py"},
          "slack_sdk": {"kubesent/notify/slack.py"}}


def test_each_outside_sdk_is_imported_by_exactly_one_module():
    for path in FUNCTIONS.rglob("*.py"):
        relative = str(path.relative_to(FUNCTIONS))
        for name in _imports(path):
            for sdk, owners in OWNERS.items():
                if name == sdk or name.startswith(sdk + "."):
                    assert relative in owners, f"{relative} imports {sdk}; only {owners} may"


def test_the_deploy_unit_never_imports_tests_or_the_local_emulator():
    for path in FUNCTIONS.rglob("*.py"):
        for name in _imports(path):
            assert not name.startswith(("tests", "local_emulator")), f"{path} imports {name}"


def test_only_settings_reads_the_environment():
    for path in FUNCTIONS.rglob("*.py"):
        if path.name == "settings.py":
            continue
        assert "os.environ" not in path.read_text() and "getenv" not in path.read_text(), path
