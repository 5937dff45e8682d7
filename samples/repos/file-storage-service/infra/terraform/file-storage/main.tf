resource "google_storage_bucket" "p" {}
