"""Replay exporter events or incident bundles into a Pub/Sub (emulator) topic.

    PUBSUB_EMULATOR_HOST=127.0.0.1:8085 .venv/bin/python -m local_emulator.publisher \\
        --project kubesent-local --topic kubesent-events FILE.jsonl [--fresh]

Each line of FILE is either an EnhancedEvent (published as is) or an incident bundle (DESIGN.md:
its ``event`` is published). Messages carry no attributes, exactly as kubernetes-event-exporter
sends them (FACTS.md §1). ``--fresh`` re-stamps each event with the current time, so a recorded
event is not dropped as stale. Prints one message id per published line.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local_emulator import exporter_event, pubsub_admin

DEFAULT_PROJECT = "kubesent-local"
DEFAULT_TOPIC = "kubesent-events"
DEFAULT_EMULATOR = "127.0.0.1:8085"  # the gcloud Pub/Sub emulator's default port


def events_from_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The EnhancedEvent of each non-empty line: a bundle's ``event``, or the line itself."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        document = json.loads(line)
        if not isinstance(document, dict):
            raise ValueError(f"line {number}: expected a JSON object")
        event = document.get("event") if "involvedObject" not in document else document
        if not isinstance(event, dict):
            raise ValueError(f"line {number}: neither an exporter event nor an incident bundle")
        yield event


def refreshed(event: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The event re-stamped as if the kubelet had just reported it."""
    stamped = copy.deepcopy(event)
    now = now or datetime.now(UTC)
    stamp = exporter_event.utc_stamp(now)
    if stamped.get("lastTimestamp"):
        stamped["lastTimestamp"] = stamp
    if stamped.get("eventTime"):
        stamped["eventTime"] = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    stamped.setdefault("metadata", {})["creationTimestamp"] = stamp
    return stamped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_emulator.publisher", description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path, help="JSON Lines: exporter events or incident bundles")
    parser.add_argument("--project", default=DEFAULT_PROJECT)
    parser.add_argument("--topic", default=DEFAULT_TOPIC)
    parser.add_argument("--emulator", default=os.environ.get("PUBSUB_EMULATOR_HOST", DEFAULT_EMULATOR),
                        help="host:port of the Pub/Sub emulator (default: $PUBSUB_EMULATOR_HOST or %(default)s)")
    parser.add_argument("--fresh", action="store_true", help="re-stamp each event with the current time")
    args = parser.parse_args(argv)
    with args.file.open() as handle:
        events = [refreshed(event) if args.fresh else event for event in events_from_lines(handle)]
    admin = pubsub_admin.PubSubAdmin(args.emulator, project=args.project)
    try:
        for message_id in admin.publish(args.topic, [exporter_event.message_data(event) for event in events]):
            print(message_id)
    finally:
        admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
