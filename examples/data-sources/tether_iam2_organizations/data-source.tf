data "tether_iam2_organizations" "finance" {
  name = "Finance Dept"
}

data "tether_iam2_organizations" "departments" {
  name_like = "% Dept"
}

resource "tether_iam2_project_organization" "payments" {
  project_uuid      = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01"
  organization_uuid = one(data.tether_iam2_organizations.finance.organizations).uuid
}

output "department_names" {
  value = [for o in data.tether_iam2_organizations.departments.organizations : o.name]
}
