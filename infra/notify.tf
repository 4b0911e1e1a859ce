# People in the loop (DESIGN.md principle 10): kubesent_notify reads the report topic and tells people;
# kubesent_approve takes their one-click decisions. Same source zip as the main function.
#
# Why the approval endpoint may be public (ingress ALLOW_ALL, run.invoker for allUsers):
#   * Slack's interactivity requests and a person's browser come from the internet and carry no Google
#     identity, so IAM cannot be the guard. Every request is authenticated by the application instead:
#     a Slack request by its v0 HMAC signature (signing secret, 5-minute window, constant-time compare);
#     a link by its HMAC-SHA256 token (key in Secret Manager), which expires and is single-use (a ledger
#     marker). Without a valid signature nothing is read from the cluster and nothing is written.
#   * A valid approval only lets a person replace two checks (the confidence threshold and the auto-apply
#     allow-list). Every other check runs again, and the write goes through the same dry-run, precondition
#     and annotation path, as an identity whose RBAC and admission policy bound what it can change.
#   * GET never writes (link scanners and chat unfurlers fetch links); only POST decides.
# The alternative without a public endpoint: Identity-Aware Proxy. Put the service behind an external
# HTTPS load balancer with IAP (ingress ALLOW_INTERNAL_AND_GCLB, no allUsers), grant
# roles/iap.httpsResourceAccessor to the on-call group, and the approver's email comes from
# X-Goog-Authenticated-User-Email. Browsers then sign in with Google; Slack's servers cannot, so Slack
# buttons fall back to the link (URL buttons) instead of interactivity.

locals {
  notify_enabled = length(var.notify_sinks) > 0
  # Each secret: the KubeSent setting that names it, and who reads it.
  notify_secrets = merge(
    contains(var.notify_sinks, "webhook") ? { "webhook-signing-key" = { setting = "KUBESENT_WEBHOOK_SIGNING_KEY_SECRET", approver = false } } : {},
    contains(var.notify_sinks, "slack_bot") ? { "slack-bot-token" = { setting = "KUBESENT_SLACK_BOT_TOKEN_SECRET", approver = false } } : {},
    contains(var.notify_sinks, "slack_webhook") ? { "slack-webhook-url" = { setting = "KUBESENT_SLACK_WEBHOOK_URL_SECRET", approver = false } } : {},
    contains(var.notify_sinks, "google_chat") ? { "google-chat-webhook-url" = { setting = "KUBESENT_GOOGLE_CHAT_WEBHOOK_URL_SECRET", approver = false } } : {},
    contains(var.notify_sinks, "teams") ? { "teams-webhook-url" = { setting = "KUBESENT_TEAMS_WEBHOOK_URL_SECRET", approver = false } } : {},
    contains(var.notify_sinks, "pagerduty") ? { "pagerduty-routing-key" = { setting = "KUBESENT_PAGERDUTY_ROUTING_KEY_SECRET", approver = false } } : {},
    var.approval_enabled ? { "approval-key" = { setting = "KUBESENT_APPROVAL_KEY_SECRET", approver = true } } : {},
    var.approval_enabled && contains(var.notify_sinks, "slack_bot") ? { "slack-signing-secret" = { setting = "KUBESENT_SLACK_SIGNING_SECRET_SECRET", approver = true } } : {},
  )
  notify_secret_env  = { for name, secret in local.notify_secrets : secret.setting => "${google_secret_manager_secret.notify[name].id}/versions/latest" if name != "slack-signing-secret" }
  approve_secret_env = { for name, secret in local.notify_secrets : secret.setting => "${google_secret_manager_secret.notify[name].id}/versions/latest" if secret.approver }
  # Slack interactivity (the bot's buttons) is answered at once and carried out by kubesent_approve_click.
  slack_clicks = var.approval_enabled && contains(var.notify_sinks, "slack_bot")
  # What both halves of an approval need: the same identity, cluster, ledger and bounds.
  approve_env = {
    # A person's approval writes: this identity's RBAC and admission policy bound what it can change.
    KUBESENT_DRY_RUN              = "false"
    KUBESENT_LEDGER               = "firestore"
    GOOGLE_CLOUD_PROJECT          = var.project_id
    KUBESENT_FIRESTORE_DATABASE   = var.firestore_database
    KUBESENT_FIRESTORE_COLLECTION = var.ledger_collection
    # gke: the bearer token is this function's own service account (approver above), which GKE names by
    # its email: approverUsername in kubesent.env (output kubesent_rbac_env), its own RoleBindings and its
    # own admission policy (exporter-config/kubesent-rbac/approve-scope-policy.yaml), never the function's.
    KUBESENT_KUBE_MODE        = "gke"
    KUBESENT_GKE_CLUSTER      = var.gke_cluster
    KUBESENT_GKE_ENDPOINT     = var.gke_endpoint
    KUBESENT_CLUSTER_NAME     = var.cluster_name
    KUBESENT_NAMESPACES_ALLOW = join(",", var.namespaces_allow)
    # The same bounds as the function's: policy.decide re-runs at the click with them.
    KUBESENT_MEMORY_CEILING = var.memory_ceiling
    KUBESENT_CPU_CEILING    = var.cpu_ceiling
    KUBESENT_REPORT_TOPIC   = var.report_topic_enabled ? google_pubsub_topic.reports[0].id : ""
  }
}

# --- secrets: containers only; values are added out of band, e.g.
#   head -c 48 /dev/urandom | base64 | gcloud secrets versions add kubesent-approval-key --data-file=-

resource "google_secret_manager_secret" "notify" {
  for_each = local.notify_secrets

  project   = var.project_id
  secret_id = "${var.function_name}-${each.key}"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.needed]
}

# The notifier reads every sink secret and the approval key (it mints the links); the approval endpoint
# reads the approval key and Slack's signing secret only.
resource "google_secret_manager_secret_iam_member" "notifier_reads" {
  for_each = local.notify_enabled ? { for name, secret in local.notify_secrets : name => secret if name != "slack-signing-secret" } : {}

  project   = var.project_id
  secret_id = google_secret_manager_secret.notify[each.key].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.notifier[0].email}"
}

resource "google_secret_manager_secret_iam_member" "approver_reads" {
  for_each = var.approval_enabled ? { for name, secret in local.notify_secrets : name => secret if secret.approver } : {}

  project   = var.project_id
  secret_id = google_secret_manager_secret.notify[each.key].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.approver[0].email}"
}

# --- identities -------------------------------------------------------------------------------

resource "google_service_account" "notifier" {
  count = local.notify_enabled ? 1 : 0

  project      = var.project_id
  account_id   = "${var.function_name}-notify"
  display_name = "KubeSent notifier"
  description  = "Reads the report topic's records, the sink secrets and the ledger's notification markers. No cluster access."
}

resource "google_service_account" "approver" {
  count = var.approval_enabled ? 1 : 0

  project      = var.project_id
  account_id   = "${var.function_name}-approve"
  display_name = "KubeSent approval endpoint"
  description  = "Re-checks and applies approved proposals; its cluster verbs come from its own RBAC and admission policy."
}

resource "google_project_iam_member" "notifier_datastore" {
  count = local.notify_enabled ? 1 : 0

  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.notifier[0].email}"

  condition {
    title       = "kubesent-ledger-database-only"
    description = "Only the KubeSent ledger database."
    expression  = "resource.name == \"projects/${var.project_id}/databases/${var.firestore_database}\""
  }
}

resource "google_project_iam_member" "approver_datastore" {
  count = var.approval_enabled ? 1 : 0

  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.approver[0].email}"

  condition {
    title       = "kubesent-ledger-database-only"
    description = "Only the KubeSent ledger database."
    expression  = "resource.name == \"projects/${var.project_id}/databases/${var.firestore_database}\""
  }
}

resource "google_project_iam_member" "notifier_log_writer" {
  count = local.notify_enabled ? 1 : 0

  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.notifier[0].email}"
}

resource "google_project_iam_member" "approver_log_writer" {
  count = var.approval_enabled ? 1 : 0

  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.approver[0].email}"
}

# Like the main function: cluster metadata only; what it may change in the cluster is its own RBAC.
resource "google_project_iam_member" "approver_cluster_viewer" {
  count = var.approval_enabled ? 1 : 0

  project = local.cluster_project
  role    = "roles/container.clusterViewer"
  member  = "serviceAccount:${google_service_account.approver[0].email}"
}

# The approval's record goes to the report topic, so the notifier updates the incident's message.
resource "google_pubsub_topic_iam_member" "approver_reports" {
  count = var.approval_enabled && var.report_topic_enabled ? 1 : 0

  project = var.project_id
  topic   = google_pubsub_topic.reports[0].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.approver[0].email}"
}

# --- the notifier: a push subscription on the report topic, with retries and a dead letter ------

resource "google_cloudfunctions2_function" "notify" {
  count = local.notify_enabled ? 1 : 0

  name        = "${var.function_name}-notify"
  project     = var.project_id
  location    = var.region
  description = "KubeSent notifier: one message per incident in Slack, Google Chat, Teams, PagerDuty or a webhook."
  labels      = var.labels

  build_config {
    runtime           = "python311"
    entry_point       = "kubesent_notify"
    docker_repository = google_artifact_registry_repository.functions.id
    service_account   = google_service_account.builder.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email          = google_service_account.notifier[0].email
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    available_memory               = "256Mi"
    available_cpu                  = "1"
    # Five sinks x 3 attempts x 5 s at worst, well inside; the push ack deadline is longer.
    timeout_seconds                  = 90
    max_instance_count               = 2
    min_instance_count               = 0
    max_instance_request_concurrency = 1

    environment_variables = merge({
      GOOGLE_CLOUD_PROJECT          = var.project_id
      KUBESENT_LEDGER               = "firestore"
      KUBESENT_FIRESTORE_DATABASE   = var.firestore_database
      KUBESENT_FIRESTORE_COLLECTION = var.ledger_collection
      KUBESENT_WEBHOOK_URL          = contains(var.notify_sinks, "webhook") ? var.webhook_url : ""
      KUBESENT_SLACK_CHANNEL        = var.slack_channel
      KUBESENT_APPROVAL_URL         = var.approval_enabled ? google_cloudfunctions2_function.approve[0].service_config[0].uri : ""
      KUBESENT_APPROVAL_TTL_SECONDS = tostring(var.approval_ttl_seconds)
    }, local.notify_secret_env)
  }

  lifecycle {
    precondition {
      condition     = var.report_topic_enabled
      error_message = "The notifier subscribes to the report topic: set report_topic_enabled = true."
    }
  }

  depends_on = [google_project_service.needed, google_project_iam_member.builder]
}

resource "google_cloud_run_v2_service_iam_member" "notify_invoker" {
  count = local.notify_enabled ? 1 : 0

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.notify[0].service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.invoker.email}"
}

resource "google_pubsub_subscription" "notify_push" {
  count = local.notify_enabled && var.report_topic_enabled ? 1 : 0

  name    = "${var.function_name}-notify-push"
  project = var.project_id
  topic   = google_pubsub_topic.reports[0].id
  labels  = var.labels

  ack_deadline_seconds       = 120
  message_retention_duration = "86400s"

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.notify[0].service_config[0].uri}/${google_pubsub_topic.reports[0].id}"

    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.notify[0].service_config[0].uri
    }
  }

  # A sink's outage: retried with backoff, then kept in the dead-letter topic (never lost).
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = 10
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_pubsub_topic_iam_member.dead_letter_publisher, google_cloud_run_v2_service_iam_member.notify_invoker]
}

resource "google_pubsub_subscription_iam_member" "notify_subscriber" {
  count = local.notify_enabled && var.report_topic_enabled ? 1 : 0

  project      = var.project_id
  subscription = google_pubsub_subscription.notify_push[0].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# --- the approval endpoint ----------------------------------------------------------------------

resource "google_cloudfunctions2_function" "approve" {
  count = var.approval_enabled ? 1 : 0

  name        = "${var.function_name}-approve"
  project     = var.project_id
  location    = var.region
  description = "KubeSent approvals: signed links and Slack interactivity; re-checks everything, then the safe write path."
  labels      = var.labels

  build_config {
    runtime           = "python311"
    entry_point       = "kubesent_approve"
    docker_repository = google_artifact_registry_repository.functions.id
    service_account   = google_service_account.builder.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.approver[0].email
    # Public on purpose: see the top of this file (signatures guard it; IAP is the alternative).
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    available_memory                 = "512Mi"
    available_cpu                    = "1"
    timeout_seconds                  = 60
    max_instance_count               = 2
    min_instance_count               = 0
    max_instance_request_concurrency = 1

    environment_variables = merge(local.approve_env, {
      KUBESENT_SLACK_CLICK_TOPIC = local.slack_clicks ? google_pubsub_topic.approve_clicks[0].id : ""
    }, local.approve_secret_env)
  }

  depends_on = [google_project_service.needed, google_project_iam_member.builder]
}

resource "google_cloud_run_v2_service_iam_member" "approve_public" {
  #checkov:skip=CKV_GCP_102:Slack and browsers carry no Google identity; every request is HMAC-verified (see the top of this file).
  count = var.approval_enabled ? 1 : 0

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.approve[0].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# --- Slack clicks: answered at once, carried out from a topic -----------------------------------
# Slack wants an interactivity request answered within 3 s; an approval re-reads the cluster and writes.
# After the HTTP response a gen2 instance's CPU is throttled (unless cpu_idle = false, billed always) and
# the instance may stop, so no work may follow the answer in process. kubesent_approve verifies the
# signature, queues the click here and answers; kubesent_approve_click (same identity) carries it out and
# posts the result to the click's response_url (functions/kubesent/approval_slack.py says why). Pub/Sub
# retries a transient fault; the single-use approval marker makes a redelivery answer "Already decided".

resource "google_pubsub_topic" "approve_clicks" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption; a click holds a single-use, expiring token and a 30-minute response_url.
  count = local.slack_clicks ? 1 : 0

  name    = "${var.function_name}-approve-clicks"
  project = var.project_id
  labels  = var.labels
  # Slack's response_url lives 30 minutes; a click is not worth keeping longer than that.
  message_retention_duration = "1800s"

  depends_on = [google_project_service.needed]
}

# The approval endpoint may publish clicks, to this topic only (and its records to the report topic).
resource "google_pubsub_topic_iam_member" "approver_clicks" {
  count = local.slack_clicks ? 1 : 0

  project = var.project_id
  topic   = google_pubsub_topic.approve_clicks[0].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.approver[0].email}"
}

resource "google_cloudfunctions2_function" "approve_click" {
  count = local.slack_clicks ? 1 : 0

  name        = "${var.function_name}-approve-click"
  project     = var.project_id
  location    = var.region
  description = "KubeSent approvals, second half: carries out a queued Slack click and posts the result to its response_url."
  labels      = var.labels

  build_config {
    runtime           = "python311"
    entry_point       = "kubesent_approve_click"
    docker_repository = google_artifact_registry_repository.functions.id
    service_account   = google_service_account.builder.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    # The same identity as kubesent_approve: the same RBAC and admission policy bound its writes.
    service_account_email            = google_service_account.approver[0].email
    ingress_settings                 = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    available_memory                 = "512Mi"
    available_cpu                    = "1"
    timeout_seconds                  = 60
    max_instance_count               = 2
    min_instance_count               = 0
    max_instance_request_concurrency = 1

    # It checks the approval token, not Slack's signature: no signing secret here.
    environment_variables = merge(local.approve_env, {
      for setting, secret in local.approve_secret_env : setting => secret if setting != "KUBESENT_SLACK_SIGNING_SECRET_SECRET"
    })
  }

  depends_on = [google_project_service.needed, google_project_iam_member.builder]
}

resource "google_cloud_run_v2_service_iam_member" "approve_click_invoker" {
  count = local.slack_clicks ? 1 : 0

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.approve_click[0].service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.invoker.email}"
}

resource "google_pubsub_subscription" "approve_click_push" {
  count = local.slack_clicks ? 1 : 0

  name    = "${var.function_name}-approve-click-push"
  project = var.project_id
  topic   = google_pubsub_topic.approve_clicks[0].id
  labels  = var.labels

  # Longer than the function's 60 s timeout, so a slow approval is not redelivered while it runs.
  ack_deadline_seconds       = 90
  message_retention_duration = "1800s"

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.approve_click[0].service_config[0].uri}/${google_pubsub_topic.approve_clicks[0].id}"

    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.approve_click[0].service_config[0].uri
    }
  }

  # Backoff 10 s .. 120 s: 5 deliveries fit well inside the response_url's 30 minutes.
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "120s"
  }

  # 5 deliveries at most: each posts once to the response_url, which takes 5 posts.
  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = 5
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_pubsub_topic_iam_member.dead_letter_publisher, google_cloud_run_v2_service_iam_member.approve_click_invoker]
}

# The Pub/Sub service agent acknowledges a dead-lettered click on this subscription.
resource "google_pubsub_subscription_iam_member" "approve_click_subscriber" {
  count = local.slack_clicks ? 1 : 0

  project      = var.project_id
  subscription = google_pubsub_subscription.approve_click_push[0].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}
