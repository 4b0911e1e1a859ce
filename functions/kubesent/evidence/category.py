"""The failure category: what kind of failure an incident is. Part of the incident key.

It lives with the evidence because classification (``evidence.classify``) decides it from the
pod's facts; diagnosis reads it. Pure: no I/O.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """What kind of failure an incident is; part of the incident key."""

    OOM_KILLED = "oom_killed"
    CRASH_LOOP = "crash_loop"
    IMAGE_PULL = "image_pull"
    CONFIG_MISSING = "config_missing"
    CONTAINER_CREATE = "container_create"
    PROBE_FAILURE = "probe_failure"
    EVICTED = "evicted"
    UNSCHEDULABLE = "unschedulable"
    MOUNT_FAILURE = "mount_failure"
    OTHER = "other"
