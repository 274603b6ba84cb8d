# Before: the member account accepted the invitation under the official Huawei Cloud provider,
# configured with the member account's own credentials. leave_organization_on_destroy is left
# unset: destroying this resource does not leave the organization.
resource "huaweicloud_organizations_account_invite_accepter" "joined" {
  provider = huaweicloud.member

  invitation_id = "h-7c1e0a9b2d4f4e6a"
}
