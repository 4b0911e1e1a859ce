"""A real Kubernetes control plane for tests and people: etcd, kube-apiserver, kube-controller-manager.

The Go module beside this package (go.mod, etcd/go.mod, build.sh) builds the binaries; this package
starts them on loopback ports (`ControlPlane`), in-process for the pytest tier and as
`python -m local_emulator.controlplane` for people. It never talks to a real cluster.
"""
from local_emulator.controlplane.identities import Identity
from local_emulator.controlplane.launcher import ControlPlane, ControlPlaneError

__all__ = ["ControlPlane", "ControlPlaneError", "Identity"]
