"""Failure categories: each from the pod status or event reason that shows it, and which one wins."""

from __future__ import annotations

from typing import Any

import pytest

from kubesent.evidence import classify
from kubesent.evidence.category import Category
from kubesent.evidence.model import ContainerFacts, Termination
from tests.fakes.evidence_builder import container, pod_event

OOM = Termination(reason="OOMKilled", exit_code=137, message="", started_at=None, finished_at=None)
ERROR = Termination(reason="Error", exit_code=1, message="", started_at=None, finished_at=None)
START_ERROR = Termination(reason="StartError", exit_code=128, message="", started_at=None, finished_at=None)
NON_ROOT = "container has runAsNonRoot and image will run as root (pod: \"web-7c9d-x2x_shop\", container: app)"


def healthy(**changes: Any) -> ContainerFacts:
    """Container ``app``, running, never restarted: it shows no failure of its own."""
    return container(**{"waiting_reason": None, "waiting_message": "", "running": True, "terminated": None,
                        "last_terminated": None, "restart_count": 0, **changes})


def categorise(reason: str, message: str = "", *, containers: tuple[ContainerFacts, ...] | None = None,
               focus: str | None = "app", pod: dict[str, Any] | None = None) -> Category:
    return classify.category(pod_event(reason=reason, message=message),
                             containers if containers is not None else (healthy(),), focus, pod or {})


@pytest.mark.parametrize(("reason", "expected"), [
    ("Evicted", Category.EVICTED),
    ("FailedScheduling", Category.UNSCHEDULABLE),
    ("FailedMount", Category.MOUNT_FAILURE),
    ("FailedAttachVolume", Category.MOUNT_FAILURE),
    ("Unhealthy", Category.PROBE_FAILURE),
    ("BackOff", Category.CRASH_LOOP),
    ("FailedToRetrieveImagePullSecret", Category.IMAGE_PULL),
    ("FailedPostStartHook", Category.CONTAINER_CREATE),
    ("FailedPreStopHook", Category.CONTAINER_CREATE),
    ("SomethingElse", Category.OTHER),
])
def test_the_event_reason_names_the_category(reason: str, expected: Category) -> None:
    assert categorise(reason) == expected


def test_a_pod_evicted_by_the_kubelet_is_evicted_whatever_the_event() -> None:
    assert categorise("Killing", pod={"status": {"phase": "Failed", "reason": "Evicted"}}) == Category.EVICTED


@pytest.mark.parametrize("waiting", ["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
                                     "RegistryUnavailable", "SignatureValidationFailed"])
def test_an_image_waiting_reason_is_an_image_pull_failure(waiting: str) -> None:
    assert categorise("BackOff", containers=(healthy(waiting_reason=waiting, running=False),)) == Category.IMAGE_PULL


@pytest.mark.parametrize("message", [
    'Failed to pull image "ghcr.io/acme/api:v9": rpc error: code = NotFound',
    "Error: ErrImagePull",
    "Error: ImagePullBackOff",
    'Container image "api:1.0" is not present with pull policy of Never',
])
def test_a_failed_event_about_an_image_is_an_image_pull_failure(message: str) -> None:
    assert categorise("Failed", message) == Category.IMAGE_PULL


def test_an_image_message_past_the_read_limit_is_not_read() -> None:
    assert categorise("Failed", "x" * 4000 + ' Failed to pull image "api:1.0"') == Category.OTHER


@pytest.mark.parametrize("message", ['Error: configmap "api-settings" not found',
                                     'Error: secret "billing-db" not found',
                                     "Error: couldn't find key password in Secret demo/billing-db"])
def test_a_missing_config_message_is_missing_config(message: str) -> None:
    assert categorise("Failed", message) == Category.CONFIG_MISSING


def test_a_config_error_waiting_reason_is_missing_config() -> None:
    app = healthy(waiting_reason="CreateContainerConfigError", running=False)

    assert categorise("Failed", "Error: something the kubelet said", containers=(app,)) == Category.CONFIG_MISSING


@pytest.mark.parametrize(("event_message", "waiting_message"), [(f"Error: {NON_ROOT}", ""), ("", NON_ROOT)])
def test_run_as_non_root_is_a_create_failure_not_missing_config(event_message: str, waiting_message: str) -> None:
    app = healthy(waiting_reason="CreateContainerConfigError", waiting_message=waiting_message, running=False)

    assert categorise("Failed", event_message, containers=(app,)) == Category.CONTAINER_CREATE


@pytest.mark.parametrize("waiting", ["CreateContainerError", "RunContainerError", "PreStartHookError",
                                     "PostStartHookError", "ContainerCannotRun"])
def test_a_create_waiting_reason_is_a_create_failure(waiting: str) -> None:
    assert categorise("Failed", containers=(healthy(waiting_reason=waiting, running=False),)) == \
        Category.CONTAINER_CREATE


def test_a_process_the_runtime_could_not_start_is_a_create_failure_not_a_crash_loop() -> None:
    app = healthy(waiting_reason="CrashLoopBackOff", running=False, last_terminated=START_ERROR)

    assert categorise("BackOff", containers=(app,)) == Category.CONTAINER_CREATE


def test_a_crash_loop_waiting_reason_is_a_crash_loop_whatever_the_event() -> None:
    app = healthy(waiting_reason="CrashLoopBackOff", running=False, last_terminated=ERROR)

    assert categorise("Started", containers=(app,)) == Category.CRASH_LOOP


@pytest.mark.parametrize("reason", ["BackOff", "Unhealthy", "Killing", "Failed"])
def test_an_oom_kill_comes_before_its_consequences(reason: str) -> None:
    app = healthy(waiting_reason="CrashLoopBackOff", running=False, last_terminated=OOM)

    assert categorise(reason, containers=(app,)) == Category.OOM_KILLED


def test_an_oom_kill_of_the_current_run_counts_too() -> None:
    app = healthy(running=False, terminated=OOM)

    assert categorise("BackOff", containers=(app,)) == Category.OOM_KILLED


@pytest.mark.parametrize(("reason", "expected"), [("Evicted", Category.EVICTED),
                                                  ("FailedScheduling", Category.UNSCHEDULABLE),
                                                  ("FailedMount", Category.MOUNT_FAILURE)])
def test_eviction_scheduling_and_mounts_come_before_an_oom_kill(reason: str, expected: Category) -> None:
    app = healthy(last_terminated=OOM)

    assert categorise(reason, containers=(app,)) == expected


def test_an_oom_kill_of_an_unfocused_container_does_not_decide_its_events() -> None:
    sidecar = healthy(name="sidecar", last_terminated=OOM)

    assert categorise("Unhealthy", containers=(healthy(), sidecar)) == Category.PROBE_FAILURE


def test_an_oom_kill_elsewhere_in_the_pod_explains_an_otherwise_unexplained_event() -> None:
    sidecar = healthy(name="sidecar", last_terminated=OOM)

    assert categorise("Killing", containers=(healthy(), sidecar)) == Category.OOM_KILLED


def test_without_a_focus_container_only_the_event_and_the_pod_decide() -> None:
    app = healthy(waiting_reason="ErrImagePull", running=False)

    assert categorise("BackOff", containers=(app,), focus=None) == Category.CRASH_LOOP
