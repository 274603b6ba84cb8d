#!/usr/bin/env bash
# The benchmark suite (issue 7) in one command: release build, the pinned Terraform, the release
# provider in a filesystem mirror, then tether-bench, which measures cold start, Terraform end
# to end against terraform_data, API calls per binding and the rate-bound applies, and writes
# bench/results/latest.json and BENCHMARKS.md. Not part of scripts/test.sh: it takes about 20 minutes on 2 cores.
#
# Usage: bench/run.sh [--quick] [--only cold,e2e,mixed,rate]
#   --quick  a sanity run in a few minutes (fewer repetitions, N <= 100); like --only, it writes
#            bench/results/quick.json and target/bench/BENCHMARKS.md and leaves BENCHMARKS.md alone
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
started=$(date +%s)

echo "==> Release build"
# The provider is built alone, as scripts/release.sh and scripts/install-provider.sh build what
# ships: built together with the emulator, Cargo would unify features of shared dependencies and
# produce a slightly different binary. install-provider.sh puts it into a filesystem mirror,
# which is how Terraform gets it below.
mirror="$repo/target/bench/mirror"
rm -rf "$mirror"
mkdir -p "$repo/target/bench"
if ! scripts/install-provider.sh --release --mirror "$mirror" >/dev/null 2>"$repo/target/bench/install-provider.log"; then
  cat "$repo/target/bench/install-provider.log" >&2
  exit 1
fi
provider=$(find "$mirror" -type f -name 'terraform-provider-tether_v*')
[ -n "$provider" ] || { echo "no provider in $mirror" >&2; exit 1; }
cargo build --locked --release -p tether-emulator -p tether-bench

echo "==> Terraform"
terraform=$(scripts/install-terraform.sh)
echo "$terraform"

echo "==> Benchmarks"
target/release/tether-bench run --terraform "$terraform" --mirror "$mirror" --provider "$provider" "$@"

elapsed=$(( $(date +%s) - started ))
printf '==> bench/run.sh took %d min %02d s (build included)\n' $((elapsed / 60)) $((elapsed % 60))
