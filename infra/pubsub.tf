# Trigger design: a dedicated PUSH subscription, not an Eventarc trigger.
#
# An Eventarc Pub/Sub trigger creates and owns its own subscription; it retries, but has no
# dead-letter policy, so a message that keeps failing is dropped silently when retention ends.
# Adding a dead-letter policy to that subscription by hand is drift that Eventarc may undo.
# Owning the subscription here gives, under Terraform:
#   * retry with exponential backoff (10 s .. 600 s),
#   * a dead-letter topic after 5 delivery attempts, kept 31 days and pulled by nobody but people,
#   * OIDC push auth with a dedicated invoker service account (roles/run.invoker on this function only).
# The function stays a CloudEvent function: functions-framework turns a raw Pub/Sub push body into a
# google.cloud.pubsub.topic.v1.messagePublished-shaped CloudEvent ({"message": {...}, ...}), and
# events.py accepts that shape. The topic name is put in the push path for the framework to read.
# Ingress stays ALLOW_INTERNAL_ONLY: Cloud Run counts Pub/Sub push from the same project as internal
# traffic (Cloud Run "ingress" docs), and IAM (run.invoker) still authenticates every request.

resource "google_pubsub_topic" "incidents" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption; payloads are pod events (no secrets) and a KMS key per install is out of scope.
  name    = var.incidents_topic
  project = var.project_id
  labels  = var.labels
  # Replay window for `gcloud pubsub subscriptions seek` after a bad deploy.
  message_retention_duration = "86400s"

  depends_on = [google_project_service.needed]
}

resource "google_pubsub_topic" "dead_letter" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption; payloads are pod events (no secrets) and a KMS key per install is out of scope.
  name    = "${var.incidents_topic}-dead-letter"
  project = var.project_id
  labels  = var.labels
  # The maximum (31 days): a dead-lettered event is evidence a person must read; nothing is lost.
  message_retention_duration = "2678400s"

  depends_on = [google_project_service.needed]
}

resource "google_pubsub_subscription" "dead_letter" {
  name    = "${var.incidents_topic}-dead-letter-pull"
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.id
  labels  = var.labels

  # Pull only: people (or a replay job) read it with `gcloud pubsub subscriptions pull`.
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s" # the maximum for a subscription; the topic keeps 31 days
  retain_acked_messages      = true

  expiration_policy {
    ttl = "" # never expires, even when nobody pulls for months
  }
}

resource "google_pubsub_subscription" "function_push" {
  name    = "${var.function_name}-push"
  project = var.project_id
  topic   = google_pubsub_topic.incidents.id
  labels  = var.labels

  # Longer than the function's 120 s timeout, so a slow invocation is not redelivered while it runs.
  ack_deadline_seconds = 180
  # The function drops events older than KUBESENT_MAX_EVENT_AGE_SECONDS (15 min) anyway; a day covers outages.
  message_retention_duration = "86400s"

  push_config {
    # The path carries the topic so functions-framework can fill the CloudEvent source.
    push_endpoint = "${google_cloudfunctions2_function.kubesent.service_config[0].uri}/${google_pubsub_topic.incidents.id}"

    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.kubesent.service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic = google_pubsub_topic.dead_letter.id
    # A transient fault (API 5xx, model 429) gets 5 tries over roughly 20 minutes of backoff.
    max_delivery_attempts = 5
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_pubsub_topic_iam_member.dead_letter_publisher,
    google_cloud_run_v2_service_iam_member.invoker,
  ]
}

# The Pub/Sub service agent forwards undeliverable messages: it must publish to the dead-letter topic
# and acknowledge on the source subscription.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "source_subscriber" {
  project      = var.project_id
  subscription = google_pubsub_subscription.function_push.name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# The exporter publishes, and may do nothing else (create_topic: false in its config).
resource "google_pubsub_topic_iam_member" "exporter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.incidents.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.exporter.email}"
}

# Optional fan-out of audit records (kubesent/reporting.py); the function may only publish to it.
resource "google_pubsub_topic" "reports" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption; audit records carry redacted text only.
  count                      = var.report_topic_enabled ? 1 : 0
  name                       = "${var.incidents_topic}-reports"
  project                    = var.project_id
  labels                     = var.labels
  message_retention_duration = "86400s"

  depends_on = [google_project_service.needed]
}

resource "google_pubsub_topic_iam_member" "function_reports" {
  count   = var.report_topic_enabled ? 1 : 0
  project = var.project_id
  topic   = google_pubsub_topic.reports[0].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.function.email}"
}
