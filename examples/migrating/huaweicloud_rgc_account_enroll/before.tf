# Before: the enrollment under the official Huawei Cloud provider.
resource "huaweicloud_rgc_account_enroll" "data_platform" {
  managed_account_id            = "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82" # data-platform
  parent_organizational_unit_id = "ou-tether-sandbox"

  timeouts {
    create = "2h"
  }
}
