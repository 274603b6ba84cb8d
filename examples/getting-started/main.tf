terraform {
  required_providers {
    tether = {
      source = "tether/tether"
    }
  }
}

variable "emulator" {
  description = "Address of the running tether-emulator."
  type        = string
  default     = "http://127.0.0.1:8080"
}

# The emulator's fixed, documented credentials. For a real cloud, leave the credentials and
# endpoints out and set TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY and ZSTACK_ENDPOINT /
# ZSTACK_ACCOUNT_NAME / ZSTACK_ACCOUNT_PASSWORD instead.
provider "tether" {
  tencentcloud {
    secret_id  = "AKIDtetheremulator00000000000000000"
    secret_key = "tether-emulator-tencent-secret-key"
    endpoint   = var.emulator
  }

  zstack {
    endpoint         = var.emulator
    account_name     = "admin"
    account_password = "password"
  }
}

# Tencent Cloud: sub-user ops-alice may log in to the finance-prod member account with its
# admin-access policy. Destroy calls CancelOrganizationMemberAuthAccount.
resource "tether_member_auth_binding" "alice_finance_admin" {
  member_uin          = 100000000101 # finance-prod
  policy_id           = 1001         # admin-access
  org_sub_account_uin = 200000000001 # ops-alice
}

# ZStack: the payments project belongs to the Finance department. Destroy calls
# DetachIAM2ProjectFromIAM2Organization.
resource "tether_iam2_project_organization" "payments_finance" {
  project_uuid      = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01" # payments
  organization_uuid = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02" # Finance Dept
}

output "alice_binding" {
  value = "${tether_member_auth_binding.alice_finance_admin.org_sub_account_name} -> ${tether_member_auth_binding.alice_finance_admin.policy_name}"
}

output "payments_organization" {
  value = tether_iam2_project_organization.payments_finance.organization_name
}
