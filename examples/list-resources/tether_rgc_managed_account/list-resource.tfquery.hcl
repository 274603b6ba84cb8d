# The accounts RGC governs in the Workloads organizational unit.
list "tether_rgc_managed_account" "workloads" {
  provider = tether
  config {
    parent_organizational_unit_id = "ou-tether-workloads"
  }
}
