"""The autouse ``clean_environment`` fixture: a developer's shell cannot change what a test sees."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from kubesent.settings import Settings

STRAY = {"KUBESENT_DRY_RUN": "false", "KUBESENT_LLM": "gemini", "GEMINI_API_KEY": "from-the-shell",
         "PUBSUB_EMULATOR_HOST": "127.0.0.1:9"}


@pytest.fixture(scope="module")
def developer_shell() -> Iterator[dict[str, str]]:
    """Variables exported before the test starts: a module-scoped fixture is set up before function-scoped ones."""
    saved = {name: os.environ.get(name) for name in STRAY}
    os.environ.update(STRAY)
    yield STRAY
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture()
def pubsub_host(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fixture that sets an emulator host on purpose, as ``firestore_env`` does."""
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", "127.0.0.1:8085")
    return "127.0.0.1:8085"


def test_settings_ignore_variables_exported_in_the_shell(developer_shell: dict[str, str]) -> None:
    settings = Settings()

    assert settings.dry_run is True
    assert settings.llm == "none"
    assert settings.gemini_api_key is None
    assert not set(developer_shell) & set(os.environ)


def test_a_fixture_that_sets_a_variable_on_purpose_still_wins(developer_shell: dict[str, str],
                                                               pubsub_host: str) -> None:
    assert os.environ["PUBSUB_EMULATOR_HOST"] == pubsub_host


def test_a_test_can_still_set_what_it_needs(developer_shell: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBESENT_DRY_RUN", "false")

    assert Settings().dry_run is False
