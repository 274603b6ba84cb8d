# Before: the binding under the official Tencent Cloud provider.
resource "tencentcloud_organization_policy_sub_account_attachment" "alice_finance_admin" {
  policy_id           = 1001         # admin-access
  member_uin          = 100000000101 # finance-prod
  org_sub_account_uin = 200000000001 # ops-alice
}
