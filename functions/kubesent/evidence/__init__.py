"""The evidence stage: the facts that diagnosis needs, read from the cluster and redacted.

- ``model``: the evidence types (frozen dataclasses).
- ``category``: the failure category, part of the incident key.
- ``podfacts``: a pod's and a workload's API objects turned into facts. Pure.
- ``owners``: owner chains and pod templates (which object to patch).
- ``classify``: the failure category from the event and the pod's facts. Pure.
- ``annotation``: KubeSent's remediation annotation on a workload, read and written in one place.
- ``gather``: the reads, in order, through the cluster protocol.

May import the cluster protocol, the exporter event (``events``) and the base; never diagnosis,
policy, remedies or the pipeline.
"""
