# The Cloud Function (gen2): functions/ plus the root requirements.txt, zipped, uploaded, built.

locals {
  functions_dir = abspath("${path.module}/../functions")
  # Text files only (file() reads UTF-8): code, prompts, data. __pycache__ and editor leftovers stay out.
  function_files = sort([
    for f in setunion(
      fileset(local.functions_dir, "**/*.py"),
      fileset(local.functions_dir, "**/*.txt"),
      fileset(local.functions_dir, "**/*.json"),
      fileset(local.functions_dir, "**/*.yaml"),
      fileset(local.functions_dir, "**/py.typed"),
    ) : f if !strcontains(f, "__pycache__") && !startswith(basename(f), ".")
  ])
}

data "archive_file" "function_source" {
  type             = "zip"
  output_path      = "${path.module}/build/kubesent-function.zip"
  output_file_mode = "0644" # stable hash, so an unchanged tree does not redeploy

  dynamic "source" {
    for_each = local.function_files
    content {
      content  = file("${local.functions_dir}/${source.value}")
      filename = source.value
    }
  }

  # The deploy unit's dependency list lives at the repository root (pinned with ==).
  source {
    content  = file("${path.module}/../requirements.txt")
    filename = "requirements.txt"
  }
}

resource "google_storage_bucket" "source" {
  #checkov:skip=CKV_GCP_62:Access logs of a bucket that only Cloud Build reads add cost, not insight; audit logs cover it.
  name     = "${var.project_id}-${var.function_name}-source"
  project  = var.project_id
  location = var.region
  labels   = var.labels

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true # only build inputs live here

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 5
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.needed]
}

resource "google_storage_bucket_object" "source" {
  # The content hash in the name makes a code change a new object, hence a new function revision.
  name   = "kubesent-${data.archive_file.function_source.output_md5}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.function_source.output_path
}

resource "google_artifact_registry_repository" "functions" {
  #checkov:skip=CKV_GCP_84:Holds only the function image built from public code; Google-managed encryption suffices.
  project       = var.project_id
  location      = var.region
  repository_id = "${var.function_name}-functions"
  format        = "DOCKER"
  description   = "Images Cloud Build makes of the KubeSent function."
  labels        = var.labels

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }

  depends_on = [google_project_service.needed]
}

resource "google_cloudfunctions2_function" "kubesent" {
  name        = var.function_name
  project     = var.project_id
  location    = var.region
  description = "KubeSent: diagnose failing pods from exporter events; propose or apply bounded fixes."
  labels      = var.labels

  build_config {
    runtime           = "python311"
    entry_point       = "on_pod_event"
    docker_repository = google_artifact_registry_repository.functions.id
    # A dedicated builder identity: the default build SA is either over-privileged or, under the
    # iam.automaticIamGrantsForDefaultServiceAccounts policy, unable to build at all.
    service_account = google_service_account.builder.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.function.email
    ingress_settings      = var.ingress_settings
    # The push subscription is the only caller; nothing else needs the URL.
    all_traffic_on_latest_revision = true

    # 512 MiB: the kubernetes, google-genai and Firestore clients plus capped log tails
    # (KUBESENT_LOG_LIMIT_BYTES x containers) fit with headroom; 256 MiB OOMs on cold start.
    available_memory = "512Mi"
    available_cpu    = "1"
    # 120 s: a Kubernetes read or patch is 10 s at most, Gemini 3 x 20 s; the ledger's claim lease (300 s)
    # must stay longer than this so a crashed invocation's claim expires only after it is surely dead.
    timeout_seconds = 120
    # Small on purpose: bounds concurrent patches and Gemini spend during an event storm; the backlog
    # waits in Pub/Sub. One request per instance keeps the per-instance clients simple.
    max_instance_count               = var.max_instances
    min_instance_count               = 0
    max_instance_request_concurrency = 1

    environment_variables = {
      KUBESENT_DRY_RUN              = tostring(var.dry_run)
      KUBESENT_LEDGER               = "firestore"
      GOOGLE_CLOUD_PROJECT          = var.project_id
      KUBESENT_FIRESTORE_DATABASE   = var.firestore_database
      KUBESENT_FIRESTORE_COLLECTION = var.ledger_collection
      KUBESENT_LEDGER_TTL_DAYS      = tostring(var.ledger_ttl_days)
      KUBESENT_KUBE_MODE            = "gke"
      KUBESENT_GKE_CLUSTER          = var.gke_cluster
      KUBESENT_GKE_ENDPOINT         = var.gke_endpoint
      KUBESENT_CLUSTER_NAME         = var.cluster_name
      KUBESENT_NAMESPACES_ALLOW     = join(",", var.namespaces_allow)
      KUBESENT_MEMORY_CEILING       = var.memory_ceiling
      KUBESENT_CPU_CEILING          = var.cpu_ceiling
      KUBESENT_LLM                  = var.gemini_mode == "none" ? "none" : "gemini"
      KUBESENT_GEMINI_MODEL         = var.gemini_model
      KUBESENT_GEMINI_VERTEX        = tostring(var.gemini_mode == "vertex")
      # Vertex mode only; empty means unused (the Settings default).
      KUBESENT_GEMINI_VERTEX_PROJECT  = var.gemini_mode == "vertex" ? var.project_id : ""
      KUBESENT_GEMINI_VERTEX_LOCATION = var.gemini_vertex_location
      # The key is read at run time by secrets.py, not injected with secret_environment_variables:
      # a secret env var needs an existing version at deploy time (this secret has none until a
      # person adds it), pins the value until the next cold start, and puts the key in os.environ
      # where any crash dump or debug print can leak it.
      KUBESENT_GEMINI_API_KEY_SECRET = var.gemini_mode == "api_key" ? "${google_secret_manager_secret.gemini.id}/versions/latest" : ""
      KUBESENT_REPORT_TOPIC          = var.report_topic_enabled ? google_pubsub_topic.reports[0].id : ""
      KUBESENT_MODEL_CALLS_PER_HOUR  = tostring(var.model_calls_per_hour)
      KUBESENT_MODEL_CALLS_PER_DAY   = tostring(var.model_calls_per_day)
    }
  }

  depends_on = [
    google_project_service.needed,
    google_project_iam_member.builder,
    google_artifact_registry_repository_iam_member.builder,
    google_storage_bucket_iam_member.builder_source,
  ]
}
