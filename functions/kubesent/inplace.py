"""Heal a bare Pod in place: raise its container's memory through the pod's ``resize`` subresource
(DESIGN.md principle 5, FACTS.md §9).

The same order as every write (DESIGN.md principle 3): a server-side dry-run of the resize, the resize with
a ``resourceVersion`` precondition and ``fieldManager=kubesent``, KubeSent's annotation on the pod, the
ledger record. Where the server has no resize subresource (404, 405) or refuses the resize (RBAC,
admission, a QoS change), the fix is proposed as before and nothing is written. The kubelet's answer
(``PodResizePending`` with ``Infeasible`` or ``Deferred``, ``PodResizeInProgress``) is read back and
recorded. Called by ``write.SafeWriter`` when the owner is the pod itself.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from kubesent import errors, k8s
from kubesent.cluster.api import Cluster
from kubesent.evidence import templates
from kubesent.incident import Incident, Outcome
from kubesent.ledger import Ledger, Remediation
from kubesent.objects import as_dict, as_list

# One retry after a 409: the kubelet rewrites a crash-looping pod's status at every restart.
RESIZE_ATTEMPTS = 2
# A server without the subresource: 404 (the route does not exist) or 405 (the verb is not served there).
NO_SUBRESOURCE_STATUSES = frozenset({404, 405})
NO_SUBRESOURCE = ("this API server has no pods/resize subresource (Kubernetes 1.33 and later serve it; "
                  "earlier releases need the InPlacePodVerticalScaling feature gate)")


def resize_state(pod: dict[str, Any], *, container: str | None = None, memory_limit: str | None = None) -> str:
    """What the kubelet reports about the pod's resize: its conditions, else the resources it shows applied in
    ``status.containerStatuses[].resources`` (FACTS.md §9)."""
    for condition in as_list(as_dict(pod.get("status")).get("conditions")):
        if not isinstance(condition, dict) or condition.get("status") != "True":
            continue
        if condition.get("type") == "PodResizePending":
            reason, message = condition.get("reason", ""), errors.truncate(str(condition.get("message", "")), 200)
            return f"PodResizePending/{reason}" + (f": {message}" if message else "")
        if condition.get("type") == "PodResizeInProgress":
            return "PodResizeInProgress: the kubelet is applying the new resources"
    for entry in as_list(as_dict(pod.get("status")).get("containerStatuses")):
        if isinstance(entry, dict) and entry.get("name") == container and memory_limit is not None:
            shown = as_dict(as_dict(entry.get("resources")).get("limits")).get("memory")
            if shown == memory_limit:
                return f"applied: the container runs with a memory limit of {shown}"
    return "no resize condition yet: the kubelet has not reported the new resources"


class InPlaceResizer:
    def __init__(self, *, cluster: Cluster, ledger: Ledger) -> None:
        self.cluster = cluster
        self.ledger = ledger

    def write(self, incident: Incident, planned: Outcome, *, annotations: dict[str, str], total_factor: float,
              now: datetime) -> Outcome:
        """Carry out a planned ``applied`` or ``dry_run`` on a bare Pod; the outcome says what really happened."""
        diagnosis, patch = planned.diagnosis, planned.patch
        assert diagnosis is not None and patch is not None
        evidence = incident.evidence
        where = {"namespace": evidence.namespace, "name": evidence.pod_name}
        body = {**patch, "metadata": {"resourceVersion": evidence.owner.resource_version}}
        for attempt in range(1, RESIZE_ATTEMPTS + 1):
            try:
                self.cluster.resize(**where, body=body, dry_run=True)
                if planned.action == "dry_run":
                    return replace(planned, dry_run_result="accepted",
                                   reason=planned.reason + " (an in-place resize of the bare Pod)")
                resized = self.cluster.resize(**where, body=body, dry_run=False)
                break
            except errors.Conflict as exc:
                stop = self._after_conflict(incident, diagnosis.remedy.container, body, last=attempt == RESIZE_ATTEMPTS,
                                            conflict=exc)
                if stop is not None:
                    return replace(planned, action=stop[0], reason=stop[1])
            except errors.ClusterRefused as exc:
                return self._refused(planned, exc)
        wanted = {"container": diagnosis.remedy.container, "memory_limit": diagnosis.remedy.memory_limit}
        state = resize_state(resized, **wanted)
        try:
            state = resize_state(self.cluster.annotate_pod(**where, annotations=annotations, dry_run=False), **wanted)
            noted = ""
        except errors.ClusterRefused as exc:
            noted = f"; the pod could not be annotated ({exc}), the ledger keeps the record"
        key = incident.key
        self.ledger.record_remediation(key, Remediation(
            incident_id=key.id, category=key.category, remedy=diagnosis.remedy.kind.value, action="applied", at=now,
            template_hash=evidence.template_hash, previous=planned.previous or {}, patch=patch,
            total_factor=total_factor))
        return replace(planned, dry_run_result="accepted",
                       reason=f"{planned.reason}; resized in place through pods/resize. Kubelet: {state}{noted}")

    def _refused(self, planned: Outcome, exc: errors.ClusterRefused) -> Outcome:
        """No subresource, or a refusal: the fix stays a proposal and nothing is written."""
        if isinstance(exc, errors.NotFound) or exc.status in NO_SUBRESOURCE_STATUSES:
            why = NO_SUBRESOURCE
        else:
            why = f"the API server refused the resize ({exc})"
        return replace(planned, action="proposed", dry_run_result=f"refused: {exc}",
                       reason=f"a bare Pod is healed only in place, and {why}; nothing was written")

    def _after_conflict(self, incident: Incident, container: str | None, body: dict[str, Any], *, last: bool,
                        conflict: errors.Conflict) -> tuple[Any, str] | None:
        """After a 409: (action, reason) when the changed pod stops the resize, None to try again."""
        evidence = incident.evidence
        try:
            pod = self.cluster.read(api_version="v1", kind="Pod", namespace=evidence.namespace,
                                    name=evidence.pod_name)
        except errors.NotFound:
            return "ignored", "after a conflict: the pod is gone"
        meta = as_dict(pod.get("metadata"))
        if meta.get("uid") != evidence.pod_uid:
            return "ignored", "after a conflict: the pod was replaced by another of the same name"
        found = templates.find_container(pod.get("spec"), container)
        now_limit = k8s.container_limit(found[1], "memory") if found else None
        was = templates.find_container(evidence.owner.template.get("spec"), container)
        if was is None or now_limit != k8s.container_limit(was[1], "memory"):
            return "ignored", "after a conflict: the container's memory limit changed meanwhile"
        if last:
            raise errors.ClusterUnavailable(f"the pod kept changing under KubeSent: {conflict}") from conflict
        body["metadata"]["resourceVersion"] = str(meta.get("resourceVersion", ""))
        return None
