# Closing the loop (DESIGN.md principle 10, issue 16): every applied or approved fix is checked, and undone when it
# made things worse. The trigger, and why this one:
#
#   Cloud Scheduler (every minute) ──▶ Pub/Sub topic <name>-verify-ticks ──push──▶ kubesent_verify
#                                                                                   └─▶ Firestore: the due checks
#
#   * The state lives where the fix was recorded: SafeWriter queues one check per patch in the ledger
#     ({collection}-verifications, due_at), so the main function needs no new permission and no new client.
#   * A tick carries nothing: a lost or duplicated tick costs one minute or one empty run. A verifier that dies
#     mid-check loses nothing either: each check is leased (an update with a precondition) and comes back.
#   * The alternative, a Cloud Tasks task per fix, checks at the exact second but makes the main function a task
#     creator (another API, another role, another failure mode inside the event path) and still needs the ledger
#     for "still settling, look again"; a one-minute granularity is far below the 5-minute settle window.
#
# The verifier runs as the main function's own service account: an undo is KubeSent's own write, so it goes
# through the same RBAC and the same admission policy (kubesent-patch-scope), which allows exactly the restore
# that the fix's undo record names (exporter-config/kubesent-rbac/patch-scope-policy.yaml).

resource "google_pubsub_topic" "verify_ticks" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption; a tick carries no data at all.
  count = var.verify_enabled ? 1 : 0

  name    = "${var.function_name}-verify-ticks"
  project = var.project_id
  labels  = var.labels
  # A tick older than a few minutes is useless: the next one is already there.
  message_retention_duration = "600s"

  depends_on = [google_project_service.needed]
}

# Cloud Scheduler publishes as its service agent, whose role (roles/cloudscheduler.serviceAgent, granted when the
# API is enabled) includes pubsub.topics.publish: no binding of ours.
resource "google_cloud_scheduler_job" "verify" {
  count = var.verify_enabled ? 1 : 0

  name        = "${var.function_name}-verify"
  project     = var.project_id
  region      = var.region
  description = "Ticks KubeSent's verifier: check the fixes that are due, undo what made things worse."
  schedule    = var.verify_schedule
  time_zone   = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.verify_ticks[0].id
    data       = base64encode("tick")
  }

  depends_on = [google_project_service.needed]
}

resource "google_cloudfunctions2_function" "verify" {
  count = var.verify_enabled ? 1 : 0

  name        = "${var.function_name}-verify"
  project     = var.project_id
  location    = var.region
  description = "KubeSent verifier: verified, not healed, worse or stalled for every applied fix; undoes what made things worse."
  labels      = var.labels

  build_config {
    runtime           = "python311"
    entry_point       = "kubesent_verify"
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
    # The main function's identity: the undo is KubeSent's write, bounded by the same RBAC and admission policy.
    service_account_email          = google_service_account.function.email
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    available_memory               = "512Mi"
    available_cpu                  = "1"
    # KUBESENT_VERIFY_BATCH checks of a few reads each; the leases (120 s) outlast a run cut off here.
    timeout_seconds = 110
    # One run at a time is enough, and overlapping runs are safe anyway (each check is leased once).
    max_instance_count               = 1
    min_instance_count               = 0
    max_instance_request_concurrency = 1

    environment_variables = {
      KUBESENT_DRY_RUN                 = tostring(var.dry_run)
      KUBESENT_LEDGER                  = "firestore"
      GOOGLE_CLOUD_PROJECT             = var.project_id
      KUBESENT_FIRESTORE_DATABASE      = var.firestore_database
      KUBESENT_FIRESTORE_COLLECTION    = var.ledger_collection
      KUBESENT_LEDGER_TTL_DAYS         = tostring(var.ledger_ttl_days)
      KUBESENT_KUBE_MODE               = "gke"
      KUBESENT_GKE_CLUSTER             = var.gke_cluster
      KUBESENT_GKE_ENDPOINT            = var.gke_endpoint
      KUBESENT_CLUSTER_NAME            = var.cluster_name
      KUBESENT_NAMESPACES_ALLOW        = join(",", var.namespaces_allow)
      KUBESENT_VERIFY_SETTLE_SECONDS   = tostring(var.verify_settle_seconds)
      KUBESENT_VERIFY_UNDO             = tostring(var.verify_undo)
      KUBESENT_VERIFY_INTERVAL_SECONDS = "60" # the schedule's period
      KUBESENT_REPORT_TOPIC            = var.report_topic_enabled ? google_pubsub_topic.reports[0].id : ""
    }
  }

  depends_on = [google_project_service.needed, google_project_iam_member.builder]
}

resource "google_cloud_run_v2_service_iam_member" "verify_invoker" {
  count = var.verify_enabled ? 1 : 0

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.verify[0].service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.invoker.email}"
}

resource "google_pubsub_subscription" "verify_push" {
  count = var.verify_enabled ? 1 : 0

  name    = "${var.function_name}-verify-push"
  project = var.project_id
  topic   = google_pubsub_topic.verify_ticks[0].id
  labels  = var.labels

  ack_deadline_seconds = 120
  # A tick that could not be delivered within its minute is replaced by the next: no retry storm, no dead letter.
  message_retention_duration = "600s"

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.verify[0].service_config[0].uri}/${google_pubsub_topic.verify_ticks[0].id}"

    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.verify[0].service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "60s"
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_cloud_run_v2_service_iam_member.verify_invoker]
}
