"""Every manifest applies cleanly with server-side apply on a real API server, and a second apply changes nothing."""
from __future__ import annotations

import pytest

from tests.controlplane import support

EXPORTER_CONFIG = support.ROOT / "exporter-config"


def test_kubesent_rbac_applied_and_is_stable(kubectl: support.Kubectl) -> None:
    """The session applied it (conftest); applying again conflicts with nothing and diffs to nothing."""
    again = kubectl.run("apply", "--server-side", "--field-manager=kubesent-install", "-k", str(support.KUBESENT_RBAC))
    diff = kubectl.run("diff", "--server-side", "--field-manager=kubesent-install", "-k", str(support.KUBESENT_RBAC),
                       check=False)

    assert "validatingadmissionpolicybinding.admissionregistration.k8s.io/kubesent-patch-scope" in again.stdout
    assert "validatingadmissionpolicybinding.admissionregistration.k8s.io/kubesent-approve-scope" in again.stdout
    assert diff.returncode == 0, diff.stdout + diff.stderr
    for policy in ("kubesent-patch-scope", "kubesent-approve-scope", "kubesent-resize-scope"):
        checked = kubectl.run("wait", f"validatingadmissionpolicy/{policy}", "--timeout=60s",
                              "--for=jsonpath={.status.observedGeneration}")
        warnings = kubectl.run("get", "validatingadmissionpolicy", policy,
                               "-o", "jsonpath={.status.typeChecking.expressionWarnings}")
        assert "condition met" in checked.stdout
        assert warnings.stdout == "", warnings.stdout  # the type checker found nothing against the schemas


def test_the_exporter_applies_and_its_deployment_makes_a_replicaset(kubectl: support.Kubectl) -> None:
    base = str(EXPORTER_CONFIG / "base")

    applied = kubectl.run("apply", "--server-side", "--field-manager=exporter-install", "-k", base)
    diff = kubectl.run("diff", "--server-side", "--field-manager=exporter-install", "-k", base, check=False)
    rollout = kubectl.run("wait", "--for=jsonpath={.status.replicas}=1", "--timeout=60s",
                          "--namespace=kubesent-exporter", "deployment", "--all")

    assert "deployment.apps/" in applied.stdout and "serverside-applied" in applied.stdout
    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert "condition met" in rollout.stdout


@pytest.mark.parametrize("overlay", ["overlays/gke", "overlays/minikube", "kubesent-rbac-cluster-wide"])
def test_overlays_pass_server_side_dry_run(kubectl: support.Kubectl, overlay: str) -> None:
    done = kubectl.run("apply", "--server-side", "--dry-run=server", "--force-conflicts",
                       "--field-manager=overlay-check", "-k", str(EXPORTER_CONFIG / overlay))

    assert "serverside-applied (server dry run)" in done.stdout
