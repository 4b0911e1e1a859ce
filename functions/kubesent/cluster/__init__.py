"""The cluster stage: how KubeSent reads and patches Kubernetes objects.

- ``api``: the protocol every backend implements, in plain Python types (API-shaped dicts).
- ``kube``: the official ``kubernetes`` client over HTTP; the only importer of ``kubernetes``.
- ``memory``: a bundle's objects in memory, for replay and unit tests.
- ``gke``: GKE access (the cluster endpoint and a short-lived token).

May import only the base (settings, errors, objects). Nothing here knows about diagnosis or policy.
This file imports nothing, so ``import kubesent.cluster.api`` stays cheap.
"""
