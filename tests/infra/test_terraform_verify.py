"""infra/verify.tf agrees with the code: the verifier's trigger, its identity and its settings (issue 16)."""

from __future__ import annotations

import ast
import re

from kubesent import verify
from kubesent.settings import Settings
from tests.infra.support import ROOT, Terraform, block, unquote


def _verify_function(terraform: Terraform) -> dict:
    return terraform.of_type("google_cloudfunctions2_function")["verify"]


def test_the_entry_point_is_the_cloudevent_verifier_in_main_py(terraform: Terraform) -> None:
    tree = ast.parse((ROOT / "functions" / "main.py").read_text())
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert unquote(block(_verify_function(terraform)["build_config"])["entry_point"]) == "kubesent_verify"
    assert "kubesent_verify" in defined


def test_every_setting_named_in_verify_tf_is_a_setting() -> None:
    named = set(re.findall(r"\b(KUBESENT_[A-Z0-9_]+)\b", (ROOT / "infra" / "verify.tf").read_text()))
    known = {f"KUBESENT_{name.upper()}" for name in Settings.model_fields}
    assert {"KUBESENT_VERIFY_SETTLE_SECONDS", "KUBESENT_VERIFY_UNDO", "KUBESENT_DRY_RUN"} <= named
    assert not named - known, sorted(named - known)


def test_a_scheduler_ticks_a_topic_pushed_to_the_private_verifier(terraform: Terraform) -> None:
    job = terraform.of_type("google_cloud_scheduler_job")["verify"]
    assert "google_pubsub_topic.verify_ticks" in block(job["pubsub_target"])["topic_name"]
    assert terraform.default("verify_schedule") == "* * * * *"
    subscription = terraform.of_type("google_pubsub_subscription")["verify_push"]
    assert "google_pubsub_topic.verify_ticks" in subscription["topic"]
    push = block(subscription["push_config"])
    assert "google_cloudfunctions2_function.verify" in push["push_endpoint"]
    assert "google_service_account.invoker" in block(push["oidc_token"])["service_account_email"]
    service = block(_verify_function(terraform)["service_config"])
    assert unquote(service["ingress_settings"]) == "ALLOW_INTERNAL_ONLY"
    # A check leased by a run that is cut off comes back once its lease ends.
    assert service["timeout_seconds"] < verify.LEASE_SECONDS < subscription["ack_deadline_seconds"] + 60


def test_the_verifier_writes_as_the_function_so_the_same_admission_policy_bounds_its_undo(
        terraform: Terraform) -> None:
    service = block(_verify_function(terraform)["service_config"])
    assert "google_service_account.function.email" in service["service_account_email"]
    env = block(service["environment_variables"])
    assert "var.dry_run" in env["KUBESENT_DRY_RUN"] and unquote(env["KUBESENT_KUBE_MODE"]) == "gke"
    assert terraform.default("verify_settle_seconds") == Settings.model_fields["verify_settle_seconds"].default
