#!/usr/bin/env bash
# Installs terraform-provider-tether into a local filesystem mirror, which `terraform init` reads
# for air-gapped installs, in one of the two layouts Terraform accepts:
#   unpacked  <mirror>/registry.terraform.io/tether/tether/<version>/<os>_<arch>/terraform-provider-tether_v<version>
#   packed    <mirror>/registry.terraform.io/tether/tether/terraform-provider-tether_<version>_<os>_<arch>.zip
#
# Usage: scripts/install-provider.sh [--release | --no-build | --binary PATH | --from-zip ZIP] [--mirror DIR]
#   (default)       cargo build, then install target/debug/terraform-provider-tether unpacked
#   --release       the same with cargo build --release and target/release
#   --no-build      install target/<profile>/terraform-provider-tether as it is, without cargo
#   --binary PATH   install that binary unpacked, without cargo (the e2e tests do this: they run
#                   inside `cargo test`, which holds the build lock)
#   --from-zip ZIP  install a scripts/release.sh archive packed, as the registry would serve it;
#                   when the release's _SHA256SUMS file sits beside the zip, the zip must match it
#   --mirror DIR    the mirror's root (default .tools/mirror)
# Prints the mirror path on stdout, and a CLI configuration snippet on stderr.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage="usage: $0 [--release | --no-build | --binary PATH | --from-zip ZIP] [--mirror DIR]"
profile=debug
build=true
binary=""
zip=""
mirror="$repo/.tools/mirror"
while [ $# -gt 0 ]; do
  case "$1" in
    --release) profile=release ;;
    --no-build) build=false ;;
    --binary) binary=$2; build=false; shift ;;
    --from-zip) zip=$2; build=false; shift ;;
    --mirror) mirror=$2; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$binary" ] && [ -n "$zip" ]; then
  echo "--binary and --from-zip exclude each other" >&2; exit 2
fi
mkdir -p "$mirror"
mirror=$(cd "$mirror" && pwd)
name=terraform-provider-tether
provider_dir="$mirror/registry.terraform.io/tether/tether"

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1
}

if [ -n "$zip" ]; then
  [ -f "$zip" ] || { echo "no archive at $zip" >&2; exit 1; }
  archive=$(basename "$zip")
  # The name is what Terraform reads the version and platform from, so it must be exact.
  if [[ ! $archive =~ ^${name}_([0-9][^_]*)_([a-z0-9]+)_([a-z0-9]+)\.zip$ ]]; then
    echo "$archive is not named ${name}_<version>_<os>_<arch>.zip" >&2; exit 1
  fi
  version=${BASH_REMATCH[1]}
  platform="${BASH_REMATCH[2]}_${BASH_REMATCH[3]}"
  sums="$(dirname "$zip")/${name}_${version}_SHA256SUMS"
  if [ -f "$sums" ]; then
    want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$sums")
    [ -n "$want" ] || { echo "$archive is not listed in $sums" >&2; exit 1; }
    got=$(sha256_of "$zip")
    [ "$got" = "$want" ] || { echo "$archive has sha256 $got, but $sums says $want" >&2; exit 1; }
    echo "checked $archive against $(basename "$sums")" >&2
  fi
  # Terraform unpacks the zip and runs the file it expects; refuse an archive without it.
  python3 - "$zip" "${name}_v$version" <<'PY'
import sys, zipfile
archive, entry = sys.argv[1], sys.argv[2]
names = zipfile.ZipFile(archive).namelist()
if entry not in names and entry + ".exe" not in names:
    sys.exit(f"{archive} does not hold {entry} (it holds {', '.join(names) or 'nothing'})")
PY
  mkdir -p "$provider_dir"
  cp "$zip" "$provider_dir/.$archive.part"
  mv -f "$provider_dir/.$archive.part" "$provider_dir/$archive"
  # With both layouts present Terraform silently prefers the unpacked one: drop it.
  rm -rf "${provider_dir:?}/$version/$platform"
  rmdir "$provider_dir/$version" 2>/dev/null || true
  installed="$provider_dir/$archive"
else
  if [ -z "$binary" ]; then
    if $build; then
      flags=(--locked --quiet -p terraform-provider-tether)
      [ "$profile" = release ] && flags+=(--release)
      (cd "$repo" && cargo build "${flags[@]}" >&2)
    fi
    binary="$repo/target/$profile/$name"
  fi
  [ -f "$binary" ] || { echo "no provider binary at $binary (build it, or leave out --no-build)" >&2; exit 1; }
  version=$(awk -F'"' '/^version = "/ { print $2; exit }' "$repo/Cargo.toml")
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  platform="$(uname -s | tr '[:upper:]' '[:lower:]')_$arch"
  dir="$provider_dir/$version/$platform"
  mkdir -p "$dir"
  # Copied under a temporary name, then renamed: a concurrent `terraform init` never sees half a file.
  install -m 0755 "$binary" "$dir/.${name}_v$version.part"
  mv -f "$dir/.${name}_v$version.part" "$dir/${name}_v$version"
  rm -f "$provider_dir/${name}_${version}_$platform.zip"
  installed="$dir/${name}_v$version"
fi

cat >&2 <<SNIPPET
Installed terraform-provider-tether $version ($platform) as $installed.
Point Terraform at the mirror with this in your CLI configuration (~/.terraformrc or TF_CLI_CONFIG_FILE):

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
