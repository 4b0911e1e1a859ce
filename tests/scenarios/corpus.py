"""Rebuild ``tests/scenarios/corpus.jsonl`` from the scenario folders: ``make corpus``.

The folders are the source of truth: ``<name>/bundle.json`` is the incident and ``<name>/expected.json`` the outcome
KubeSent must reach, with the ``source`` its shape comes from. The corpus is derived: one compact line per folder,
for replay and the benchmarks. Lines keep the order the corpus already has, so replay output stays comparable
byte for byte across changes; a new folder is appended, a removed one dropped. ``test_corpus.py`` fails when
the file and the folders disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
CORPUS = HERE / "corpus.jsonl"


def folders() -> list[str]:
    """Every scenario folder, sorted."""
    return sorted(p.name for p in HERE.iterdir() if (p / "bundle.json").is_file())


def line(bundle: dict[str, Any]) -> str:
    """One bundle as a corpus line: compact JSON, keys in the folder's order."""
    return json.dumps(bundle, separators=(",", ":"))


def order(existing: str, names: list[str]) -> list[str]:
    """The corpus's current order for the folders it already holds, then new folders by name."""
    current = [json.loads(text)["id"] for text in existing.splitlines() if text.strip()]
    kept = [name for name in current if name in names]
    return kept + sorted(set(names) - set(kept))


def render(existing: str = "") -> str:
    """The corpus the folders describe, in ``existing``'s order."""
    names = order(existing, folders())
    return "".join(line(json.loads((HERE / name / "bundle.json").read_text())) + "\n" for name in names)


def main() -> None:
    CORPUS.write_text(render(CORPUS.read_text() if CORPUS.exists() else ""))


if __name__ == "__main__":
    main()
