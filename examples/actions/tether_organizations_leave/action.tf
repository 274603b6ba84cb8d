# The member account configured for the provider alias "member" leaves organization
# o-tether0001. Review with
#   terraform plan -invoke=action.tether_organizations_leave.new_acquisition
# and run with
#   terraform apply -invoke=action.tether_organizations_leave.new_acquisition
action "tether_organizations_leave" "new_acquisition" {
  provider = tether.member

  config {
    organization_id = "o-tether0001"
  }
}
