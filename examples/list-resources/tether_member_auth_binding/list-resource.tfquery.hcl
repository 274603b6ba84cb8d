# Every sub-account binding of the finance-prod member, across all its access policies.
# Run `terraform query`, or `terraform query -generate-config-out=bindings.tf` to import them.
list "tether_member_auth_binding" "finance_prod" {
  provider = tether
  config {
    member_uin = 100000000101
  }
}

# Only the bindings under one policy.
list "tether_member_auth_binding" "finance_prod_admins" {
  provider = tether
  config {
    member_uin = 100000000101
    policy_id  = 1001
  }
}
