# The Gemini API key's secret. Only the container: the value is added out of band, so it never sits
# in Terraform state or in a tfvars file:
#   printf %s "$KEY" | gcloud secrets versions add kubesent-gemini-api-key --data-file=-

resource "google_secret_manager_secret" "gemini" {
  project   = var.project_id
  secret_id = var.gemini_secret_id
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.needed]
}

# Resource-level grant: the function may read this one secret, no other.
resource "google_secret_manager_secret_iam_member" "function_reads_gemini_key" {
  count = var.gemini_mode == "api_key" ? 1 : 0

  project   = var.project_id
  secret_id = google_secret_manager_secret.gemini.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function.email}"
}
