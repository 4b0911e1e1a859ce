"""``make demo-controlplane``: the demo's OOM incident end to end on its own real control plane."""
from __future__ import annotations

import os
import subprocess
import sys

from local_emulator.controlplane import identities

# A control plane of its own, the two emulators and functions-framework: well under this on a quiet machine.
DEMO_TIMEOUT_SECONDS = 300


def test_the_demo_heals_the_memory_hog_on_a_real_api_server() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KUBESENT_")}
    done = subprocess.run([sys.executable, "-m", "local_emulator.demo", "--controlplane"], cwd=identities.ROOT,
                          env={**env, "PYTHONPATH": str(identities.ROOT / "functions")}, capture_output=True,
                          text=True, timeout=DEMO_TIMEOUT_SECONDS, check=False)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "APPLIED: raise_memory_limit" in done.stdout and "limits.memory 110Mi" in done.stdout
