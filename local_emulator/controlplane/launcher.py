"""`ControlPlane`: etcd, kube-apiserver and kube-controller-manager as child processes on loopback.

Each child runs in its own process group, so `stop()` ends it with everything it spawned, also when a
test fails half way (the pytest fixture calls `stop()` in its teardown; `atexit` is the last resort).
No kubelet and no scheduler: tests set pod status through the status subresource, as a kubelet would.
"""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import os
import pathlib
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from types import TracebackType

from local_emulator.controlplane import identities, pki
from local_emulator.controlplane.identities import Identity

ROOT = identities.ROOT
DEFAULT_BIN = ROOT / ".controlplane" / "bin"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager")
READY_TIMEOUT_SECONDS = 90.0  # a cold kube-apiserver on 2 cores is ready in ~10 s; leave room for a busy CI host
STOP_GRACE_SECONDS = 10.0
SERVICE_CIDR = "10.96.0.0/16"


class ControlPlaneError(RuntimeError):
    """The control plane could not start (missing binaries, a child died, no readiness in time)."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the child binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bin_dir() -> pathlib.Path:
    """Where the binaries are: ``$KUBESENT_CONTROLPLANE_BIN`` or ``.controlplane/bin`` (``make controlplane``)."""
    return pathlib.Path(os.environ.get("KUBESENT_CONTROLPLANE_BIN", DEFAULT_BIN))


def missing_binaries(directory: pathlib.Path | None = None) -> list[str]:
    directory = directory or bin_dir()
    return [name for name in BINARIES if not os.access(directory / name, os.X_OK)]


class ControlPlane:
    """A throw-away cluster: `start()` returns once /readyz answers; `stop()` (or the context) ends it."""

    def __init__(self, *, workdir: pathlib.Path | None = None, binaries: pathlib.Path | None = None) -> None:
        self.binaries = binaries or bin_dir()
        self._own_workdir = workdir is None
        self.workdir = workdir or pathlib.Path(tempfile.mkdtemp(prefix="kubesent-controlplane-"))
        self.identities: dict[str, Identity] = identities.make()
        self.url = ""
        self.pki: pki.Pki | None = None
        self._children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._logs: list[object] = []

    # ---- lifecycle ----------------------------------------------------------------------------
    def start(self) -> str:
        missing = missing_binaries(self.binaries)
        if missing:
            raise ControlPlaneError(f"missing control-plane binaries {missing} in {self.binaries}: "
                                    "run `make controlplane`")
        atexit.register(self.stop)
        try:
            self.pki = pki.make(self.workdir / "pki")
            etcd_url = self._start_etcd()
            self._start_apiserver(etcd_url)
            self._wait_ready()
            self._start_controller_manager()
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        """End every child's process group: SIGTERM, then SIGKILL after a grace period."""
        for _, child in reversed(self._children):
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for _, child in reversed(self._children):
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
                child.wait()
        self._children.clear()
        for handle in self._logs:
            handle.close()  # type: ignore[attr-defined]
        self._logs.clear()
        atexit.unregister(self.stop)
        if self._own_workdir and os.environ.get("KUBESENT_CONTROLPLANE_KEEP") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> ControlPlane:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # ---- what tests and people use --------------------------------------------------------------
    def token(self, key: str = identities.ADMIN) -> str:
        return self.identities[key].token

    def kubeconfig(self, key: str = identities.ADMIN) -> pathlib.Path:
        """A kubeconfig file for one identity (written on first use)."""
        path = self.workdir / f"kubeconfig-{key}.yaml"
        if not path.exists():
            assert self.pki is not None, "start() first"
            path.write_text(_kubeconfig_text(self.url, self.pki.ca_cert, self.identities[key]))
        return path

    def log(self, name: str) -> str:
        """The captured output of one child (etcd, kube-apiserver, kube-controller-manager)."""
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # ---- children ---------------------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("wb")
        self._logs.append(log)
        child = subprocess.Popen([str(self.binaries / name), *args], stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)
        self._children.append((name, child))
        return child

    def _start_etcd(self) -> str:
        client, peer = free_port(), free_port()
        client_url, peer_url = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
        self._spawn("etcd", [
            "--name=kubesent", f"--data-dir={self.workdir / 'etcd'}",
            f"--listen-client-urls={client_url}", f"--advertise-client-urls={client_url}",
            f"--listen-peer-urls={peer_url}", f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=kubesent={peer_url}", "--log-level=warn",
            "--unsafe-no-fsync=true",  # a test cluster's data is thrown away: no need to wait for the disk
        ])
        return client_url

    def _start_apiserver(self, etcd_url: str) -> None:
        assert self.pki is not None
        port = free_port()
        self.url = f"https://127.0.0.1:{port}"
        tokens = self.workdir / "tokens.csv"
        tokens.write_text("".join(identity.csv_line() + "\n" for identity in self.identities.values()))
        tokens.chmod(0o600)
        self._spawn("kube-apiserver", [
            f"--etcd-servers={etcd_url}", "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
            f"--secure-port={port}", f"--cert-dir={self.workdir / 'apiserver-certs'}",
            f"--tls-cert-file={self.pki.serving_cert}", f"--tls-private-key-file={self.pki.serving_key}",
            f"--client-ca-file={self.pki.ca_cert}",
            f"--token-auth-file={tokens}", "--authorization-mode=RBAC", "--anonymous-auth=false",
            # The defaults plus ValidatingAdmissionPolicy named explicitly: the tier exists to judge it.
            "--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,ValidatingAdmissionPolicy",
            f"--service-account-key-file={self.pki.service_account_pub}",
            f"--service-account-signing-key-file={self.pki.service_account_key}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-cluster-ip-range={SERVICE_CIDR}", "--allow-privileged=true",
            "--endpoint-reconciler-type=none", "--profiling=false", "--v=1",
        ])

    def _start_controller_manager(self) -> None:
        assert self.pki is not None
        self._spawn("kube-controller-manager", [
            f"--kubeconfig={self.kubeconfig(identities.CONTROLLER_MANAGER)}", "--leader-elect=false",
            f"--service-account-private-key-file={self.pki.service_account_key}",
            f"--root-ca-file={self.pki.ca_cert}", "--bind-address=127.0.0.1", f"--secure-port={free_port()}",
            f"--cert-dir={self.workdir / 'kcm-certs'}", f"--service-cluster-ip-range={SERVICE_CIDR}",
            # What a Deployment needs (plus namespaces and service accounts, so pods are admitted), and the
            # type checker of admission policies.
            "--controllers=deployment-controller,replicaset-controller,serviceaccount-controller,"
            "serviceaccount-token-controller,namespace-controller,garbage-collector-controller,"
            "validatingadmissionpolicy-status-controller",  # writes the policy's status.typeChecking
            "--concurrent-deployment-syncs=2", "--concurrent-replicaset-syncs=2", "--v=1",
        ])

    def _wait_ready(self) -> None:
        assert self.pki is not None
        context = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        request = urllib.request.Request(self.url + "/readyz",
                                         headers={"Authorization": f"Bearer {self.token()}"})
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        last = "no answer"
        while time.monotonic() < deadline:
            for name, child in self._children:
                if child.poll() is not None:
                    raise ControlPlaneError(f"{name} exited with {child.returncode}:\n{self.log(name)[-3000:]}")
            try:
                with urllib.request.urlopen(request, context=context, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.25)
        raise ControlPlaneError(f"kube-apiserver not ready after {READY_TIMEOUT_SECONDS}s ({last}):\n"
                                f"{self.log('kube-apiserver')[-3000:]}")


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> None:
    """In the child before exec: be killed when the launching process dies, even by SIGKILL (Linux only).

    `stop()` and `atexit` cover a failing test; this covers a test run that is itself killed.
    """
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        ctypes.CDLL(libc_name, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    if child.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signum)


def _kubeconfig_text(url: str, ca_cert: pathlib.Path, identity: Identity) -> str:
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: kubesent-controlplane\n  cluster:\n    server: {url}\n"
        f"    certificate-authority: {ca_cert}\n"
        f"users:\n- name: {identity.key}\n  user:\n    token: {identity.token}\n"
        f"contexts:\n- name: {identity.key}\n  context:\n    cluster: kubesent-controlplane\n"
        f"    user: {identity.key}\n"
        f"current-context: {identity.key}\n"
    )
