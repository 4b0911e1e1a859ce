"""`python -m local_emulator.controlplane`: run a throw-away control plane until Ctrl-C.

Prints the server URL and a kubeconfig path per identity (admin, kubesent), then waits.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from local_emulator.controlplane.launcher import ControlPlane, ControlPlaneError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_emulator.controlplane",
                                     description="Run etcd, kube-apiserver and kube-controller-manager on loopback.")
    parser.parse_args(argv)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    plane = ControlPlane()
    try:
        plane.start()
    except ControlPlaneError as exc:
        print(f"control plane failed to start: {exc}", file=sys.stderr)
        return 1
    try:
        print(f"kube-apiserver serving on {plane.url}", flush=True)
        for key in plane.identities:
            print(f"  kubeconfig ({key}): {plane.kubeconfig(key)}", flush=True)
        print(f"  e.g. kubectl --kubeconfig {plane.kubeconfig()} get ns   (Ctrl-C stops everything)", flush=True)
        stopped.wait()
    finally:
        plane.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
