#!/usr/bin/env bash
# Footprint budgets for scf-invoke; fails when one is exceeded.
#
# 1. Dependencies: the default feature set may pull in nothing beyond
#    ureq's own tree (as bare ureq with rustls pulls it), serde, serde_json,
#    hmac, sha2, hex, time, log and their dependencies.
# 2. Size: footprint/ours (invoke one function with scf-invoke) against
#    footprint/baseline (the same POST with bare ureq), both built as a small
#    binary is built (opt-level "s", LTO, one codegen unit, panic=abort,
#    stripped): at most 1.25x with rustls, 1.4x without TLS.
#
# Needs only the Rust toolchain and the package registry. About two minutes
# on two cores from a cold cache, a few seconds when nothing changed.
#
# Usage: scripts/footprint.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
footprint="$root/footprint"
out="$footprint/target/footprint"
TLS_BUDGET=1.25
PLAIN_BUDGET=1.40
ALLOWED_ROOTS="serde serde_json hmac sha2 hex time log"
failed=0

# --- 1. Dependencies ------------------------------------------------------

# `cargo tree` with one line per crate: "<depth><name> v<version>...".
tree() {
    cargo tree --quiet -e normal --no-dedupe --prefix depth --format '{p}' "$@"
}

# Crate names in the subtrees whose roots (at depth 1) are in $2, read from
# the depth-prefixed tree in $1.
subtrees() {
    awk -v roots=" $2 " '
        { match($0, /^[0-9]+/); depth = substr($0, 1, RLENGTH) + 0;
          split(substr($0, RLENGTH + 1), word, " "); name = word[1] }
        depth == 1 { inside = index(roots, " " name " ") > 0 }
        depth >= 1 && inside { print name }
    ' <<<"$1" | sort -u
}

ours_tree="$(tree --manifest-path "$root/Cargo.toml")"
baseline_tree="$(tree --manifest-path "$footprint/Cargo.toml" -p footprint-baseline)"

# Allowed: whatever bare ureq with rustls pulls, plus the listed crates'
# own trees as scf-invoke resolves them. ureq's subtree in ours is held to
# the baseline's, so that turning on a ureq feature is caught too.
allowed="$(
    {
        subtrees "$baseline_tree" "ureq"
        subtrees "$ours_tree" "$ALLOWED_ROOTS"
        echo ureq
    } | sort -u
)"
ours_crates="$(sed -E 's/^[0-9]+//; s/ .*//' <<<"$ours_tree" | sed 1d | sort -u)"
unexpected="$(comm -23 <(echo "$ours_crates") <(echo "$allowed"))"

echo "dependencies: $(wc -l <<<"$ours_crates") crates in the default build of scf-invoke"
if [[ -n "$unexpected" ]]; then
    echo "  UNEXPECTED (not in ureq's tree nor under $ALLOWED_ROOTS):"
    sed 's/^/    /' <<<"$unexpected"
    failed=1
else
    echo "  all within ureq's tree and $ALLOWED_ROOTS"
fi

# --- 2. Size --------------------------------------------------------------

mkdir -p "$out"

# build PACKAGE NAME [cargo flags...]: a release build, kept as $out/NAME.
build() {
    local package="$1" name="$2"
    shift 2
    nice cargo build --quiet --release --manifest-path "$footprint/Cargo.toml" \
        -p "$package" "$@"
    cp "$footprint/target/release/$package" "$out/$name"
}

build footprint-ours ours-rustls
build footprint-baseline baseline-rustls
build footprint-ours ours-plain --no-default-features
build footprint-baseline baseline-plain --no-default-features

# compare LABEL OURS BASELINE BUDGET
compare() {
    local label="$1" ours baseline
    ours="$(stat -c %s "$out/$2")"
    baseline="$(stat -c %s "$out/$3")"
    awk -v label="$label" -v ours="$ours" -v base="$baseline" -v budget="$4" 'BEGIN {
        ratio = ours / base
        verdict = ratio <= budget ? "within" : "OVER"
        printf "%-9s ours %9d bytes  baseline %9d bytes  ratio %.3fx  %s %.2fx\n",
            label, ours, base, ratio, verdict, budget
        exit ratio <= budget ? 0 : 1
    }'
}

echo "size: release builds (opt-level s, LTO, codegen-units 1, panic abort, stripped)"
compare "rustls" ours-rustls baseline-rustls "$TLS_BUDGET" || failed=1
compare "no TLS" ours-plain baseline-plain "$PLAIN_BUDGET" || failed=1

if ((failed)); then
    echo "footprint: FAILED"
    exit 1
fi
echo "footprint: ok"
