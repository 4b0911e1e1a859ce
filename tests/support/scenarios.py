"""The scenario folders under ``tests/scenarios/``: where they are, how to read one, and fresh timestamps.

Each folder holds ``bundle.json`` (the incident, in the replay bundle format of DESIGN.md) and ``expected.json``
(the outcome KubeSent must reach, and the ``source`` its shape comes from). Used by tests and by ``tests.bench``.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def names() -> list[str]:
    """Every scenario folder, sorted."""
    return sorted(p.name for p in SCENARIOS.iterdir() if (p / "expected.json").exists())


def load_scenario(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The folder's bundle, moved in time so that its event happens now, and the expected outcome.

    Every timestamp moves by the same amount (the pod's start, its containers' runs, its events), so the
    facts keep their order and distances: a pod that started ten minutes before its event still did.
    Tests re-stamp the event with ``event_at``; the objects must agree with it.
    """
    folder = SCENARIOS / name
    bundle = json.loads((folder / "bundle.json").read_text())
    return shifted(bundle, datetime.now(UTC).replace(microsecond=0)), json.loads((folder / "expected.json").read_text())


_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$")


def shifted(bundle: dict[str, Any], when: datetime) -> dict[str, Any]:
    """A copy of ``bundle`` with every timestamp moved so that its event happened at ``when``."""
    event = bundle.get("event") or {}
    stamp = event.get("lastTimestamp") or event.get("eventTime") or (event.get("metadata") or {}).get(
        "creationTimestamp")
    if not stamp:
        return copy.deepcopy(bundle)
    delta = when - datetime.fromisoformat(stamp.replace("Z", "+00:00"))

    def move(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: move(item) for key, item in value.items()}
        if isinstance(value, list):
            return [move(item) for item in value]
        if isinstance(value, str) and _STAMP.match(value):
            moved = datetime.fromisoformat(value.replace("Z", "+00:00")) + delta
            fraction = "." in value
            return moved.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if fraction else "%Y-%m-%dT%H:%M:%SZ")
        return value

    return {**bundle, "event": move(event), "objects": move(bundle.get("objects") or [])}


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
