# Quickstart: organization and identity bindings on the tether emulator, which
# scripts/quickstart.sh starts (it sets TF_VAR_emulator_endpoint). Every destroy calls the cloud's
# detach API: CancelOrganizationMemberAuthAccount, LeaveOrganization, UnEnrollAccount,
# DisassociateProfile and DetachIAM2ProjectFromIAM2Organization.
#
# The credentials below are the emulator's fixed, documented ones (emulator/README.md). For a real
# cloud, leave them out and set TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY and
# HW_ACCESS_KEY / HW_SECRET_KEY / HW_DOMAIN_ID / HW_PROJECT_ID and ZSTACK_ENDPOINT /
# ZSTACK_ACCOUNT_NAME / ZSTACK_ACCOUNT_PASSWORD instead.

terraform {
  required_providers {
    tether = {
      source = "tether/tether"
    }
  }
}

variable "emulator_endpoint" {
  description = "The emulator's address, e.g. http://127.0.0.1:8080."
  type        = string
}

# The organization's management account: Tencent Cloud, and Huawei Cloud RGC / Identity Center.
provider "tether" {
  tencentcloud {
    secret_id  = "AKIDtetheremulator00000000000000000"
    secret_key = "tether-emulator-tencent-secret-key"
    endpoint   = var.emulator_endpoint
  }

  huaweicloud {
    access_key = "HWTETHERMANAGEMENT01"
    secret_key = "tether-emulator-huawei-management-sk"
    region     = "cn-north-4"
    domain_id  = "0a5f1c2e9b7d4e3f8a6c1b2d3e4f5a60"
    project_id = "5f0c6b7d4a2c4d9e8f1b6a7c8d9e0fb5"
    endpoints {
      organizations  = var.emulator_endpoint
      rgc            = var.emulator_endpoint
      identitycenter = var.emulator_endpoint
    }
  }

  zstack {
    endpoint         = var.emulator_endpoint
    account_name     = "admin"
    account_password = "password"
  }
}

# A member account joining the organization acts with its own credentials.
provider "tether" {
  alias = "new_acquisition"

  huaweicloud {
    access_key = "HWTETHERNEWACQUISIT1"
    secret_key = "tether-emulator-huawei-new-acquisition-sk"
    domain_id  = "3d8a4f5b2e0a4b7c9d9f4e5a6b7c8d93"
    endpoints {
      organizations = var.emulator_endpoint
    }
  }
}

# --- Tencent Cloud: sub-accounts that may log in to member accounts -------------------------

locals {
  finance_prod_admins = {
    alice = 200000000001
    bob   = 200000000002
  }
}

resource "tether_member_auth_binding" "finance_prod_admin" {
  for_each = local.finance_prod_admins

  member_uin          = 100000000101 # finance-prod
  policy_id           = 1001         # admin-access
  org_sub_account_uin = each.value
}

resource "tether_member_auth_binding" "data_platform_billing" {
  member_uin          = 100000000102 # data-platform
  policy_id           = 1003         # billing
  org_sub_account_uin = 200000000003 # ops-carol
}

# --- Huawei Cloud ------------------------------------------------------------------------------

# new-acquisition accepts its pending invitation; destroy leaves the organization.
resource "tether_organization_membership" "new_acquisition" {
  provider     = tether.new_acquisition
  handshake_id = "h-7c1e0a9b2d4f4e6a"
}

# data-platform comes under RGC governance in the Sandbox OU; destroy un-enrolls it.
resource "tether_rgc_managed_account" "data_platform" {
  managed_account_id            = "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82"
  parent_organizational_unit_id = "ou-tether-sandbox"
}

# Everything the "admins" group may do; destroy removes ALL of the group's assignments.
resource "tether_identity_center_profile_association" "admins" {
  instance_id    = "ins-tether00000001"
  principal_type = "GROUP"
  principal_id   = "g-admins"

  assignment {
    permission_set_id = "ps-admin"
    account_id        = "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71" # finance-prod
  }
  assignment {
    permission_set_id = "ps-readonly"
    account_id        = "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82" # data-platform
  }
}

# --- ZStack ---------------------------------------------------------------------------------------

# The payments project belongs to the Finance department; destroy detaches it.
resource "tether_iam2_project_organization" "payments_finance" {
  project_uuid      = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01" # payments
  organization_uuid = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02" # Finance Dept
}

output "tencent_bindings" {
  value = concat(
    [for b in tether_member_auth_binding.finance_prod_admin : b.id],
    [tether_member_auth_binding.data_platform_billing.id],
  )
}

output "new_acquisition_organization" {
  value = tether_organization_membership.new_acquisition.organization_id
}

output "data_platform_rgc_state" {
  value = tether_rgc_managed_account.data_platform.state
}
