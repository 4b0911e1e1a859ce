"""The burst benchmark's baseline: a CloudEvent function that only acknowledges.

``tests.bench.burst`` serves it through ``local_emulator.stack.FunctionProcess`` exactly as the stack serves
``main.on_pod_event``: functions-framework under gunicorn, the same command, thread count and environment,
behind a push subscription with the same push config. So the baseline differs from KubeSent only in the
handler. It writes one short marked line per event, so the bench counts its events the way it counts
KubeSent's audit lines. Never imported by the function or the tests.
"""

from __future__ import annotations

import os

import functions_framework
from cloudevents.http.event import CloudEvent

TARGET = "acknowledge"
MARK = b"bench.acknowledged"


@functions_framework.cloud_event
def acknowledge(cloud_event: CloudEvent) -> None:
    """Return at once (functions-framework answers 200, the answer on_pod_event gives)."""
    del cloud_event
    os.write(1, MARK + b"\n")
