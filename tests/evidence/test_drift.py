"""Pod against template: what the API server and admission add is no drift; what a person changed is."""

from __future__ import annotations

import copy

from kubesent.evidence import drift

TEMPLATE_CONTAINER = {
    "name": "app", "image": "ghcr.io/acme/app:1.4.2", "args": ["--port=8080"],
    "ports": [{"containerPort": 8080}],
    "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
    "livenessProbe": {"httpGet": {"port": 8080}},
    "resources": {"limits": {"memory": "256Mi"}},
    "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}],
}
TEMPLATE_VOLUMES = [{"name": "config", "configMap": {"name": "app-config"}}]


def _deployment() -> dict:
    return {"kind": "Deployment", "metadata": {"name": "app"},
            "spec": {"template": {"metadata": {"labels": {"app": "app"}},
                                  "spec": {"containers": [copy.deepcopy(TEMPLATE_CONTAINER)],
                                           "volumes": copy.deepcopy(TEMPLATE_VOLUMES)}}}}


def _pod_as_the_api_server_stores_it() -> dict:
    """The template after defaulting and admission: every field a real pod has that the template lacks."""
    container = copy.deepcopy(TEMPLATE_CONTAINER)
    container.update(terminationMessagePath="/dev/termination-log", terminationMessagePolicy="File",
                     imagePullPolicy="IfNotPresent",
                     resizePolicy=[{"resourceName": "memory", "restartPolicy": "NotRequired"}])
    container["ports"][0]["protocol"] = "TCP"
    container["env"][0]["valueFrom"]["fieldRef"]["apiVersion"] = "v1"
    container["livenessProbe"] = {"httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1,
                                  "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
    container["resources"]["requests"] = {"memory": "256Mi"}
    container["volumeMounts"].append({"name": "kube-api-access-x7k2p", "readOnly": True,
                                      "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})
    volumes = copy.deepcopy(TEMPLATE_VOLUMES)
    volumes[0]["configMap"]["defaultMode"] = 420
    volumes.append({"name": "kube-api-access-x7k2p", "projected": {"sources": []}})
    return {"kind": "Pod", "metadata": {"name": "app-1"},
            "spec": {"containers": [container], "volumes": volumes, "serviceAccountName": "default",
                     "securityContext": {}, "nodeName": "node-a", "dnsPolicy": "ClusterFirst"}}


def test_what_the_api_server_and_admission_add_is_no_drift():
    pod, owner = _pod_as_the_api_server_stores_it(), _deployment()

    assert drift.pod_drift(pod, owner) is None
    assert drift.container_drift(pod, owner, "app") is None


def test_a_changed_env_value_is_drift_and_names_the_field():
    pod, owner = _pod_as_the_api_server_stores_it(), _deployment()
    pod["spec"]["containers"][0]["env"].append({"name": "MODE", "value": "debug"})

    assert "env of container app" in drift.container_drift(pod, owner, "app")


def test_a_probe_loosened_on_the_pod_only_is_drift():
    pod, owner = _pod_as_the_api_server_stores_it(), _deployment()
    pod["spec"]["containers"][0]["livenessProbe"]["failureThreshold"] = 30

    assert "livenessProbe" in drift.container_drift(pod, owner, "app")


def test_a_template_volume_with_another_source_is_drift():
    pod, owner = _pod_as_the_api_server_stores_it(), _deployment()
    pod["spec"]["volumes"][0]["configMap"]["name"] = "someone-elses-config"

    assert "volume config" in drift.pod_drift(pod, owner)


def test_a_memory_limit_set_on_the_pod_by_a_limitrange_is_drift():
    pod, owner = _pod_as_the_api_server_stores_it(), _deployment()
    pod["spec"]["containers"][0]["resources"] = {"limits": {"memory": "1Gi"}, "requests": {"memory": "1Gi"}}

    assert "limits.memory" in drift.container_drift(pod, owner, "app")


def test_a_bare_pod_has_no_template_to_drift_from():
    pod = _pod_as_the_api_server_stores_it()

    assert drift.pod_drift(pod, pod) is None and drift.container_drift(pod, pod, "app") is None
