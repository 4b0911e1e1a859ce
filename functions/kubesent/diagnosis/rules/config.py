"""Rules for configuration failures: missing ConfigMaps, Secrets and keys; volume mounts; container
creation errors (bad command, wrong architecture, runAsNonRoot). Pure.
"""

from __future__ import annotations

from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules.text import compile_pattern, quote
from kubesent.diagnosis.schema import ESCALATE, Diagnosis, Remedy, RemedyKind
from kubesent.evidence import missing
from kubesent.evidence.category import Category
from kubesent.evidence.model import Evidence, SecretSource

_NON_ROOT = compile_pattern(r"container has runAsNonRoot and image (?:will run as root|has non-numeric user)")
_EXEC_FORMAT = compile_pattern(r"(?i)exec format error")
_NOT_IN_PATH = compile_pattern(r'(?i)executable file not found in \$PATH|no such file or directory|exec: "[^"]*": stat')
_PERMISSION = compile_pattern(r"(?i)permission denied")
_PVC = compile_pattern(r'(?i)persistentvolumeclaim "[^"]+" not found|unbound|timed out waiting for the condition|'
                       r"AttachVolume|Multi-Attach error|volume is already exclusively attached")


def config_missing(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    """CreateContainerConfigError or FailedMount naming a missing ConfigMap, Secret or key."""
    del context
    if evidence.category not in (Category.CONFIG_MISSING, Category.MOUNT_FAILURE):
        return None
    found = missing.missing(evidence)
    if found is None:
        return None
    kind, name, key, line = found.kind, found.name, found.key, quote(found.text)
    source = evidence.secret_source
    if kind == "Secret" and key is None and source is not None and source.secret_name == name:
        return _operator_managed(evidence, source, line)
    refs = [c.name for c in evidence.containers for r in c.config_refs if r.kind == kind and r.name == name]
    container = refs[0] if refs else evidence.focus_container
    what = f"key {key!r} in {kind} {evidence.namespace}/{name}" if key else f"{kind} {evidence.namespace}/{name}"
    return Diagnosis(category=evidence.category, confidence=95, evidence=(line,), source="rule:config_missing",
                     root_cause=(f"The pod cannot start: {what} does not exist. Create it (or fix the reference in "
                                 "the workload, or mark it optional)."),
                     remedy=Remedy(kind=RemedyKind.ADD_MISSING_CONFIG, container=container, config_kind=kind,
                                   config_name=name, config_key=key))


# What a person fixes, by the operator that makes the Secret: never the Secret itself.
_OPERATOR_FIX = {
    "ExternalSecret": "Fix the store or the provider (its credentials, the remote key)",
    "SealedSecret": "Reseal it for this cluster's controller key (kubeseal), or restore that key",
}


def _operator_managed(evidence: Evidence, source: SecretSource, line: str) -> Diagnosis:
    """A missing Secret that an operator makes: a hand-made copy would hide the broken sync (and an operator that
    owns its Secret refuses to adopt one it did not create), so a person looks at the operator's object."""
    store = f" (store: {source.store})" if source.store else ""
    status = ("its status says: " + "; ".join(source.conditions) if source.conditions
              else "it reports no status conditions (is its controller running?)")
    fix = _OPERATOR_FIX.get(source.kind, "Fix its operator")
    return Diagnosis(category=evidence.category, remedy=ESCALATE, confidence=90, source="rule:config_missing",
                     evidence=(line, *(quote(condition) for condition in source.conditions[:1])),
                     root_cause=(f"Secret {source.secret_name} is managed by {source.kind} {source.namespace}/"
                                 f"{source.name}{store}; {status}. {fix}; do not create the Secret by hand."))


def volume_failure(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    """FailedMount not about ConfigMaps/Secrets: storage is not a manifest fix KubeSent can make."""
    del context
    if evidence.category is not Category.MOUNT_FAILURE:
        return None
    line = next((quote(t) for t in missing.texts(evidence) if _PVC.search(t)), quote(evidence.event_message))
    return Diagnosis(category=Category.MOUNT_FAILURE, remedy=ESCALATE, confidence=80, evidence=(line,),
                     source="rule:volume_failure",
                     root_cause="A volume of the pod cannot be attached or mounted (storage provisioning, attachment "
                                "or the node). A person must check the PersistentVolumeClaim and the storage class.")


def security_context(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    """runAsNonRoot against an image that runs as root (CreateContainerConfigError)."""
    del context
    if evidence.category not in (Category.CONFIG_MISSING, Category.CONTAINER_CREATE):
        return None
    line = next((quote(t) for t in missing.texts(evidence) if _NON_ROOT.search(t)), None)
    if line is None:
        return None
    return Diagnosis(category=evidence.category, confidence=92, evidence=(line,), source="rule:security_context",
                     remedy=Remedy(kind=RemedyKind.FIX_SECURITY_CONTEXT, container=evidence.focus_container),
                     root_cause=(f"Container {evidence.focus_container} must run as non-root, but its image runs as "
                                 "root (or names its user by name). Set securityContext.runAsUser to a non-zero UID "
                                 "the image supports, or use a non-root image."))


def container_create(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    """CreateContainerError / RunContainerError: wrong architecture, missing executable, permissions."""
    del context
    if evidence.category is not Category.CONTAINER_CREATE:
        return None
    facts = evidence.focus
    texts = missing.texts(evidence) + ([facts.logs_previous, facts.logs_current] if facts else [])
    last = (facts.last_terminated or facts.terminated) if facts else None
    if last is not None and last.message:
        texts.append(last.message)
    name = evidence.focus_container
    for pattern, kind, cause, confidence in (
        (_EXEC_FORMAT, RemedyKind.FIX_IMAGE_REFERENCE, "the image's binary is built for another CPU architecture "
         "than the node's (exec format error); use a multi-arch image or the right platform", 92),
        (_NOT_IN_PATH, RemedyKind.FIX_COMMAND_OR_ARGS, "the command to run does not exist in the image; fix "
         "command/args in the workload", 90),
        (_PERMISSION, RemedyKind.FIX_COMMAND_OR_ARGS, "the command cannot be executed (permission denied); make the "
         "entrypoint executable or fix command/args", 80),
    ):
        line = next((quote(t) for text in texts for t in text.splitlines() if pattern.search(t)), None)
        if line:
            return Diagnosis(category=Category.CONTAINER_CREATE, remedy=Remedy(kind=kind, container=name),
                             root_cause=f"Container {name} cannot start: {cause}.", confidence=confidence,
                             evidence=(line,), source="rule:container_create")
    return None


_SANDBOX = compile_pattern(r"(?i)failed to (?:create pod sandbox|setup network|set up sandbox)|network plugin|"
                           r"cni (?:plugin|config)|failed to allocate|no IP addresses available")


def sandbox_failure(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    """FailedCreatePodSandBox: the node's runtime or network plugin failed; no manifest change helps."""
    del context
    if evidence.event.reason != "FailedCreatePodSandBox":
        return None
    line = quote(evidence.event_message)
    network = bool(_SANDBOX.search(evidence.event_message))
    return Diagnosis(category=evidence.category, remedy=ESCALATE, confidence=85, evidence=(line,),
                     source="rule:sandbox_failure",
                     root_cause=("The node could not create the pod's sandbox" + (
                         " because its network plugin (CNI) failed or ran out of addresses" if network else "") +
                                 ". This is a node or network fault, not the workload's: check the node and the CNI."))
