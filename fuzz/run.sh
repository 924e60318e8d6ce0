#!/usr/bin/env bash
# Fuzzes every target of this workspace for a bounded time.
#
#     bash fuzz/run.sh [seconds-per-target]      (default 60)
#
# Each target starts from its committed seeds, fuzz/seeds/<target>/, copied
# into the ignored fuzz/corpus/<target>/ so that the seeds stay as committed
# and what one run finds carries over to the next on the same machine. It
# uses fuzz/dicts/<target>.dict when there is one. The script prints each
# target's count of executed inputs, and exits non-zero if any target
# crashed, leaked, ran out of memory or hung; the input that did it is in
# fuzz/artifacts/<target>/, and `cargo fuzz run <target> <that file>`
# replays it.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: bash fuzz/run.sh [seconds-per-target]" >&2
    exit 2
fi
cd "$(dirname "${BASH_SOURCE[0]}")"

# cargo-fuzz itself, when missing: about 40 s to build on two cores.
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

# cargo-fuzz passes nightly-only flags (-Zsanitizer=address). A nightly
# toolchain takes them as they are; a stable one does when RUSTC_BOOTSTRAP is
# set, and ships the sanitizer runtime they need.
if command -v rustup >/dev/null 2>&1 && rustup toolchain list | grep -q '^nightly'; then
    cargo_fuzz=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    cargo_fuzz=(cargo fuzz)
fi
echo "fuzz: using ${cargo_fuzz[*]}${RUSTC_BOOTSTRAP:+ with RUSTC_BOOTSTRAP=1}" >&2

# Every target gets the same bounds: no single input may take more than
# 10 s, nor the process more than 1 GiB, nor one allocation more than
# 256 MiB (a parser that sizes a buffer from the input fails here).
options=(
    -max_total_time="$seconds"
    -timeout=10
    -rss_limit_mb=1024
    -malloc_limit_mb=256
    -print_final_stats=1
)

nice "${cargo_fuzz[@]}" build
targets=$("${cargo_fuzz[@]}" list)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

failed=()
for target in $targets; do
    corpus="corpus/$target"
    mkdir -p "$corpus"
    if [ -d "seeds/$target" ]; then
        cp -R "seeds/$target/." "$corpus/"
    fi
    dict=()
    if [ -f "dicts/$target.dict" ]; then
        dict=(-dict="dicts/$target.dict")
    fi

    status=0
    nice "${cargo_fuzz[@]}" run "$target" "$corpus" -- "${options[@]}" "${dict[@]}" \
        >"$log" 2>&1 || status=$?

    # libFuzzer's final statistics, printed on exit, crash or not.
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$status" -ne 0 ]; then
        # The panic message or sanitizer report, then how libFuzzer ended.
        grep -E -A 4 "panicked at|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)" "$log" |
            head -n 40 || true
        tail -n 15 "$log"
        echo "fuzz: $target FAILED (exit $status) after ${executions:-?} executions"
        failed+=("$target")
    else
        echo "fuzz: $target: ${executions:-?} executions in $seconds s"
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]}; see fuzz/artifacts/" >&2
    exit 1
fi
