"""Start and stop the gcloud Firestore and Pub/Sub emulators for tests, the demo and benchmarks.

Each emulator runs as ``gcloud ... emulators ... start`` in its own process group
(``start_new_session=True``): stopping ``gcloud`` alone leaves its Java child listening (FACTS §4),
so ``Emulator.stop()`` signals the whole group. Never imported by the function itself.

    emulator = gcloud_emulators.start_firestore(port=0)   # 0 picks a free port
    try:
        os.environ.update(emulator.env)                    # FIRESTORE_EMULATOR_HOST=127.0.0.1:PORT
        ...
        emulator.clear()                                   # drop every document between tests
    finally:
        emulator.stop()
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import IO, Literal

# FACTS §4 measured ~1.5 s (Firestore) and ~1 s (Pub/Sub) on an idle machine; a loaded CI runner
# starting Java cold can take far longer, so wait generously before calling it a failure.
READY_TIMEOUT_SECONDS = 60.0
# Starts on a fresh free port after a lost race for the last one (the JVM's BindException says this).
BIND_ATTEMPTS = 3
PORT_TAKEN = "Address already in use"
# Deleting every document walks the whole store: slower than a health check on a busy machine.
CLEAR_TIMEOUT_SECONDS = 30.0
# Between readiness probes: short, because the emulators come up in about a second.
POLL_INTERVAL_SECONDS = 0.1
# SIGTERM lets Java shut down cleanly; after this long the group gets SIGKILL.
STOP_GRACE_SECONDS = 5.0
# Each readiness probe or clear() request: loopback answers in milliseconds.
HTTP_TIMEOUT_SECONDS = 5.0
# Tail of the emulator's output quoted in a start failure, enough to show the Java error.
LOG_TAIL_CHARS = 2000

DEFAULT_PROJECT = "kubesent-local"
LOOPBACK = "127.0.0.1"

Kind = Literal["firestore", "pubsub"]


class EmulatorError(RuntimeError):
    """An emulator did not start, or exited early."""


@dataclass
class Emulator:
    """A running emulator: where it listens and how to point a client at it."""

    kind: Kind
    host_port: str
    project: str
    process: subprocess.Popen[bytes]
    log_file: IO[bytes]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{self.host_port}"

    def clear(self, *, database: str = "(default)") -> None:
        """Delete every Firestore document of ``project`` (the emulator's own reset endpoint)."""
        if self.kind != "firestore":
            raise EmulatorError("clear() is only for the Firestore emulator")
        url = f"{self.url}/emulator/v1/projects/{self.project}/databases/{database}/documents"
        request = urllib.request.Request(url, method="DELETE")
        with urllib.request.urlopen(request, timeout=CLEAR_TIMEOUT_SECONDS) as response:
            response.read()

    def stop(self) -> None:
        """Stop gcloud and its Java child (the whole process group); safe to call twice."""
        try:
            _stop_group(self.process)
        finally:
            self.log_file.close()
            if os.path.exists(self.log_file.name):
                os.unlink(self.log_file.name)

    def log_text(self) -> str:
        """Everything the emulator printed."""
        self.log_file.flush()
        with open(self.log_file.name, "rb") as handle:
            return handle.read().decode(errors="replace")

    def log_tail(self) -> str:
        """The last lines the emulator printed (for failure messages)."""
        self.log_file.flush()
        with open(self.log_file.name, "rb") as handle:
            return handle.read().decode(errors="replace")[-LOG_TAIL_CHARS:]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def start_firestore(*, port: int = 0, project: str = DEFAULT_PROJECT,
                    timeout: float = READY_TIMEOUT_SECONDS) -> Emulator:
    """Start the Firestore emulator (native mode) and wait until it answers ``GET /``."""
    return _start(kind="firestore", port=port, project=project, timeout=timeout,
                  command=["gcloud", "emulators", "firestore", "start"])


def start_pubsub(*, port: int = 0, project: str = DEFAULT_PROJECT, data_dir: str = "",
                 timeout: float = READY_TIMEOUT_SECONDS, host: str = LOOPBACK) -> Emulator:
    """Start the Pub/Sub emulator and wait until it answers ``GET /``.

    ``data_dir`` must already exist (FACTS §4); empty means gcloud's default. ``host="0.0.0.0"``
    lets a local cluster (minikube's ``host.minikube.internal``) reach it; clients here still use
    the loopback address.
    """
    command = ["gcloud", "beta", "emulators", "pubsub", "start", f"--project={project}"]
    if data_dir:
        command.append(f"--data-dir={data_dir}")
    return _start(kind="pubsub", port=port, project=project, timeout=timeout, command=command, bind=host)


def _start(*, kind: Kind, port: int, project: str, timeout: float, command: list[str],
           bind: str = LOOPBACK) -> Emulator:
    """Start one emulator. A free port can be taken between ``free_port()`` and the JVM's bind (or the
    emulator binds a second port beside it): when it was our choice, another free port is tried."""
    for attempt in range(1, BIND_ATTEMPTS + 1):
        try:
            return _start_once(kind=kind, port=port, project=project, timeout=timeout, command=command, bind=bind)
        except EmulatorError as exc:
            if port or attempt == BIND_ATTEMPTS or PORT_TAKEN not in str(exc):
                raise
    raise AssertionError("unreachable")


def _start_once(*, kind: Kind, port: int, project: str, timeout: float, command: list[str],
                bind: str) -> Emulator:
    chosen = port or free_port()
    host_port = f"{LOOPBACK}:{chosen}"
    # Not a `with` block: the file outlives this call, as the emulator's stdout, until Emulator.stop().
    log_file = tempfile.NamedTemporaryFile(prefix=f"kubesent-{kind}-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [*command, f"--host-port={bind}:{chosen}"],
        stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
        start_new_session=True,  # own process group, so stop() reaches the Java child
    )
    env_name = "FIRESTORE_EMULATOR_HOST" if kind == "firestore" else "PUBSUB_EMULATOR_HOST"
    emulator = Emulator(kind=kind, host_port=host_port, project=project, process=process,
                        log_file=log_file, env={env_name: host_port})
    try:
        _wait_ready(emulator, timeout=timeout)
    except BaseException:
        tail = emulator.log_tail()
        lost_port = PORT_TAKEN in emulator.log_text()
        emulator.stop()
        raise EmulatorError(f"{kind} emulator on {host_port} not ready"
                            f"{' (' + PORT_TAKEN + ')' if lost_port else ''}: {tail}") from None
    return emulator


def _wait_ready(emulator: Emulator, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if emulator.process.poll() is not None:
            raise EmulatorError(f"exited with status {emulator.process.returncode}")
        try:
            with urllib.request.urlopen(emulator.url + "/", timeout=HTTP_TIMEOUT_SECONDS) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(POLL_INTERVAL_SECONDS)
    raise EmulatorError(f"not ready after {timeout:.0f} s")


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    # With start_new_session the group id is the gcloud pid; it outlives gcloud while Java runs.
    group = process.pid
    if not _signal_group(group, signal.SIGTERM):
        process.wait()
        return
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while time.monotonic() < deadline and _group_alive(group):
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=POLL_INTERVAL_SECONDS)
    _signal_group(group, signal.SIGKILL)
    process.wait()


def _signal_group(group: int, signum: signal.Signals) -> bool:
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    return True


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
