"""The scenario folders are the source of truth; ``corpus.jsonl`` must say exactly what they say."""

from __future__ import annotations

import json

import pytest

from tests.scenarios import corpus

ACTIONS = {"applied", "dry_run", "proposed", "escalated", "ignored"}
LINES = [text for text in corpus.CORPUS.read_text().splitlines() if text.strip()]
BY_ID = {json.loads(text)["id"]: text for text in LINES}


def test_the_corpus_holds_each_folder_once() -> None:
    ids = [json.loads(text)["id"] for text in LINES]

    assert len(ids) == len(set(ids)), "an id appears twice in corpus.jsonl"
    assert sorted(ids) == corpus.folders(), "run `make corpus` to rebuild tests/scenarios/corpus.jsonl"


@pytest.mark.parametrize("name", corpus.folders())
def test_each_corpus_line_is_its_folders_bundle(name: str) -> None:
    bundle = json.loads((corpus.HERE / name / "bundle.json").read_text())

    assert bundle["id"] == name, "a bundle's id is its folder's name"
    assert name in BY_ID, "run `make corpus` to rebuild tests/scenarios/corpus.jsonl"
    assert json.loads(BY_ID[name]) == bundle, f"corpus.jsonl differs from {name}/bundle.json: run `make corpus`"
    assert BY_ID[name] == corpus.line(bundle)


@pytest.mark.parametrize("name", corpus.folders())
def test_each_folder_states_its_outcome_and_its_source(name: str) -> None:
    expected = json.loads((corpus.HERE / name / "expected.json").read_text())

    assert expected.get("action") in ACTIONS
    assert expected["action"] == "ignored" or expected.get("remedy"), "pin the remedy unless the event is ignored"
    assert isinstance(expected.get("source"), str) and len(expected["source"]) >= 40, \
        "say where the scenario's shape comes from (a page, an issue, FACTS.md)"


def test_make_corpus_would_change_nothing() -> None:
    text = corpus.CORPUS.read_text()

    assert corpus.render(text) == text


def test_a_new_folder_is_appended_and_a_removed_one_dropped() -> None:
    existing = "".join(json.dumps({"id": name}) + "\n" for name in ("b-scenario", "gone", "a-scenario"))

    assert corpus.order(existing, ["a-scenario", "b-scenario", "c-new", "0-new"]) == \
        ["b-scenario", "a-scenario", "0-new", "c-new"]
