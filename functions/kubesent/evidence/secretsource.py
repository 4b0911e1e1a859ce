"""Who makes a missing Secret: an External Secrets Operator ``ExternalSecret`` or a Bitnami ``SealedSecret``.

KubeSent never reads Secrets, not even their metadata, so the answer comes from the operators' own objects in
the pod's namespace, read through ``cluster.api.Reader`` and only for a missing Secret:

- an ExternalSecret named like the Secret (ESO names the Secret after the ExternalSecret unless
  ``spec.target.name`` says otherwise); failing that, one page of the namespace's ExternalSecrets, for one whose
  ``spec.target.name`` is the Secret's name;
- a SealedSecret named like the Secret (the controller always gives the Secret its SealedSecret's name).

At most two GETs and one bounded list. A 404 (the CRD or the object is absent) or a 403 (no right to read it)
is "unknown": no source, and the incident keeps its usual diagnosis. Never writes. Called by ``evidence.gather``.
"""

from __future__ import annotations

from typing import Any

from kubesent import errors, redaction
from kubesent.cluster.api import SECRET_OPERATOR_KINDS, Reader
from kubesent.evidence.model import SecretSource
from kubesent.objects import as_dict, as_list

# ESO's creation policies that create the Secret; with ``Merge`` or ``None`` the Secret is someone else's to
# create (ESO only merges keys into it, or never writes it), so the ExternalSecret is not its source.
_CREATING_POLICIES = frozenset({"Owner", "Orphan"})
# A condition as quoted to a person: a sentence from the operator, with room for a provider's error.
CONDITION_CHARS = 300
# Conditions kept: ESO reports Ready (and Deleted), sealed-secrets Synced; more is not the operator's word.
MAX_CONDITIONS = 3
# An object's name, as the API bounds it (DNS subdomain).
NAME_CHARS = 253


def find(reader: Reader, *, namespace: str, secret_name: str) -> SecretSource | None:
    """The operator object that makes Secret ``namespace/secret_name``, or None when none is known."""
    external = _external_secret(reader, namespace=namespace, secret_name=secret_name)
    if external is not None:
        return _source(external, secret_name=secret_name)
    sealed = _read(reader, kind="SealedSecret", namespace=namespace, name=secret_name)
    return _source(sealed, secret_name=secret_name) if sealed is not None else None


def _external_secret(reader: Reader, *, namespace: str, secret_name: str) -> dict[str, Any] | None:
    try:
        named = reader.read(api_version=SECRET_OPERATOR_KINDS["ExternalSecret"], kind="ExternalSecret",
                            namespace=namespace, name=secret_name)
    except errors.NotFound:
        named = None
    except errors.ClusterRefused:
        return None  # no right to read ExternalSecrets: unknown, and listing them would be refused too
    if named is not None and _makes(named, secret_name):
        return named
    try:
        listed = reader.list_external_secrets(namespace=namespace)
    except errors.ClusterRefused:  # NotFound included: the CRD is not installed
        return None
    return next((item for item in listed if _makes(item, secret_name)), None)


def _read(reader: Reader, *, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        return reader.read(api_version=SECRET_OPERATOR_KINDS[kind], kind=kind, namespace=namespace, name=name)
    except errors.ClusterRefused:  # NotFound included: the CRD or the object is absent
        return None


def _makes(external_secret: dict[str, Any], secret_name: str) -> bool:
    """Whether this ExternalSecret creates Secret ``secret_name``."""
    target = as_dict(as_dict(external_secret.get("spec")).get("target"))
    name = target.get("name") or as_dict(external_secret.get("metadata")).get("name")
    return name == secret_name and str(target.get("creationPolicy") or "Owner") in _CREATING_POLICIES


def _source(obj: dict[str, Any], *, secret_name: str) -> SecretSource:
    meta = as_dict(obj.get("metadata"))
    return SecretSource(kind=str(obj.get("kind", "")), namespace=_text(meta.get("namespace"), NAME_CHARS),
                        name=_text(meta.get("name"), NAME_CHARS), secret_name=secret_name, store=_store(obj),
                        conditions=tuple(_condition(c) for c in as_list(as_dict(obj.get("status")).get("conditions"))
                                         if isinstance(c, dict))[:MAX_CONDITIONS])


def _store(obj: dict[str, Any]) -> str:
    """An ExternalSecret's store: its name, with the kind when it is a ClusterSecretStore."""
    ref = as_dict(as_dict(obj.get("spec")).get("secretStoreRef"))
    if not ref.get("name"):
        return ""
    kind = str(ref.get("kind") or "SecretStore")
    name = _text(ref["name"], NAME_CHARS)
    return name if kind == "SecretStore" else f"{_text(kind, NAME_CHARS)}/{name}"


def _condition(condition: dict[str, Any]) -> str:
    """``Type=Status Reason: message``, redacted and cut: an operator quotes its provider's errors verbatim."""
    head = f"{condition.get('type', '')}={condition.get('status', '')} {condition.get('reason') or ''}".strip()
    message = str(condition.get("message") or "")
    return _text(f"{head}: {message}" if message else head, CONDITION_CHARS)


def _text(value: Any, limit: int) -> str:
    # Cut before redacting as well: redaction is linear, but a status message has no bound of its own.
    cleaned = redaction.redact(str(value or "")[: 2 * limit])
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
