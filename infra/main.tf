# Shared facts and the Google APIs KubeSent needs. One file per concern holds the rest:
# pubsub.tf, function.tf, iam.tf, secrets.tf, firestore.tf, monitoring.tf.

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  # The project that owns the GKE cluster (IAM for clusters.get and the Workload Identity pool live there).
  cluster_project = split("/", var.gke_cluster)[1]

  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  services = concat([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "container.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ], var.gemini_mode == "vertex" ? ["aiplatform.googleapis.com"] : [])
}

resource "google_project_service" "needed" {
  for_each = var.manage_project_services ? toset(local.services) : toset([])

  project = var.project_id
  service = each.value
  # Other workloads in the project may use these APIs: destroying KubeSent must not switch them off.
  disable_on_destroy = false
}
