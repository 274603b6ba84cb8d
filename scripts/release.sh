#!/usr/bin/env bash
# Release archives of terraform-provider-tether, named the way the Terraform Registry and
# HashiCorp's own release tooling name them, written to dist/<version>/:
#   terraform-provider-tether_<version>_<os>_<arch>.zip    one per platform, holding the single file
#                                                          terraform-provider-tether_v<version>
#   terraform-provider-tether_<version>_manifest.json      terraform-registry-manifest.json (protocol 6.0)
#   terraform-provider-tether_<version>_SHA256SUMS         `sha256sum` lines for the zips and the manifest
#   terraform-provider-tether_<version>_SHA256SUMS.sig     only when GPG_KEY_ID is set (see below)
#
# Usage: scripts/release.sh [--target TRIPLE]... [--out DIR]
#        scripts/release.sh --binary PATH [--platform OS_ARCH] [--out DIR]
#
# Without --target it builds (cargo --release) the host's target and every other installed rustup
# target whose C cross compiler is on PATH (aws-lc-rs compiles C for the target), and reports which
# of the usual platforms were left out and why. --binary packages an existing binary instead and
# never runs cargo (the tests pack the debug build this way); its platform is the host's unless
# --platform says otherwise.
#
# Signing (optional): with GPG_KEY_ID set to a secret key's id or fingerprint, the SHA256SUMS file
# gets a binary detached signature (`gpg --detach-sign`), which is what the registry verifies
# against the namespace's public key. GPG_PASSPHRASE, if set, reaches gpg through loopback
# pinentry; GNUPGHOME chooses the keyring as usual.
#
# Archives are reproducible: one entry, mode 0755, timestamp SOURCE_DATE_EPOCH (default: the last
# commit's time), so the same binary always gives the same zip and the same SHA256SUMS.
# Prints the output directory on stdout; everything else goes to stderr.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage="usage: $0 [--target TRIPLE]... [--out DIR] | --binary PATH [--platform OS_ARCH] [--out DIR]"

targets=()
binary=""
platform=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --target) targets+=("$2"); shift ;;
    --binary) binary=$2; shift ;;
    --platform) platform=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$binary" ] && [ ${#targets[@]} -gt 0 ]; then
  echo "--binary and --target exclude each other" >&2; exit 2
fi
if [ -n "$platform" ] && [ -z "$binary" ]; then
  echo "--platform only applies to --binary (a built target's platform follows from its triple)" >&2; exit 2
fi

version=$(awk -F'"' '/^version = "/ { print $2; exit }' "$repo/Cargo.toml")
[ -n "$version" ] || { echo "no version in $repo/Cargo.toml" >&2; exit 1; }
name=terraform-provider-tether
prefix="${name}_${version}"
out=${out:-"$repo/dist/$version"}
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || true)}
epoch=${epoch:-315532800}

# The registry's <os>_<arch> for a Rust target triple; fails for triples it does not publish.
platform_of() {
  case "$1" in
    x86_64-unknown-linux-gnu) echo linux_amd64 ;;
    aarch64-unknown-linux-gnu) echo linux_arm64 ;;
    x86_64-apple-darwin) echo darwin_amd64 ;;
    aarch64-apple-darwin) echo darwin_arm64 ;;
    x86_64-pc-windows-gnu) echo windows_amd64 ;;
    *) return 1 ;;
  esac
}

# The C compiler that links and builds C for a non-host target, or nothing when there is none
# to look for (Apple targets need Apple's SDK, so they are built on a Mac).
cross_cc() {
  case "$1" in
    x86_64-unknown-linux-gnu) echo x86_64-linux-gnu-gcc ;;
    aarch64-unknown-linux-gnu) echo aarch64-linux-gnu-gcc ;;
    x86_64-pc-windows-gnu) echo x86_64-w64-mingw32-gcc ;;
  esac
}

host_platform() {
  local os arch
  os=$(uname -s | tr '[:upper:]' '[:lower:]')
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  echo "${os}_$arch"
}

if command -v sha256sum >/dev/null 2>&1; then sha256=(sha256sum); else sha256=(shasum -a 256); fi

# pack BINARY PLATFORM: the platform's zip, written under a temporary name and then renamed so an
# interrupted run never leaves a truncated archive with the final name.
pack() {
  local entry="${name}_v$version" archive="$out/${prefix}_$2.zip"
  case "$2" in windows_*) entry="$entry.exe" ;; esac
  python3 - "$1" "$archive.part" "$entry" "$epoch" <<'PY'
import shutil, sys, time, zipfile
binary, archive, entry, epoch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
# DOS timestamps cannot precede 1980. Made on "Unix" with mode 0755, so unzip and Terraform
# restore the executable bit.
info = zipfile.ZipInfo(entry, date_time=time.gmtime(max(epoch, 315532800))[:6])
info.create_system = 3
info.external_attr = 0o100755 << 16
info.compress_type = zipfile.ZIP_DEFLATED
with zipfile.ZipFile(archive, "w") as zf, open(binary, "rb") as src, zf.open(info, "w") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
  mv -f "$archive.part" "$archive"
  echo "packed $2: $archive" >&2
}

mkdir -p "$out"
# Only this version's files: a previous run's archives must not slip into the new SHA256SUMS.
rm -f "$out/${prefix}"_*

if [ -n "$binary" ]; then
  [ -f "$binary" ] || { echo "no binary at $binary" >&2; exit 1; }
  platform=${platform:-$(host_platform)}
  [[ $platform =~ ^[a-z0-9]+_[a-z0-9]+$ ]] ||
    { echo "--platform wants <os>_<arch>, such as linux_amd64; got $platform" >&2; exit 2; }
  pack "$binary" "$platform"
else
  command -v cargo >/dev/null || { echo "cargo is needed to build (or pass --binary)" >&2; exit 1; }
  host=$(rustc -vV | sed -n 's/^host: //p')
  installed=$(rustup target list --installed 2>/dev/null | tr '\n' ' ' || echo "$host")
  skipped=()
  if [ ${#targets[@]} -eq 0 ]; then
    targets=("$host")
    for triple in $installed; do
      [ "$triple" = "$host" ] && continue
      platform_of "$triple" >/dev/null || continue
      cc=$(cross_cc "$triple")
      case "$host/$triple" in
        *-apple-darwin/*-apple-darwin) targets+=("$triple") ;;
        */*-apple-darwin) skipped+=("$triple: needs Apple's SDK; run this script on a Mac") ;;
        *) if command -v "$cc" >/dev/null; then
             targets+=("$triple")
           else
             skipped+=("$triple: installed, but its C cross compiler $cc is not on PATH")
           fi ;;
      esac
    done
    for triple in x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-gnu; do
      case " ${targets[*]} $installed " in *" $triple "*) continue ;; esac
      if [[ $triple == *-apple-darwin && $host != *-apple-darwin ]]; then
        skipped+=("$triple: needs Apple's SDK; run this script on a Mac")
      elif [[ $triple == *-apple-darwin ]]; then
        skipped+=("$triple: rust target not installed (rustup target add $triple)")
      else
        skipped+=("$triple: rust target not installed (rustup target add $triple), and it needs $(cross_cc "$triple")")
      fi
    done
  fi

  target_dir=$(cd "$repo" && cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
  built=()
  for triple in "${targets[@]}"; do
    platform=$(platform_of "$triple") || { echo "no registry platform for target $triple" >&2; exit 1; }
    exe=$name
    case "$triple" in *windows*) exe="$name.exe" ;; esac
    echo "building $triple ($platform)" >&2
    if [ "$triple" = "$host" ]; then
      # No --target for the host: it reuses target/release rather than starting a second build.
      (cd "$repo" && cargo build --locked --release -p terraform-provider-tether >&2)
      path="$target_dir/release/$exe"
    else
      cc=$(cross_cc "$triple")
      upper=$(echo "$triple" | tr '[:lower:]-' '[:upper:]_')
      (cd "$repo" && env ${cc:+"CARGO_TARGET_${upper}_LINKER=$cc" "CC_${triple//-/_}=$cc"} \
        cargo build --locked --release -p terraform-provider-tether --target "$triple" >&2)
      path="$target_dir/$triple/release/$exe"
    fi
    pack "$path" "$platform"
    built+=("$platform")
  done
  echo "built: ${built[*]}" >&2
  for reason in ${skipped[@]+"${skipped[@]}"}; do echo "not built: $reason" >&2; done
fi

cp "$repo/terraform-registry-manifest.json" "$out/${prefix}_manifest.json"
sums="$out/${prefix}_SHA256SUMS"
files=$(cd "$out" && printf '%s\n' "${prefix}"_*.zip "${prefix}_manifest.json" | LC_ALL=C sort)
# shellcheck disable=SC2086 # one file name per line, none with spaces
(cd "$out" && "${sha256[@]}" $files) > "$sums.part"
mv -f "$sums.part" "$sums"

if [ -n "${GPG_KEY_ID:-}" ]; then
  sign=(gpg --batch --yes --local-user "$GPG_KEY_ID" --output "$sums.sig" --detach-sign)
  if [ -n "${GPG_PASSPHRASE:-}" ]; then
    printf '%s' "$GPG_PASSPHRASE" | "${sign[@]}" --pinentry-mode loopback --passphrase-fd 0 "$sums"
  else
    "${sign[@]}" "$sums"
  fi
  echo "signed: $sums.sig (key $GPG_KEY_ID)" >&2
else
  echo "not signed: set GPG_KEY_ID to sign the SHA256SUMS" >&2
fi
echo "$out"
