"""Helpers of the control-plane tier: API clients per identity, kubectl, and the objects tests patch."""
from __future__ import annotations

import copy
import json
import shutil
import subprocess
import time
import uuid
from typing import Any

import kubernetes.client
import pytest

from local_emulator.controlplane import ControlPlane, clients, identities
from local_emulator.controlplane.clients import api_client

ROOT = identities.ROOT
KUBESENT_RBAC = ROOT / "exporter-config" / "kubesent-rbac"
EXPORTER_BASE = ROOT / "exporter-config" / "base"
# kubesent.env lists the allowed namespaces; DENIED exists but is never bound.
ALLOWED = "shop"
DENIED = "payments"
WAIT_SECONDS = clients.WAIT_SECONDS


class Kubectl:
    """`kubectl` with a kubeconfig of the running control plane (admin unless told)."""

    def __init__(self, plane: ControlPlane) -> None:
        binary = shutil.which("kubectl")
        if binary is None:
            pytest.fail("kubectl is needed for the control-plane tier and is not on PATH", pytrace=False)
        self.binary = binary
        self.plane = plane

    def run(self, *args: str, identity: str = identities.ADMIN, check: bool = True,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [self.binary, f"--kubeconfig={self.plane.kubeconfig(identity)}", *args]
        done = subprocess.run(command, capture_output=True, text=True, input=stdin, timeout=120)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def can_i(self, verb: str, resource: str, *, namespace: str | None, as_user: str) -> bool:
        """`kubectl auth can-i --as=USER` as the admin: the server's RBAC answer, yes or no.

        ``pods/log`` is a subresource here (kubectl reads ``TYPE/NAME`` as an object's name). ``plural.group``
        names a resource of another API group, asked as a SubjectAccessReview (see ``_review``).
        """
        scope = [f"--namespace={namespace}"] if namespace else ["--all-namespaces"]
        plural, _, subresource = resource.partition("/")
        if "." in plural:
            return self._review(verb, plural, subresource, namespace=namespace, as_user=as_user)
        sub = [f"--subresource={subresource}"] if subresource else []
        done = self.run("auth", "can-i", verb, plural, *sub, *scope, f"--as={as_user}", check=False)
        answer = done.stdout.strip()
        assert answer in ("yes", "no"), done.stdout + done.stderr
        return answer == "yes"

    def _review(self, verb: str, qualified: str, subresource: str, *, namespace: str | None, as_user: str) -> bool:
        """The server's RBAC answer for ``plural.group``, asked directly. ``kubectl auth can-i`` maps the resource
        through discovery first, and for a CRD that is not installed it warns and asks about a resource of the
        core group named ``plural.group``: always no. The groups are what impersonation adds (``--as``)."""
        plural, _, group = qualified.partition(".")
        attributes = {"verb": verb, "group": group, "resource": plural}
        attributes |= {"subresource": subresource} if subresource else {}
        attributes |= {"namespace": namespace} if namespace else {}
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                  "spec": {"user": as_user, "groups": ["system:authenticated"], "resourceAttributes": attributes}}
        done = self.run("create", "-f", "-", "-o", "jsonpath={.status.allowed}", stdin=json.dumps(review))
        assert done.stdout.strip() in ("true", "false"), done.stdout + done.stderr
        return done.stdout.strip() == "true"


def bootstrap(plane: ControlPlane) -> None:
    """Namespaces the tier uses, then KubeSent's RBAC and admission, applied as a cluster admin would."""
    kubectl = Kubectl(plane)
    for namespace in (ALLOWED, DENIED):
        kubectl.run("create", "namespace", namespace)
    kubectl.run("apply", "--server-side", "--field-manager=kubesent-install", "-k", str(KUBESENT_RBAC))
    wait_for_policy(plane)


def wait_for_policy(plane: ControlPlane) -> None:
    """Admission policies, bindings and params reach the plugin through informers: wait until all are live.

    Live means a replicas change is refused (policy and binding loaded) while a limit raise passes (the
    params are loaded too: without them `parameterNotFoundAction: Deny` refuses everything).
    """
    client = api_client(plane, identities.ADMIN)
    try:
        apps = kubernetes.client.AppsV1Api(client)
        name = "policy-probe"
        apps.create_namespaced_deployment(ALLOWED, deployment(name))
        for identity, policy in ((identities.KUBESENT, "kubesent-patch-scope"),
                                 (identities.APPROVER, "kubesent-approve-scope")):
            _wait_for_one_policy(plane, identity, policy, name)
        apps.delete_namespaced_deployment(name, ALLOWED)
    finally:
        client.close()


def _wait_for_one_policy(plane: ControlPlane, identity: str, policy: str, name: str) -> None:
    writer = api_client(plane, identity)
    try:
        as_writer = kubernetes.client.AppsV1Api(writer)
        raise_limit = {"spec": {"template": {"spec": {"containers": [
            {"name": "app", "resources": {"limits": {"memory": "1Gi"}}}]}}}}
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                as_writer.patch_namespaced_deployment(name, ALLOWED, {"spec": {"replicas": 3}}, dry_run="All")
            except kubernetes.client.ApiException as exc:
                if exc.status == 403 and policy in str(exc.body):
                    try:
                        as_writer.patch_namespaced_deployment(name, ALLOWED, raise_limit, dry_run="All")
                    except kubernetes.client.ApiException:
                        pass  # params not seen yet
                    else:
                        return
            time.sleep(0.5)
        raise AssertionError(f"{policy} never refused a replicas change while allowing a raise")
    finally:
        writer.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


CONTAINER: dict[str, Any] = {
    "name": "app",
    "image": "registry.example/app:1.0",
    "env": [{"name": "MODE", "value": "prod"}],
    "ports": [{"containerPort": 8080, "name": "http"}],
    "resources": {"requests": {"memory": "256Mi", "cpu": "250m"}, "limits": {"memory": "512Mi", "cpu": "500m"}},
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "initialDelaySeconds": 5,
                      "timeoutSeconds": 1, "periodSeconds": 10, "failureThreshold": 3},
    "readinessProbe": {"tcpSocket": {"port": 8080}, "timeoutSeconds": 2, "periodSeconds": 5},
}


def deployment(name: str, *, replicas: int = 0, container: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Deployment with one fully specified container; replicas 0 unless a test wants pods."""
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name, "team": "shop"},
                     "annotations": {"owner": "shop-team"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [copy.deepcopy(container or CONTAINER)]}}},
    }
