"""A fake Kubernetes apiserver for tests and demos: `KubeSandbox` serves the REST API over HTTP."""
from local_emulator.kube_sandbox.sandbox import KubeSandbox

__all__ = ["KubeSandbox"]
