# Hand the data-platform account back: RGC stops governing it (the account stays in the
# organization). Review with
#   terraform plan -invoke=action.tether_rgc_unenroll_account.data_platform
# and run with
#   terraform apply -invoke=action.tether_rgc_unenroll_account.data_platform
action "tether_rgc_unenroll_account" "data_platform" {
  config {
    managed_account_id = "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82" # data-platform
    timeout            = "1h"
  }
}
