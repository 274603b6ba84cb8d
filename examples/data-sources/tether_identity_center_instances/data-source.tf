data "tether_identity_center_instances" "all" {}

locals {
  identity_center = data.tether_identity_center_instances.all.instances[0]
}

output "identity_store_id" {
  value = local.identity_center.identity_store_id
}
