"""Event validation as a real API server does it: may an Event in namespace A name a pod in namespace B?

FACTS.md §9 (from upstream's legacyValidateEvent): core/v1 compares involvedObject.namespace with the
Event's own namespace only when eventTime is zero. These tests record what kube-apiserver 1.35 accepts,
and that KubeSent's way of reading events (listed from the pod's own namespace) never sees such a forgery.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import kubernetes.client
import pytest
from kubernetes.client import ApiException

from kubesent.cluster.kube import KubeCluster
from tests.controlplane import support

FORGER = support.DENIED  # the namespace the Event is created in
VICTIM = support.ALLOWED  # the namespace of the pod it names
NOW = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def core_event(name: str, *, event_time: bool) -> dict[str, Any]:
    event: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": name},
        "involvedObject": {"kind": "Pod", "namespace": VICTIM, "name": "web-0", "apiVersion": "v1"},
        "reason": "OOMKilling", "message": "Memory cgroup out of memory", "type": "Warning",
    }
    if event_time:
        event |= {"eventTime": NOW, "reportingComponent": "forger", "reportingInstance": "forger-1",
                  "action": "Killing"}
    else:
        event |= {"firstTimestamp": NOW[:19] + "Z", "lastTimestamp": NOW[:19] + "Z", "count": 1,
                  "source": {"component": "forger"}}
    return event


def events_v1_event(name: str) -> dict[str, Any]:
    return {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": name},
            "eventTime": NOW, "reportingController": "example.com/forger", "reportingInstance": "forger-1",
            "action": "Killing", "reason": "OOMKilling", "note": "Memory cgroup out of memory", "type": "Warning",
            "regarding": {"kind": "Pod", "namespace": VICTIM, "name": "web-0", "apiVersion": "v1"}}


def create(admin: kubernetes.client.ApiClient, api: str, name: str) -> int:
    """HTTP status of creating the cross-namespace Event (201, or the refusal's code)."""
    try:
        if api == "core/v1 without eventTime":
            kubernetes.client.CoreV1Api(admin).create_namespaced_event(FORGER, core_event(name, event_time=False))
        elif api == "core/v1 with eventTime":
            kubernetes.client.CoreV1Api(admin).create_namespaced_event(FORGER, core_event(name, event_time=True))
        else:
            kubernetes.client.EventsV1Api(admin).create_namespaced_event(FORGER, events_v1_event(name))
    except ApiException as exc:
        return int(exc.status)
    return 201


# What kube-apiserver v1.35.4 answers (the README's "Event validation on a real API server").
ACCEPTS = {"core/v1 without eventTime": 422, "core/v1 with eventTime": 201, "events.k8s.io/v1": 201}


@pytest.mark.parametrize("api", list(ACCEPTS))
def test_an_event_may_name_a_pod_in_another_namespace_only_with_event_time(
        admin_client: kubernetes.client.ApiClient, api: str) -> None:
    assert create(admin_client, api, support.unique("forged")) == ACCEPTS[api]


def test_kubesent_lists_a_pods_events_from_the_pods_namespace_and_never_sees_the_forgery(
        admin_client: kubernetes.client.ApiClient, kubesent_client: kubernetes.client.ApiClient) -> None:
    forged = support.unique("forged")
    genuine = support.unique("genuine")
    assert create(admin_client, "core/v1 with eventTime", forged) == 201
    real = core_event(genuine, event_time=False)
    real["involvedObject"]["namespace"] = VICTIM
    kubernetes.client.CoreV1Api(admin_client).create_namespaced_event(VICTIM, real)

    listed = KubeCluster(kubesent_client).pod_events(namespace=VICTIM, pod_name="web-0", pod_uid="")

    names = {item["metadata"]["name"] for item in listed}
    assert genuine in names
    assert forged not in names
