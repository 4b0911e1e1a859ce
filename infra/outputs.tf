# Terraform outputs take no `type` argument (only variables do); each value's type is fixed by its expression.

output "function_name" {
  description = "Name of the deployed Cloud Function (and of its Cloud Run service)."
  value       = google_cloudfunctions2_function.kubesent.name
}

output "function_uri" {
  description = "Internal-only URL of the function; only the push subscription calls it."
  value       = google_cloudfunctions2_function.kubesent.service_config[0].uri
}

output "function_service_account" {
  description = "Email of the function's identity: the RBAC subject (a User) in exporter-config/kubesent-rbac."
  value       = google_service_account.function.email
}

output "kubesent_rbac_env" {
  description = "exporter-config/kubesent-rbac/kubesent.env for this project: the RBAC subjects (the function's and the approval endpoint's service accounts), the admission ceilings and the namespaces, from the same variables as the functions' settings. Write it there, then `make kubesent-rbac`."
  # Without the approval endpoint its bindings name an address no Google account can have (.invalid).
  value = <<-EOT
    username=${google_service_account.function.email}
    approverUsername=${var.approval_enabled ? google_service_account.approver[0].email : "approval-disabled@kubesent.invalid"}
    memoryCeiling=${var.memory_ceiling}
    cpuCeiling=${var.cpu_ceiling}
    namespaces=${join(",", var.namespaces_allow)}
  EOT
}

output "exporter_service_account" {
  description = "Email of the exporter's Google SA: the iam.gke.io/gcp-service-account annotation in exporter-config/overlays/gke."
  value       = google_service_account.exporter.email
}

output "incidents_topic" {
  description = "Full name of the topic the exporter publishes to."
  value       = google_pubsub_topic.incidents.id
}

output "dead_letter_subscription" {
  description = "Pull subscription holding events that failed every delivery attempt."
  value       = google_pubsub_subscription.dead_letter.id
}

output "gemini_secret" {
  description = "Secret Manager secret for the Gemini API key; add a version out of band."
  value       = google_secret_manager_secret.gemini.secret_id
}

output "api_uri" {
  description = "URL of the HTTP API (GET /health, POST /analyze); callers need roles/run.invoker (var.api_invokers)."
  value       = google_cloudfunctions2_function.kubesent_http.service_config[0].uri
}

output "api_service_account" {
  description = "Email of the HTTP API's identity: the RBAC subject of a read-only role (pods, events, logs, owners)."
  value       = google_service_account.api.email
}

output "approval_url" {
  description = "Public URL of kubesent_approve: the Slack app's interactivity request URL is this plus /slack. Empty when approval is off."
  value       = var.approval_enabled ? google_cloudfunctions2_function.approve[0].service_config[0].uri : ""
}

output "approver_service_account" {
  description = "Email of the approval endpoint's identity: the RBAC subject (a User) of its own namespace-scoped Role and admission binding."
  value       = var.approval_enabled ? google_service_account.approver[0].email : ""
}
