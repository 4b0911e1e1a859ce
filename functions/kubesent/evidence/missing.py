"""Which ConfigMap, Secret or key a pod's messages say is missing. Pure: reads Evidence, never the cluster.

One home for the kubelet's wording, read by ``evidence.gather`` (to look for the operator that makes a missing
Secret) and by ``diagnosis.rules.config`` (the remedy). RE2: the messages are untrusted text (FACTS.md §8).
"""

from __future__ import annotations

from dataclasses import dataclass

import re2

from kubesent.evidence.model import Evidence

# kubelet: `Error: configmap "N" not found`, `Error: couldn't find key K in ConfigMap NS/N` (FACTS.md §2); a
# secret volume's FailedMount: `MountVolume.SetUp failed for volume "v" : secret "N" not found`.
_MISSING_OBJECT = re2.compile(r'(?i)(configmap|secret)s? "([a-z0-9.-]{1,253})" not found')
_MISSING_KEY = re2.compile(r"couldn't find key ([-._a-zA-Z0-9]{1,253}) in (ConfigMap|Secret) "
                           r"([a-z0-9.-]{1,253})/([a-z0-9.-]{1,253})")


@dataclass(frozen=True)
class Missing:
    """A missing object, or one missing key of it, and the message that says so (whole: rules quote it)."""

    kind: str  # ConfigMap | Secret
    name: str
    key: str | None
    text: str


def texts(evidence: Evidence) -> list[str]:
    """The messages that may name what is missing: the event's, the containers' waiting messages, Warnings."""
    found = [evidence.event_message]
    found += [c.waiting_message for c in evidence.containers if c.waiting_message]
    found += [e.message for e in evidence.events if e.type == "Warning"]
    return found


def missing(evidence: Evidence) -> Missing | None:
    """The first missing ConfigMap, Secret or key the messages name, else a referenced ConfigMap found absent."""
    for text in texts(evidence):
        if match := _MISSING_KEY.search(text):
            return Missing(match.group(2), match.group(4), match.group(1), text)
        if match := _MISSING_OBJECT.search(text):
            kind = "ConfigMap" if match.group(1).lower() == "configmap" else "Secret"
            return Missing(kind, match.group(2), None, text)
    for label, exists in evidence.config_objects.items():
        if not exists:
            kind, name = label.split("/", 1)
            return Missing(kind, name, None, f"{label} referenced by the pod does not exist")
    return None
