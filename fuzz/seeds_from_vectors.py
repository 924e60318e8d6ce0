#!/usr/bin/env python3
"""Writes the seeds of the `sign`, `sign_verify` and `emulator_request` targets.

Run from anywhere: python3 fuzz/seeds_from_vectors.py

It rewrites fuzz/seeds/sign/ from tests/data/*.json, in the byte format that
fuzz/src/sign_check.rs decodes (see its module documentation), plus a few
hand-picked inputs at the edges of the signer's rules. tests/fuzz_seeds.rs
checks that every vector seed still signs to its vector's authorization, so
a change to the format on one side only fails there.

It also rewrites fuzz/seeds/sign_verify/ (a few of the same vectors behind an
edit, see fuzz/src/sign_verify_check.rs, and inputs at the verifier's edges)
and fuzz/seeds/emulator_request/ (requests written by hand, see
fuzz/src/emulator_request_check.rs).
"""

import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"
OUT = SEEDS / "sign"
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


# The edits of the sign_verify format's first four bytes.
REPLACE, INSERT, REMOVE, SWAP_CASE = range(4)


def edit(kind, position, byte, header):
    return bytes([kind, position, byte, header])


def sign_verify_seeds(vectors):
    """Vectors of the documentation, as sent to the emulator, and the verifier's edges.

    The decoder replaces the service, method and query, so any vector serves;
    those of the documentation are the ones whose every field was checked by
    hand.
    """
    seeds = {}
    for index, vector in enumerate(vectors):
        seeds[f"doc-{index}"] = edit(index % 4, 7 * index, ord("a"), index) + from_vector(vector)

    base = dict(secret_id="AKIDEXAMPLE", secret_key="secret", service="scf",
                host="scf.tencentcloudapi.com", method="POST", query="",
                content_type="application/json", headers=[], body=b'{"FunctionName":"f"}',
                timestamp=1_700_000_000)

    def seed(change, **changes):
        return change + encode(**{**base, **changes})

    action = [("X-TC-Action", "Invoke"), ("X-TC-Region", "ap-guangzhou")]
    return {
        **seeds,
        "body-byte-replaced": seed(edit(REPLACE, 3, ord("X"), 0)),
        "body-byte-inserted-into-empty": seed(edit(INSERT, 0, ord("{"), 0), body=b""),
        "body-unsigned-edited": seed(edit(REMOVE, 1, 0, 0), body=None),
        "content-type-case-swapped": seed(edit(SWAP_CASE, 0, 0, 0)),
        "content-type-space-inserted": seed(edit(INSERT, 0, ord(" "), 0)),
        "content-type-spaced-out": seed(edit(REPLACE, 0, ord("\t"), 0),
                                        content_type="\t application/json "),
        "host-case-swapped": seed(edit(SWAP_CASE, 2, 0, 1), host="127.0.0.1:9000"),
        "host-space-inserted": seed(edit(INSERT, 0, ord(" "), 1)),
        "host-emptied": seed(edit(REMOVE, 0, 0, 1), host="h"),
        "extra-value-emptied": seed(edit(REMOVE, 0, 0, 2), headers=[("X-TC-Region", "a")]),
        "extra-value-control": seed(edit(INSERT, 1, 0x0A, 3), headers=action),
        "extra-value-spaces": seed(edit(INSERT, 0, ord("\t"), 2),
                                   headers=[(" x-tc-action ", "\t Invoke ")]),
        "extra-header-is-client-own": seed(edit(REPLACE, 0, 0, 0),
                                           headers=[("X-TC-Timestamp", "1")]),
        "timestamp-epoch": seed(edit(REPLACE, 0, 0, 0), timestamp=0),
        "timestamp-last-second": seed(edit(REPLACE, 0, 0, 0), timestamp=MAX_TIMESTAMP),
        "timestamp-day-end": seed(edit(REPLACE, 0, 0, 0), timestamp=1_700_006_399),
        "timestamp-day-start": seed(edit(REPLACE, 0, 0, 0), timestamp=1_699_920_000),
        "secret-id-punctuation": seed(edit(REPLACE, 0, 0, 0), secret_id="AK=ID;x:y"),
        "non-ascii-key-and-body": seed(edit(REPLACE, 0, 0x7F, 0), secret_key="s\u00e9cret",
                                       body="\u672a".encode("utf-8")),
        # The verifier once refused header names with punctuation the signer signs.
        "found-header-name-token-punctuation": seed(
            edit(REPLACE, 0, 0, 2), headers=[("X-TC+Region", "ap-guangzhou"),
                                             ("x-a!#$%&'*.^_`|~", "1")]),
    }


def emulator_request(flags, body, skew=0, method="POST", path="/", authorization="",
                     headers=()):
    """One emulator_request input; see fuzz/src/emulator_request_check.rs."""
    fields = [method, path, authorization]
    for name, value in headers:
        fields += [name, value]
    encoded = [f.encode("utf-8") for f in fields] + [body]
    head = bytes([flags, len(headers), skew & 0xFF])
    return head + SEPARATOR.join(encoded)


# The emulator_request format's flags.
SIGN, UNSIGNED, INVOKE_FUNCTION, OWN_METHOD_AND_PATH, WITHOUT_COMMON = 1, 2, 4, 8, 16


def emulator_request_seeds():
    """A request of each kind the handler tells apart, most of them signed."""
    return {
        "echo": emulator_request(SIGN, b'{"FunctionName":"echo","ClientContext":"{\\"a\\":1}"}'),
        "echo-tail-log": emulator_request(
            SIGN, b'{"FunctionName":"echo","LogType":"Tail","Qualifier":"$LATEST"}'),
        "echo-event": emulator_request(
            SIGN, b'{"FunctionName":"echo","InvocationType":"Event","ClientContext":"[]"}'),
        "echo-unsigned-payload": emulator_request(SIGN | UNSIGNED, b'{"FunctionName":"echo"}'),
        "invoke-function": emulator_request(
            SIGN | INVOKE_FUNCTION, b'{"FunctionName":"echo","Event":"\\"x\\"","Namespace":""}'),
        "fails": emulator_request(
            SIGN, b'{"FunctionName":"fails","RoutingKey":"{\\"k\\":\\"v\\"}"}'),
        "unknown-function": emulator_request(SIGN, b'{"FunctionName":"nobody"}'),
        "unknown-parameter": emulator_request(SIGN, b'{"FunctionName":"echo","Event":"{}"}'),
        "event-not-json": emulator_request(SIGN, b'{"FunctionName":"echo","ClientContext":"{"}'),
        "event-too-large": emulator_request(
            SIGN, b'{"FunctionName":"echo","InvocationType":"Event","ClientContext":"'
            + b"[" + b"1," * 300 + b'1]"}'),
        "body-too-large": emulator_request(SIGN, b'{"FunctionName":"echo","ClientContext":"'
                                           + b" " * 3100 + b'{}"}'),
        "body-not-object": emulator_request(SIGN, b"[1]"),
        "body-empty": emulator_request(SIGN, b""),
        "signed-extra-headers": emulator_request(
            SIGN, b'{"FunctionName":"echo"}',
            headers=[("X-TC-Language", "en-US"), ("X-TC-Token", " t ")]),
        "expired": emulator_request(SIGN, b'{"FunctionName":"echo"}', skew=101),
        "repeated-action": emulator_request(SIGN, b'{"FunctionName":"echo"}',
                                            headers=[("x-tc-action", "Invoke")]),
        "unsigned-authorization": emulator_request(
            0, b'{"FunctionName":"echo"}',
            authorization="TC3-HMAC-SHA256 Credential=AKIDFUZZ/2023-11-14/scf/tc3_request, "
                          "SignedHeaders=content-type;host, Signature=" + "0" * 64),
        "no-authorization": emulator_request(0, b'{"FunctionName":"echo"}'),
        "no-common-headers": emulator_request(SIGN | WITHOUT_COMMON, b'{"FunctionName":"echo"}'),
        "get-with-query": emulator_request(SIGN | OWN_METHOD_AND_PATH, b"",
                                           method="GET", path="/?Action=Invoke"),
        "other-path": emulator_request(SIGN | OWN_METHOD_AND_PATH, b"{}", path="/v3?x=1"),
    }


def write(target, seeds):
    out = SEEDS / target
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    for name, data in seeds.items():
        (out / name).write_bytes(data)
    print(f"wrote {len(seeds)} seeds to {out.relative_to(ROOT)}")


def main():
    seeds = {}
    documentation = []
    for path in sorted((ROOT / "tests" / "data").glob("*.json")):
        vectors = json.loads(path.read_text(encoding="utf-8"))
        indices = range(len(vectors)) if "doc" in path.stem else chosen(vectors)
        for index in indices:
            seeds[f"{path.stem}-{index}"] = from_vector(vectors[index])
        if "doc" in path.stem:
            documentation = vectors
    seeds.update(edges())
    write("sign", seeds)
    write("sign_verify", sign_verify_seeds(documentation))
    write("emulator_request", emulator_request_seeds())


if __name__ == "__main__":
    main()
