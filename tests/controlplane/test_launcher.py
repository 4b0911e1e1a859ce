"""The launcher: it refuses loudly without binaries, and stops every child by process group."""
from __future__ import annotations

import os
import pathlib

import pytest

from local_emulator.controlplane import ControlPlane, ControlPlaneError


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
