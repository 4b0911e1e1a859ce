"""Helpers shared by the sandbox tests: kubectl runner and a rich Deployment manifest."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest

KUBECTL = shutil.which("kubectl")
KUBECTL_TIMEOUT_SECONDS = 30  # generous: kubectl discovery is several round trips


def run_kubectl(*args: str, server: str | None = None, stdin: str | None = None,
                check: bool = True) -> subprocess.CompletedProcess[str]:
    if KUBECTL is None:
        pytest.skip("LOUD SKIP: kubectl is not installed; the kubectl checks cannot run")
    command = [KUBECTL]
    if server:
        command.append(f"--server={server}")
    command.extend(args)
    environment = {**os.environ, "KUBECONFIG": os.devnull}
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, env=environment,
                            timeout=KUBECTL_TIMEOUT_SECONDS, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
    return result


def kubectl_json(*args: str, server: str) -> Any:
    return json.loads(run_kubectl(*args, "-o", "json", server=server).stdout)


def deployment_manifest(name: str = "web", namespace: str = "default") -> dict[str, Any]:
    """A Deployment rich enough to exercise every merge key of a pod template."""
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name, "tier": "front"},
                     "annotations": {"owner": "team-a", "note": "x"}, "finalizers": ["a.io/one", "b.io/two"]},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "nodeSelector": {"disk": "ssd"},
                    "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["a.local"]}],
                    "imagePullSecrets": [{"name": "regcred"}],
                    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web",
                                     "effect": "NoSchedule"}],
                    "initContainers": [{"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "true"]}],
                    "containers": [
                        {"name": "app", "image": "shop/app:1.0", "args": ["--port", "8080"],
                         "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                         "envFrom": [{"configMapRef": {"name": "app-env"}}],
                         "ports": [{"containerPort": 8080, "name": "http"}],
                         "resources": {"limits": {"memory": "128Mi", "cpu": "500m"},
                                       "requests": {"memory": "64Mi", "cpu": "100m"}},
                         "volumeMounts": [{"name": "data", "mountPath": "/data"},
                                          {"name": "cfg", "mountPath": "/cfg", "readOnly": True}]},
                        {"name": "sidecar", "image": "envoy:1.30", "ports": [{"containerPort": 9901}]},
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}},
                                {"name": "cfg", "configMap": {"name": "app-cfg"}}],
                },
            },
        },
    }
