"""``make demo-controlplane``: the demo's OOM incident on a real kube-apiserver instead of the sandbox.

It starts etcd, kube-apiserver and kube-controller-manager (``make controlplane`` builds them), applies
KubeSent's RBAC and admission policy as a cluster admin would, creates the memory hog's Deployment and
lets the controller make its pod. There is no kubelet: the demo writes what a node would report (the
pod's status through the status subresource, the kubelet's BackOff Event). Then the same stack as
``make demo`` (the Pub/Sub and Firestore emulators, the function under functions-framework) judges the
exporter's event, reading and patching as KubeSent's own identity (a bearer token, the cluster's CA),
and the Deployment controller rolls out the raised limit.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import kubernetes.client

from local_emulator import auditlog, exporter_event, report
from local_emulator.controlplane import ControlPlane, clients, identities, launcher
from local_emulator.controlplane.clients import api_client, wait_until
from local_emulator.stack import RUN_DIR, TOPIC, Stack, StackOptions

NAMESPACE = "shop"  # the namespace exporter-config/kubesent-rbac/kubesent.env allows
NAME = "memory-hog"
KUBESENT_RBAC = identities.ROOT / "exporter-config" / "kubesent-rbac"
CONTAINER = {"name": NAME, "image": "polinux/stress:1.0.4", "command": ["stress"],
             "args": ["--vm", "1", "--vm-bytes", "50M", "--vm-hang", "1"],
             "resources": {"requests": {"memory": "10Mi"}, "limits": {"memory": "10Mi"}}}
BANNER = """\
KubeSent demo against a REAL kube-apiserver (v1.35, built from source) with etcd and the controller
manager, but no kubelet: the demo reports the pod's OOM kill as a node would. KubeSent acts as its own
identity, bounded by its RBAC and its admission policy."""


def _install(plane: ControlPlane, admin: kubernetes.client.ApiClient) -> None:
    """KubeSent's RBAC and admission policy, then wait until the policy judges (informers are async)."""
    kubectl = ["kubectl", f"--kubeconfig={plane.kubeconfig(identities.ADMIN)}"]
    subprocess.run([*kubectl, "create", "namespace", NAMESPACE], check=True, capture_output=True)
    subprocess.run([*kubectl, "apply", "--server-side", "--field-manager=kubesent-install", "-k", str(KUBESENT_RBAC)],
                   check=True, capture_output=True)
    probe = {"metadata": {"name": "policy-probe"}, "spec": {"replicas": 0, "selector": {"matchLabels": {"a": "b"}},
             "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [CONTAINER]}}}}
    kubernetes.client.AppsV1Api(admin).create_namespaced_deployment(NAMESPACE, probe)
    as_kubesent = kubernetes.client.AppsV1Api(api_client(plane, identities.KUBESENT))

    def refused() -> bool:
        try:
            as_kubesent.patch_namespaced_deployment("policy-probe", NAMESPACE, {"spec": {"replicas": 3}},
                                                    dry_run="All")
        except kubernetes.client.ApiException as exc:
            return exc.status == 403 and "kubesent-patch-scope" in str(exc.body)
        return False

    wait_until("the admission policy", refused)
    kubernetes.client.AppsV1Api(admin).delete_namespaced_deployment("policy-probe", NAMESPACE)


def _oom_killed_pod(admin: kubernetes.client.ApiClient) -> dict[str, Any]:
    """The Deployment, its pod as the controller made it, and the OOM kill a node would report."""
    apps, core = kubernetes.client.AppsV1Api(admin), kubernetes.client.CoreV1Api(admin)
    labels = {"app": NAME}
    apps.create_namespaced_deployment(NAMESPACE, {
        "metadata": {"name": NAME, "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": [CONTAINER]}}}})
    pods = wait_until("the controller's pod",
                 lambda: core.list_namespaced_pod(NAMESPACE, label_selector=f"app={NAME}").items)
    pod = admin.sanitize_for_serialization(pods[0])
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = exporter_event.utc_stamp
    pod["status"] = {"phase": "Running", "startTime": stamp(now - timedelta(minutes=2)), "containerStatuses": [{
        "name": NAME, "ready": False, "restartCount": 2, "image": CONTAINER["image"],
        "imageID": "docker.io/polinux/stress@sha256:" + "0" * 64,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 20s restarting failed container"}},
        "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137,
                                     "startedAt": stamp(now - timedelta(seconds=21)),
                                     "finishedAt": stamp(now - timedelta(seconds=20))}}}]}
    return admin.sanitize_for_serialization(core.replace_namespaced_pod_status(pod["metadata"]["name"], NAMESPACE, pod))


def run() -> int:
    missing = launcher.missing_binaries()
    if missing:
        print(f"control-plane binaries {missing} are missing: run `make controlplane` first", file=sys.stderr)
        return 1
    print(BANNER, flush=True)
    with ControlPlane() as plane:
        admin = api_client(plane, identities.ADMIN)
        _install(plane, admin)
        pod = _oom_killed_pod(admin)
        event = exporter_event.kubelet_event(pod, reason="BackOff", container=NAME,
                                             message=f"Back-off restarting failed container {NAME} in pod "
                                                     f"{pod['metadata']['name']}_{NAMESPACE}({pod['metadata']['uid']})")
        stored = admin.sanitize_for_serialization(kubernetes.client.CoreV1Api(admin).create_namespaced_event(
            NAMESPACE, event))
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        token_file = RUN_DIR / "controlplane-kubesent.token"
        token_file.write_text(plane.token(identities.KUBESENT))
        assert plane.pki is not None
        stack = Stack(StackOptions(kube_host=plane.url, log_name="controlplane-function", extra_env={
            "KUBESENT_KUBE_CA_FILE": str(plane.pki.ca_cert), "KUBESENT_KUBE_TOKEN_FILE": str(token_file),
            "KUBESENT_NAMESPACES_ALLOW": NAMESPACE}))
        try:
            stack.start()
            assert stack.admin is not None
            stack.admin.publish(TOPIC, [exporter_event.message_data(exporter_event.enhanced(stored, pod))])
            records = stack.wait_for(lambda found: bool(auditlog.for_pod(found, pod["metadata"]["name"])),
                                     timeout=clients.WAIT_SECONDS)
            matching = auditlog.for_pod(records, pod["metadata"]["name"])
            record = matching[-1] if matching else None
            apps = kubernetes.client.AppsV1Api(admin)
            rolled = wait_until("the rollout of the raised limit", lambda: [
                rs for rs in apps.list_namespaced_replica_set(NAMESPACE, label_selector=f"app={NAME}").items
                if rs.spec.template.spec.containers[0].resources.limits["memory"] != "10Mi"])
            ok = record is not None and record.action == "applied"
            limit = rolled[0].spec.template.spec.containers[0].resources.limits["memory"]
            print(report.incident("OOM-killed memory hog on kube-apiserver", record, ok=ok,
                                  expected="applied raise_memory_limit",
                                  recovery=f"the Deployment controller rolled out ReplicaSet "
                                           f"{rolled[0].metadata.name} with limits.memory {limit}"), flush=True)
            return 0 if ok else 1
        finally:
            stack.stop()
            admin.close()
