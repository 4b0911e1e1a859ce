"""Bundles are outside input: mangled objects never crash replay; each line still gets a contract answer,
and objects that are not shaped like API answers are named as such, never patched."""

from __future__ import annotations

import copy
import json
import random

from kubesent import replay
from kubesent.settings import Settings
from tests.support.scenarios import SCENARIOS, load_scenario

ITERATIONS = 600
JUNK = (None, [], {}, "x", 0, -1, 1e300, {"a": None}, [None], True, "../..", "\u202e")
ACTIONS = {"applied", "dry_run", "proposed", "escalated", "ignored"}


def _mutate(rng: random.Random, node: object, depth: int = 0) -> None:
    if isinstance(node, dict) and node:
        key = rng.choice(list(node))
        if rng.random() < 0.3 or depth > 6:
            node[key] = copy.deepcopy(rng.choice(JUNK))
        else:
            _mutate(rng, node[key], depth + 1)
    elif isinstance(node, list) and node:
        index = rng.randrange(len(node))
        if rng.random() < 0.3 or depth > 6:
            node[index] = copy.deepcopy(rng.choice(JUNK))
        else:
            _mutate(rng, node[index], depth + 1)


def test_mangled_bundles_get_a_clear_answer_and_nothing_unsafe():
    settings = Settings(llm="none", ledger="memory", dry_run=False)
    diagnoser = replay.wiring.build_diagnoser(settings)
    names = sorted(p.name for p in SCENARIOS.iterdir() if (p / "bundle.json").exists())
    rng = random.Random(20261126)
    for index in range(ITERATIONS):
        bundle, _ = load_scenario(rng.choice(names))
        for _ in range(rng.randint(1, 4)):
            _mutate(rng, bundle)
        result = replay.replay_line(json.dumps(bundle), settings=settings, diagnoser=diagnoser, index=index)
        assert result["action"] in ACTIONS
        if "could not process" in result["reason"]:
            assert result["action"] == "escalated" and result["patch"] is None
        if result["action"] == "applied":
            assert result["remedy"] in ("raise_memory_limit", "raise_cpu_limit", "fix_probe"), result
