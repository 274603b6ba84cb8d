resource "tether_member_auth_binding" "alice_finance_admin" {
  member_uin          = 100000000101 # the member account
  policy_id           = 1001         # its admin-access policy
  org_sub_account_uin = 200000000001 # the management account's sub-user
}
