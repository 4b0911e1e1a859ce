"""Builds ``Evidence`` objects directly from the dataclasses, for diagnosis tests and benchmarks.

``evidence(...)`` gives a one-container Deployment pod (``shop/web-…``, container ``app``); keyword
arguments replace the container's or the pod's fields.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kubesent.events import PodEvent
from kubesent.evidence.category import Category
from kubesent.evidence.model import ContainerFacts, EventFacts, Evidence, Owner, ProbeFacts, Termination


def pod_event(*, reason: str = "BackOff", message: str = "Back-off restarting failed container app") -> PodEvent:
    return PodEvent.model_validate({
        "metadata": {"name": "web-7c9d-x2x.17f", "namespace": "shop", "uid": "e-1"},
        "reason": reason, "message": message, "type": "Warning", "count": 5,
        "lastTimestamp": "2025-01-01T00:00:00Z",
        "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "web-7c9d-x2x", "uid": "p-1",
                           "fieldPath": "spec.containers{app}"},
    })


def container(**changes: Any) -> ContainerFacts:
    base = ContainerFacts(
        name="app", init=False, image="registry.example.com/shop/web:1.4.2",
        command=("/app/server",), args=("--port=8080",),
        env_names=("LOG_LEVEL", "DB_PASSWORD"), secret_env_names=("DB_PASSWORD",),
        config_refs=(), ports=(("http", 8080),),
        requests={"cpu": "100m", "memory": "128Mi"}, limits={"cpu": "500m", "memory": "256Mi"},
        probes=(ProbeFacts(name="liveness", handler="httpGet", port=8080, path="/healthz", initial_delay_seconds=0,
                           timeout_seconds=1, period_seconds=10, failure_threshold=3),),
        security_context={}, waiting_reason="CrashLoopBackOff",
        waiting_message="back-off 40s restarting failed container=app", running=False, terminated=None,
        last_terminated=Termination(reason="Error", exit_code=1, message="", started_at=None, finished_at=None),
        restart_count=5, ready=False,
        logs_current="", logs_previous="starting server\nerror: unknown flag: --prot\nusage: server [--port N]\n")
    return dataclasses.replace(base, **changes)


def evidence(*, containers: tuple[ContainerFacts, ...] | None = None, category: Category = Category.CRASH_LOOP,
             **changes: Any) -> Evidence:
    base = Evidence(
        event=pod_event(), cluster="test", namespace="shop", pod_name="web-7c9d-x2x", pod_uid="p-1",
        phase="Running", pod_reason="", pod_message="", node_name="node-1", conditions=(),
        containers=containers if containers is not None else (container(),),
        owner_chain=("Pod/web-7c9d-x2x", "ReplicaSet/web-7c9d", "Deployment/web"),
        owner=Owner(api_version="apps/v1", kind="Deployment", namespace="shop", name="web", uid="d-1",
                    resource_version="42", labels={}, annotations={}, managers=("kubectl",), template={}),
        template_hash="7c9d",
        events=(EventFacts(reason="BackOff", type="Warning", message="Back-off restarting failed container app",
                           count=5, field_path="spec.containers{app}", annotations={}),),
        event_message="Back-off restarting failed container app", focus_container="app", category=category)
    return dataclasses.replace(base, **changes)
