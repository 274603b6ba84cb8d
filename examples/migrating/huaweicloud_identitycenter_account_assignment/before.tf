# Before: two assignments of user u-alice, one resource each, under the official Huawei Cloud
# provider.
resource "huaweicloud_identitycenter_account_assignment" "alice_finance_admin" {
  instance_id       = "ins-tether00000001"
  permission_set_id = "ps-admin"
  principal_id      = "u-alice"
  principal_type    = "USER"
  target_id         = "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71" # finance-prod
  target_type       = "ACCOUNT"
}

resource "huaweicloud_identitycenter_account_assignment" "alice_data_readonly" {
  instance_id       = "ins-tether00000001"
  permission_set_id = "ps-readonly"
  principal_id      = "u-alice"
  principal_type    = "USER"
  target_id         = "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82" # data-platform
  target_type       = "ACCOUNT"
}
