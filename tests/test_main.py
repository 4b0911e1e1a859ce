"""The Cloud Function entry point through functions-framework's own test client, both body forms."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from functions_framework import create_app

from tests.support.scenarios import event_at, load_scenario

MAIN = str(Path(__file__).resolve().parents[1] / "functions" / "main.py")


@pytest.fixture()
def client(sandbox, monkeypatch):
    for name, value in {"KUBESENT_KUBE_MODE": "explicit", "KUBESENT_KUBE_HOST": sandbox.url,
                        "KUBESENT_LEDGER": "memory", "KUBESENT_LLM": "none", "KUBESENT_DRY_RUN": "false",
                        "KUBESENT_KUBE_TIMEOUT_SECONDS": "2"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    app = create_app("on_pod_event", MAIN, "cloudevent")
    return app.test_client()


def _push_body(payload: object, raw: bytes | None = None) -> dict:
    data = raw if raw is not None else json.dumps(payload).encode()
    return {"subscription": "projects/kubesent-local/subscriptions/kubesent-push",
            "message": {"data": base64.b64encode(data).decode(), "messageId": "42",
                        "publishTime": "2026-11-20T10:00:00.000Z", "attributes": {}}}


def _cloudevent_headers() -> dict:
    return {"ce-id": "42", "ce-specversion": "1.0", "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
            "ce-source": "//pubsub.googleapis.com/projects/kubesent-local/topics/kubesent-events",
            "Content-Type": "application/json"}


def test_raw_pubsub_push_body_heals_the_oom(client, sandbox, now, capsys):
    bundle, _ = load_scenario("oom-memory-hog")
    sandbox.load_bundle(bundle)
    response = client.post("/projects/kubesent-local/topics/kubesent-events", json=_push_body(event_at(bundle, now)))
    assert response.status_code == 200
    deployment = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="demo", name="memory-hog")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "110Mi"
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["message"] == "kubesent.incident" and line["action"] == "applied" and line["severity"] == "NOTICE"


def test_structured_cloudevent_is_accepted(client, sandbox, now, capsys):
    bundle, _ = load_scenario("missing-configmap")
    sandbox.load_bundle(bundle)
    body = {"message": _push_body(event_at(bundle, now))["message"]}
    response = client.post("/", json=body, headers=_cloudevent_headers())
    assert response.status_code == 200
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["action"] == "proposed" and line["remedy"] == "add_missing_config"


@pytest.mark.parametrize("raw", [b"\xff\xfe not json", b"[]", b'{"reason": "BackOff"}'])
def test_malformed_messages_are_acknowledged_and_logged(client, raw, capsys):
    response = client.post("/projects/p/topics/t", json=_push_body(None, raw=raw))
    assert response.status_code == 200
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["message"] == "kubesent.rejected" and line["severity"] == "ERROR"


def test_garbage_base64_is_acknowledged(client, capsys):
    body = _push_body({})
    body["message"]["data"] = "@@@@"
    assert client.post("/projects/p/topics/t", json=body).status_code == 200
    assert "base64" in capsys.readouterr().out


def test_a_transient_cluster_fault_answers_500_so_pubsub_redelivers(client, sandbox, now, capsys):
    bundle, _ = load_scenario("oom-memory-hog")
    sandbox.load_bundle(bundle)
    sandbox.inject_fault(method="GET", path=r"/api/v1/namespaces/demo/pods/.*", status=503, count=1)
    response = client.post("/projects/p/topics/t", json=_push_body(event_at(bundle, now)))
    assert response.status_code == 500
    assert "kubesent.retry" in capsys.readouterr().out
    assert client.post("/projects/p/topics/t", json=_push_body(event_at(bundle, now))).status_code == 200
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["action"] == "applied", "the redelivery is handled, not taken for a duplicate of the failed try"
