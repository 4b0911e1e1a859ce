"""The pull secret a namespace's Ready pods prove for a registry: what pins it and what does not. Pure."""

from __future__ import annotations

from typing import Any

from kubesent.evidence import pullsecrets
from kubesent.evidence.category import Category
from kubesent.evidence.model import EventFacts

IMAGE = "harbor.example.com/ledger/api:3.1.0"
REFUSED = (f'Failed to pull image "{IMAGE}": rpc error: code = Unknown desc = failed to resolve reference '
           f'"{IMAGE}": pulling from host harbor.example.com failed with status code [manifests 3.1.0]: '
           "401 Unauthorized")


def pod(name: str, image: str, secrets: list[str], *, ready: bool = True, **metadata: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "demo", **metadata},
            "spec": {"containers": [{"name": "main", "image": image}],
                     "imagePullSecrets": [{"name": secret} for secret in secrets]},
            "status": {"phase": "Running" if ready else "Pending",
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def witness(pods: list[dict[str, Any]], *, already: tuple[str, ...] = (),
            image: str = IMAGE) -> pullsecrets.PullSecretWitness | None:
    return pullsecrets.witness(pods, failing_pod="ledger-api-x", image=image, already=already)


def test_a_ready_pod_on_the_same_registry_pins_its_pull_secret() -> None:
    found = witness([pod("worker-a", "harbor.example.com/ledger/worker:1.9", ["harbor-pull"]),
                     pod("web-b", "ghcr.io/example/web:2", ["ghcr-pull"]),
                     pod("cron-c", "harbor.example.com/ledger/cron:0.4", ["old-robot"], ready=False)])

    assert found == pullsecrets.PullSecretWitness(secret="harbor-pull", registry="harbor.example.com",
                                                  pods=("worker-a",))
    assert "worker-a" in found.describe() and "'harbor-pull'" in found.describe()


def test_nothing_is_pinned_without_a_ready_witness_on_that_registry() -> None:
    assert witness([]) is None
    assert witness([pod("web-b", "ghcr.io/example/web:2", ["ghcr-pull"])]) is None
    assert witness([pod("cron-c", "harbor.example.com/ledger/cron:0.4", ["robot"], ready=False)]) is None
    assert witness([pod("worker-a", "harbor.example.com/ledger/worker:1.9", [])]) is None  # the node's identity
    assert witness([pod("worker-a", "harbor.example.com/ledger/worker:1.9", ["robot"],
                        deletionTimestamp="2026-11-20T10:00:00Z")]) is None


def test_witnesses_that_disagree_pin_nothing() -> None:
    assert witness([pod("worker-a", "harbor.example.com/a:1", ["robot-a"]),
                    pod("worker-b", "harbor.example.com/b:1", ["robot-b"])]) is None
    assert witness([pod("worker-a", "harbor.example.com/a:1", ["robot-a", "robot-b"])]) is None


def test_witnesses_that_agree_are_named_and_a_secret_the_pod_already_has_is_no_fix() -> None:
    found = witness([pod(f"worker-{n}", "harbor.example.com/a:1", ["robot", "shared"]) for n in range(5)],
                    already=("shared",))

    assert found is not None and found.secret == "robot" and len(found.pods) == pullsecrets.MAX_WITNESSES_NAMED
    assert witness([pod("worker-a", "harbor.example.com/a:1", ["robot"])], already=("robot",)) is None


def test_the_failing_pod_and_names_that_are_not_object_names_are_no_witnesses() -> None:
    assert witness([pod("ledger-api-x", "harbor.example.com/a:1", ["robot"])]) is None
    assert witness([pod("worker-a", "harbor.example.com/a:1", ["Not_A_Name"])]) is None


def test_docker_hub_short_names_share_a_registry() -> None:
    found = witness([pod("worker-a", "myorg/worker:1", ["hub-pull"])], image="docker.io/myorg/api:1")

    assert found is not None and found.registry == "docker.io"


def kubelet_event(message: str, *, reason: str = "Failed", reporter: str = "kubelet") -> EventFacts:
    return EventFacts(reason=reason, type="Warning", message=message, count=1, field_path="", annotations={},
                      reporter=reporter)


def test_the_list_is_wanted_only_after_the_kubelet_says_a_pull_was_refused_for_authorisation() -> None:
    assert pullsecrets.wanted(Category.IMAGE_PULL, (kubelet_event(REFUSED),))
    for words in ("403 Forbidden", "unauthorized: authentication required", "pull access denied for x"):
        assert pullsecrets.wanted(Category.IMAGE_PULL, (kubelet_event(f'Failed to pull image "{IMAGE}": {words}'),))

    assert not pullsecrets.wanted(Category.CRASH_LOOP, (kubelet_event(REFUSED),))
    assert not pullsecrets.wanted(Category.IMAGE_PULL, (kubelet_event(
        f'Failed to pull image "{IMAGE}": rpc error: code = NotFound desc = manifest unknown'),))
    assert not pullsecrets.wanted(Category.IMAGE_PULL, (kubelet_event(REFUSED, reporter="someone-else"),))
    assert not pullsecrets.wanted(Category.IMAGE_PULL, (kubelet_event(REFUSED, reason="BackOff"),))
    assert not pullsecrets.wanted(Category.IMAGE_PULL, ())
