"""KubeSent's RBAC as the API server decides it: a `kubectl auth can-i --as=<identity>` matrix.

Exactly the calls functions/kubesent/cluster/kube.py makes, in the namespaces kubesent.env lists; nothing in
kube-system or in a namespace that is not listed; no Secrets, no exec, no watch, nothing cluster-wide. The same
matrix holds for the approval endpoint's own identity: it re-reads the same facts and writes the same kinds of
patch (its admission policy, not its RBAC, is what differs).
"""
from __future__ import annotations

import kubernetes
import pytest

from kubesent import errors, k8s
from kubesent.cluster import kube
from kubesent.evidence import secretsource
from local_emulator.controlplane import identities
from tests.controlplane import support

USER = identities.kubesent_username()
APPROVER = identities.approver_username()
USERS = pytest.mark.parametrize("user", [USER, APPROVER], ids=["function", "approver"])
# ConfigMaps are left out on purpose: their data can be anything, and gather.py reads the 403 as "unknown".
NOT_GRANTED_KINDS = {"ConfigMap"}


def _resource(kind: str) -> str:
    """``plural.group`` as ``kubectl auth can-i`` needs it for a group whose CRD may not be installed (without
    the group, kubectl looks the plural up in discovery and falls back to the core group)."""
    path, plural = kube._KIND_PATHS[kind]
    parts = path.strip("/").split("/")  # ["api", "v1"] or ["apis", GROUP, VERSION]
    return f"{plural}.{parts[1]}" if parts[0] == "apis" else plural


EXTERNAL_SECRETS, SEALED_SECRETS = _resource("ExternalSecret"), _resource("SealedSecret")
READS = [("get", _resource(kind)) for kind in sorted(kube._KIND_PATHS) if kind not in NOT_GRANTED_KINDS]
# The pod's events, a Deployment's ReplicaSets (its revisions, for a rollback), a patched workload's pods (the
# verifier) and one page of ExternalSecrets (a missing Secret renamed by spec.target.name) are listed.
CALLS = [*READS, ("get", "pods/log"), ("list", "events"), ("list", "replicasets"), ("list", "pods"),
         ("list", EXTERNAL_SECRETS), ("patch", "pods/resize"),
         *[("patch", kube._KIND_PATHS[kind][1]) for kind in sorted(k8s.PATCHABLE_KINDS)]]
NEVER = [
    ("get", "secrets"), ("list", "secrets"), ("watch", "secrets"),
    ("create", "pods/exec"), ("get", "pods/exec"), ("create", "pods/attach"), ("create", "pods/portforward"),
    ("get", "configmaps"), ("list", "configmaps"),
    ("watch", "pods"), ("watch", "events"), ("get", "events"), ("create", "events"),
    ("list", "deployments"), ("watch", "deployments"),
    ("update", "deployments"), ("delete", "deployments"), ("create", "deployments"),
    ("patch", "deployments/scale"), ("patch", "deployments/status"), ("patch", "replicasets"),
    ("patch", "pods"), ("delete", "pods"), ("patch", "jobs"), ("create", "serviceaccounts/token"),
    ("patch", "validatingadmissionpolicies"), ("patch", "rolebindings"), ("impersonate", "users"),
    ("watch", EXTERNAL_SECRETS), ("patch", EXTERNAL_SECRETS), ("update", EXTERNAL_SECRETS),
    ("list", SEALED_SECRETS), ("patch", SEALED_SECRETS),
    ("get", "secretstores.external-secrets.io"), ("get", "clustersecretstores.external-secrets.io"),
]


@USERS
@pytest.mark.parametrize(("verb", "resource"), CALLS, ids=[f"{v}-{r}" for v, r in CALLS])
def test_every_call_the_code_makes_is_allowed_in_an_allowed_namespace(
        kubectl: support.Kubectl, verb: str, resource: str, user: str) -> None:
    assert kubectl.can_i(verb, resource, namespace=support.ALLOWED, as_user=user)


@USERS
@pytest.mark.parametrize("namespace", ["kube-system", support.DENIED, "default"])
@pytest.mark.parametrize(("verb", "resource"), CALLS, ids=[f"{v}-{r}" for v, r in CALLS])
def test_nothing_is_allowed_outside_the_allowed_namespaces(
        kubectl: support.Kubectl, verb: str, resource: str, namespace: str, user: str) -> None:
    assert not kubectl.can_i(verb, resource, namespace=namespace, as_user=user)


@USERS
@pytest.mark.parametrize(("verb", "resource"), NEVER, ids=[f"{v}-{r}" for v, r in NEVER])
def test_what_kubesent_never_does_is_refused_even_where_it_works(
        kubectl: support.Kubectl, verb: str, resource: str, user: str) -> None:
    assert not kubectl.can_i(verb, resource, namespace=support.ALLOWED, as_user=user)


@USERS
@pytest.mark.parametrize(("verb", "resource"), [("watch", "*"), ("list", "*"), ("get", "*"), ("list", "pods"),
                                                ("get", "pods"), ("list", "events"), ("get", "nodes"),
                                                ("list", "namespaces")])
def test_nothing_cluster_wide(kubectl: support.Kubectl, verb: str, resource: str, user: str) -> None:
    assert not kubectl.can_i(verb, resource, namespace=None, as_user=user)


def test_an_unknown_user_gets_nothing(kubectl: support.Kubectl) -> None:
    """The matrix above is only meaningful if can-i says yes for the bound user and no for another."""
    assert not kubectl.can_i("get", "pods", namespace=support.ALLOWED, as_user="someone-else@example.com")
    assert kubectl.can_i("get", "pods", namespace=support.ALLOWED, as_user=USER)


def test_kubesents_own_token_reads_and_is_refused_as_rbac_says(kubectl: support.Kubectl) -> None:
    """The static token authenticates as exactly the user the manifests bind (no impersonation)."""
    allowed = kubectl.run("get", "deployments", "--namespace", support.ALLOWED, "--ignore-not-found",
                          "--field-selector=metadata.name=x", identity=identities.KUBESENT, check=False)
    whoami = kubectl.run("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}",
                         identity=identities.KUBESENT)
    denied = kubectl.run("get", "secrets", "--namespace", support.ALLOWED, identity=identities.KUBESENT, check=False)

    assert whoami.stdout == USER
    assert allowed.returncode != 0 and "cannot list resource" in allowed.stderr  # get by name only, no list
    assert denied.returncode != 0 and "forbidden" in denied.stderr.lower()


def test_without_the_operators_crds_their_objects_are_not_found_not_forbidden(
        kubesent_client: kubernetes.client.ApiClient) -> None:
    """No CRD installed here: the server answers 404 (not 403) to KubeSent's own token, read as "unknown"."""
    cluster = kube.KubeCluster(kubesent_client)

    with pytest.raises(errors.NotFound):
        cluster.read(api_version="external-secrets.io/v1", kind="ExternalSecret", namespace=support.ALLOWED,
                     name="db-creds")
    found = secretsource.find(cluster, namespace=support.ALLOWED, secret_name="db-creds")

    assert found is None
    assert cluster.calls == 1 + 3  # the read above, then a get, the bounded list and a get: never more
