"""The scenario folders under ``tests/scenarios/``: where they are, how to read one, and fresh timestamps.

Each folder holds ``bundle.json`` (the incident, in the replay bundle format of DESIGN.md) and ``expected.json``
(the outcome KubeSent must reach, and the ``source`` its shape comes from). Used by tests and by ``tests.bench``.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def names() -> list[str]:
    """Every scenario folder, sorted."""
    return sorted(p.name for p in SCENARIOS.iterdir() if (p / "expected.json").exists())


def load_scenario(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The folder's bundle and expected outcome."""
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


# The model path: an incident the rules cannot explain, and the answer a good model gives.
TRACEBACK = ("Traceback (most recent call last):\n  File \"/srv/app.py\", line 41, in <module>\n"
             "    shards = load_shard_map()\nValueError: shard map has 0 entries\n")
GOOD_MODEL_ANSWER = {"category": "crash_loop", "root_cause": "The app exits because its shard map is empty; "
                     "start it with --shards pointing at the shard map.",
                     "remedy": "fix_command_or_args", "container": "worker", "confidence": 80,
                     "evidence": ["ValueError: shard map has 0 entries"]}


def unexplained_crash(bundle: dict[str, Any], log: str) -> dict[str, Any]:
    """crashloop-command without its command override and with an app traceback: the rules leave it to the
    model."""
    bundle = copy.deepcopy(bundle)
    for obj in bundle["objects"]:
        pod_spec = obj.get("spec") if obj["kind"] == "Pod" else None
        spec = obj.get("spec", {}).get("template", {}).get("spec") or pod_spec
        for container in (spec or {}).get("containers", []):
            container.pop("command", None), container.pop("args", None)
    key = next(iter(bundle["logs"]))
    bundle["logs"][key]["previous"] = log
    return bundle
