#!/usr/bin/env bash
# Regenerates docs/ from the provider's schemas and examples/ (the same code the test suite uses
# to check that docs/ is current).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TETHER_UPDATE_DOCS=1 cargo test --locked --quiet --test docs
echo "docs/ regenerated"
