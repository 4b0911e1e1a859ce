"""`python -m local_emulator.kube_sandbox --host H --port P [--load FILE ...]`: serve until killed."""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from local_emulator.kube_sandbox.sandbox import KubeSandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_emulator.kube_sandbox",
                                     description="Serve a fake Kubernetes API over plain HTTP.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--load", action="append", default=[], metavar="FILE",
                        help="multi-document YAML manifests or JSONL incident bundles (repeatable)")
    parser.add_argument("--no-rollouts", action="store_true",
                        help="do not roll out new ReplicaSets/pods when a Deployment template changes")
    args = parser.parse_args(argv)
    sandbox = KubeSandbox(rollouts=not args.no_rollouts)
    for path in args.load:
        sandbox.load_file(path)
    url = sandbox.start(host=args.host, port=args.port)
    print(f"kube sandbox serving on {url}", flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
