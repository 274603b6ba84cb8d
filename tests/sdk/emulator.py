"""Starting tether-emulator and calling its admin API, shared by the SDK cross-checks."""

import contextlib
import json
import os
import pathlib
import select
import subprocess
import urllib.request

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def running_emulator(*extra_args):
    """Starts `$TETHER_EMULATOR_BIN` (default target/debug/tether-emulator) on a free loopback
    port and yields its address, from the first line it prints."""
    binary = pathlib.Path(os.environ.get("TETHER_EMULATOR_BIN", REPO_ROOT / "target" / "debug" / "tether-emulator"))
    if not binary.is_file():
        pytest.fail(f"{binary} not found: run `cargo build -p tether-emulator` first (or set TETHER_EMULATOR_BIN)")
    proc = subprocess.Popen([str(binary), "--listen", "127.0.0.1:0", *extra_args], stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        if not ready:
            pytest.fail("the emulator printed no address within 30 s")
        address = proc.stdout.readline().strip()
        host, _, port = address.rpartition(":")
        assert host == "127.0.0.1" and port.isdigit() and port != "0", f"unexpected first line {address!r}"
        yield address
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def admin(address, method, path, body=None):
    """Calls the emulator's unsigned admin API and returns the parsed JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://{address}/_emulator/{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())
