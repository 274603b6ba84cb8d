# One project by its exact name.
data "tether_iam2_projects" "payments" {
  name = "payments"
}

# Every project whose name starts with "legacy-".
data "tether_iam2_projects" "legacy" {
  name_like = "legacy-%"
}

output "payments_project_uuid" {
  value = one(data.tether_iam2_projects.payments.projects).uuid
}

output "legacy_projects" {
  value = [for p in data.tether_iam2_projects.legacy.projects : p.name]
}
