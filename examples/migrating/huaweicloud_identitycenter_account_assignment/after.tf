# After: one association holds every assignment of u-alice. One official resource moves into
# it; each other one is forgotten without deleting its assignment (removed, destroy = false),
# and every assignment is listed, or the association would delete it.
resource "tether_identity_center_profile_association" "alice" {
  instance_id    = "ins-tether00000001"
  principal_type = "USER"
  principal_id   = "u-alice"

  assignment {
    permission_set_id = "ps-admin"
    account_id        = "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71" # finance-prod
  }

  assignment {
    permission_set_id = "ps-readonly"
    account_id        = "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82" # data-platform
  }
}

moved {
  from = huaweicloud_identitycenter_account_assignment.alice_finance_admin
  to   = tether_identity_center_profile_association.alice
}

removed {
  from = huaweicloud_identitycenter_account_assignment.alice_data_readonly

  lifecycle {
    destroy = false
  }
}
