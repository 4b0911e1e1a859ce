"""infra/notify.tf agrees with the code: the notifier and the approval endpoint, their identities and secrets."""

from __future__ import annotations

import ast
import re

from kubesent.settings import NotifySettings, Settings
from tests.infra.support import ROOT, Terraform, block, unquote


def _env_names() -> set[str]:
    names = set()
    for model in (Settings, NotifySettings):
        for field_name, field in model.model_fields.items():
            alias = field.validation_alias
            names.add(alias if isinstance(alias, str) else f"KUBESENT_{field_name.upper()}")
    return names


def _functions(terraform: Terraform) -> dict[str, dict]:
    return terraform.of_type("google_cloudfunctions2_function")


def test_entry_points_exist_in_main_py(terraform: Terraform) -> None:
    tree = ast.parse((ROOT / "functions" / "main.py").read_text())
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    for name, entry in (("notify", "kubesent_notify"), ("approve", "kubesent_approve"),
                        ("approve_click", "kubesent_approve_click")):
        assert unquote(block(_functions(terraform)[name]["build_config"])["entry_point"]) == entry
        assert entry in defined


def test_every_setting_named_in_notify_tf_is_a_setting() -> None:
    # The function environments and the secrets' setting names, literal or inside merge(...).
    named = set(re.findall(r"\b(KUBESENT_[A-Z0-9_]+)\b", (ROOT / "infra" / "notify.tf").read_text()))
    assert "KUBESENT_APPROVAL_KEY_SECRET" in named and "KUBESENT_DRY_RUN" in named
    assert not named - _env_names(), sorted(named - _env_names())


def test_the_notifier_is_private_and_subscribed_with_a_dead_letter(terraform: Terraform) -> None:
    service = block(_functions(terraform)["notify"]["service_config"])
    assert unquote(service["ingress_settings"]) == "ALLOW_INTERNAL_ONLY"
    subscription = terraform.of_type("google_pubsub_subscription")["notify_push"]
    assert "google_pubsub_topic.reports" in subscription["topic"]
    assert "google_pubsub_topic.dead_letter" in block(subscription["dead_letter_policy"])["dead_letter_topic"]
    assert subscription["ack_deadline_seconds"] > service["timeout_seconds"]


def test_the_approval_endpoint_is_public_only_by_design(terraform: Terraform) -> None:
    public = terraform.of_type("google_cloud_run_v2_service_iam_member")["approve_public"]
    assert unquote(public["member"]) == "allUsers" and unquote(public["role"]) == "roles/run.invoker"
    assert "approval_enabled" in public["count"] and terraform.default("approval_enabled") is False
    text = (ROOT / "infra" / "notify.tf").read_text()
    assert "Identity-Aware Proxy" in text and "signature" in text


def test_each_new_identity_reads_only_its_secrets(terraform: Terraform) -> None:
    grants = terraform.of_type("google_secret_manager_secret_iam_member")
    assert "google_service_account.notifier" in grants["notifier_reads"]["member"]
    assert "google_service_account.approver" in grants["approver_reads"]["member"]
    assert "secret.approver" in grants["approver_reads"]["for_each"]
    assert terraform.default("notify_sinks") == []


def test_slack_clicks_are_queued_on_their_own_topic_and_carried_out_by_the_same_identity(
        terraform: Terraform) -> None:
    functions = _functions(terraform)
    approve, worker = block(functions["approve"]["service_config"]), block(functions["approve_click"]["service_config"])
    assert worker["service_account_email"] == approve["service_account_email"]
    assert unquote(worker["ingress_settings"]) == "ALLOW_INTERNAL_ONLY"
    assert "google_pubsub_topic.approve_clicks" in str(approve["environment_variables"])
    assert "slack_clicks" in functions["approve_click"]["count"]
    subscription = terraform.of_type("google_pubsub_subscription")["approve_click_push"]
    assert "google_pubsub_topic.approve_clicks" in subscription["topic"]
    assert "google_cloudfunctions2_function.approve_click" in block(subscription["push_config"])["push_endpoint"]
    dead_letter = block(subscription["dead_letter_policy"])
    assert "google_pubsub_topic.dead_letter" in dead_letter["dead_letter_topic"]
    # Each delivery posts once to the response_url, which takes at most 5 posts.
    assert dead_letter["max_delivery_attempts"] <= 5
    assert subscription["ack_deadline_seconds"] > worker["timeout_seconds"]
    agent = terraform.of_type("google_pubsub_subscription_iam_member")["approve_click_subscriber"]
    assert "pubsub_service_agent" in agent["member"]


def test_the_approval_identity_publishes_to_exactly_its_two_topics(terraform: Terraform) -> None:
    publishes = {name: body["topic"] for name, body in terraform.of_type("google_pubsub_topic_iam_member").items()
                 if "google_service_account.approver" in body["member"]}
    assert {name: unquote(body) for name, body in publishes.items()} == {
        "approver_reports": "${google_pubsub_topic.reports[0].name}",
        "approver_clicks": "${google_pubsub_topic.approve_clicks[0].name}"}
    roles = {unquote(body["role"]) for body in terraform.of_type("google_pubsub_topic_iam_member").values()
             if "google_service_account.approver" in body["member"]}
    assert roles == {"roles/pubsub.publisher"}
