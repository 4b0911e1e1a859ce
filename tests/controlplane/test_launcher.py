"""The launcher: it refuses loudly without binaries, and stops every child by process group."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time

import pytest

from local_emulator.controlplane import ControlPlane, ControlPlaneError, identities


def test_missing_binaries_fail_loudly_naming_the_make_target(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ControlPlaneError, match="make controlplane"):
        ControlPlane(binaries=tmp_path, workdir=tmp_path / "run").start()


def group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)  # each child leads its own process group
    except ProcessLookupError:
        return False
    return True


def test_a_second_control_plane_starts_and_stops_every_process_group(control_plane: ControlPlane) -> None:
    plane = ControlPlane()
    plane.start()
    try:
        pids = [child.pid for _, child in plane._children]
        assert len(pids) == 3 and all(group_alive(pid) for pid in pids)
        assert plane.url != control_plane.url
    finally:
        plane.stop()

    assert not any(group_alive(pid) for pid in pids)
    assert not plane.workdir.exists()


KILLED_LAUNCHER = """
import os, sys
from local_emulator.controlplane.launcher import ControlPlane
plane = ControlPlane(workdir=__import__("pathlib").Path(sys.argv[1]))
plane.start()
print(" ".join(str(child.pid) for _, child in plane._children), flush=True)
os.kill(os.getpid(), 9)
"""


def test_the_children_die_with_a_killed_launcher(tmp_path: pathlib.Path) -> None:
    """A test run killed with SIGKILL runs no teardown; the children must not outlive it."""
    done = subprocess.run([sys.executable, "-c", KILLED_LAUNCHER, str(tmp_path / "run")], capture_output=True,
                          text=True, timeout=120, cwd=identities.ROOT)
    pids = [int(pid) for pid in done.stdout.split()]
    deadline = time.monotonic() + 10
    while any(group_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)

    assert done.returncode == -9 and len(pids) == 3, done.stderr
    assert not any(group_alive(pid) for pid in pids)
