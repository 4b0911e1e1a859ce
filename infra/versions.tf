terraform {
  # 1.5 brought `check`/`import` blocks and the fileset()/archive behaviour relied on here; 2.x may break syntax.
  required_version = ">= 1.5.0, < 2.0.0"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 6.x has every resource used here (cloudfunctions2 build_config.service_account,
      # firestore_field ttl_config, pubsub push no_wrapper); 8.x may rename fields.
      version = ">= 6.0.0, < 8.0.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4.0, < 3.0.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
