# Offboarding: user u-alice loses every account assignment, on every account and permission
# set. Review with
#   terraform plan -invoke=action.tether_identity_center_disassociate_profile.offboard_alice
# and run with
#   terraform apply -invoke=action.tether_identity_center_disassociate_profile.offboard_alice
action "tether_identity_center_disassociate_profile" "offboard_alice" {
  config {
    instance_id    = "ins-tether00000001"
    principal_type = "USER"
    principal_id   = "u-alice"
  }
}
