data "tether_rgc_managed_accounts" "workloads" {
  parent_organizational_unit_id = "ou-tether-workloads"
}

output "enrolled_workload_accounts" {
  value = [for a in data.tether_rgc_managed_accounts.workloads.managed_accounts : a.account_name if a.state == "ENROLLED"]
}
