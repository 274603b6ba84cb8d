# Authoritative: these are ALL of the group's account assignments.
resource "tether_identity_center_profile_association" "admins" {
  instance_id    = "ins-tether00000001"
  principal_type = "GROUP"
  principal_id   = "g-admins"

  assignment {
    permission_set_id = "ps-admin"
    account_id        = "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71"
  }

  assignment {
    permission_set_id = "ps-readonly"
    account_id        = "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82"
  }
}
