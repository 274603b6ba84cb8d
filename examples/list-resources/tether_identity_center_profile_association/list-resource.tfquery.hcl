# Every user and group with account assignments in the instance, each with all of its
# assignments (one tether_identity_center_profile_association per principal).
list "tether_identity_center_profile_association" "all" {
  provider = tether
  config {
    instance_id = "ins-tether00000001"
  }
}

# Only the principals with an assignment on one account.
list "tether_identity_center_profile_association" "finance_prod" {
  provider = tether
  limit    = 50
  config {
    instance_id = "ins-tether00000001"
    account_id  = "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71"
  }
}
