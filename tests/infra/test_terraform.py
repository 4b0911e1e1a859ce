"""infra/ agrees with the code.

It is fmt-clean, with the right entry point, known settings, the exporter's topic and least privilege.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess

import pytest

from kubesent.settings import Settings
from tests.infra.support import INFRA, ROOT, Terraform, block, unquote

# Roles any identity of KubeSent may hold; anything else is a review, not a silent addition.
ALLOWED_ROLES = {
    "roles/container.clusterViewer",
    "roles/datastore.user",
    "roles/logging.logWriter",
    "roles/aiplatform.user",
    "roles/secretmanager.secretAccessor",
    "roles/run.invoker",
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.workloadIdentityUser",
    "roles/pubsub.publisher",
    "roles/pubsub.subscriber",
    "roles/artifactregistry.writer",
    "roles/storage.objectViewer",
}
FUNCTION_ROLES = {
    "roles/container.clusterViewer",
    "roles/datastore.user",
    "roles/logging.logWriter",
    "roles/aiplatform.user",
    "roles/secretmanager.secretAccessor",
    "roles/pubsub.publisher",  # on the optional report topic only (asserted below)
}
FORBIDDEN_ROLES = re.compile(r"roles/(owner|editor|container\.developer|container\.admin)\b")
# Settings the deployed function must get explicitly, whatever their defaults are.
REQUIRED_ENV = {
    "KUBESENT_DRY_RUN", "KUBESENT_LEDGER", "KUBESENT_KUBE_MODE", "KUBESENT_GKE_CLUSTER",
    "KUBESENT_FIRESTORE_DATABASE", "KUBESENT_FIRESTORE_COLLECTION", "KUBESENT_CLUSTER_NAME",
    "GOOGLE_CLOUD_PROJECT", "KUBESENT_GEMINI_MODEL",
}
IAM_MEMBER_TYPES = (
    "google_project_iam_member", "google_service_account_iam_member", "google_pubsub_topic_iam_member",
    "google_pubsub_subscription_iam_member", "google_secret_manager_secret_iam_member",
    "google_cloud_run_v2_service_iam_member", "google_storage_bucket_iam_member",
    "google_artifact_registry_repository_iam_member",
)


def settings_env_names() -> set[str]:
    names = set()
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names.add(alias if isinstance(alias, str) else f"KUBESENT_{field_name.upper()}")
    return names


def function(terraform: Terraform, name: str = "kubesent") -> dict:
    functions = terraform.of_type("google_cloudfunctions2_function")
    # The HTTP API, the notifier, the approval endpoint and its Slack click worker (test_terraform_notify.py),
    # and the verifier (test_terraform_verify.py) are the others.
    assert set(functions) == {"kubesent", "kubesent_http", "notify", "approve", "approve_click", "verify"}
    return functions[name]


def environment(terraform: Terraform) -> dict[str, str]:
    service = block(function(terraform)["service_config"])
    return {key: unquote(value) for key, value in service["environment_variables"].items()}


def test_terraform_fmt_is_clean() -> None:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.fail("terraform is needed for `terraform fmt -check` and is not on PATH")
    result = subprocess.run([binary, "fmt", "-check", "-recursive", "-diff", str(INFRA)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"run `terraform fmt -recursive infra/`:\n{result.stdout}{result.stderr}"


def test_every_variable_and_output_is_described(terraform: Terraform) -> None:
    # Terraform outputs take no `type` argument; variables must have both.
    assert all("type" in body and "description" in body for body in terraform.variables.values())
    assert all("description" in body for body in terraform.outputs.values())


def test_provider_versions_are_ranges() -> None:
    text = (INFRA / "versions.tf").read_text()
    versions = re.findall(r'version\s*=\s*"([^"]+)"', text)
    assert versions and all(">=" in v and "<" in v for v in versions), versions
    assert re.search(r'required_version\s*=\s*">=', text)


def test_entry_point_is_the_cloudevent_function_in_main_py(terraform: Terraform) -> None:
    build = block(function(terraform)["build_config"])
    main_py = ROOT / "functions" / "main.py"
    assert unquote(build["entry_point"]) == "on_pod_event"
    assert unquote(build["runtime"]) == "python311"
    if not main_py.exists():
        pytest.fail("functions/main.py does not exist yet: the function has no entry point to deploy")
    tree = ast.parse(main_py.read_text())
    assert "on_pod_event" in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_function_env_names_are_settings_and_the_important_ones_are_set(terraform: Terraform) -> None:
    env = environment(terraform)
    unknown = set(env) - settings_env_names()
    assert not unknown, f"environment variables that Settings does not read (typo?): {sorted(unknown)}"
    assert set(env) >= REQUIRED_ENV, sorted(REQUIRED_ENV - set(env))
    assert env["KUBESENT_LEDGER"] == "firestore"
    assert env["KUBESENT_KUBE_MODE"] == "gke"
    assert env["KUBESENT_DRY_RUN"] == "${tostring(var.dry_run)}"
    assert terraform.default("dry_run") is True
    assert "GEMINI_API_KEY" not in env, "the key comes from Secret Manager at run time, never a plain env var"


def test_function_is_private_and_bounded(terraform: Terraform) -> None:
    service = block(function(terraform)["service_config"])
    assert unquote(service["ingress_settings"]) == "${var.ingress_settings}"
    assert terraform.default("ingress_settings") == "ALLOW_INTERNAL_ONLY"
    assert service["timeout_seconds"] == 120
    assert unquote(service["available_memory"]) == "512Mi"
    assert "max_instance_count" in service
    # The ledger's claim lease must outlive one invocation.
    assert Settings.model_fields["claim_lease_seconds"].default > service["timeout_seconds"]


def test_trigger_is_a_push_subscription_with_retry_and_dead_letter(terraform: Terraform) -> None:
    subscription = terraform.of_type("google_pubsub_subscription")["function_push"]
    push = block(subscription["push_config"])
    assert "google_pubsub_topic.incidents" in subscription["topic"]
    assert "google_cloudfunctions2_function.kubesent" in push["push_endpoint"]
    assert "google_service_account.invoker" in block(push["oidc_token"])["service_account_email"]
    assert block(subscription["dead_letter_policy"])["max_delivery_attempts"] == 5
    assert "google_pubsub_topic.dead_letter" in block(subscription["dead_letter_policy"])["dead_letter_topic"]
    assert "minimum_backoff" in block(subscription["retry_policy"])
    assert subscription["ack_deadline_seconds"] > block(function(terraform)["service_config"])["timeout_seconds"]


def test_dead_letter_topic_has_a_pull_subscription_and_agent_rights(terraform: Terraform) -> None:
    dead_letter = terraform.of_type("google_pubsub_subscription")["dead_letter"]
    assert "push_config" not in dead_letter
    assert "google_pubsub_topic.dead_letter" in dead_letter["topic"]
    publisher = terraform.of_type("google_pubsub_topic_iam_member")["dead_letter_publisher"]
    subscriber = terraform.of_type("google_pubsub_subscription_iam_member")["source_subscriber"]
    assert "pubsub_service_agent" in publisher["member"] and "pubsub_service_agent" in subscriber["member"]
    assert "gcp-sa-pubsub.iam.gserviceaccount.com" in terraform.text


def test_no_role_outside_the_allow_list(terraform: Terraform) -> None:
    assert not FORBIDDEN_ROLES.search(terraform.text)
    for rtype in IAM_MEMBER_TYPES:
        for name, body in terraform.of_type(rtype).items():
            assert unquote(body["role"]) in ALLOWED_ROLES, f"{rtype}.{name}: {body['role']}"


def test_function_identity_holds_only_its_roles(terraform: Terraform) -> None:
    held = {}
    for rtype in IAM_MEMBER_TYPES:
        for name, body in terraform.of_type(rtype).items():
            if "google_service_account.function." in body["member"]:
                held[f"{rtype}.{name}"] = (unquote(body["role"]), body)
    assert {role for role, _ in held.values()} <= FUNCTION_ROLES, held
    vertex = [body for role, body in held.values() if role == "roles/aiplatform.user"]
    assert vertex and all("vertex" in body["count"] for body in vertex), "aiplatform.user only in vertex mode"
    assert [key for key, (role, _) in held.items() if role == "roles/pubsub.publisher"] == [
        "google_pubsub_topic_iam_member.function_reports"], "the function publishes only to its report topic"
    # The secret is granted on the one secret, not the project.
    assert [key for key, (role, _) in held.items() if role == "roles/secretmanager.secretAccessor"] == [
        "google_secret_manager_secret_iam_member.function_reads_gemini_key"]


def test_secret_has_no_version_in_terraform(terraform: Terraform) -> None:
    assert not terraform.of_type("google_secret_manager_secret_version")
    assert set(terraform.of_type("google_secret_manager_secret")) == {"gemini", "notify"}


def test_ttl_policy_covers_every_ledger_collection(terraform: Terraform) -> None:
    field = terraform.of_type("google_firestore_field")["ttl"]
    assert unquote(field["field"]) == "expireAt"
    collections = field["for_each"]
    assert re.search(r"\[var\.ledger_collection,", collections), collections
    for suffix in ("-workloads", "-breaker", "-markers", "-verifications"):
        assert f'"${{var.ledger_collection}}{suffix}"' in collections
    assert terraform.default("ledger_collection") == Settings.model_fields["firestore_collection"].default
    database = terraform.of_type("google_firestore_database")["ledger"]
    assert '(default)' in database["count"]


def test_source_bucket_is_locked_down(terraform: Terraform) -> None:
    bucket = terraform.of_type("google_storage_bucket")["source"]
    assert bucket["uniform_bucket_level_access"] is True
    assert unquote(bucket["public_access_prevention"]) == "enforced"
    assert block(bucket["versioning"])["enabled"] is True


def test_an_exhausted_model_budget_is_counted_and_alerts(terraform: Terraform) -> None:
    metric = terraform.of_type("google_logging_metric")["model_budget_exhausted"]
    assert "model budget exhausted" in unquote(metric["filter"])
    assert "local.audit_filter" in unquote(metric["filter"]), "only the function's audit lines"
    assert "model_budget.exhausted" in str(metric["label_extractors"])
    alert = terraform.of_type("google_monitoring_alert_policy")["model_budget_exhausted"]
    assert "google_logging_metric.model_budget_exhausted.name" in str(alert)


def test_monitoring_counts_audit_lines_and_alerts_on_dead_letters_and_escalations(terraform: Terraform) -> None:
    metrics = terraform.of_type("google_logging_metric")
    assert {"incidents", "remediations_applied", "escalations"} <= set(metrics)
    assert "jsonPayload.action" in metrics["incidents"]["label_extractors"]["action"]
    alerts = terraform.of_type("google_monitoring_alert_policy")
    assert {"dead_letters", "escalations"} <= set(alerts)
    assert "num_undelivered_messages" in str(alerts["dead_letters"])
    assert "dead_letter_message_count" in str(alerts["dead_letters"])


API_ROLES = FUNCTION_ROLES - {"roles/pubsub.publisher"}


def test_the_http_api_is_its_own_private_function(terraform: Terraform) -> None:
    api = function(terraform, "kubesent_http")
    assert unquote(block(api["build_config"])["entry_point"]) == "kubesent_http"
    tree = ast.parse((ROOT / "functions" / "main.py").read_text())
    assert "kubesent_http" in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    service = block(api["service_config"])
    assert unquote(service["ingress_settings"]) == "${var.ingress_settings}"
    assert "google_service_account.api.email" in service["service_account_email"]
    # Only the approval endpoint is public, guarded by signatures (infra/notify.tf says why); never the API.
    public = [f"{rtype}.{name}" for rtype in IAM_MEMBER_TYPES for name, body in terraform.of_type(rtype).items()
              if "allUsers" in str(body["member"]) or "allAuthenticatedUsers" in str(body["member"])]
    assert all("approve" in str(terraform.of_type(rtype.split(".")[0])[rtype.split(".")[1]].get("name", ""))
               for rtype in public), public
    invokers = terraform.of_type("google_cloud_run_v2_service_iam_member")["api_invokers"]
    assert "var.api_invokers" in invokers["for_each"] and unquote(invokers["role"]) == "roles/run.invoker"
    assert terraform.default("api_invokers") == []


def test_the_http_api_identity_holds_only_read_roles(terraform: Terraform) -> None:
    held = {f"{rtype}.{name}": unquote(body["role"]) for rtype in IAM_MEMBER_TYPES
            for name, body in terraform.of_type(rtype).items() if "google_service_account.api." in body["member"]}
    assert held and set(held.values()) <= API_ROLES, held
