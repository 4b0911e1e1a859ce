"""The exporter's payload: pydantic models of an EnhancedEvent, decoding from a CloudEvent, filters.

Lenient (``extra="ignore"``): the exporter and Kubernetes add fields over time. Everything in here
is untrusted text from the cluster. Pure: no I/O. Called by ``main`` and ``replay``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kubesent import errors

# The exporter marshals a core/v1 Event; anything bigger than this is not one.
MAX_EVENT_BYTES = 256 * 1024
_CONTAINER_FIELD_PATH = re.compile(r"^spec\.(?:initContainers|containers|ephemeralContainers)\{([^}]{1,253})\}$")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class OwnerReference(_Lenient):
    api_version: str = Field("", alias="apiVersion")
    kind: str = ""
    name: str = ""
    uid: str = ""
    controller: bool | None = None


class InvolvedObject(_Lenient):
    kind: str = ""
    namespace: str = ""
    name: str = ""
    uid: str = ""
    api_version: str = Field("", alias="apiVersion")
    resource_version: str = Field("", alias="resourceVersion")
    field_path: str = Field("", alias="fieldPath")
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    owner_references: list[OwnerReference] | None = Field(None, alias="ownerReferences")
    deleted: bool = False


class EventMetadata(_Lenient):
    name: str = ""
    namespace: str = ""
    uid: str = ""
    creation_timestamp: datetime | None = Field(None, alias="creationTimestamp")
    annotations: dict[str, str] | None = None


class Source(_Lenient):
    component: str = ""
    host: str = ""


class PodEvent(_Lenient):
    """One kubernetes-event-exporter EnhancedEvent (FACTS.md §1)."""

    metadata: EventMetadata
    reason: str = ""
    message: str = ""
    type: str = ""
    source: Source | None = None
    first_timestamp: datetime | None = Field(None, alias="firstTimestamp")
    last_timestamp: datetime | None = Field(None, alias="lastTimestamp")
    event_time: datetime | None = Field(None, alias="eventTime")
    count: int | None = None
    reporting_component: str = Field("", alias="reportingComponent")
    cluster_name: str = Field("", alias="clusterName")
    involved_object: InvolvedObject = Field(alias="involvedObject")

    @property
    def occurred_at(self) -> datetime | None:
        """When it happened: lastTimestamp, else eventTime, else the object's creation."""
        stamp = self.last_timestamp or self.event_time or self.metadata.creation_timestamp
        if stamp is not None and stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        return stamp

    @property
    def container(self) -> str | None:
        """The container named by ``fieldPath`` (``spec.containers{NAME}``), if any."""
        match = _CONTAINER_FIELD_PATH.fullmatch(self.involved_object.field_path)
        return match.group(1) if match else None

    @property
    def namespace(self) -> str:
        return self.involved_object.namespace or self.metadata.namespace


def parse_event(payload: dict[str, Any]) -> PodEvent:
    """Validate one decoded EnhancedEvent; raises ``BadEvent`` with the first problem."""
    try:
        return PodEvent.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise errors.BadEvent(f"not an exporter event: {where}: {first['msg']}") from exc


def decode_pubsub_data(data: object) -> PodEvent:
    """Decode a Pub/Sub ``messagePublished`` CloudEvent's ``data`` into a ``PodEvent``.

    Accepts ``{"message": {"data": b64}}`` (CloudEvent data and the raw push body alike).
    """
    if not isinstance(data, dict):
        raise errors.BadEvent(f"CloudEvent data is {type(data).__name__}, expected an object")
    message = data.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("data"), str):
        raise errors.BadEvent("CloudEvent data has no message.data string")
    encoded: str = message["data"]
    if len(encoded) > MAX_EVENT_BYTES * 4 // 3 + 4:
        raise errors.BadEvent(f"message.data is {len(encoded)} characters, over the {MAX_EVENT_BYTES}-byte cap")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.BadEvent("message.data is not valid base64") from exc
    try:
        payload = json.loads(raw)
    except RecursionError as exc:
        raise errors.BadEvent("message.data nests too deeply to be an exporter event") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise errors.BadEvent(f"message.data is not JSON: {errors.truncate(str(exc), 120)}") from exc
    if not isinstance(payload, dict):
        raise errors.BadEvent(f"message.data is a JSON {type(payload).__name__}, expected an object")
    return parse_event(payload)


# Warning reasons that describe a pod failure KubeSent can reason about (FACTS.md §2).
POD_FAILURE_REASONS = frozenset({
    "BackOff", "Failed", "Unhealthy", "Evicted", "FailedScheduling", "FailedMount",
    "FailedAttachVolume", "FailedCreatePodSandBox", "FailedPostStartHook", "FailedPreStopHook",
    "OOMKilling", "Killing", "InspectFailed", "ErrImageNeverPull", "FailedKillPod", "Preempted",
    "FailedToRetrieveImagePullSecret",
})


# Kubernetes object names: a namespace is a DNS label, a pod name a DNS subdomain. Anything else in
# an event is forged or broken, and must not reach an API path.
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_POD_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
# Foreign text echoed into a reason is cut to this: enough to recognise it, too short to flood a log.
_ECHO_CHARS = 64


def _echo(text: str) -> str:
    return repr(errors.truncate(text, _ECHO_CHARS)) if text else "empty"


def why_skip(event: PodEvent, *, now: datetime, max_age_seconds: int) -> str | None:
    """The reason to drop this event without an incident, or None to handle it."""
    if event.involved_object.kind != "Pod":
        return f"involvedObject.kind is {_echo(event.involved_object.kind)}, not Pod"
    if event.type != "Warning":
        return f"event type is {_echo(event.type)}, not Warning"
    if event.reason not in POD_FAILURE_REASONS:
        return f"reason {_echo(event.reason)} is not a pod failure KubeSent handles"
    if not event.involved_object.name or not event.namespace:
        return "involvedObject has no name or namespace"
    if not _NAMESPACE.fullmatch(event.namespace) or not _POD_NAME.fullmatch(event.involved_object.name) \
            or ".." in event.involved_object.name:
        return f"involvedObject names no valid pod ({_echo(event.namespace)}/{_echo(event.involved_object.name)})"
    own_namespace = event.metadata.namespace
    if own_namespace and event.involved_object.namespace and own_namespace != event.involved_object.namespace:
        # The API server compares the two only when eventTime is unset: anyone who may create Events in
        # one namespace could otherwise report on pods in another.
        return (f"the Event lives in namespace {_echo(own_namespace)} but names a pod in "
                f"{_echo(event.involved_object.namespace)}: only events from the pod's own namespace count")
    occurred = event.occurred_at
    if occurred is None:
        return "event has no timestamp (lastTimestamp, eventTime, creationTimestamp)"
    age = (now - occurred).total_seconds()
    # Clocks drift between nodes and the function; more than a few minutes ahead is forged or broken.
    if age < -300:
        return f"event is {-age:.0f}s in the future"
    if age > max_age_seconds:
        return f"event is stale: {age:.0f}s old, over the {max_age_seconds}s limit"
    return None
