data "tether_member_policies" "finance_prod" {
  member_uin = 100000000101
}

output "finance_prod_policy_ids" {
  value = { for p in data.tether_member_policies.finance_prod.policies : p.policy_name => p.policy_id }
}
