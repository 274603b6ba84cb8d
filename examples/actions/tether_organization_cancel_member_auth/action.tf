# Sub-user ops-alice may no longer log in to the finance-prod member account with its
# admin-access policy. Review with
#   terraform plan -invoke=action.tether_organization_cancel_member_auth.alice_finance_admin
# and run with
#   terraform apply -invoke=action.tether_organization_cancel_member_auth.alice_finance_admin
action "tether_organization_cancel_member_auth" "alice_finance_admin" {
  config {
    member_uin          = 100000000101 # finance-prod
    policy_id           = 1001         # admin-access
    org_sub_account_uin = 200000000001 # ops-alice
  }
}
