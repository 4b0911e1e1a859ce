# The HTTP API (GET /health, POST /analyze): its own gen2 function from the same source, entry point
# kubesent_http. Never public: no allUsers or allAuthenticatedUsers binding, internal ingress, and only the
# identities in var.api_invokers may call it (roles/run.invoker). Read-only by design (kubesent.ondemand),
# and it runs as its own identity, so the cluster's RBAC can give it reads only.

resource "google_service_account" "api" {
  project      = var.project_id
  account_id   = "${var.function_name}-api"
  display_name = "KubeSent HTTP API runtime"
  description  = "Reads pods for POST /analyze and the ledger's model cache; the RBAC subject of a read-only role."
}

resource "google_cloudfunctions2_function" "kubesent_http" {
  name        = "${var.function_name}-http"
  project     = var.project_id
  location    = var.region
  description = "KubeSent HTTP API: GET /health and POST /analyze, read-only."
  labels      = var.labels

  build_config {
    runtime           = "python311"
    entry_point       = "kubesent_http"
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
    service_account_email          = google_service_account.api.email
    ingress_settings               = var.ingress_settings
    all_traffic_on_latest_revision = true
    available_memory               = "512Mi"
    available_cpu                  = "1"
    # One analysis reads a pod, its owners, events and logs (10 s each at most) and may ask Gemini once.
    timeout_seconds                  = 120
    max_instance_count               = var.api_max_instances
    min_instance_count               = 0
    max_instance_request_concurrency = 1

    # The event function's settings (cluster, ledger, model); dry-run pinned on, though /analyze never writes.
    environment_variables = merge(google_cloudfunctions2_function.kubesent.service_config[0].environment_variables, {
      KUBESENT_DRY_RUN      = "true"
      KUBESENT_REPORT_TOPIC = ""
    })
  }

  depends_on = [
    google_project_service.needed,
    google_project_iam_member.builder,
    google_artifact_registry_repository_iam_member.builder,
    google_storage_bucket_iam_member.builder_source,
  ]
}

resource "google_cloud_run_v2_service_iam_member" "api_invokers" {
  for_each = toset(var.api_invokers)

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.kubesent_http.service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value
}

resource "google_project_iam_member" "api_cluster_viewer" {
  project = local.cluster_project
  role    = "roles/container.clusterViewer"
  member  = "serviceAccount:${google_service_account.api.email}"
}

# The model's per-incident cache lives in the ledger; /analyze reads and fills it, never claims.
resource "google_project_iam_member" "api_datastore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.api.email}"

  condition {
    title       = "kubesent-ledger-database-only"
    description = "Only the KubeSent ledger database."
    expression  = "resource.name == \"projects/${var.project_id}/databases/${var.firestore_database}\""
  }
}

resource "google_project_iam_member" "api_log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.api.email}"
}

resource "google_project_iam_member" "api_vertex" {
  count = var.gemini_mode == "vertex" ? 1 : 0

  project = var.project_id
  role    = "roles/aiplatform.user"
  member  = "serviceAccount:${google_service_account.api.email}"
}

resource "google_secret_manager_secret_iam_member" "api_reads_gemini_key" {
  count = var.gemini_mode == "api_key" ? 1 : 0

  project   = var.project_id
  secret_id = google_secret_manager_secret.gemini.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.api.email}"
}
