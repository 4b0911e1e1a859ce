"""Talking to a running ``ControlPlane``: an official-client ``ApiClient`` per identity, and waiting for
the controllers (they act asynchronously, through informers). Used by the demo and the test tier."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import kubernetes.client

from local_emulator.controlplane.launcher import ControlPlane

# The controllers react within a second or two; generous for a loaded machine.
WAIT_SECONDS = 60.0
POLL_SECONDS = 0.2


def api_client(plane: ControlPlane, identity: str) -> kubernetes.client.ApiClient:
    """An ``ApiClient`` that trusts the plane's CA and presents ``identity``'s bearer token."""
    assert plane.pki is not None, "start() first"
    configuration = kubernetes.client.Configuration()
    configuration.host = plane.url
    configuration.ssl_ca_cert = str(plane.pki.ca_cert)
    configuration.api_key = {"authorization": plane.token(identity)}
    configuration.api_key_prefix = {"authorization": "Bearer"}
    return kubernetes.client.ApiClient(configuration)


def wait_until(what: str, probe: Callable[[], Any], *, timeout: float = WAIT_SECONDS) -> Any:
    """``probe()``'s first truthy answer; RuntimeError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"timed out waiting for {what}")
