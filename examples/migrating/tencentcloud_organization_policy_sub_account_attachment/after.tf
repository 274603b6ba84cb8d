# After: the same binding as tether_member_auth_binding. The arguments keep their names and
# values; the moved block hands the object over without calling the cloud.
resource "tether_member_auth_binding" "alice_finance_admin" {
  member_uin          = 100000000101 # finance-prod
  policy_id           = 1001         # admin-access
  org_sub_account_uin = 200000000001 # ops-alice
}

moved {
  from = tencentcloud_organization_policy_sub_account_attachment.alice_finance_admin
  to   = tether_member_auth_binding.alice_finance_admin
}
