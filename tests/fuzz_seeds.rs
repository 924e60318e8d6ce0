//! The fuzz targets' seeds, replayed through the targets' own checks without libFuzzer,
//! so that `cargo test` runs them on every machine (the fuzzing itself needs
//! `fuzz/run.sh`). A failure names the seed file.

#[cfg(feature = "emulator")]
#[path = "../fuzz/src/emulator_request_check.rs"]
mod emulator_request_check;
#[path = "../fuzz/src/response_check.rs"]
mod response_check;
#[path = "../fuzz/src/sign_check.rs"]
mod sign_check;
#[cfg(feature = "emulator")]
#[path = "../fuzz/src/sign_verify_check.rs"]
mod sign_verify_check;

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

use scf_invoke::signer::sign;
use serde::Deserialize;

/// The files of `fuzz/seeds/<target>/`, sorted, with their contents.
fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut seeds: Vec<(PathBuf, Vec<u8>)> = entries
        .map(|entry| {
            let path = entry.expect("a readable directory entry").path();
            let data = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, data)
        })
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

/// Runs `check` on every seed and fails naming each seed it failed on.
fn replay(target: &str, check: fn(&[u8])) {
    let mut failed = Vec::new();
    for (path, data) in seeds(target) {
        if panic::catch_unwind(|| check(&data)).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "the {target} check failed on {failed:#?}"
    );
}

#[test]
fn sign_seeds_pass_the_differential_check() {
    replay("sign", sign_check::check);
}

#[test]
fn response_seeds_pass_the_shape_check() {
    replay("response", response_check::check);
}

#[cfg(feature = "emulator")]
#[test]
fn sign_verify_seeds_pass_the_round_trip_check() {
    replay("sign_verify", sign_verify_check::check);
}

#[cfg(feature = "emulator")]
#[test]
fn emulator_request_seeds_pass_the_handler_check() {
    replay("emulator_request", emulator_request_check::check);
}

#[derive(Deserialize)]
struct Vector {
    authorization: String,
}

/// Guards the seed generator: a seed named for a vector must decode to a request that
/// signs to that vector's authorization, or the generator and the decoder have drifted
/// apart and the seeds no longer start the fuzzer where they claim to.
#[test]
fn vector_seeds_decode_to_their_vectors() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut matched = 0;
    for (path, bytes) in seeds("sign") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some((stem, index)) = name.rsplit_once('-') else {
            continue;
        };
        let Ok(vectors) = fs::read_to_string(data.join(format!("{stem}.json"))) else {
            continue;
        };
        let vectors: Vec<Vector> = serde_json::from_str(&vectors).unwrap();
        let expected = &vectors[index.parse::<usize>().unwrap()].authorization;

        let input = sign_check::SignInput::decode(&bytes);
        let headers = input.header_pairs();
        let signed = sign(&input.params(&headers)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(signed.authorization(), expected, "{name}");
        matched += 1;
    }
    assert!(matched >= 10, "only {matched} seeds are named for vectors");
}

#[test]
fn any_bytes_decode_to_a_sign_input() {
    for data in [
        &b""[..],
        &[0xFF; 3],
        &[1, 200, 0xFF, 0xFF, 0xFF],
        b"\x00\x07abc\xFFdef",
    ] {
        let input = sign_check::SignInput::decode(data);
        assert!(input.headers.len() < 8);
        sign_check::check(data);
    }
    let input = sign_check::SignInput::decode(b"\x01\x01\x00\x00\x00\x00\x00\x00\x00\x80id");
    assert_eq!(input.timestamp, i64::MIN);
    assert_eq!(input.payload, None);
    assert_eq!(input.secret_id, "id");
    assert_eq!(input.headers, [(String::new(), String::new())]);
}
