resource "tether_rgc_managed_account" "data_platform" {
  managed_account_id              = "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82"
  parent_organizational_unit_id   = "ou-tether-workloads"
  parent_organizational_unit_name = "Workloads"

  timeouts {
    create = "2h"
    update = "2h"
    delete = "2h"
  }
}
