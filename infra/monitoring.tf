# Log-based metrics on the function's one audit line per incident
# ({"message": "kubesent.incident", "action": "applied|dry_run|proposed|escalated|ignored", ...} on stdout,
# which Cloud Logging parses into jsonPayload), and alerts for what needs a person.

locals {
  audit_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${var.function_name}\"",
    "jsonPayload.message=\"kubesent.incident\"",
  ])
}

resource "google_logging_metric" "incidents" {
  project     = var.project_id
  name        = "${var.function_name}-incidents"
  description = "KubeSent incidents by final action."
  filter      = local.audit_filter

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "KubeSent incidents"

    labels {
      key         = "action"
      value_type  = "STRING"
      description = "applied, dry_run, proposed, escalated or ignored"
    }
  }

  label_extractors = {
    action = "EXTRACT(jsonPayload.action)"
  }
}

resource "google_logging_metric" "remediations_applied" {
  project     = var.project_id
  name        = "${var.function_name}-remediations-applied"
  description = "Patches KubeSent wrote to the cluster."
  filter      = "${local.audit_filter} AND jsonPayload.action=\"applied\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "KubeSent remediations applied"
  }
}

resource "google_logging_metric" "escalations" {
  project     = var.project_id
  name        = "${var.function_name}-escalations"
  description = "Incidents KubeSent handed to a person (no safe fix, or the fix did not hold)."
  filter      = "${local.audit_filter} AND jsonPayload.action=\"escalated\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "KubeSent escalations"
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  project               = var.project_id
  display_name          = "KubeSent: events dead-lettered"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  documentation {
    mime_type = "text/markdown"
    content   = "An exporter event failed 5 deliveries to the KubeSent function and sits in `${google_pubsub_subscription.dead_letter.name}`. Read it with `gcloud pubsub subscriptions pull ${google_pubsub_subscription.dead_letter.name} --limit=10` and check the function's logs for the error."
  }

  conditions {
    display_name = "Dead-letter subscription has undelivered messages"
    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=\"${google_pubsub_subscription.dead_letter.name}\" AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  conditions {
    display_name = "Push subscription forwarded messages to the dead-letter topic"
    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=\"${google_pubsub_subscription.function_push.name}\" AND metric.type=\"pubsub.googleapis.com/subscription/dead_letter_message_count\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "escalations" {
  project               = var.project_id
  display_name          = "KubeSent: incident escalated"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  documentation {
    mime_type = "text/markdown"
    content   = "KubeSent found no safe automatic fix, or a fix did not hold. The audit line (jsonPayload.message=\"kubesent.incident\", action=\"escalated\") in the function's logs has the diagnosis and any proposed patch."
  }

  conditions {
    display_name = "Escalations in the last 5 minutes"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.escalations.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }
}
