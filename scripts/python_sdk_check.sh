#!/usr/bin/env bash
# Runs scripts/python_sdk_check.py, which drives the official Tencent Cloud
# Python SDK (tencentcloud-sdk-python) against the emulator started from
# examples/emulate_for_sdk.rs. Exits non-zero if any check fails.
#
# The virtual environment goes to $VENV (default /tmp/venv) and is reused
# when it already has the SDK.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${VENV:-/tmp/venv}
target=${CARGO_TARGET_DIR:-target}

# Step 1: the SDK, in a virtual environment.
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import tencentcloud.scf.v20180416" 2>/dev/null; then
    "$venv/bin/pip" install --quiet tencentcloud-sdk-python
fi

# Step 2: the emulator. Its stdin is a FIFO held open on descriptor 3:
# closing that descriptor is end-of-file for the emulator, which then stops
# cleanly. It also stops by itself after 120 seconds whatever happens here.
cargo build --quiet --features emulator --example emulate_for_sdk
work=$(mktemp -d)
mkfifo "$work/control"
"$target/debug/examples/emulate_for_sdk" 120 <"$work/control" >"$work/stdout" 2>"$work/stderr" &
emulator=$!
exec 3>"$work/control"

stop_emulator() {
    exec 3>&- || true
    # Give it up to 5 seconds to stop on its own, then end it.
    for _ in $(seq 50); do
        kill -0 "$emulator" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$emulator" 2>/dev/null; then
        kill "$emulator" 2>/dev/null || true
    fi
    wait "$emulator" 2>/dev/null || true
    cat "$work/stderr" >&2 || true
    rm -rf "$work"
}
trap stop_emulator EXIT

# Step 3: its URL, the first line it prints (waiting at most 10 seconds).
url=
for _ in $(seq 100); do
    url=$(head -n 1 "$work/stdout" 2>/dev/null || true)
    [ -n "$url" ] && break
    kill -0 "$emulator" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "python_sdk_check: the emulator did not print its URL" >&2
    exit 1
fi
echo "python_sdk_check: emulator at $url"

# Step 4: the checks.
"$venv/bin/python" scripts/python_sdk_check.py "$url"
