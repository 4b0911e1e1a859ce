"""The per-namespace RoleBinding generator: one list in kubesent.env, refused patterns and denied names."""
from __future__ import annotations

import pathlib

import pytest
import yaml

from kubesent import settings
from local_emulator import kubesent_rbac


def test_the_committed_bindings_match_kubesent_env() -> None:
    assert kubesent_rbac.main(["--check"]) == 0


def test_a_stale_file_is_reported(tmp_path: pathlib.Path) -> None:
    env = tmp_path / "kubesent.env"
    env.write_text("username=u@example.com\nnamespaces=shop,checkout\n")
    output = tmp_path / "namespaces.yaml"
    output.write_text("# old\n")

    assert kubesent_rbac.main(["--check", "--env", str(env), "--output", str(output)]) == 1
    assert kubesent_rbac.main(["--env", str(env), "--output", str(output)]) == 0
    assert kubesent_rbac.main(["--check", "--env", str(env), "--output", str(output)]) == 0


def test_each_namespace_gets_a_reader_and_a_patcher_binding_for_each_identity() -> None:
    documents = list(yaml.safe_load_all(kubesent_rbac.render(kubesent_rbac.namespaces(
        {"namespaces": "shop, checkout,shop"}))))

    bound = sorted((d["metadata"]["namespace"], d["metadata"]["name"], d["roleRef"]["name"]) for d in documents)
    assert bound == [(namespace, binding, role) for namespace in ("checkout", "shop") for binding, role in (
        ("kubesent-approver-patcher", "kubesent-patcher"), ("kubesent-approver-reader", "kubesent-reader"),
        ("kubesent-patcher", "kubesent-patcher"), ("kubesent-reader", "kubesent-reader"))]
    assert {d["roleRef"]["kind"] for d in documents} == {"ClusterRole"}
    assert {d["subjects"][0]["name"] for d in documents} == {kubesent_rbac.PLACEHOLDER_USER}


@pytest.mark.parametrize("listed", ["*", "shop-*", "kube-system", "gke-managed-x", "Shop", "", "kube-node-lease"])
def test_patterns_denied_and_malformed_names_are_refused(listed: str) -> None:
    with pytest.raises(kubesent_rbac.NamespaceListError):
        kubesent_rbac.namespaces({"namespaces": listed})


def test_the_refused_namespaces_are_the_functions_deny_list() -> None:
    assert kubesent_rbac.REFUSED_NAMESPACES == settings.DEFAULT_NAMESPACE_DENY
