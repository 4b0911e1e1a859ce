"""Shared fixtures: a clean environment, a running Kubernetes API sandbox, scenario bundles, a pipeline wired to both.

Fixtures only; the helpers they use live in ``tests/support/`` and tests import them from there.
Integration tests use the real ``kubernetes`` client over HTTP against the sandbox (never mocks).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kubesent import events
from local_emulator import gcloud_emulators
from local_emulator.kube_sandbox import KubeSandbox
from tests.support.pipelines import PipelineFactory
from tests.support.scenarios import event_at, load_scenario

# Read by Settings or by the Google clients; a value left in a developer's shell would change what a test sees.
# Fixtures that need one (firestore_env, a test's own monkeypatch.setenv) set it after this clean-up runs.
AMBIENT_VARIABLES = ("GEMINI_API_KEY", "FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST")


@pytest.fixture(autouse=True)
def clean_environment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without KUBESENT_* and the ambient Google variables.

    Autouse fixtures are set up before the other function-scoped fixtures a test asks for, and they all share one
    ``monkeypatch``, so a fixture that sets a variable deliberately still wins and everything is restored after.
    ``live`` tests keep GEMINI_API_KEY: it is what they are for.
    """
    keep = {"GEMINI_API_KEY"} if request.node.get_closest_marker("live") else set()
    for name in list(os.environ):
        if name.startswith("KUBESENT_") or (name in AMBIENT_VARIABLES and name not in keep):
            monkeypatch.delenv(name)


@pytest.fixture()
def sandbox() -> Iterator[KubeSandbox]:
    with KubeSandbox() as running:
        yield running


@pytest.fixture()
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture()
def make_pipeline(sandbox: KubeSandbox) -> Iterator[PipelineFactory]:
    factory = PipelineFactory(sandbox)
    yield factory
    factory.close()


@pytest.fixture()
def scenario(sandbox: KubeSandbox, now: datetime) -> Callable[[str], tuple[events.PodEvent, dict[str, Any]]]:
    """Load a scenario into the sandbox; return its (fresh) event and expected outcome."""
    def load(name: str) -> tuple[events.PodEvent, dict[str, Any]]:
        bundle, expected = load_scenario(name)
        sandbox.load_bundle(bundle)
        return events.parse_event(event_at(bundle, now)), expected
    return load


def _emulator(start: Callable[..., gcloud_emulators.Emulator], *, what: str,
              project: str) -> Iterator[gcloud_emulators.Emulator]:
    """One emulator for the whole session, stopped at its end; a missing gcloud fails loudly."""
    if shutil.which("gcloud") is None:
        pytest.fail(f"gcloud is not installed: the {what} emulator tests cannot run (FACTS §4)")
    emulator = start(project=project)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="session")
def firestore_emulator() -> Iterator[gcloud_emulators.Emulator]:
    yield from _emulator(gcloud_emulators.start_firestore, what="Firestore", project="kubesent-ledger-test")


@pytest.fixture
def firestore_env(firestore_emulator: gcloud_emulators.Emulator, monkeypatch: pytest.MonkeyPatch,
                  tmp_path: Path) -> gcloud_emulators.Emulator:
    """An empty emulator, FIRESTORE_EMULATOR_HOST set, and no ADC anywhere the client could look."""
    firestore_emulator.clear()
    for name, value in firestore_emulator.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud-config"))
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")  # nothing listens: no metadata server either
    return firestore_emulator


@pytest.fixture(scope="session")
def pubsub_emulator() -> Iterator[gcloud_emulators.Emulator]:
    yield from _emulator(gcloud_emulators.start_pubsub, what="Pub/Sub", project="kubesent-report-test")
