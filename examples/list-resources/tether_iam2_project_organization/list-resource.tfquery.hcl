# Every project attached to an organization.
list "tether_iam2_project_organization" "all" {
  provider = tether
}

# Only the projects of the Finance department.
list "tether_iam2_project_organization" "finance" {
  provider = tether
  config {
    organization_uuid = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02"
  }
}
