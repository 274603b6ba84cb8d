# After: the same enrollment as tether_rgc_managed_account. `region` and `enable_force_new` have
# no counterpart; a `blueprint` block, if any, keeps its arguments; the timeouts carry over.
resource "tether_rgc_managed_account" "data_platform" {
  managed_account_id            = "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82" # data-platform
  parent_organizational_unit_id = "ou-tether-sandbox"

  timeouts {
    create = "2h"
  }
}

moved {
  from = huaweicloud_rgc_account_enroll.data_platform
  to   = tether_rgc_managed_account.data_platform
}
