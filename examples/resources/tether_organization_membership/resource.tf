# Membership is managed with the member account's own credentials.
provider "tether" {
  alias = "new_acquisition"
  huaweicloud {
    access_key = var.new_acquisition_access_key
    secret_key = var.new_acquisition_secret_key
    domain_id  = "3d8a4f5b2e0a4b7c9d9f4e5a6b7c8d93"
  }
}

resource "tether_organization_membership" "new_acquisition" {
  provider     = tether.new_acquisition
  handshake_id = "h-7c1e0a9b2d4f4e6a" # the invitation to accept; omit to adopt the current membership
}
