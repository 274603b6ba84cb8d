#!/usr/bin/env bash
# Builds terraform-provider-tether and installs it into a local filesystem mirror, the layout
# `terraform init` reads for air-gapped installs:
#   <mirror>/registry.terraform.io/tether/tether/<version>/<os>_<arch>/terraform-provider-tether_v<version>
# Usage: scripts/install-provider.sh [--release] [--mirror DIR]
# Prints the mirror path, and a CLI configuration snippet on stderr.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
profile=debug
mirror="$repo/.tools/mirror"
while [ $# -gt 0 ]; do
  case "$1" in
    --release) profile=release ;;
    --mirror) mirror=$2; shift ;;
    *) echo "usage: $0 [--release] [--mirror DIR]" >&2; exit 2 ;;
  esac
  shift
done

cd "$repo"
cargo build --locked --quiet -p terraform-provider-tether $([ "$profile" = release ] && echo --release) >&2
version=$(sed -n '0,/^version = "\(.*\)"$/s//\1/p' Cargo.toml)
case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
os=$(uname -s | tr '[:upper:]' '[:lower:]')
dir="$mirror/registry.terraform.io/tether/tether/$version/${os}_$arch"
mkdir -p "$dir"
install -m 0755 "target/$profile/terraform-provider-tether" "$dir/terraform-provider-tether_v$version"

cat >&2 <<SNIPPET
Installed terraform-provider-tether $version into $mirror.
Point Terraform at it with this in your CLI configuration (~/.terraformrc or TF_CLI_CONFIG_FILE):

provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/tether/tether"]
  }
  direct {
    exclude = ["registry.terraform.io/tether/tether"]
  }
}
SNIPPET
echo "$mirror"
