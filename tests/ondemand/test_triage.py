"""triage: which pods are failing now, and the kubelet's Warning event each failure would have produced."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kubesent import triage


def _pod(*statuses, status=None, spec=None):
    return {"metadata": {"name": "p", "namespace": "n", "uid": "u"},
            "spec": spec or {"containers": [{"name": "c"}]},
            "status": {"containerStatuses": list(statuses), **(status or {})}}


def _container(**fields):
    return {"name": "c", "restartCount": 0, **fields}


@pytest.mark.parametrize(("pod", "reason", "summary"), [
    (_pod(_container(restartCount=3, state={"waiting": {"reason": "CrashLoopBackOff"}},
                     lastState={"terminated": {"reason": "OOMKilled", "exitCode": 137}})), "BackOff", "OOMKilled"),
    (_pod(_container(restartCount=2, state={"running": {}},
                     lastState={"terminated": {"reason": "OOMKilled", "exitCode": 137}})), "BackOff", "OOMKilled"),
    (_pod(_container(state={"waiting": {"reason": "ImagePullBackOff"}})), "Failed", "ImagePullBackOff"),
    (_pod(_container(state={"waiting": {"reason": "CreateContainerConfigError", "message": "no configmap"}})),
     "Failed", "CreateContainerConfigError"),
    (_pod(_container(restartCount=5, state={"waiting": {"reason": "CrashLoopBackOff"}})), "BackOff",
     "CrashLoopBackOff"),
    (_pod(status={"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                                                      "reason": "Unschedulable", "message": "0/3 nodes"}]}),
     "FailedScheduling", "Unschedulable"),
    (_pod(status={"phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory."}),
     "Evicted", "Evicted"),
])
def test_each_failure_is_found_with_the_kubelets_reason(pod, reason, summary):
    found = triage.failure(pod)
    assert found is not None and (found.reason, found.summary) == (reason, summary)
    event = triage.event_for(pod, found, now=datetime(2026, 12, 2, tzinfo=UTC))
    assert event.reason == reason and event.type == "Warning" and event.involved_object.uid == "u"


def test_a_healthy_pod_and_a_clean_exit_are_not_failing():
    assert triage.failure(_pod(_container(ready=True, state={"running": {}}))) is None
    assert triage.failure(_pod(_container(state={"terminated": {"reason": "Completed", "exitCode": 0}}))) is None


def test_a_named_container_is_the_one_judged():
    pod = _pod(_container(state={"waiting": {"reason": "ErrImagePull"}}))
    assert triage.failure(pod, container="other") is None
    assert triage.event_for(pod, triage.failure(pod, container="c"),
                            now=datetime.now(UTC)).involved_object.field_path == "spec.containers{c}"


def test_a_callers_reason_fills_a_spec_only_pod():
    pod = {"metadata": {"name": "p", "namespace": "n"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    filled = triage.status_from_reason(pod, "OOMKilled", container=None)
    found = triage.failure(filled)
    assert found is not None and found.summary == "OOMKilled"
    assert triage.from_reason("SomethingElse", pod, container=None).reason == "BackOff"
