#!/usr/bin/env bash
# Fuzzing: runs every cargo-fuzz target in fuzz/ for a while and fails on any crash (a panic,
# a failed property assertion, a timeout or running out of memory).
#
#   scripts/fuzz.sh [seconds-per-target] [target...]
#
# Default: 20 seconds per target, every target (the short run scripts/test.sh does). A longer
# run, e.g. `scripts/fuzz.sh 600`, is worth doing after touching a decoder or parser.
#
# Installs the pinned cargo-fuzz into .tools/ when it is missing. Works on the stable toolchain:
# the targets are built with `--sanitizer none` (the code has no `unsafe`, so AddressSanitizer,
# which needs nightly flags, has nothing to add; RUSTC_BOOTSTRAP=1 and `--sanitizer address`
# would enable it). Everything builds into fuzz/target, away from the main build; the corpus
# each run grows is kept in fuzz/target/corpus (the committed seeds in fuzz/corpus are only
# read), and crashing inputs are written to fuzz/artifacts/<target>/.
#
# Environment: FUZZ_BUILD=dev|release (default: dev for runs under 5 minutes per target, where
# compile time dominates; release otherwise), FUZZ_JOBS=N targets at a time (default: the number
# of CPUs, at most 2).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

CARGO_FUZZ_VERSION=0.13.2

seconds=${1:-20}
if [ $# -gt 0 ]; then
  shift
fi
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [seconds-per-target] [target...]" >&2
  exit 2
fi

tools="$repo/.tools"
cargo_fuzz="$tools/bin/cargo-fuzz"
installed=$("$cargo_fuzz" --version 2>/dev/null || true)
if [ "$installed" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  echo "Installing cargo-fuzz $CARGO_FUZZ_VERSION into .tools/"
  # A debug build without debug info installs in a third of the time of a release build; the
  # tool only drives cargo, so its own speed does not matter.
  CARGO_PROFILE_DEV_DEBUG=0 cargo install --quiet --locked --debug --root "$tools" \
    --version "$CARGO_FUZZ_VERSION" cargo-fuzz
fi

build=${FUZZ_BUILD:-}
if [ -z "$build" ]; then
  if [ "$seconds" -lt 300 ]; then build=dev; else build=release; fi
fi
case "$build" in
  dev) build_flags=(--dev) ;;
  release) build_flags=() ;;
  *) echo "FUZZ_BUILD must be dev or release, not $build" >&2; exit 2 ;;
esac
fuzz_flags=(--sanitizer none --target-dir "$repo/fuzz/target" "${build_flags[@]}")

if [ $# -gt 0 ]; then
  targets=("$@")
else
  list=$("$cargo_fuzz" fuzz list --fuzz-dir "$repo/fuzz")
  mapfile -t targets <<< "$list"
fi

echo "Building ${#targets[@]} fuzz targets ($build)"
start=$SECONDS
"$cargo_fuzz" fuzz build --fuzz-dir "$repo/fuzz" "${fuzz_flags[@]}"
echo "Built in $((SECONDS - start)) s"

jobs=${FUZZ_JOBS:-$(nproc)}
if ! [[ "$jobs" =~ ^[1-9][0-9]*$ ]]; then
  echo "FUZZ_JOBS must be a positive number, not $jobs" >&2
  exit 2
fi
if [ "$jobs" -gt 2 ] && [ -z "${FUZZ_JOBS:-}" ]; then jobs=2; fi
logs="$repo/fuzz/target/logs"
mkdir -p "$logs"

# Runs one target for $seconds into its own growing corpus, seeded from fuzz/corpus/<target>.
run_target() {
  local target=$1
  local corpus="$repo/fuzz/target/corpus/$target"
  mkdir -p "$corpus" "$repo/fuzz/corpus/$target"
  "$cargo_fuzz" fuzz run --fuzz-dir "$repo/fuzz" "${fuzz_flags[@]}" "$target" \
    "$corpus" "$repo/fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    > "$logs/$target.log" 2>&1
}

# One line per target: executions, speed, coverage, corpus size (from libFuzzer's last status).
summary() {
  local log=$1 done_line runs
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" || true)
  runs=$(grep -E '^stat::number_of_executed_units:' "$log" || true)
  if [ -n "$done_line" ]; then
    done_line=${done_line#*DONE}
    echo "${runs##*: } runs, ${done_line#"${done_line%%[![:space:]]*}"}"
  else
    echo "no final status (see $log)"
  fi
}

echo "Fuzzing each target for $seconds s, $jobs at a time"
failed=()
start=$SECONDS
for ((i = 0; i < ${#targets[@]}; i += jobs)); do
  batch=("${targets[@]:i:jobs}")
  pids=()
  for target in "${batch[@]}"; do
    run_target "$target" &
    pids+=($!)
  done
  for j in "${!batch[@]}"; do
    target=${batch[j]}
    if wait "${pids[j]}"; then
      printf '  %-26s ok   %s\n' "$target" "$(summary "$logs/$target.log")"
    else
      printf '  %-26s FAILED\n' "$target"
      failed+=("$target")
      echo "----- from $logs/$target.log"
      grep -E -A 12 'panicked at|ERROR: libFuzzer|Reproduce with' "$logs/$target.log" || tail -n 40 "$logs/$target.log"
      echo "-----"
    fi
  done
done
echo "Fuzzed in $((SECONDS - start)) s"

if [ ${#failed[@]} -gt 0 ]; then
  echo "Fuzzing found crashes in: ${failed[*]}" >&2
  echo "Reproduce with: .tools/bin/cargo-fuzz fuzz run ${fuzz_flags[*]} <target> fuzz/artifacts/<target>/<crash file>" >&2
  exit 1
fi
