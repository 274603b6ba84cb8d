# After: the same membership as tether_organization_membership, with the member's credentials;
# invitation_id becomes handshake_id. The moved state keeps the old destroy behaviour
# (detach_on_destroy = false, as leave_organization_on_destroy was not true), and so must the
# configuration, or the plan turns destroy into LeaveOrganization. Had the old resource set
# leave_organization_on_destroy = true, leave detach_on_destroy out (it defaults to true).
resource "tether_organization_membership" "joined" {
  provider = tether.member

  handshake_id      = "h-7c1e0a9b2d4f4e6a"
  detach_on_destroy = false
}

moved {
  from = huaweicloud_organizations_account_invite_accepter.joined
  to   = tether_organization_membership.joined
}
