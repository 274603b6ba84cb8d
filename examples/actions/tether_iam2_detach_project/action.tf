# The legacy-erp project leaves the Finance department (the project is not deleted). Review with
#   terraform plan -invoke=action.tether_iam2_detach_project.legacy_erp
# and run with
#   terraform apply -invoke=action.tether_iam2_detach_project.legacy_erp
action "tether_iam2_detach_project" "legacy_erp" {
  config {
    project_uuid      = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b04" # legacy-erp
    organization_uuid = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02" # Finance Dept
  }
}
