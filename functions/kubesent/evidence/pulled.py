"""Whether a container's image reference was pulled before: the kubelet's and the controllers' own facts. Pure.

A pull that fails with "not found" or "manifest unknown" means one of two things: the reference never
existed (a typo, a tag not pushed yet), or it existed and the registry removed the artifact (a retention
policy, a deleted tag). The second is proven when this workload ran the same reference before: the
kubelet pulled it for this pod (``Pulled`` event, ``imageID`` in the container's status), other pods of
the failing revision are available, or an older revision with the same image still serves. Such a
reference was valid, so "fix the tag typo" is wrong. Called by the image rule.
"""

from __future__ import annotations

from kubesent.evidence import templates
from kubesent.evidence.model import Evidence
from kubesent.objects import as_dict

# The kubelet's words when a pull succeeded or was not needed (pkg/kubelet/images/image_manager.go).
_PULLED_MESSAGES = ("Successfully pulled image ", "Container image ")


def pulled_before(evidence: Evidence, container: str | None) -> str | None:
    """How the workload shows that ``container``'s image reference was pulled before, or None."""
    facts = evidence.container(container)
    if facts is None or not facts.image:
        return None
    image = facts.image
    for event in evidence.events:
        if event.reason == "Pulled" and event.reporter in ("kubelet", "") and any(
                event.message.startswith(f'{prefix}"{image}"') for prefix in _PULLED_MESSAGES):
            return f"the kubelet reported this pod's image {image!r} as pulled: {event.message[:200]}"
    if facts.image_id:
        return f"the container's status records the image it ran ({facts.image_id[:120]})"
    found = evidence.rollout
    if found is None:
        return None
    if found.current.available > 0 and _runs(found.current.template, container, image):
        return (f"{found.current.available} pod(s) of this revision ({found.current.name}, the same template) are "
                f"available with {image!r}")
    for revision in found.older:
        if revision.available > 0 and _runs(revision.template, container, image):
            return (f"revision {revision.number} ({revision.name}) runs the same image with {revision.available} "
                    "available pod(s)")
    return None


def _runs(template: dict[str, object], container: str | None, image: str) -> bool:
    located = templates.find_container(as_dict(template.get("spec")), container)
    return located is not None and located[1].get("image") == image
