"""The undo of a raise, judged by a real kube-apiserver's admission policy (issue 16).

KubeSent may lower a limit only to restore what its own undo record says, once, while its raise is still
in place; and it may write an undo record only for the raise the same update makes.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import kubernetes.client
import pytest
from kubernetes.client import ApiException

from kubesent import undo
from tests.controlplane import support

UNDO_MEMORY = undo.PREFIX + "memory"


def limits_patch(memory: str | None = None, cpu: str | None = None, *, container: str = "app",
                 annotations: dict[str, str | None] | None = None) -> dict[str, Any]:
    limits = {k: v for k, v in (("memory", memory), ("cpu", cpu)) if v is not None}
    body: dict[str, Any] = {"spec": {"template": {"spec": {"containers": [
        {"name": container, "resources": {"limits": limits}}]}}}} if limits else {}
    if annotations is not None:
        body["metadata"] = {"annotations": annotations}
    return body


def write(client: kubernetes.client.ApiClient, name: str, body: dict[str, Any]) -> dict[str, Any]:
    apps = kubernetes.client.AppsV1Api(client)
    result = apps.patch_namespaced_deployment(name, support.ALLOWED, body, field_manager="kubesent")
    return client.sanitize_for_serialization(result)  # type: ignore[no-any-return]


def refused(client: kubernetes.client.ApiClient, name: str, body: dict[str, Any]) -> str:
    with pytest.raises(ApiException) as caught:
        write(client, name, body)
    assert caught.value.status == 403, caught.value.body
    assert "kubesent-patch-scope" in str(caught.value.body)
    return str(caught.value.body)


def restore(client: kubernetes.client.ApiClient, name: str, note: str = "test") -> dict[str, Any]:
    """KubeSent's restore from the live object's records, read again on a 409 (the controller writes the status
    of a freshly patched Deployment, and each write moves its resourceVersion), as the verifier does."""
    apps = kubernetes.client.AppsV1Api(client)
    for _ in range(5):
        live = client.sanitize_for_serialization(apps.read_namespaced_deployment(name, support.ALLOWED))
        body = undo.restore_patch("Deployment", undo.parse(live["metadata"]["annotations"]),
                                  resource_version=live["metadata"]["resourceVersion"], note=note)
        try:
            return write(client, name, body)
        except ApiException as exc:
            if exc.status != 409:
                raise
    raise AssertionError("the Deployment kept changing")


def memory_limit(obj: dict[str, Any]) -> str:
    return str(obj["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"])


@pytest.fixture()
def raised(admin_client: kubernetes.client.ApiClient, kubesent_client: kubernetes.client.ApiClient) -> Iterator[str]:
    """A workload whose memory limit KubeSent raised 512Mi → 768Mi, with the undo record of that raise."""
    name = support.unique("undo")
    apps = kubernetes.client.AppsV1Api(admin_client)
    apps.create_namespaced_deployment(support.ALLOWED, support.deployment(name), field_manager="gitops-tool")
    patched = write(kubesent_client, name, limits_patch("768Mi", annotations={UNDO_MEMORY: "app:512Mi:768Mi"}))
    assert memory_limit(patched) == "768Mi"
    yield name
    apps.delete_namespaced_deployment(name, support.ALLOWED)


def test_the_recorded_restore_passes_once(kubesent_client: kubernetes.client.ApiClient, raised: str) -> None:
    restored = write(kubesent_client, raised, limits_patch("512Mi", annotations={UNDO_MEMORY: None}))

    assert memory_limit(restored) == "512Mi"
    assert UNDO_MEMORY not in restored["metadata"].get("annotations", {})
    # Used once: the record is gone, so lowering the limit again is a cut like any other.
    write(kubesent_client, raised, limits_patch("768Mi", annotations={UNDO_MEMORY: "app:512Mi:768Mi"}))
    refused(kubesent_client, raised, limits_patch("512Mi"))


def test_the_restore_built_by_kubesent_passes(kubesent_client: kubernetes.client.ApiClient, raised: str) -> None:
    restored = restore(kubesent_client, raised)

    assert memory_limit(restored) == "512Mi"
    assert restored["metadata"]["annotations"][undo.REVERTED] == "test"


@pytest.mark.parametrize(("case", "body"), [
    ("below-the-recorded-value", limits_patch("256Mi", annotations={UNDO_MEMORY: None})),
    ("record-kept", limits_patch("512Mi")),
    ("other-resource", limits_patch(cpu="250m", annotations={UNDO_MEMORY: None})),
], ids=lambda value: value if isinstance(value, str) else "")
def test_anything_but_the_recorded_restore_is_refused(kubesent_client: kubernetes.client.ApiClient, raised: str,
                                                      case: str, body: dict[str, Any]) -> None:
    refused(kubesent_client, raised, body)


def test_no_restore_over_a_persons_later_change(admin_client: kubernetes.client.ApiClient,
                                                kubesent_client: kubernetes.client.ApiClient, raised: str) -> None:
    write(admin_client, raised, limits_patch("1Gi"))  # a person raised it further

    refused(kubesent_client, raised, limits_patch("512Mi", annotations={UNDO_MEMORY: None}))


@pytest.mark.parametrize(("case", "body"), [
    # A record whose "old" is lower than the real old value would allow a cut below it later.
    ("forged-old-value", limits_patch("1Gi", annotations={UNDO_MEMORY: "app:64Mi:1Gi"})),
    # A record without the raise it claims.
    ("record-without-raise", limits_patch(annotations={UNDO_MEMORY: "app:128Mi:768Mi"})),
    ("wrong-new-value", limits_patch("1Gi", annotations={UNDO_MEMORY: "app:768Mi:2Gi"})),
    ("other-container", limits_patch("1Gi", annotations={UNDO_MEMORY: "sidecar:768Mi:1Gi"})),
    ("not-a-quantity", limits_patch("1Gi", annotations={UNDO_MEMORY: "app:lots:1Gi"})),
], ids=lambda value: value if isinstance(value, str) else "")
def test_an_undo_record_must_name_the_raise_its_update_makes(kubesent_client: kubernetes.client.ApiClient,
                                                             raised: str, case: str, body: dict[str, Any]) -> None:
    refused(kubesent_client, raised, body)


def test_a_true_record_of_a_second_raise_passes(kubesent_client: kubernetes.client.ApiClient, raised: str) -> None:
    patched = write(kubesent_client, raised, limits_patch("1Gi", annotations={UNDO_MEMORY: "app:768Mi:1Gi"}))

    assert patched["metadata"]["annotations"][UNDO_MEMORY] == "app:768Mi:1Gi"


UNDO_LIVENESS_DELAY = undo.PREFIX + "livenessProbe.initialDelaySeconds"
UNDO_READINESS_DELAY = undo.PREFIX + "readinessProbe.initialDelaySeconds"


def probe_patch(probe: str, *, annotations: dict[str, str | None] | None = None, **timing: int) -> dict[str, Any]:
    body: dict[str, Any] = {"spec": {"template": {"spec": {"containers": [{"name": "app", probe: timing}]}}}}
    if annotations is not None:
        body["metadata"] = {"annotations": annotations}
    return body


def probe_field(obj: dict[str, Any], probe: str, field: str) -> int:
    return int(obj["spec"]["template"]["spec"]["containers"][0][probe].get(field, 0))


@pytest.fixture()
def loosened(admin_client: kubernetes.client.ApiClient, kubesent_client: kubernetes.client.ApiClient) -> Iterator[str]:
    """A workload whose liveness initialDelaySeconds KubeSent loosened 5 → 20, and whose readiness probe's (unset,
    so 0) went to 15, each with its undo record."""
    name = support.unique("probe-undo")
    apps = kubernetes.client.AppsV1Api(admin_client)
    apps.create_namespaced_deployment(support.ALLOWED, support.deployment(name), field_manager="gitops-tool")
    write(kubesent_client, name, probe_patch("livenessProbe", initialDelaySeconds=20,
                                             annotations={UNDO_LIVENESS_DELAY: "app:5:20"}))
    patched = write(kubesent_client, name, probe_patch("readinessProbe", initialDelaySeconds=15,
                                                       annotations={UNDO_READINESS_DELAY: "app:0:15"}))
    assert probe_field(patched, "readinessProbe", "initialDelaySeconds") == 15
    yield name
    apps.delete_namespaced_deployment(name, support.ALLOWED)


def test_the_recorded_probe_restores_pass_including_back_to_an_unset_default(
        kubesent_client: kubernetes.client.ApiClient, loosened: str) -> None:
    apps = kubernetes.client.AppsV1Api(kubesent_client)
    live = kubesent_client.sanitize_for_serialization(apps.read_namespaced_deployment(loosened, support.ALLOWED))
    assert {change.resource for change in undo.parse(live["metadata"]["annotations"])} == {
        "livenessProbe.initialDelaySeconds", "readinessProbe.initialDelaySeconds"}

    restored = restore(kubesent_client, loosened)

    assert probe_field(restored, "livenessProbe", "initialDelaySeconds") == 5
    assert probe_field(restored, "readinessProbe", "initialDelaySeconds") == 0
    assert not any(key.startswith(undo.PREFIX) for key in restored["metadata"]["annotations"])


@pytest.mark.parametrize(("case", "body"), [
    ("below-the-recorded-value", probe_patch("livenessProbe", initialDelaySeconds=1,
                                             annotations={UNDO_LIVENESS_DELAY: None})),
    ("record-kept", probe_patch("livenessProbe", initialDelaySeconds=5)),
    ("another-field-tightened", probe_patch("livenessProbe", timeoutSeconds=1, periodSeconds=5,
                                            annotations={UNDO_LIVENESS_DELAY: None})),
    ("forged-record", probe_patch("livenessProbe", initialDelaySeconds=40,
                                  annotations={UNDO_LIVENESS_DELAY: "app:0:40"})),
], ids=lambda value: value if isinstance(value, str) else "")
def test_anything_but_a_recorded_probe_restore_is_refused(kubesent_client: kubernetes.client.ApiClient,
                                                          loosened: str, case: str, body: dict[str, Any]) -> None:
    refused(kubesent_client, loosened, body)
