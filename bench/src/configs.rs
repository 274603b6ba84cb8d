//! The Terraform configurations the benchmark applies. Values are the emulator's documented
//! fixture and credentials (emulator/README.md).

/// Member, policy and first sub-account of the bindings: every binding shares one member+policy,
/// the case the coalescing targets are about (Bind takes up to 5 sub-accounts of one
/// member+policy; Describe lists one member+policy, 50 per page).
pub const MEMBER_UIN: u64 = 100000000101;
pub const POLICY_ID: u64 = 1001;
pub const FIRST_SUB_ACCOUNT: u64 = 200000000001;

const HEADER: &str = r#"terraform {
  required_providers {
    tether = { source = "tether/tether" }
  }
}

variable "endpoint" {
  type = string
}

# null = the provider's default pacing (Tencent: 20 calls/s per action); 0 turns pacing off.
variable "requests_per_second" {
  type    = number
  default = null
}
"#;

const TENCENT_BLOCK: &str = r#"  tencentcloud {
    secret_id           = "AKIDtetheremulator00000000000000000"
    secret_key          = "tether-emulator-tencent-secret-key"
    endpoint            = var.endpoint
    requests_per_second = var.requests_per_second
  }
"#;

/// `n` bindings of one member+policy, one sub-account each.
pub fn bindings(n: usize) -> String {
    format!(
        r#"{HEADER}
provider "tether" {{
{TENCENT_BLOCK}}}

resource "tether_member_auth_binding" "b" {{
  count               = {n}
  member_uin          = {MEMBER_UIN}
  policy_id           = {POLICY_ID}
  org_sub_account_uin = {FIRST_SUB_ACCOUNT} + count.index
}}
"#
    )
}

/// Terraform's own floor for `n` resources: the built-in `terraform_data`, no provider process,
/// the same count and a comparable input.
pub fn terraform_data(n: usize) -> String {
    format!(
        r#"resource "terraform_data" "b" {{
  count = {n}
  input = {FIRST_SUB_ACCOUNT} + count.index
}}
"#
    )
}

/// Resources of the other four types in the mixed configuration; the rest are bindings. The
/// emulator's fixture bounds each type: one pending invitation (membership), one organization
/// account not yet enrolled in RGC, four Identity Center principals, three ZStack projects not
/// yet in an organization.
pub const MIXED_OTHERS: usize = 1 + 1 + 4 + 3;

/// A configuration of all five resource types with `total` resources in all.
pub fn mixed(total: usize) -> String {
    let bindings = total.saturating_sub(MIXED_OTHERS);
    format!(
        r#"{HEADER}
# The management account: Tencent Cloud, Huawei Cloud RGC / Identity Center, ZStack.
provider "tether" {{
{TENCENT_BLOCK}
  huaweicloud {{
    access_key = "HWTETHERMANAGEMENT01"
    secret_key = "tether-emulator-huawei-management-sk"
    region     = "cn-north-4"
    domain_id  = "0a5f1c2e9b7d4e3f8a6c1b2d3e4f5a60"
    project_id = "5f0c6b7d4a2c4d9e8f1b6a7c8d9e0fb5"
    endpoints {{
      organizations  = var.endpoint
      rgc            = var.endpoint
      identitycenter = var.endpoint
    }}
  }}

  zstack {{
    endpoint         = var.endpoint
    account_name     = "admin"
    account_password = "password"
  }}
}}

# The invited account accepts with its own credentials.
provider "tether" {{
  alias = "new_acquisition"
  huaweicloud {{
    access_key = "HWTETHERNEWACQUISIT1"
    secret_key = "tether-emulator-huawei-new-acquisition-sk"
    domain_id  = "3d8a4f5b2e0a4b7c9d9f4e5a6b7c8d93"
    endpoints {{
      organizations = var.endpoint
    }}
  }}
}}

resource "tether_member_auth_binding" "b" {{
  count               = {bindings}
  member_uin          = {MEMBER_UIN}
  policy_id           = {POLICY_ID}
  org_sub_account_uin = {FIRST_SUB_ACCOUNT} + count.index
}}

resource "tether_organization_membership" "new_acquisition" {{
  provider     = tether.new_acquisition
  handshake_id = "h-7c1e0a9b2d4f4e6a"
}}

resource "tether_rgc_managed_account" "data_platform" {{
  managed_account_id            = "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82"
  parent_organizational_unit_id = "ou-tether-sandbox"
}}

locals {{
  finance_prod  = "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71"
  data_platform = "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82"
  principals = {{
    "USER/u-alice"     = [["ps-readonly", local.finance_prod]]
    "USER/u-bob"       = [["ps-billing", local.data_platform]]
    "GROUP/g-admins"   = [["ps-admin", local.finance_prod], ["ps-readonly", local.data_platform]]
    "GROUP/g-auditors" = [["ps-readonly", local.finance_prod], ["ps-readonly", local.data_platform]]
  }}
  projects = {{
    "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01" = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02" # payments -> Finance Dept
    "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b02" = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d03" # analytics -> Engineering Dept
    "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b03" = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d01" # sandbox -> Tether Corp
  }}
}}

resource "tether_identity_center_profile_association" "p" {{
  for_each       = local.principals
  instance_id    = "ins-tether00000001"
  principal_type = split("/", each.key)[0]
  principal_id   = split("/", each.key)[1]

  dynamic "assignment" {{
    for_each = each.value
    content {{
      permission_set_id = assignment.value[0]
      account_id        = assignment.value[1]
    }}
  }}
}}

resource "tether_iam2_project_organization" "z" {{
  for_each          = local.projects
  project_uuid      = each.key
  organization_uuid = each.value
}}
"#
    )
}
