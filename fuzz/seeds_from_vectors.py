#!/usr/bin/env python3
"""Writes the `sign` target's seeds from the known-answer vectors.

Run from anywhere: python3 fuzz/seeds_from_vectors.py

It rewrites fuzz/seeds/sign/ from tests/data/*.json, in the byte format that
fuzz/src/sign_check.rs decodes (see its module documentation), plus a few
hand-picked inputs at the edges of the signer's rules. tests/fuzz_seeds.rs
checks that every vector seed still signs to its vector's authorization, so
a change to the format on one side only fails there.
"""

import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "seeds" / "sign"
SEPARATOR = b"\xff"
MAX_TIMESTAMP = 253_402_300_799

# Vectors with bodies longer than this are left out: the corpus stays small and
# libFuzzer's default input length (4 KiB) stays enough to mutate every seed.
MAX_BODY = 1024
# How many SDK vectors to keep from each (method, unsigned, host) group.
PER_GROUP = 3


def encode(secret_id, secret_key, service, host, method, query, content_type,
           headers, body, timestamp):
    """One input: flags, header count, timestamp, then the fields."""
    flags = 1 if body is None else 0
    fields = [secret_id, secret_key, service, host, method, query, content_type]
    for name, value in headers:
        fields += [name, value]
    encoded = [f.encode("utf-8") for f in fields]
    encoded.append(b"" if body is None else body)
    head = bytes([flags, len(headers)]) + struct.pack("<q", timestamp)
    return head + SEPARATOR.join(encoded)


def from_vector(vector):
    headers = []
    # The documentation's current example also signs the action, sent as a
    # client would write it; the signer lowercases it.
    if "x-tc-action" in (vector.get("signed_headers") or ""):
        headers.append(("X-TC-Action", vector["action"]))
    body = None if vector["unsigned_payload"] else vector["payload"].encode("utf-8")
    return encode(vector["secret_id"], vector["secret_key"], vector["service"],
                  vector["host"], vector["method"], vector["query"],
                  vector["content_type"], headers, body, vector["timestamp"])


def chosen(vectors):
    """The boundary timestamps come first in the file; then a few of each kind."""
    picked, per_group = [], {}
    for index, vector in enumerate(vectors):
        if len(vector["payload"].encode("utf-8")) > MAX_BODY:
            continue
        group = (vector["method"], vector["unsigned_payload"], vector["host"])
        if index < 10 or per_group.get(group, 0) < PER_GROUP:
            per_group[group] = per_group.get(group, 0) + 1
            picked.append(index)
    return picked


def edges():
    """Inputs next to the rules, so the fuzzer starts on both sides of each."""
    base = dict(secret_id="AKIDEXAMPLE", secret_key="secret", service="scf",
                host="scf.tencentcloudapi.com", method="POST", query="",
                content_type="application/json", headers=[], body=b"{}",
                timestamp=1_700_000_000)

    def seed(**changes):
        return encode(**{**base, **changes})

    return {
        "edge-last-second": seed(timestamp=MAX_TIMESTAMP),
        "edge-after-last-second": seed(timestamp=MAX_TIMESTAMP + 1),
        "edge-before-epoch": seed(timestamp=-1),
        "edge-i64-min": seed(timestamp=-(2**63)),
        "edge-headers-mixed-case-and-spaces": seed(headers=[
            (" X-TC-Region ", "\tAP-Guangzhou "), ("X-TC-Action", "Invoke"),
            ("x-tc-version", "2018-04-16")]),
        "edge-header-repeats-host": seed(headers=[("Host", "other")]),
        "edge-header-value-line-break": seed(headers=[("x-tc-token", "a\nhost:x")]),
        "edge-header-name-not-token": seed(headers=[("x tc", "1")]),
        "edge-get-with-query": seed(method="GET", body=b"",
                                    content_type="application/x-www-form-urlencoded",
                                    query="Action=Invoke&FunctionName=f%20g"),
        "edge-unsigned": seed(body=None),
        "edge-secret-id-slash": seed(secret_id="AKID/x"),
        "edge-non-ascii-key": seed(secret_key="s\u00e9cret\u672a"),
        # Once accepted by the signer, found by this target; now refused.
        "found-query-control": seed(method="GET", query="a=\u0001b"),
        "found-query-non-ascii": seed(method="GET", query="a=\u00e9"),
        "found-header-value-non-ascii": seed(headers=[("X-TC-Region", "AP-\u00c9")]),
        "found-content-type-non-ascii": seed(content_type="application/\u00c9"),
        "found-header-name-line-break": seed(headers=[("\nX-TC-Region", "a")]),
    }


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    count = 0
    for path in sorted((ROOT / "tests" / "data").glob("*.json")):
        vectors = json.loads(path.read_text(encoding="utf-8"))
        indices = range(len(vectors)) if "doc" in path.stem else chosen(vectors)
        for index in indices:
            (OUT / f"{path.stem}-{index}").write_bytes(from_vector(vectors[index]))
            count += 1
    for name, data in edges().items():
        (OUT / name).write_bytes(data)
        count += 1
    print(f"wrote {count} seeds to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
