"""The duplicate fast path: one instance answers repeats of an incident the ledger has decided, from memory.

A storm repeats one failure hundreds of times. Each repeat used to cost three cluster reads and a
ledger claim to learn "duplicate". Here an event is keyed by what it says itself, before any read:
the configured cluster, the pod's uid, the reason and the container from ``fieldPath`` (and, for the
pod's siblings, the controller named in the event's ``ownerReferences`` once a verified read showed
that the pod really has it). A key is remembered only after the ledger decided its incident:

- this instance won the claim (the incident is in flight here: the ledger would answer
  "claimed by another handler" too), then completed it;
- or the ledger answered DUPLICATE for a *completed* incident (``Admission.settled``).

Never after a transient failure: a released claim is forgotten at once, so the redelivery reaches
the ledger. Never from another instance's live claim: it may still be released. Nothing is decided
here: a hit is only ever ``ignored`` as a duplicate, every event still gets its audit record, and a
new reason or container is a new key, so a new failure goes the whole way. Keys expire after a short
TTL and the map is a bounded LRU. The hits are counted per incident and handed back to the pipeline
for one ledger write per incident and interval. Thread-safe: functions-framework serves on threads.
Called by the pipeline only; pure otherwise (no cluster, no ledger).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from kubesent import events
from kubesent.incident import Incident
from kubesent.ledger import IncidentKey

EventKey = tuple[str, ...]

IN_FLIGHT_REASON = "duplicate: this instance is handling the incident (answered from memory)"
SETTLED_REASON = "duplicate: incident already handled (answered from memory)"


def event_keys(event: events.PodEvent, *, cluster: str) -> tuple[EventKey, ...]:
    """The keys an event is looked up by: its pod, then its pod's controller as the event names it."""
    uid = event.involved_object.uid
    if not uid:
        return ()
    container = event.container or ""
    keys: list[EventKey] = [("pod", cluster, uid, event.reason, container)]
    owner = _controller(event)
    if owner is not None and event.involved_object.name.startswith(f"{owner.name}-"):
        keys.append(("owner", cluster, event.namespace, owner.kind, owner.name, owner.uid, event.reason, container))
    return tuple(keys)


def _controller(event: events.PodEvent) -> events.OwnerReference | None:
    """The controller the event says owns its pod. Controllers name their pods ``<owner name>-<suffix>``
    (generateName), so ``event_keys`` uses it only for a pod so named: an event whose references are stale (a
    new ReplicaSet's pod still naming the old one) must not be taken for the old incident's repeat."""
    for ref in event.involved_object.owner_references or []:
        if ref.controller and ref.kind and ref.name and ref.uid:
            return ref
    return None


def _proven_keys(event: events.PodEvent, incident: Incident, *, cluster: str) -> tuple[EventKey, ...]:
    """The event's keys that a verified read backs: the pod key, and the controller key only when the pod's own
    (read, uid-checked) owner chain names the same controller as the event does."""
    keys = event_keys(event, cluster=cluster)
    evidence = incident.evidence
    if not keys or (evidence.pod_uid and evidence.pod_uid != event.involved_object.uid):
        return ()
    owner = _controller(event)
    chain = evidence.owner_chain
    if owner is None or len(chain) < 2 or chain[1] != f"{owner.kind}/{owner.name}":
        return keys[:1]
    return keys


@dataclass
class _Entry:
    """One incident this instance may answer for."""

    incident: Incident
    settled: bool
    """Completed (by anyone); False while this instance holds the claim."""
    keys: set[EventKey] = field(default_factory=set)
    pending: int = 0
    """Duplicates answered and not yet added to the ledger's counter."""
    flushed_at: float | None = None


@dataclass(frozen=True)
class Hit:
    """A duplicate answered from memory, and how many duplicates to add to the ledger now (0: not yet)."""

    incident: Incident
    reason: str
    flush: int


class FastPath:
    """The per-instance map of event keys to decided incidents (TTL, LRU, a lock)."""

    def __init__(self, *, ttl_seconds: float, max_entries: int, flush_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._flush_seconds = flush_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: OrderedDict[EventKey, tuple[str, float]] = OrderedDict()  # -> (incident id, expires at)
        self._incidents: dict[str, _Entry] = {}

    def answer(self, event: events.PodEvent, *, cluster: str) -> Hit | None:
        """The incident this event repeats, if it is known here and its key has not expired."""
        if self._ttl <= 0:
            return None
        keys = event_keys(event, cluster=cluster)
        now = self._clock()
        with self._lock:
            for key in keys:
                found = self._keys.get(key)
                if found is None:
                    continue
                entry = self._incidents.get(found[0])
                if entry is None or found[1] <= now:
                    self._drop_key(key)
                    continue
                self._keys.move_to_end(key)
                entry.pending += 1
                return Hit(entry.incident, SETTLED_REASON if entry.settled else IN_FLIGHT_REASON,
                           self._take_flush(entry, now))
        return None

    def claimed(self, event: events.PodEvent, incident: Incident, *, cluster: str) -> None:
        """This instance won the claim: its repeats are duplicates while it works (as the ledger would say)."""
        if self._ttl <= 0:
            return
        with self._lock:
            self._forget(incident.key.id)
            self._incidents[incident.key.id] = _Entry(incident, settled=False)
            self._remember(_proven_keys(event, incident, cluster=cluster), incident.key.id)

    def joined(self, event: events.PodEvent, incident: Incident, *, cluster: str, settled: bool) -> int:
        """The ledger called this event a duplicate. Remember its keys if the incident is completed or in flight
        here; count it. Returns how many duplicates to add to the ledger now."""
        if self._ttl <= 0:
            return 0
        with self._lock:
            entry = self._incidents.get(incident.key.id)
            if entry is None:
                if not settled:  # another instance's live claim: it may be released, and its retry must proceed
                    return 0
                entry = self._incidents[incident.key.id] = _Entry(incident, settled=True)
            entry.settled = entry.settled or settled
            self._remember(_proven_keys(event, incident, cluster=cluster), incident.key.id)
            entry.pending += 1
            return self._take_flush(entry, self._clock())

    def completed(self, key: IncidentKey) -> None:
        """The claim this instance held is done: its keys answer for a full TTL from now."""
        with self._lock:
            entry = self._incidents.get(key.id)
            if entry is None:
                return
            entry.settled = True
            expires = self._clock() + self._ttl
            for event_key in entry.keys:
                self._keys[event_key] = (key.id, expires)

    def forget(self, key: IncidentKey) -> None:
        """The claim was released (a transient fault) or its handler failed: the ledger answers again."""
        with self._lock:
            self._forget(key.id)

    def restore(self, key: IncidentKey, count: int) -> None:
        """A flush failed: keep its duplicates for the next one."""
        with self._lock:
            entry = self._incidents.get(key.id)
            if entry is not None:
                entry.pending += count
                entry.flushed_at = None

    # ---- under the lock

    def _remember(self, keys: tuple[EventKey, ...], incident_id: str) -> None:
        expires = self._clock() + self._ttl
        entry = self._incidents[incident_id]
        for key in keys:
            found = self._keys.get(key)
            if found is not None and found[0] != incident_id:  # the pod's failure now belongs to another incident
                self._drop_key(key)
            self._keys[key] = (incident_id, expires)
            self._keys.move_to_end(key)
            entry.keys.add(key)
        while len(self._keys) > self._max_entries:
            self._drop_key(next(iter(self._keys)))

    def _drop_key(self, key: EventKey) -> None:
        found = self._keys.pop(key, None)
        if found is None:
            return
        entry = self._incidents.get(found[0])
        if entry is not None:
            entry.keys.discard(key)
            if not entry.keys and entry.settled:  # nothing can reach it any more (its unflushed count goes too)
                del self._incidents[found[0]]

    def _forget(self, incident_id: str) -> None:
        entry = self._incidents.pop(incident_id, None)
        for key in entry.keys if entry else ():
            self._keys.pop(key, None)

    def _take_flush(self, entry: _Entry, now: float) -> int:
        if entry.pending and (entry.flushed_at is None or now - entry.flushed_at >= self._flush_seconds):
            count, entry.pending, entry.flushed_at = entry.pending, 0, now
            return count
        return 0
