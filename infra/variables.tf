variable "project_id" {
  type        = string
  description = "Project that hosts the function, Pub/Sub, Firestore and Secret Manager."
}

variable "region" {
  type        = string
  description = "Region of the function, its source bucket and its Artifact Registry repository."
  default     = "europe-west1"
}

variable "gke_cluster" {
  type        = string
  description = "The watched GKE cluster as projects/P/locations/L/clusters/C (KUBESENT_GKE_CLUSTER)."

  validation {
    condition     = can(regex("^projects/[^/]+/locations/[^/]+/clusters/[^/]+$", var.gke_cluster))
    error_message = "gke_cluster must look like projects/P/locations/L/clusters/C."
  }
}

variable "gke_endpoint" {
  type        = string
  description = "How the function reaches the control plane: dns (DNS-based endpoint, IAM-gated, works for private clusters) or ip."
  default     = "dns"

  validation {
    condition     = contains(["dns", "ip"], var.gke_endpoint)
    error_message = "gke_endpoint must be dns or ip."
  }
}

variable "cluster_name" {
  type        = string
  description = "Cluster name used in incident keys when the exporter sends none; keep it equal to the exporter's clusterName."
  default     = "gke-prod"
}

variable "function_name" {
  type        = string
  description = "Name of the Cloud Function (and of its Cloud Run service and log-based metrics' filter)."
  default     = "kubesent"
}

variable "incidents_topic" {
  type        = string
  description = "Pub/Sub topic the exporter publishes pod Warning events to (must match exporter-config/overlays/gke)."
  default     = "kubesent-events"
}

variable "dry_run" {
  type        = bool
  description = "KUBESENT_DRY_RUN: true means KubeSent never writes to the cluster. Opt out deliberately."
  default     = true
}

variable "namespaces_allow" {
  type        = list(string)
  description = "KUBESENT_NAMESPACES_ALLOW: namespaces (fnmatch patterns) KubeSent may patch. RBAC must grant patch there too."
  default     = ["*"]
}

variable "memory_ceiling" {
  type        = string
  description = "KUBESENT_MEMORY_CEILING and the admission policy's memoryCeiling (kubesent_rbac_env): the largest memory limit KubeSent may write."
  default     = "4Gi"
}

variable "cpu_ceiling" {
  type        = string
  description = "KUBESENT_CPU_CEILING and the admission policy's cpuCeiling (kubesent_rbac_env): the largest CPU limit KubeSent may write."
  default     = "4"
}

variable "gemini_mode" {
  type        = string
  description = "api_key (key in Secret Manager), vertex (Vertex AI with the function's identity) or none (rules only)."
  default     = "api_key"

  validation {
    condition     = contains(["api_key", "vertex", "none"], var.gemini_mode)
    error_message = "gemini_mode must be api_key, vertex or none."
  }
}

variable "gemini_model" {
  type        = string
  description = "KUBESENT_GEMINI_MODEL: a current Flash model is cheap and fast enough per incident."
  default     = "gemini-2.5-flash"
}

variable "gemini_vertex_location" {
  type        = string
  description = "KUBESENT_GEMINI_VERTEX_LOCATION: Vertex AI region (vertex mode only)."
  default     = "us-central1"
}

variable "gemini_secret_id" {
  type        = string
  description = "Secret Manager secret id holding the Gemini API key; its versions are added out of band."
  default     = "kubesent-gemini-api-key"
}

variable "firestore_database" {
  type        = string
  description = "Firestore database id of the ledger. Anything but (default) is created here; (default) must already exist."
  default     = "kubesent"
}

variable "firestore_location" {
  type        = string
  description = "Firestore location for a created database; null means var.region."
  default     = null
}

variable "ledger_collection" {
  type        = string
  description = "KUBESENT_FIRESTORE_COLLECTION: prefix of the ledger collections that get the expireAt TTL policy."
  default     = "kubesent-incidents"
}

variable "ledger_ttl_days" {
  type        = number
  description = "KUBESENT_LEDGER_TTL_DAYS: ledger documents expire after this many days."
  default     = 30
}

variable "model_calls_per_hour" {
  type        = number
  description = "KUBESENT_MODEL_CALLS_PER_HOUR: model calls all instances may make per UTC hour; past it, what the rules cannot decide escalates."
  default     = 50

  validation {
    condition     = var.model_calls_per_hour >= 0 && floor(var.model_calls_per_hour) == var.model_calls_per_hour
    error_message = "model_calls_per_hour must be a whole number, 0 or more."
  }
}

variable "model_calls_per_day" {
  type        = number
  description = "KUBESENT_MODEL_CALLS_PER_DAY: model calls all instances may make per UTC day."
  default     = 300

  validation {
    condition     = var.model_calls_per_day >= 0 && floor(var.model_calls_per_day) == var.model_calls_per_day
    error_message = "model_calls_per_day must be a whole number, 0 or more."
  }
}

variable "max_instances" {
  type        = number
  description = "Upper bound on function instances: caps the blast radius of an event storm and Gemini spend."
  default     = 5
}

variable "ingress_settings" {
  type        = string
  description = "Function ingress. ALLOW_INTERNAL_ONLY: only same-project Google sources (the Pub/Sub push here) and the VPC."
  default     = "ALLOW_INTERNAL_ONLY"

  validation {
    condition     = contains(["ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.ingress_settings)
    error_message = "ingress_settings must be ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB; never ALLOW_ALL."
  }
}

variable "exporter_k8s_namespace" {
  type        = string
  description = "Namespace of the exporter's Kubernetes ServiceAccount (exporter-config/base)."
  default     = "kubesent-exporter"
}

variable "exporter_k8s_service_account" {
  type        = string
  description = "Name of the exporter's Kubernetes ServiceAccount, bound to its Google SA through Workload Identity."
  default     = "kubernetes-event-exporter"
}

variable "notification_channels" {
  type        = list(string)
  description = "Monitoring notification channel ids for the dead-letter and escalation alerts (empty: alerts only show in the console)."
  default     = []
}

variable "manage_project_services" {
  type        = bool
  description = "Enable the needed Google APIs from Terraform (never disabled on destroy)."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every resource that takes them."
  default     = { app = "kubesent" }
}

variable "report_topic_enabled" {
  type        = bool
  description = "Create a topic that receives every audit record (KUBESENT_REPORT_TOPIC), for chat-ops or ticketing subscribers."
  default     = false
}

variable "api_invokers" {
  type        = list(string)
  description = "IAM members (user:, group:, serviceAccount:) allowed to call the HTTP API (roles/run.invoker). Never allUsers."
  default     = []

  validation {
    condition     = alltrue([for member in var.api_invokers : !contains(["allUsers", "allAuthenticatedUsers"], member)])
    error_message = "The HTTP API is never public: name users, groups or service accounts."
  }
}

variable "api_max_instances" {
  type        = number
  description = "Upper bound on HTTP API instances: each analysis may call Gemini, so this caps spend too."
  default     = 2
}

variable "notify_sinks" {
  type        = set(string)
  description = "Notification sinks to deploy (kubesent_notify on the report topic): webhook, slack_bot, slack_webhook, google_chat, teams, pagerduty. Empty: no notifier. Needs report_topic_enabled."
  default     = []

  validation {
    condition     = length(setsubtract(var.notify_sinks, ["webhook", "slack_bot", "slack_webhook", "google_chat", "teams", "pagerduty"])) == 0
    error_message = "notify_sinks takes webhook, slack_bot, slack_webhook, google_chat, teams and pagerduty only."
  }
}

variable "webhook_url" {
  type        = string
  description = "The generic webhook's URL (its payloads are signed; the signing key is a secret). Used with notify_sinks = [\"webhook\"]."
  default     = ""
}

variable "slack_channel" {
  type        = string
  description = "Slack channel id the bot posts in (notify_sinks = [\"slack_bot\"])."
  default     = ""
}

variable "approval_enabled" {
  type        = bool
  description = "Deploy kubesent_approve: signed one-click approval links and Slack interactivity. It is reachable from the internet (chat services and browsers call it); every request must carry a valid signature."
  default     = false
}

variable "approval_ttl_seconds" {
  type        = number
  description = "How long an approval link stays valid (KUBESENT_APPROVAL_TTL_SECONDS)."
  default     = 21600
}

variable "verify_enabled" {
  type        = bool
  description = "Verify every applied fix and undo what made things worse (Cloud Scheduler → Pub/Sub → kubesent_verify)."
  default     = true
}

variable "verify_schedule" {
  type        = string
  description = "How often the verifier looks at the due checks (cron, UTC). KUBESENT_VERIFY_INTERVAL_SECONDS follows it."
  default     = "* * * * *"
}

variable "verify_settle_seconds" {
  type        = number
  description = "How long the patched workload's new pods must stay Ready without a restart before a fix counts as verified."
  default     = 300
}

variable "verify_undo" {
  type        = bool
  description = "Restore the pre-patch limits when a fix made things worse or stalled, and KubeSent's change is still the last one."
  default     = true
}
