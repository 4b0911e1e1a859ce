"""The local KubeSent stack: Pub/Sub and Firestore emulators, the function, and (optionally) the sandbox.

Shared by ``local_emulator.demo`` and ``tests/e2e`` so both exercise the same chain:

    exporter event ─▶ Pub/Sub emulator topic ─push─▶ functions-framework (on_pod_event) ─▶ Kubernetes API
                                                      └─▶ Firestore emulator (the ledger)

Everything it starts is stopped by ``Stack.stop()`` (also on failure while starting): the emulators
by process group (gcloud leaves its Java child running otherwise, FACTS §4), the function by its
own process group, the in-process sandbox by joining its thread. Never imported by the function.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import inspect
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

from local_emulator import auditlog, gcloud_emulators, pubsub_admin
from local_emulator.kube_sandbox import KubeSandbox

REPO_ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = REPO_ROOT / ".run"  # gitignored: function logs of local runs
PROJECT = "kubesent-local"  # the project the exporter overlay for minikube publishes to
TOPIC = "kubesent-events"  # the topic name in Terraform and both exporter overlays
DEAD_LETTER_TOPIC = f"{TOPIC}-dead-letter"
PUSH_SUBSCRIPTION = f"{TOPIC}-push"
DEAD_LETTER_SUBSCRIPTION = f"{DEAD_LETTER_TOPIC}-pull"
FUNCTION_TARGET = "on_pod_event"
VERIFY_TARGET = "kubesent_verify"
TICKS_TOPIC = "kubesent-verify-ticks"  # infra/verify.tf: <function_name>-verify-ticks
# functions-framework imports flask, the kubernetes client and pydantic: ~2 s on a warm disk; a cold
# CI runner can take much longer, and a slow start is not a failure.
FUNCTION_READY_TIMEOUT_SECONDS = 60.0
POLL_INTERVAL_SECONDS = 0.1
# SIGTERM lets gunicorn drain; after this the function's process group gets SIGKILL.
FUNCTION_STOP_GRACE_SECONDS = 5.0
# The Kubernetes client's per-request timeout inside the function: loopback answers in milliseconds,
# and a short timeout keeps an injected slow response from holding a push for long.
LOCAL_KUBE_TIMEOUT_SECONDS = 5.0


@dataclass
class StackOptions:
    """What to run: against the in-process sandbox (default) or a kubeconfig context."""

    kube_mode: str = "explicit"  # "explicit" (the sandbox) or "kubeconfig" (a real cluster)
    kube_context: str = ""
    kube_host: str = ""  # explicit mode against this API server instead of a sandbox (the real control plane)
    pubsub_host: str = gcloud_emulators.LOOPBACK
    pubsub_port: int = 0  # 0: a free port
    dry_run: bool = False
    log_name: str = "function"
    extra_env: dict[str, str] = field(default_factory=dict)
    verifier: bool = False
    """Also run ``kubesent_verify``, pushed from the ticks topic (Cloud Scheduler's part is ``Stack.tick()``)."""


class FunctionProcess:
    """``functions-framework`` serving ``on_pod_event`` in its own process group, stdout to a log file.

    ``target`` and ``source`` name another CloudEvent function to serve the same way (the verifier; the
    benchmark's no-op baseline): the same command, server settings and environment, another handler.
    """

    def __init__(self, *, port: int, env: dict[str, str], log_path: Path, target: str = FUNCTION_TARGET,
                 source: Path = REPO_ROOT / "functions" / "main.py") -> None:
        self.port = port
        self.env = env
        self.log_path = log_path
        self.url = f"http://{gcloud_emulators.LOOPBACK}:{port}"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        # Not a `with` block: the log is the server's stdout for as long as it runs; stop() closes it.
        self._log: IO[bytes] = open(log_path, "wb")  # noqa: SIM115
        command = [str(Path(sys.executable).parent / "functions-framework"), "--target", target,
                   "--source", str(source), "--signature-type", "cloudevent",
                   "--host", gcloud_emulators.LOOPBACK, "--port", str(port)]
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = FUNCTION_READY_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"functions-framework exited with {self.process.returncode}: {self.tail()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1.0):
                    return
            except urllib.error.HTTPError:
                return  # any HTTP answer means the server is up (GET / is not a CloudEvent)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(POLL_INTERVAL_SECONDS)
        raise RuntimeError(f"functions-framework not ready after {timeout:.0f} s: {self.tail()}")

    def output(self) -> str:
        """Everything the function printed so far (stdout and stderr)."""
        return self.log_path.read_text(errors="replace")

    def records(self) -> list[auditlog.LogRecord]:
        """Every structured KubeSent line the function printed so far."""
        return auditlog.parse(self.output())

    def tail(self, chars: int = 3000) -> str:
        return self.output()[-chars:]

    def stop(self) -> None:
        """SIGTERM the group (gunicorn's arbiter and its worker), SIGKILL it after the grace period.

        The group is signalled only while its leader is alive and unreaped, so its id cannot have
        been reused by an unrelated process. Safe to call twice.
        """
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=FUNCTION_STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the worker too, not only the arbiter
                self.process.wait()
            except ProcessLookupError:
                self.process.wait()
        self._log.close()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Ignore SIGINT and SIGTERM inside the block (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class Stack:
    """Starts everything in ``start()``; ``stop()`` undoes exactly what was started, in reverse."""

    def __init__(self, options: StackOptions | None = None) -> None:
        self.options = options or StackOptions()
        self.sandbox: KubeSandbox | None = None
        self.pubsub: gcloud_emulators.Emulator | None = None
        self.firestore: gcloud_emulators.Emulator | None = None
        self.function: FunctionProcess | None = None
        self.verifier: FunctionProcess | None = None
        self.admin: pubsub_admin.PubSubAdmin | None = None
        # (stop, may_run_in_parallel): the two JVMs each take ~2 s to stop, so they stop side by side.
        self._stoppers: list[tuple[Callable[[], None], bool]] = []
        self._lock = threading.Lock()

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> Stack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        options = self.options
        if options.kube_mode == "explicit" and not options.kube_host:
            self.sandbox = KubeSandbox()
            self.sandbox.start()
            self._stoppers.append((self.sandbox.stop, False))
        firestore_port = gcloud_emulators.free_port()
        function_port = gcloud_emulators.free_port()
        # The three slow starts (two JVMs and the framework's imports) run side by side: the function
        # only needs the Firestore address, not a running Firestore, until its first event.
        with concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="stack-start") as pool:
            futures = [pool.submit(self._start_pubsub),
                       pool.submit(self._start_emulator, "firestore", gcloud_emulators.start_firestore,
                                   port=firestore_port, project=PROJECT)]
            self.function = FunctionProcess(port=function_port, env=self._function_env(firestore_port),
                                            log_path=RUN_DIR / f"{options.log_name}.log")
            self._stoppers.append((self.function.stop, False))
            if options.verifier:
                self.verifier = FunctionProcess(port=gcloud_emulators.free_port(),
                                                env=self._function_env(firestore_port),
                                                log_path=RUN_DIR / f"{options.log_name}-verify.log",
                                                target=VERIFY_TARGET)
                self._stoppers.append((self.verifier.stop, False))
            # Leaving the block waits for both starts, so even on Ctrl-C each emulator that came up
            # is registered (by its own thread) before stop() runs.
            for future in futures:
                future.result()
        self.function.wait_ready()
        if self.verifier is not None:
            self.verifier.wait_ready()
        assert self.pubsub is not None
        pubsub_port = self.pubsub.host_port.rsplit(":", 1)[1]  # it may listen on 0.0.0.0; talk over loopback
        self.admin = pubsub_admin.PubSubAdmin(f"{gcloud_emulators.LOOPBACK}:{pubsub_port}", project=PROJECT)
        self._stoppers.append((self.admin.close, False))
        self.admin.create_chain(topic=TOPIC, dead_letter_topic=DEAD_LETTER_TOPIC, subscription=PUSH_SUBSCRIPTION,
                                dead_letter_subscription=DEAD_LETTER_SUBSCRIPTION,
                                push_endpoint=f"{self.function.url}/projects/{PROJECT}/topics/{TOPIC}")
        if self.verifier is not None:
            self.admin.create_chain(topic=TICKS_TOPIC, dead_letter_topic=f"{TICKS_TOPIC}-dead-letter",
                                    subscription=f"{TICKS_TOPIC}-push",
                                    dead_letter_subscription=f"{TICKS_TOPIC}-dead-letter-pull",
                                    push_endpoint=f"{self.verifier.url}/projects/{PROJECT}/topics/{TICKS_TOPIC}")

    def _start_emulator(self, attribute: str, start: Callable[..., gcloud_emulators.Emulator],
                        **kwargs: object) -> None:
        emulator = start(**kwargs)
        with self._lock:
            setattr(self, attribute, emulator)
            self._stoppers.append((emulator.stop, True))

    def _start_pubsub(self) -> None:
        options = self.options
        if options.pubsub_host == gcloud_emulators.LOOPBACK:
            self._start_emulator("pubsub", gcloud_emulators.start_pubsub, port=options.pubsub_port, project=PROJECT)
        else:
            # Reachable from minikube (host.minikube.internal): listen on every interface.
            if "host" not in inspect.signature(gcloud_emulators.start_pubsub).parameters:
                raise RuntimeError("listening on all interfaces for minikube needs "
                                   "gcloud_emulators.start_pubsub(host=...), which this checkout lacks")
            self._start_emulator("pubsub", gcloud_emulators.start_pubsub, port=options.pubsub_port, project=PROJECT,
                                 host=options.pubsub_host)

    def _function_env(self, firestore_port: int) -> dict[str, str]:
        options = self.options
        env = {key: value for key, value in os.environ.items() if not key.startswith("KUBESENT_")}
        env.update({
            "KUBESENT_KUBE_MODE": options.kube_mode,
            "KUBESENT_LEDGER": "firestore",
            "FIRESTORE_EMULATOR_HOST": f"{gcloud_emulators.LOOPBACK}:{firestore_port}",
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            "KUBESENT_DRY_RUN": "true" if options.dry_run else "false",
            "KUBESENT_LLM": "gemini" if os.environ.get("GEMINI_API_KEY") else "none",
            "KUBESENT_KUBE_TIMEOUT_SECONDS": str(LOCAL_KUBE_TIMEOUT_SECONDS),
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(REPO_ROOT / "functions"),
        })
        if self.sandbox is not None:
            env["KUBESENT_KUBE_HOST"] = self.sandbox.url
        elif options.kube_host:
            env["KUBESENT_KUBE_HOST"] = options.kube_host
        if options.kube_context:
            env["KUBESENT_KUBE_CONTEXT"] = options.kube_context
        env.update(options.extra_env)
        return env

    def stop(self) -> None:
        """Stop everything started, newest first; one failure does not keep the rest running.

        A second Ctrl-C (or SIGTERM) while stopping is held off: interrupting here would leave a JVM
        or the function running with nobody to stop it.
        """
        with _signals_deferred():
            self._stop_all()

    def _stop_all(self) -> None:
        errors: list[BaseException] = []
        while self._stoppers:
            batch = [self._stoppers.pop()]
            while batch[0][1] and self._stoppers and self._stoppers[-1][1]:
                batch.append(self._stoppers.pop())
            with concurrent.futures.ThreadPoolExecutor(max_workers=len(batch),
                                                       thread_name_prefix="stack-stop") as pool:
                for future in [pool.submit(stopper) for stopper, _ in batch]:
                    try:
                        future.result()
                    except BaseException as exc:  # keep stopping the others; re-raise after
                        errors.append(exc)
        if errors:
            raise errors[0]

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # ---- use -----------------------------------------------------------------------------
    @property
    def topic_path(self) -> str:
        return f"projects/{PROJECT}/topics/{TOPIC}"

    def tick(self) -> None:
        """What Cloud Scheduler does every minute in the cloud (infra/verify.tf): one message on the ticks topic."""
        assert self.admin is not None and self.verifier is not None, "start the stack with verifier=True"
        self.admin.publish(TICKS_TOPIC, [b"tick"])

    def wait_for(self, predicate: Callable[[list[auditlog.LogRecord]], bool], *, timeout: float,
                 poll: float = 0.2) -> list[auditlog.LogRecord]:
        """Poll the function's log until ``predicate(records)`` holds or ``timeout`` passes."""
        assert self.function is not None
        deadline = time.monotonic() + timeout
        records = self.function.records()
        while not predicate(records) and time.monotonic() < deadline:
            time.sleep(poll)
            records = self.function.records()
        return records
