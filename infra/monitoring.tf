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

# The shared model budget (KUBESENT_MODEL_CALLS_PER_HOUR / _PER_DAY): every incident the rules could not decide
# and the budget refused is an escalation whose reason starts "model budget exhausted".
resource "google_logging_metric" "model_budget_exhausted" {
  project     = var.project_id
  name        = "${var.function_name}-model-budget-exhausted"
  description = "Incidents escalated because the shared model budget of the hour or the day was used up."
  filter      = "${local.audit_filter} AND jsonPayload.reason:\"model budget exhausted\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "KubeSent model budget exhausted"

    labels {
      key         = "window"
      value_type  = "STRING"
      description = "hour or day: the window that refused the call"
    }
  }

  label_extractors = {
    window = "EXTRACT(jsonPayload.model_budget.exhausted)"
  }
}

resource "google_monitoring_alert_policy" "model_budget_exhausted" {
  project               = var.project_id
  display_name          = "KubeSent: model budget exhausted"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  documentation {
    mime_type = "text/markdown"
    content   = "KubeSent used the model calls KUBESENT_MODEL_CALLS_PER_HOUR or KUBESENT_MODEL_CALLS_PER_DAY allow; until the window ends, failures the rules cannot decide are escalated without a diagnosis. Look for a storm of distinct incidents (the audit lines with reason \"model budget exhausted\") before raising the limit."
  }

  conditions {
    display_name = "Incidents refused a model call in the last 5 minutes"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.model_budget_exhausted.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }

  alert_strategy {
    auto_close = "3600s"
  }
}
