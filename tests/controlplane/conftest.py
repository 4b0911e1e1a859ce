"""Fixtures of the control-plane tier: one real etcd + kube-apiserver + kube-controller-manager per session.

The tier never skips itself: without the binaries every test here fails, naming `make controlplane`.
The control plane stops by process group in the session teardown, also after a failed test.
"""
from __future__ import annotations

from collections.abc import Iterator

import kubernetes.client
import pytest

from local_emulator.controlplane import ControlPlane, identities, launcher
from tests.controlplane import support


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/controlplane/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.controlplane)


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    missing = launcher.missing_binaries()
    if missing:
        pytest.fail(f"control-plane binaries {missing} are missing from {launcher.bin_dir()}: "
                    "run `make controlplane` (the tier must not skip)", pytrace=False)
    with ControlPlane() as plane:
        support.bootstrap(plane)
        yield plane


@pytest.fixture(scope="session")
def admin_client(control_plane: ControlPlane) -> Iterator[kubernetes.client.ApiClient]:
    client = support.api_client(control_plane, identities.ADMIN)
    yield client
    client.close()


@pytest.fixture(scope="session")
def kubesent_client(control_plane: ControlPlane) -> Iterator[kubernetes.client.ApiClient]:
    client = support.api_client(control_plane, identities.KUBESENT)
    yield client
    client.close()


@pytest.fixture()
def kubectl(control_plane: ControlPlane) -> support.Kubectl:
    return support.Kubectl(control_plane)


@pytest.fixture(scope="session")
def approver_client(control_plane: ControlPlane) -> Iterator[kubernetes.client.ApiClient]:
    """The approval endpoint's own identity (approverUsername in kubesent.env)."""
    client = support.api_client(control_plane, identities.APPROVER)
    yield client
    client.close()
