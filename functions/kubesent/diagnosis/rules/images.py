"""Rules for image failures: not found, auth, rate limits, bad names, wrong architecture. Pure.

Kubelet reports pulls as ``Failed`` events: ``Failed to pull image "I": ...`` then ``Error: ErrImagePull``
(FACTS.md §2). The runtime's words differ (containerd, CRI-O, Docker Hub, GCR, ECR), so each
signature lists the common phrasings.
"""

from __future__ import annotations

from collections.abc import Callable

from kubesent import k8s
from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules.text import compile_pattern, find_line
from kubesent.diagnosis.schema import ESCALATE, Diagnosis, Remedy, RemedyKind
from kubesent.evidence import pulled
from kubesent.evidence.category import Category
from kubesent.evidence.model import Evidence

_RATE_LIMIT = compile_pattern(r"(?i)toomanyrequests|too many requests|rate limit|429 ")
_AUTH = compile_pattern(r"(?i)401 unauthorized|403 forbidden|authorization failed|authentication required|"
                        r"no basic auth credentials|unauthorized:|denied: permission|failed to fetch anonymous token|"
                        r"failed to authorize|access denied|requested access to the resource is denied")
_NOT_FOUND = compile_pattern(r"(?i)code = NotFound|manifest unknown|: not found|not found: manifest|"
                             r"manifest for \S+ not found|name unknown|repository \S+ not found|does not exist")
_AMBIGUOUS = compile_pattern(r"(?i)pull access denied|repository does not exist or may require")
_NETWORK = compile_pattern(r"(?i)no such host|i/o timeout|connection refused|network is unreachable|"
                           r"TLS handshake timeout|x509:|certificate signed by unknown authority|"
                           r"context deadline exceeded")
_INVALID = compile_pattern(r"(?i)InvalidImageName|invalid reference format|couldn't parse image")
_NEVER_PULL = compile_pattern(r"ErrImageNeverPull|imagePullPolicy is \"?Never\"?")
_SHORT_NAME = compile_pattern(r"(?i)short[- ]name .{0,200}did not resolve|short name mode is enforcing|"
                              r"short-name resolution enforced")
_MISSING_PULL_SECRET = compile_pattern(r"Unable to retrieve some image pull secrets \(([^)]{1,300})\)")
_ARCH = compile_pattern(r"(?i)no match for platform in manifest|no matching manifest for")


def _texts(evidence: Evidence) -> list[str]:
    texts = [evidence.event_message]
    if evidence.focus is not None:
        texts.append(evidence.focus.waiting_message)
    texts += [event.message for event in evidence.events if event.type == "Warning" or event.reason == "BackOff"]
    return texts


def _pull_secret(evidence: Evidence, diagnosis: Callable[..., Diagnosis], cause: str, advice: str, confidence: int,
                 line: str) -> Diagnosis:
    """An auth failure's proposal: with the secret the namespace's Ready pods prove for this registry
    (``evidence.pullsecrets``), a patch adding it; else the advice, and no patch."""
    found = evidence.pull_secret
    if found is None:
        return diagnosis(RemedyKind.ADD_IMAGE_PULL_SECRET, cause + advice, confidence, line)
    pinned = diagnosis(RemedyKind.ADD_IMAGE_PULL_SECRET, cause + f"Add the imagePullSecret {found.secret!r}: "
                       f"{found.describe()}, so that secret exists and opens this registry.", confidence, line,
                       image_pull_secret=found.secret)
    return pinned.model_copy(update={"evidence": (*pinned.evidence, found.describe())})


def image_pull(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    """Tell a missing image from an auth failure, a rate limit, a bad name and a network fault."""
    del context
    if evidence.category is not Category.IMAGE_PULL:
        return None
    facts = evidence.focus
    name = facts.name if facts else None
    image = facts.image if facts else "?"
    texts = _texts(evidence)

    def diagnosis(kind: RemedyKind, cause: str, confidence: int, line: str | None, **params: str) -> Diagnosis:
        remedy = Remedy(kind=kind, container=name, **params) if kind is not RemedyKind.ESCALATE else ESCALATE
        return Diagnosis(category=Category.IMAGE_PULL, root_cause=cause, remedy=remedy, confidence=confidence,
                         evidence=(line,) if line else (), source="rule:image_pull")

    if (line := find_line(_INVALID, *texts)) or (facts and facts.waiting_reason == "InvalidImageName"):
        return diagnosis(RemedyKind.FIX_IMAGE_REFERENCE, f"The image reference {image!r} of container {name} is not "
                         "a valid image name. Fix the reference in the workload.", 95,
                         line or "waiting: InvalidImageName")
    if (line := find_line(_NEVER_PULL, *texts)) or (facts and facts.waiting_reason == "ErrImageNeverPull"):
        return diagnosis(RemedyKind.FIX_IMAGE_REFERENCE, f"Container {name} uses imagePullPolicy Never but image "
                         f"{image!r} is not on the node. Preload it or change the pull policy.", 90,
                         line or "waiting: ErrImageNeverPull")
    if line := find_line(_RATE_LIMIT, *texts):
        return diagnosis(RemedyKind.ESCALATE, f"The registry rate-limited pulls of {image!r}. This is not a manifest "
                         "problem: authenticate pulls, use a mirror, or wait.", 90, line)
    if line := find_line(_ARCH, *texts):
        return diagnosis(RemedyKind.FIX_IMAGE_REFERENCE, f"Image {image!r} has no build for this node's platform. "
                         "Use a multi-arch image or one built for the node's architecture.", 90, line)
    if line := find_line(_SHORT_NAME, *texts):
        return diagnosis(RemedyKind.FIX_IMAGE_REFERENCE, f"The node's runtime (CRI-O) refuses the short image name "
                         f"{image!r}: write it fully qualified, with its registry (e.g. docker.io/library/...).",
                         92, line)
    secrets_named = [str(item.get("name")) for item in evidence.pod_spec.get("imagePullSecrets") or []
                     if isinstance(item, dict) and item.get("name")]
    if line := find_line(_MISSING_PULL_SECRET, *texts):
        missing = _MISSING_PULL_SECRET.search(line)
        names = missing.group(1) if missing else ", ".join(secrets_named)
        return diagnosis(RemedyKind.ADD_IMAGE_PULL_SECRET, f"The pod names the image pull secret(s) {names}, which do "
                         f"not exist in namespace {evidence.namespace}, so {image!r} is pulled without credentials. "
                         "Create the secret (type kubernetes.io/dockerconfigjson) or fix the name.", 90, line)
    if line := find_line(_AMBIGUOUS, *texts):
        # Docker Hub answers "pull access denied … may require authorization" for a repository that does
        # not exist, too: with no pull secret on a public registry, a wrong name is the likelier cause.
        if secrets_named or k8s.image_registry(image) != k8s.DEFAULT_REGISTRY:
            cause = (f"Pulling {image!r} was denied: the repository needs credentials the pod does not have"
                     + (f" (its pull secrets: {', '.join(secrets_named)})" if secrets_named else "") + ". ")
            return _pull_secret(evidence, diagnosis, cause, "Check the image name, then the pull secret for this "
                                "registry.", 80, line)
        return diagnosis(RemedyKind.FIX_IMAGE_REFERENCE, f"Pulling {image!r} was denied: Docker Hub says this for a "
                         "repository that does not exist as well as for a private one, and the pod has no pull "
                         "secret. Check the image name and tag first; if they are right, add an imagePullSecret.",
                         75, line)
    if line := find_line(_AUTH, *texts):
        return _pull_secret(evidence, diagnosis, f"The registry refused to serve {image!r} without valid "
                            "credentials. ", "Add (or fix) an imagePullSecret for this registry, or grant the node's "
                            "identity read access.", 88, line)
    if line := find_line(_NOT_FOUND, *texts):
        if proof := pulled.pulled_before(evidence, name):
            return diagnosis(RemedyKind.ESCALATE, f"Image {image!r} of container {name} is no longer in its registry, "
                             f"but the reference was valid: {proof}. The registry removed the artifact (a retention "
                             "policy or a deleted tag), so the tag is not a typo. Restore or rebuild and push the "
                             "image, or pin the workload to a digest the registry still has.", 85, line)
        return diagnosis(RemedyKind.FIX_IMAGE_REFERENCE, f"Image {image!r} of container {name} does not exist in its "
                         "registry (the tag or repository is wrong). Fix the image reference.", 92, line)
    if line := find_line(_NETWORK, *texts):
        return diagnosis(RemedyKind.ESCALATE, f"The node could not reach the registry for {image!r} (network, DNS or "
                         "TLS). This is not a manifest problem.", 85, line)
    return None
