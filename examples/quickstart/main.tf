# Quickstart: bind two sub-accounts of the management account to a member's admin policy, and one
# to another member's billing policy, on the tether emulator (scripts/quickstart.sh starts it and
# sets TF_VAR_tencent_endpoint). Destroying them calls CancelOrganizationMemberAuthAccount.

terraform {
  required_providers {
    tether = {
      source = "tether/tether"
    }
  }
}

variable "tencent_endpoint" {
  description = "Organization API endpoint: the emulator's address, e.g. http://127.0.0.1:8080."
  type        = string
}

provider "tether" {
  # The emulator's fixed, documented credentials (see emulator/README.md); for the real cloud,
  # leave these out and set TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY instead.
  tencentcloud {
    secret_id  = "AKIDtetheremulator00000000000000000"
    secret_key = "tether-emulator-tencent-secret-key"
    endpoint   = var.tencent_endpoint
  }
}

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

output "bindings" {
  value = concat(
    [for b in tether_member_auth_binding.finance_prod_admin : b.id],
    [tether_member_auth_binding.data_platform_billing.id],
  )
}
