data "tether_member_auth_bindings" "finance_prod_admins" {
  member_uin = 100000000101
  policy_id  = 1001
}

output "finance_prod_admin_sub_accounts" {
  value = [for b in data.tether_member_auth_bindings.finance_prod_admins.bindings : b.org_sub_account_name]
}
