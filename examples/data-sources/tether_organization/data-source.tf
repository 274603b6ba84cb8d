data "tether_organization" "current" {}

output "organization" {
  value = {
    id                 = data.tether_organization.current.organization_id
    management_account = data.tether_organization.current.management_account_name
  }
}
