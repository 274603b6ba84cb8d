resource "tether_iam2_project_organization" "payments_finance" {
  project_uuid      = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01"
  organization_uuid = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02"
}
