"""Who makes a missing Secret: the operators' objects, read by name or found by a bounded list; 404 and 403 are
"unknown". Against MemoryCluster (the replay cluster); tests/cluster runs the reads over HTTP too."""

from __future__ import annotations

from typing import Any

import pytest

from kubesent import errors, events
from kubesent.cluster.api import MAX_LISTED_EXTERNAL_SECRETS
from kubesent.cluster.memory import MemoryCluster
from kubesent.evidence import gather, secretsource
from tests.support.scenarios import load_scenario

NAMESPACE = "shop"


def _external(name: str, *, target: dict[str, Any] | None = None, store: dict[str, Any] | None = None,
              conditions: list[dict[str, Any]] | None = None, namespace: str = NAMESPACE) -> dict[str, Any]:
    spec: dict[str, Any] = {"secretStoreRef": store or {"name": "vault-backend", "kind": "SecretStore"},
                            "data": [{"secretKey": "password", "remoteRef": {"key": "db/password"}}]}
    if target is not None:
        spec["target"] = target
    return {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
            "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}"}, "spec": spec,
            "status": {"conditions": conditions if conditions is not None else [
                {"type": "Ready", "status": "False", "reason": "SecretSyncedError",
                 "message": "could not get secret data from provider"}]}}


def _sealed(name: str, *, conditions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
            "metadata": {"name": name, "namespace": NAMESPACE, "uid": f"uid-{name}"},
            "spec": {"encryptedData": {"password": "AgBy3i4OJSWK+PiTySYZZA=="}},
            **({"status": {"conditions": conditions}} if conditions is not None else {})}


class Refusing(MemoryCluster):
    """MemoryCluster whose API server refuses (403) reads and lists of some kinds, as RBAC without the rules does."""

    def __init__(self, objects: list[dict[str, Any]], *, refused: set[str]) -> None:
        super().__init__(objects)
        self.refused = refused

    def read(self, *, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
        if kind in self.refused:
            self.calls += 1
            raise errors.ClusterRefused(f"{kind} is forbidden", status=403)
        return super().read(api_version=api_version, kind=kind, namespace=namespace, name=name)

    def list_external_secrets(self, *, namespace: str) -> list[dict[str, Any]]:
        if "ExternalSecret" in self.refused:
            self.calls += 1
            raise errors.ClusterRefused("externalsecrets is forbidden", status=403)
        return super().list_external_secrets(namespace=namespace)


def _find(cluster: MemoryCluster, secret_name: str = "db-creds") -> secretsource.SecretSource | None:
    return secretsource.find(cluster, namespace=NAMESPACE, secret_name=secret_name)


def test_an_external_secret_named_like_the_secret_makes_it() -> None:
    cluster = MemoryCluster([_external("db-creds")])

    found = _find(cluster)

    assert found is not None
    assert (found.kind, found.namespace, found.name, found.secret_name, found.store) == (
        "ExternalSecret", NAMESPACE, "db-creds", "db-creds", "vault-backend")
    assert found.conditions == ("Ready=False SecretSyncedError: could not get secret data from provider",)
    assert cluster.calls == 1, "found by name: no list"


def test_an_external_secret_that_renames_its_target_is_found_by_the_list() -> None:
    cluster = MemoryCluster([_external("app-database", target={"name": "db-creds"}), _external("other")])

    found = _find(cluster)

    assert found is not None and (found.name, found.secret_name) == ("app-database", "db-creds")
    assert cluster.calls == 2, "a get by name, then one list"


def test_an_external_secret_of_that_name_that_makes_another_secret_is_not_the_source() -> None:
    cluster = MemoryCluster([_external("db-creds", target={"name": "db-creds-v2"})])

    assert _find(cluster) is None
    assert cluster.calls == 3, "the get, the list, then the SealedSecret: never more"


@pytest.mark.parametrize("policy", ["Merge", "None"])
def test_an_external_secret_that_does_not_create_its_secret_is_not_the_source(policy: str) -> None:
    """With Merge the Secret must already exist (ESO only merges keys into it); with None ESO never writes it."""
    cluster = MemoryCluster([_external("db-creds", target={"creationPolicy": policy})])

    assert _find(cluster) is None


def test_an_orphaning_external_secret_still_creates_its_secret() -> None:
    assert _find(MemoryCluster([_external("db-creds", target={"creationPolicy": "Orphan"})])) is not None


def test_a_cluster_store_is_named_with_its_kind() -> None:
    cluster = MemoryCluster([_external("db-creds", store={"name": "aws", "kind": "ClusterSecretStore"})])

    assert _find(cluster).store == "ClusterSecretStore/aws"  # type: ignore[union-attr]


def test_a_sealed_secret_makes_the_secret_of_its_own_name() -> None:
    condition = {"type": "Synced", "status": "False", "message": "no key could decrypt secret (password)"}
    found = _find(MemoryCluster([_sealed("db-creds", conditions=[condition])]))

    assert found is not None and (found.kind, found.name, found.store) == ("SealedSecret", "db-creds", "")
    assert found.conditions == ("Synced=False: no key could decrypt secret (password)",)


def test_a_sealed_secret_without_status_has_no_conditions() -> None:
    found = _find(MemoryCluster([_sealed("db-creds")]))

    assert found is not None and found.conditions == ()


def test_objects_of_another_name_or_namespace_say_nothing() -> None:
    cluster = MemoryCluster([_external("db-creds", namespace="other"), _sealed("api-key"), _external("api-key")])

    assert _find(cluster) is None


@pytest.mark.parametrize("refused", [{"ExternalSecret"}, {"SealedSecret"}, {"ExternalSecret", "SealedSecret"}])
def test_a_refused_read_is_unknown_and_the_other_kind_is_still_asked(refused: set[str]) -> None:
    objects = [_external("db-creds"), _sealed("db-creds")]
    cluster = Refusing(objects, refused=refused)

    found = _find(cluster)

    expected = next((kind for kind in ("ExternalSecret", "SealedSecret") if kind not in refused), None)
    assert (found.kind if found else None) == expected
    if "ExternalSecret" in refused:
        assert cluster.calls == 2, "a refused get is not followed by a list that would be refused too"


def test_the_operators_status_is_redacted_and_cut() -> None:
    leak = "could not get secret data from provider: GET https://vault:8200/v1/db?token=s.Xy7Qp2Lm9Rt4Vw8Kz3Nb6Hc1"
    long = "x" * 5000
    cluster = MemoryCluster([_external("db-creds", conditions=[
        {"type": "Ready", "status": "False", "reason": "SecretSyncedError", "message": leak},
        {"type": "Deleted", "status": "False", "message": long},
        *[{"type": f"Extra{n}", "status": "True"} for n in range(5)]])])

    found = _find(cluster)

    assert found is not None and len(found.conditions) == secretsource.MAX_CONDITIONS
    assert "s.Xy7Qp2Lm9Rt4Vw8Kz3Nb6Hc1" not in found.conditions[0] and "[REDACTED" in found.conditions[0]
    assert len(found.conditions[1]) == secretsource.CONDITION_CHARS


def test_the_list_is_one_bounded_page() -> None:
    many = [_external(f"es-{n:03d}") for n in range(MAX_LISTED_EXTERNAL_SECRETS + 20)]

    assert len(MemoryCluster(many).list_external_secrets(namespace=NAMESPACE)) == MAX_LISTED_EXTERNAL_SECRETS


# --- gather: only a missing Secret asks ---------------------------------------------------------------------------


class Recording(MemoryCluster):
    def __init__(self, objects: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(objects, **kwargs)
        self.kinds: list[str] = []

    def read(self, *, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
        self.kinds.append(kind)
        return super().read(api_version=api_version, kind=kind, namespace=namespace, name=name)

    def list_external_secrets(self, *, namespace: str) -> list[dict[str, Any]]:
        self.kinds.append("ExternalSecretList")
        return super().list_external_secrets(namespace=namespace)


def _gathered(scenario: str) -> tuple[Any, Recording]:
    bundle, _ = load_scenario(scenario)
    cluster = Recording(bundle["objects"], logs=bundle.get("logs"))
    identified = gather.identify(cluster, events.parse_event(bundle["event"]), cluster="")
    return gather.complete(cluster, identified, log_tail_lines=50, log_limit_bytes=10_000, log_max_chars=5_000), \
        cluster


def test_gather_finds_the_operator_of_a_missing_secret() -> None:
    completed, cluster = _gathered("config-secret-externalsecret-sync-failed")

    assert completed.secret_source is not None and completed.secret_source.name == "checkout-database"
    assert [k for k in cluster.kinds if k.startswith("ExternalSecret")] == ["ExternalSecret", "ExternalSecretList"]


@pytest.mark.parametrize("scenario", ["oom-memory-hog", "missing-configmap", "missing-secret-key"])
def test_gather_asks_no_operator_unless_a_secret_is_missing(scenario: str) -> None:
    completed, cluster = _gathered(scenario)

    assert completed.secret_source is None
    assert not {"ExternalSecret", "ExternalSecretList", "SealedSecret"} & set(cluster.kinds)
