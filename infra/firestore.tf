# The ledger's database (unless it is the project's "(default)", which Terraform must not own) and a
# TTL policy on expireAt for every ledger collection, so audit records and claims age out by themselves.

resource "google_firestore_database" "ledger" {
  count = var.firestore_database != "(default)" ? 1 : 0

  project     = var.project_id
  name        = var.firestore_database
  location_id = coalesce(var.firestore_location, var.region)
  type        = "FIRESTORE_NATIVE"
  # The ledger is the audit trail of every change KubeSent made: keep it from `terraform destroy`.
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"

  depends_on = [google_project_service.needed]
}

resource "google_firestore_field" "ttl" {
  # ledger/firestore.py: claims in the collection, remediations in -workloads, circuit breaker in -breaker.
  for_each = toset([
    var.ledger_collection,
    "${var.ledger_collection}-workloads",
    "${var.ledger_collection}-breaker",
    "${var.ledger_collection}-markers",       # notification and approval markers (notify/, approval.py)
    "${var.ledger_collection}-verifications", # the verifier's queue (verify.py); due_at keeps its automatic index
  ])

  project    = var.project_id
  database   = var.firestore_database
  collection = each.value
  field      = "expireAt"

  ttl_config {}

  # A timestamp used only for expiry needs no single-field index (saves write cost).
  index_config {}

  depends_on = [google_firestore_database.ledger]
}
