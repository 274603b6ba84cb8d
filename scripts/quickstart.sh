#!/usr/bin/env bash
# The quickstart, start to finish on a fresh machine: build, install the pinned Terraform if
# needed, start the cloud emulator, then init / plan / apply / plan / destroy examples/quickstart,
# and print the detach calls the emulator received.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Installing the pinned Terraform (if missing)"
terraform=$(scripts/install-terraform.sh)

step "Building the provider and the emulator"
cargo build --locked --quiet --workspace
mirror=$(scripts/install-provider.sh 2>/dev/null)

work=$(mktemp -d)
emulator_pid=""
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

step "Starting tether-emulator"
target/debug/tether-emulator --listen 127.0.0.1:0 --huawei-operation-ms 2000 > "$work/emulator.out" 2> "$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/emulator.out" ] && break
  sleep 0.05
done
address=$(head -1 "$work/emulator.out")
echo "emulator listening on http://$address"

cat > "$work/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/tether/tether"]
  }
  direct {
    exclude = ["registry.terraform.io/tether/tether"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
export TF_VAR_emulator_endpoint="http://$address"
cp -r examples/quickstart "$work/quickstart"
cd "$work/quickstart"

step "terraform init"
"$terraform" init -input=false
step "terraform plan"
"$terraform" plan -input=false
step "terraform apply"
"$terraform" apply -input=false -auto-approve
step "terraform plan (nothing left to do)"
"$terraform" plan -input=false -detailed-exitcode
step "terraform destroy"
"$terraform" destroy -input=false -auto-approve

step "Detach calls the emulator received"
python3 - "http://$address/_emulator/calls" <<'PY'
import json, sys, urllib.request
detach = {"CancelOrganizationMemberAuthAccount", "UnEnrollAccount", "DisassociateProfile",
          "LeaveOrganization", "DetachIAM2ProjectFromIAM2Organization"}
calls = [c for c in json.load(urllib.request.urlopen(sys.argv[1])) if c["action"] in detach]
for c in calls:
    params = json.dumps(c["params"], sort_keys=True)
    print("%-8s %-40s %-6s %s" % (c["cloud"], c["action"], c["status"], params))
print(f"{len(calls)} detach call(s)")
PY
