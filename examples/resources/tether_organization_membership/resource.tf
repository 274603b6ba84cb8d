# Membership is managed with the member account's own credentials, through a provider alias.
provider "tether" {
  alias = "new_acquisition"
  huaweicloud {
    access_key = var.new_acquisition_access_key
    secret_key = var.new_acquisition_secret_key
    domain_id  = "3d8a4f5b2e0a4b7c9d9f4e5a6b7c8d93" # the member account's own ID
  }
}

resource "tether_organization_membership" "new_acquisition" {
  provider     = tether.new_acquisition
  handshake_id = "h-7c1e0a9b2d4f4e6a" # the invitation to accept; omit to adopt the current membership
}

variable "new_acquisition_access_key" { sensitive = true }
variable "new_acquisition_secret_key" { sensitive = true }
