# ops-alice leaves the company: cancel every member auth binding of sub-user ops-alice, on every
# member account of the organization and with every access policy. Review the list with
#   terraform plan -invoke=action.tether_organization_revoke_sub_account.offboard_alice
# and run it with
#   terraform apply -invoke=action.tether_organization_revoke_sub_account.offboard_alice
action "tether_organization_revoke_sub_account" "offboard_alice" {
  config {
    org_sub_account_uin = 200000000001 # ops-alice

    # To revoke only some of its access, name the members and/or policies (left out: all):
    # member_uins = [100000000101, 100000000102] # finance-prod, data-platform
    # policy_ids  = [1001]                       # admin-access
  }
}
