# Identities, each with the least it needs. No basic roles, no container.developer/admin anywhere:
# what KubeSent may do inside the cluster is Kubernetes RBAC (exporter-config/kubesent-rbac), because
# GKE allows a request when EITHER IAM or RBAC allows it, so IAM must grant nothing in-cluster.

# --- the function's runtime identity ------------------------------------------------------------

resource "google_service_account" "function" {
  project      = var.project_id
  account_id   = "${var.function_name}-fn"
  display_name = "KubeSent function runtime"
  description  = "Reads GKE cluster metadata, the ledger and the Gemini key; cluster verbs come from RBAC."
}

# container.clusters.get (endpoint and CA) and, for the DNS-based endpoint, container.clusters.connect.
# clusterViewer holds those cluster-level permissions and no Kubernetes object permissions.
resource "google_project_iam_member" "function_cluster_viewer" {
  project = local.cluster_project
  role    = "roles/container.clusterViewer"
  member  = "serviceAccount:${google_service_account.function.email}"
}

# Firestore data access, limited by condition to the ledger's database.
resource "google_project_iam_member" "function_datastore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.function.email}"

  condition {
    title       = "kubesent-ledger-database-only"
    description = "Only the KubeSent ledger database."
    expression  = "resource.name == \"projects/${var.project_id}/databases/${var.firestore_database}\""
  }
}

resource "google_project_iam_member" "function_log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.function.email}"
}

# Vertex AI only when chosen; the API-key mode needs no project-wide AI permission.
resource "google_project_iam_member" "function_vertex" {
  count = var.gemini_mode == "vertex" ? 1 : 0

  project = var.project_id
  role    = "roles/aiplatform.user"
  member  = "serviceAccount:${google_service_account.function.email}"
}

# --- the push subscription's identity -----------------------------------------------------------

resource "google_service_account" "invoker" {
  project      = var.project_id
  account_id   = "${var.function_name}-invoker"
  display_name = "KubeSent Pub/Sub push invoker"
  description  = "Signs the OIDC token of the push subscription; may invoke the KubeSent function only."
}

resource "google_cloud_run_v2_service_iam_member" "invoker" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.kubesent.service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.invoker.email}"
}

# Pub/Sub mints the OIDC token as the invoker SA (needed in projects created before April 2021).
resource "google_service_account_iam_member" "pubsub_token_creator" {
  service_account_id = google_service_account.invoker.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

# --- the build's identity -----------------------------------------------------------------------

resource "google_service_account" "builder" {
  project      = var.project_id
  account_id   = "${var.function_name}-build"
  display_name = "KubeSent function builder"
  description  = "Cloud Build identity for the function: reads the source zip, writes the image, writes build logs."
}

resource "google_project_iam_member" "builder" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.builder.email}"
}

resource "google_artifact_registry_repository_iam_member" "builder" {
  project    = var.project_id
  location   = var.region
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.builder.email}"
}

resource "google_storage_bucket_iam_member" "builder_source" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.builder.email}"
}

# --- the exporter's identity (Workload Identity) ------------------------------------------------

resource "google_service_account" "exporter" {
  project      = var.project_id
  account_id   = "${var.function_name}-exporter"
  display_name = "kubernetes-event-exporter"
  description  = "Publishes pod Warning events to the incidents topic, from the cluster via Workload Identity."
}

resource "google_service_account_iam_member" "exporter_workload_identity" {
  service_account_id = google_service_account.exporter.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${local.cluster_project}.svc.id.goog[${var.exporter_k8s_namespace}/${var.exporter_k8s_service_account}]"
}
