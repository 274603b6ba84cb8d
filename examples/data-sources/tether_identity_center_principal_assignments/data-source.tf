data "tether_identity_center_principal_assignments" "admins" {
  instance_id    = "ins-tether00000001"
  principal_type = "GROUP"
  principal_id   = "g-admins"
}

output "admin_accounts" {
  value = [for a in data.tether_identity_center_principal_assignments.admins.assignments : "${a.permission_set_id}@${a.account_id}"]
}
