"""Shared fixtures: a running Kubernetes API sandbox, scenario bundles, and a pipeline wired to both.

Integration tests use the real ``kubernetes`` client over HTTP against the sandbox (never mocks).
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from kubesent import events
from kubesent.cluster.kube import KubeCluster, build_api_client
from kubesent.diagnosis.base import Diagnoser, NullDiagnoser
from kubesent.ledger.memory import MemoryLedger
from kubesent.pipeline import Pipeline
from kubesent.settings import Settings
from kubesent.wiring import ledger_settings

from local_emulator import gcloud_emulators
from local_emulator.kube_sandbox import KubeSandbox

SCENARIOS = Path(__file__).parent / "scenarios"


def load_scenario(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    folder = SCENARIOS / name
    return json.loads((folder / "bundle.json").read_text()), json.loads((folder / "expected.json").read_text())


def event_at(bundle: dict[str, Any], when: datetime) -> dict[str, Any]:
    """The bundle's exporter event, re-stamped as if it just happened."""
    event = copy.deepcopy(bundle["event"])
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if event.get("lastTimestamp"):
        event["lastTimestamp"] = stamp
    if event.get("eventTime"):
        event["eventTime"] = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    event["metadata"]["creationTimestamp"] = stamp
    return event


@pytest.fixture()
def sandbox() -> Iterator[KubeSandbox]:
    with KubeSandbox() as running:
        yield running


@pytest.fixture()
def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


class PipelineFactory:
    """Builds pipelines against one sandbox; closes their clients at the end of the test."""

    def __init__(self, sandbox: KubeSandbox) -> None:
        self.sandbox = sandbox
        self.clusters: list[KubeCluster] = []

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {"kube_mode": "explicit", "kube_host": self.sandbox.url, "ledger": "memory",
                                  "llm": "none", "kube_timeout_seconds": 2.0, **overrides}
        return Settings(**values)

    def __call__(self, *, diagnoser: Diagnoser | None = None, ledger: Any = None, **overrides: Any) -> Pipeline:
        settings = self.settings(**overrides)
        cluster = KubeCluster(build_api_client(settings), timeout_seconds=settings.kube_timeout_seconds)
        self.clusters.append(cluster)
        return Pipeline(settings, cluster=cluster, ledger=ledger or MemoryLedger(ledger_settings(settings)),
                        diagnoser=diagnoser or NullDiagnoser())

    def close(self) -> None:
        for cluster in self.clusters:
            cluster.close()


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
