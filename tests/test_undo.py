"""undo: the records a patch carries, and the restore they allow (the admission policy judges both for real in
tests/controlplane/test_undo_policy.py)."""

from __future__ import annotations

from kubesent import undo


def container_patch(**change: object) -> dict[str, object]:
    return {"spec": {"template": {"spec": {"containers": [{"name": "app", **change}]}}}}


def test_a_limit_raise_records_old_and_new_and_restores_old() -> None:
    changes = undo.planned(kind="Deployment", patch=container_patch(resources={"limits": {"memory": "384Mi"}}),
                           previous={"memory_limit": "256Mi"}, container="app")

    assert undo.as_annotations(changes) == {"kubesent.dev/undo.memory": "app:256Mi:384Mi"}
    assert undo.parse(undo.as_annotations(changes)) == changes
    body = undo.restore_patch("Deployment", changes, resource_version="7", note="worse")
    assert body["spec"]["template"]["spec"]["containers"] == [{"name": "app", "resources": {"limits": {
        "memory": "256Mi"}}}]
    assert body["metadata"] == {"resourceVersion": "7", "annotations": {"kubesent.dev/undo.memory": None,
                                                                         undo.REVERTED: "worse"}}


def test_probe_timing_records_the_kubelets_values_an_unset_field_being_its_default() -> None:
    changes = undo.planned(kind="StatefulSet",
                           patch=container_patch(livenessProbe={"initialDelaySeconds": 51, "failureThreshold": 6}),
                           previous={"livenessProbe.initialDelaySeconds": None, "livenessProbe.failureThreshold": 3},
                           container="app")

    assert undo.as_annotations(changes) == {"kubesent.dev/undo.livenessProbe.initialDelaySeconds": "app:0:51",
                                            "kubesent.dev/undo.livenessProbe.failureThreshold": "app:3:6"}
    restored = undo.restore_patch("StatefulSet", changes, resource_version="1", note="stalled")
    assert restored["spec"]["template"]["spec"]["containers"] == [
        {"name": "app", "livenessProbe": {"initialDelaySeconds": 0, "failureThreshold": 3}}]


def test_no_record_for_what_has_no_automatic_undo() -> None:
    handler = container_patch(livenessProbe={"initialDelaySeconds": 20, "httpGet": {"port": 8081}})
    image = container_patch(image="registry.example/app:1.1")

    assert undo.planned(kind="Deployment", patch=handler, previous={"livenessProbe.initialDelaySeconds": 5},
                        container="app") == []
    assert undo.planned(kind="Deployment", patch=image, previous={"image": "registry.example/app:1.0"},
                        container="app") == []
    assert undo.planned(kind="Pod", patch={"spec": {"containers": [{"name": "app", "resources": {"limits": {
        "memory": "1Gi"}}}]}}, previous={"memory_limit": "512Mi"}, container="app") == []


def test_a_malformed_record_is_skipped() -> None:
    assert undo.parse({"kubesent.dev/undo.memory": "app:256Mi", "kubesent.dev/undo.cpu": "::",
                       "kubesent.dev/undo.livenessProbe.periodSeconds": "app:10:20"}) == [
        undo.Change(container="app", resource="livenessProbe.periodSeconds", old="10", new="20")]
