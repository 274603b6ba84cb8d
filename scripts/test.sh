#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs (the pinned Terraform, the
# official cloud SDKs for the emulator cross-checks), builds the workspace, then runs the Rust
# tests (unit, protocol and end-to-end with the real Terraform CLI) and the SDK cross-checks.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

echo "==> Terraform"
TETHER_TERRAFORM=$(scripts/install-terraform.sh)
export TETHER_TERRAFORM
tf_version=$("$TETHER_TERRAFORM" version 2>/dev/null)
echo "${tf_version%%$'\n'*}"

echo "==> Python packages for the SDK cross-checks"
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/sdk/requirements.txt

echo "==> Tools for the release tests"
# tests/e2e_release.rs signs a SHA256SUMS with a throwaway key, as scripts/release.sh does.
if ! command -v gpg >/dev/null 2>&1; then
  echo "Installing gnupg"
  apt-get update -qq && apt-get install -y -qq gnupg >/dev/null
fi
gpg_version=$(gpg --version)
echo "${gpg_version%%$'\n'*}"

echo "==> Formatting and lints"
# One style (rustfmt.toml) and no clippy warnings, in the workspace and the fuzz crate alike.
# The toolchain comes with the machine; a missing component is installed, never skipped.
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    rustup component add "$component"
  fi
done
cargo fmt --all --check
(cd fuzz && cargo fmt --check)
cargo clippy --locked --workspace --all-targets -- -D warnings

echo "==> Build"
cargo build --locked --workspace --all-targets

echo "==> Rust tests"
cargo test --locked --workspace --no-fail-fast

echo "==> Official SDK cross-checks against the emulator"
TETHER_EMULATOR_BIN="$repo/target/debug/tether-emulator" .venv/bin/python -m pytest tests/sdk -q

echo "==> Fuzzing (short run)"
# Every cargo-fuzz target in fuzz/ for 20 s, two at a time (scripts/fuzz.sh installs the pinned
# cargo-fuzz and builds into fuzz/target, apart from the main build).
scripts/fuzz.sh 20
