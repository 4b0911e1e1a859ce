"""The safety policy: a pure ``decide(...) -> Decision``. Nothing here reads the cluster or the clock.

Checks run from the hardest "no" to the softest, and the first that applies decides; every
decision carries a human-readable reason. Only ``applied`` and ``dry_run`` ever lead to a write.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from kubesent import bounds, k8s, quantity, remedies
from kubesent.audit import Action
from kubesent.diagnosis.schema import Diagnosis, RemedyKind
from kubesent.evidence.category import Category
from kubesent.evidence.model import Owner
from kubesent.objects import as_dict
from kubesent.settings import Settings

OPT_OUT_ANNOTATION = "kubesent.dev/auto-remediate"
# Signs that another controller owns the desired state and would revert (or fight) a live patch.
# GKE Config Sync marks what it syncs with configmanagement.gke.io/ and configsync.gke.io/ annotations;
# kapp-controller with kapp.k14s.io/ (FACTS.md §9).
GITOPS_ANNOTATION_PREFIXES = ("argocd.argoproj.io/", "kustomize.toolkit.fluxcd.io/", "helm.toolkit.fluxcd.io/",
                              "fleet.cattle.io/", "configmanagement.gke.io/", "configsync.gke.io/",
                              "kapp.k14s.io/", "kubesent.dev/unfollowed-controller")
GITOPS_LABEL_PREFIXES = ("kustomize.toolkit.fluxcd.io/", "helm.toolkit.fluxcd.io/", "argocd.argoproj.io/",
                         "configsync.gke.io/", "kapp.k14s.io/")
GITOPS_MANAGED_BY = ("argocd", "flux", "fluxcd", "kustomize-controller", "helm-controller", "fleet", "spinnaker",
                     "configmanagement.gke.io", "kapp")
# Field managers of reconciling controllers (Argo CD, Flux, Rancher Fleet, Spinnaker, Config Sync, kapp,
# controller-runtime operators, whose default manager name is "manager").
GITOPS_MANAGERS = ("argocd", "kustomize-controller", "helm-controller", "fleet", "flux", "spinnaker", "operator",
                   "configsync.gke.io", "kapp")
GITOPS_MANAGER_NAMES = ("manager",)
# The opt-out annotation's values that mean "never patch this workload automatically".
OPT_OUT_VALUES = frozenset({"false", "no", "0", "off"})


# Why a workload of a kind KubeSent does not patch live gets a proposal instead.
_NOT_PATCHED = {"Pod": "a bare Pod has no owner to patch; only its memory after an OOM kill is resized in place",
                "Job": "a Job's pod template is immutable",
                "CronJob": "a CronJob's jobs are batch work: fix it in source",
                "ReplicaSet": "a ReplicaSet without a Deployment is not patched live"}


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str


@dataclass(frozen=True)
class Checks:
    """What the policy needs to know besides the diagnosis and the workload. Every field is required, so
    no caller (a retry after a conflict, an approval) can decide with a check left out."""

    breaker_open: bool
    """The circuit breaker holds automatic remediation (this namespace or the cluster)."""
    template_drift: str | None
    """Why the failing pod is not provably the workload's (owner proof, drift), if it is not."""
    total_factor: float
    """How far KubeSent's raises, this one included, take the limit from its value before the first."""
    uncorroborated: str | None
    """Why the failure is not in the pod's status or the kubelet's listed events, if it is not."""


def namespace_denied(namespace: str, settings: Settings) -> bool:
    return any(fnmatch.fnmatchcase(namespace, pattern) for pattern in settings.namespaces_deny)


def namespace_allowed(namespace: str, settings: Settings) -> bool:
    return not namespace_denied(namespace, settings) and any(
        fnmatch.fnmatchcase(namespace, pattern) for pattern in settings.namespaces_allow)


def foreign_controller(owner: Owner, *, apply_managers_allowed: tuple[str, ...] = ()) -> str | None:
    """Why another controller manages this workload's template, or None.

    A server-side-apply manager of the template owns its fields and re-applies them; unless it is a
    person's tool on the allow-list (``kubectl``), it is a reconciler KubeSent would fight."""
    for key in owner.annotations:
        if key.startswith(GITOPS_ANNOTATION_PREFIXES):
            return f"annotation {key}"
    for key, value in owner.labels.items():
        if key.startswith(GITOPS_LABEL_PREFIXES):
            return f"label {key}"
        if key == "app.kubernetes.io/managed-by" and value.lower().startswith(GITOPS_MANAGED_BY):
            return f"label {key}={value}"
    for manager in owner.managers:
        lowered = manager.lower()
        if lowered in GITOPS_MANAGER_NAMES or any(marker in lowered for marker in GITOPS_MANAGERS):
            return f"field manager {manager!r} writes the pod template"
    for manager in owner.appliers:
        if manager not in apply_managers_allowed:
            return (f"field manager {manager!r} owns the pod template by server-side apply "
                    "(not in KUBESENT_APPLY_MANAGERS_ALLOWED)")
    return None


def _within_bounds(diagnosis: Diagnosis, owner: Owner, settings: Settings) -> str | None:
    """Why the remedy's numbers break a bound, or None."""
    remedy = diagnosis.remedy
    found = remedies.template_container(owner, remedy.container)
    container = found[1] if found else {}
    memory_limit, cpu_limit = k8s.container_limit(container, "memory"), k8s.container_limit(container, "cpu")
    try:
        if remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and remedy.memory_limit:
            new = quantity.parse_bytes(remedy.memory_limit)
            if new > quantity.parse_bytes(settings.memory_ceiling):
                return f"memory limit {remedy.memory_limit} is above the ceiling {settings.memory_ceiling}"
            if memory_limit:
                old = quantity.parse_bytes(memory_limit)
                if new > bounds.step_ceiling(old, factor=settings.max_increase_factor, margin=bounds.VPA_MARGIN_BYTES):
                    return (f"memory limit {memory_limit} → {remedy.memory_limit} is more than the allowed "
                            f"×{settings.max_increase_factor} step")
        if remedy.kind is RemedyKind.RAISE_CPU_LIMIT and remedy.cpu_limit:
            new = quantity.parse_millicores(remedy.cpu_limit)
            if new > quantity.parse_millicores(settings.cpu_ceiling):
                return f"CPU limit {remedy.cpu_limit} is above the ceiling {settings.cpu_ceiling}"
            if cpu_limit and new > bounds.step_ceiling(quantity.parse_millicores(cpu_limit),
                                                       factor=settings.max_increase_factor):
                return f"CPU limit {cpu_limit} → {remedy.cpu_limit} is more than the allowed step"
        if remedy.kind is RemedyKind.FIX_PROBE and remedy.probe:
            return _probe_step(remedy, as_dict(container.get(f"{remedy.probe}Probe")))
    except quantity.QuantityError as exc:
        return str(exc)
    return None


# A timing field may grow by at most ×2 or this many seconds (×4 or 120 s for initialDelaySeconds, which
# must cover a whole start-up): a probe loosened without bound stops detecting a hung app.
_PROBE_STEP = {"probe_initial_delay_seconds": ("initialDelaySeconds", 4, 120),
               "probe_timeout_seconds": ("timeoutSeconds", 2, 10),
               "probe_period_seconds": ("periodSeconds", 2, 30),
               "probe_failure_threshold": ("failureThreshold", 2, 5)}


def _probe_step(remedy: Any, probe: dict[str, Any]) -> str | None:
    changes = {field: getattr(remedy, attribute) for attribute, (field, _, _) in _PROBE_STEP.items()
               if getattr(remedy, attribute) is not None}
    before, after = k8s.detection_seconds(probe), k8s.detection_seconds(probe, changes)
    if after > bounds.MAX_DETECTION_GROWTH * before:
        return (f"the probe would take {after} s instead of {before} s to notice a dead app; one change may at "
                f"most multiply that by {bounds.MAX_DETECTION_GROWTH:g}")
    for attribute, (field, factor, margin) in _PROBE_STEP.items():
        wanted = getattr(remedy, attribute)
        if wanted is None:
            continue
        current = k8s.probe_timing(probe, field)
        if wanted > bounds.step_ceiling(current, factor=factor, margin=margin):
            return f"{field} {current} → {wanted} loosens the probe more than one step allows"
    return None


def _is_init_container(owner: Owner, container: str | None) -> bool:
    found = remedies.template_container(owner, container)
    return found is not None and found[0] == "initContainers"


def _current_limit(owner: Owner, container: str | None, resource: str) -> str | None:
    found = remedies.template_container(owner, container)
    return k8s.container_limit(found[1], resource) if found else None


def resizable_in_place(diagnosis: Diagnosis, owner: Owner) -> bool:
    """A bare Pod's memory after an OOM kill: the one change KubeSent makes to a pod, through its ``resize``
    subresource (DESIGN.md principle 5). A pod with a controller reference (even one that is gone) is not bare."""
    if owner.kind != "Pod" or diagnosis.remedy.kind is not RemedyKind.RAISE_MEMORY_LIMIT:
        return False
    if diagnosis.category is not Category.OOM_KILLED:
        return False
    references = as_dict(owner.template.get("metadata")).get("ownerReferences") or []
    return not any(isinstance(ref, dict) and ref.get("controller") for ref in references)


def decide(diagnosis: Diagnosis, owner: Owner, *, namespace: str, patch: dict[str, Any] | None,
           settings: Settings, checks: Checks) -> Decision:
    """The one action for this incident, and why."""
    remedy = diagnosis.remedy
    total_factor, template_drift, uncorroborated = checks.total_factor, checks.template_drift, checks.uncorroborated
    if remedy.kind is RemedyKind.ESCALATE:
        return Decision("escalated", "no safe fix: " + diagnosis.root_cause)
    bound = _within_bounds(diagnosis, owner, settings)
    if bound is not None:
        return Decision("escalated", f"refused: {bound}")
    if total_factor > settings.max_total_increase_factor:
        return Decision("escalated", f"KubeSent's raises would take this limit to ×{total_factor:.1f} its value "
                                     f"before KubeSent first changed it, over KUBESENT_MAX_TOTAL_INCREASE_FACTOR="
                                     f"{settings.max_total_increase_factor}: a person must decide")
    if patch is None:
        return Decision("proposed", f"{remedy.kind.value} needs a person: KubeSent renders no patch for it")
    unfollowed = owner.annotations.get("kubesent.dev/unfollowed-controller")
    if unfollowed:
        return Decision("proposed", f"the pod is run by {unfollowed}, a controller KubeSent does not patch; "
                                    "fix it where that controller's spec lives")
    if owner.kind not in k8s.PATCHABLE_KINDS and not resizable_in_place(diagnosis, owner):
        return Decision("proposed", _NOT_PATCHED.get(owner.kind, f"{owner.kind} is not patched"))
    if not namespace_allowed(namespace, settings):
        return Decision("proposed", f"namespace {namespace} is not in KUBESENT_NAMESPACES_ALLOW")
    if template_drift:
        return Decision("proposed", f"the failing pod does not match the workload it names: {template_drift}")
    if uncorroborated:
        return Decision("proposed", f"only the forwarded event says so: {uncorroborated}")
    sets_limit = (remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and remedy.memory_limit) or (
        remedy.kind is RemedyKind.RAISE_CPU_LIMIT and remedy.cpu_limit)
    if sets_limit and not _current_limit(
            owner, remedy.container, "memory" if remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT else "cpu"):
        return Decision("proposed", "the workload's template sets no such limit; adding one is a person's choice")
    controller = foreign_controller(owner, apply_managers_allowed=settings.apply_managers_allowed)
    if controller is not None and remedy.kind is RemedyKind.ROLLBACK_ROLLOUT:
        return Decision("proposed", f"another controller manages this workload ({controller}): revert the commit "
                                    "that rolled out the failing revision in source, not the live Deployment")
    if controller is not None:
        return Decision("proposed", f"another controller manages this workload ({controller}); a live patch would "
                                    "be reverted or fought. Fix it in source")
    opt_out = owner.annotations.get(OPT_OUT_ANNOTATION, "").strip().lower()
    if opt_out in OPT_OUT_VALUES:
        return Decision("proposed", f"the workload opts out with {OPT_OUT_ANNOTATION}: \"{opt_out}\"")
    if remedy.kind is RemedyKind.ROLLBACK_ROLLOUT and remedy.kind.value not in settings.auto_apply_remedies:
        # Never in an operator's list (settings refuse it): only a person's approval gets past this line.
        return Decision("proposed", "a rollback replaces the whole pod template: a person approves it")
    if remedy.kind.value not in settings.auto_apply_remedies:
        return Decision("proposed",
                        f"{remedy.kind.value} is never applied automatically (KUBESENT_AUTO_APPLY_REMEDIES)")
    if remedy.kind is RemedyKind.FIX_PROBE and not remedy.touches_only_probe_timing():
        return Decision("proposed", "a probe's port or path is a judgement call; only timing fields are applied")
    if _is_init_container(owner, remedy.container):
        return Decision("proposed", f"{remedy.container} is an init container; KubeSent's admission policy lets it "
                                    "change regular containers only")
    if diagnosis.propose_only:
        return Decision("proposed", diagnosis.propose_only)
    if diagnosis.confidence < settings.confidence_threshold:
        return Decision("proposed", f"confidence {diagnosis.confidence} is below the threshold "
                                    f"{settings.confidence_threshold}")
    if checks.breaker_open:
        return Decision("proposed", "circuit breaker open: many workloads are failing at once, which points to a "
                                    "systemic fault; automatic remediation is paused")
    if settings.dry_run:
        return Decision("dry_run",
                        f"{remedy.kind.value} passes the policy; KUBESENT_DRY_RUN=true, so nothing is written")
    return Decision("applied", f"{remedy.kind.value} passes the policy (confidence {diagnosis.confidence})")
