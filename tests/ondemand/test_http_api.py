"""``kubesent_http`` through functions-framework's own test client, against the sandbox: /health, /analyze in
both request shapes for each of the seed's pods, the errors, and no write at all."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from functions_framework import create_app

from kubesent import http_api

MAIN = str(Path(__file__).resolve().parents[2] / "functions" / "main.py")
EXPECTED = {"seed-oom": ("dry_run", "raise_memory_limit", "oom_killed"),
            "seed-crashloop": ("proposed", "fix_command_or_args", "crash_loop"),
            "seed-image-pull": ("proposed", "fix_image_reference", "image_pull")}
FAILURE_REASONS = {"seed-oom": "OOMKilled", "seed-crashloop": "CrashLoopBackOff", "seed-image-pull": "ErrImagePull"}
REPLAY_KEYS = {"id", "action", "remedy", "category", "confidence", "target", "patch", "root_cause"}


@pytest.fixture()
def client(function_env):
    return create_app("kubesent_http", MAIN, "http").test_client()


def _no_writes(sandbox) -> None:
    assert sandbox.writes() == []
    assert [r for r in sandbox.requests if r["method"] != "GET"] == [], "not even a dry-run"


def test_health_answers_with_version_model_mode_and_dry_run(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["version"] and body["model"]["mode"] == "none"
    assert body["dry_run"] is False


def test_deep_health_checks_the_cluster_and_the_ledger(client, sandbox):
    assert client.get("/health?deep=1").get_json()["checks"] == {"cluster": "ok", "ledger": "ok"}
    sandbox.inject_fault(method="GET", path=r"/api/v1/namespaces/default/pods/", status=503, count=5)
    response = client.get("/health?deep=1")
    assert response.status_code == 503 and "cluster" in response.get_json()["error"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cluster_mode_reads_the_pod_itself(client, sandbox, seeded, name):
    sandbox.clear_requests()
    response = client.post("/analyze", json={"namespace": "seed", "pod": seeded[name].pod_name})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    action, remedy, category = EXPECTED[name]
    assert (body["action"], body["remedy"], body["category"]) == (action, remedy, category)
    assert set(body) >= REPLAY_KEYS | {"root_cause", "suggested_fix_yaml", "confidence_score", "evidence", "reason"}
    assert 0 <= body["confidence_score"] <= 100 and body["root_cause"] and body["evidence"]
    if name == "seed-oom":
        assert yaml.safe_load(body["suggested_fix_yaml"]) == body["patch"]
        assert body["patch"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "110Mi"
        assert body["target"] == {"kind": "Pod", "namespace": "seed", "name": "seed-oom"}
    else:
        assert body["suggested_fix_yaml"] is None
    _no_writes(sandbox)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_seeds_shape_brings_its_own_evidence_and_reads_nothing(client, sandbox, seeded, name):
    item = seeded[name]
    pod = sandbox.get_object(api_version="v1", kind="Pod", namespace="seed", name=item.pod_name)
    sandbox.clear_requests()
    response = client.post("/analyze", json={
        "pod_name": item.pod_name, "namespace": "seed", "failure_reason": FAILURE_REASONS[name],
        "logs": item.incident.previous_log or "", "pod_yaml": yaml.safe_dump(pod)})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["action"], body["remedy"], body["category"]) == EXPECTED[name]
    assert sandbox.requests == []


def test_the_seeds_shape_works_from_a_spec_only_yaml(client):
    pod = yaml.safe_load((Path(MAIN).parents[1] / "local_emulator/scenarios/seed-oom-pod.yaml").read_text())
    response = client.post("/analyze", json={"pod_name": "seed-oom", "namespace": "seed", "failure_reason": "OOMKilled",
                                             "logs": "", "pod_yaml": yaml.safe_dump(pod)})
    body = response.get_json()
    assert response.status_code == 200 and body["remedy"] == "raise_memory_limit"


def test_secrets_in_supplied_logs_are_redacted(client, sandbox, seeded):
    pod = sandbox.get_object(api_version="v1", kind="Pod", namespace="seed", name="seed-crashloop")
    response = client.post("/analyze", json={
        "pod_name": "seed-crashloop", "namespace": "seed", "failure_reason": "CrashLoopBackOff",
        "logs": "password=hunter2-very-secret\nsh: exec: line 0: python3: not found\n",
        "pod_yaml": yaml.safe_dump(pod)})
    assert response.status_code == 200 and "hunter2" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("body", "status", "fragment"), [
    (b"{not json", 400, "not JSON"),
    (b"[]", 400, "object"),
    (b'{"namespace": "seed"}', 400, "send"),
    (b'{"namespace": "seed", "pod": "x", "extra": 1}', 400, "extra"),
    (b'{"namespace": "Not_A_Namespace", "pod": "x"}', 400, "namespace"),
    (b'{"namespace": "seed", "pod": 7}', 400, "pod"),
    (b'{"pod_name": "p", "namespace": "seed", "failure_reason": "OOMKilled", "logs": "", "pod_yaml": "a: [b"}',
     400, "YAML"),
    (b'{"pod_name": "p", "namespace": "seed", "failure_reason": "OOMKilled", "logs": "", '
     b'"pod_yaml": "kind: Deployment\\nspec: {}"}', 400, "not a Pod"),
    (b'{"pod_name": "p", "namespace": "seed", "failure_reason": "OOMKilled", "logs": "", '
     b'"pod_yaml": "a: &x [1]\\nb: *x\\nspec: {}"}', 400, "aliases"),
])
def test_bad_requests_are_400_with_a_json_message(client, body, status, fragment):
    response = client.post("/analyze", data=body, content_type="application/json")
    assert response.status_code == status and fragment in response.get_json()["error"]


def test_an_unknown_pod_is_404(client, sandbox):
    response = client.post("/analyze", json={"namespace": "seed", "pod": "no-such-pod"})
    assert response.status_code == 404 and "error" in response.get_json()
    _no_writes(sandbox)


def test_an_rbac_refusal_is_403(client, sandbox, seeded):
    sandbox.inject_fault(method="GET", path=r"/pods/seed-oom$", status=403, count=1)
    response = client.post("/analyze", json={"namespace": "seed", "pod": "seed-oom"})
    assert response.status_code == 403 and "RBAC" in response.get_json()["error"]


def test_a_cluster_outage_is_503(client, sandbox, seeded):
    sandbox.inject_fault(method="GET", path=r"/pods/seed-oom$", status=503, count=1)
    response = client.post("/analyze", json={"namespace": "seed", "pod": "seed-oom"})
    assert response.status_code == 503 and "cluster" in response.get_json()["error"]


def test_a_body_over_the_cap_is_413(client):
    response = client.post("/analyze", data=b"x" * (http_api.MAX_BODY_BYTES + 1), content_type="application/json")
    assert response.status_code == 413 and "error" in response.get_json()


def test_unknown_routes_and_methods(client):
    assert client.get("/nope").status_code == 404
    assert client.get("/analyze").status_code == 405
