//! Properties of the signer over generated inputs: what must hold for every request, not
//! just for the known-answer vectors. The case counts are kept modest so that `cargo test`
//! stays quick; `fuzz/run.sh` searches far longer.

use proptest::prelude::*;
use scf_invoke::signer::{sign, utc_date, Payload, SigningParams, MAX_TIMESTAMP};
use scf_invoke::ErrorKind;

/// Signs a typical request with the given extra headers and timestamp.
fn sign_with(
    headers: &[(String, String)],
    timestamp: i64,
) -> Result<scf_invoke::signer::Signed, scf_invoke::Error> {
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    sign(&SigningParams {
        secret_id: "AKIDEXAMPLE",
        secret_key: "secret",
        service: "scf",
        host: "scf.tencentcloudapi.com",
        method: "POST",
        query: "",
        content_type: "application/json",
        headers: &headers,
        payload: Payload::Bytes(br#"{"FunctionName":"hello"}"#),
        timestamp,
    })
}

/// Distinct header names (never `content-type` or `host`, thanks to the prefix) with
/// values of printable ASCII, spaces and tabs included.
fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let names = prop::collection::btree_set("x-[a-z0-9!#$%&'*+.^_`|~-]{1,12}", 0..6);
    names.prop_flat_map(|names| {
        let count = names.len();
        let values = prop::collection::vec("[ -~\t]{0,24}", count);
        (Just(names), values).prop_map(|(names, values)| names.into_iter().zip(values).collect())
    })
}

/// `text` with the case of each letter flipped where the matching bit of `flips` is set.
fn recase(text: &str, flips: u64) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if flips >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// The `YYYY-MM-DD` that a timestamp falls on, computed without the signer's calendar:
/// the year from a count of days before each 1st of January, then the month from a
/// table.
fn civil_date(timestamp: i64) -> String {
    let days = timestamp.div_euclid(86_400);
    // Leap years in 1..=year.
    let leaps = |year: i64| year / 4 - year / 100 + year / 400;
    let days_before = |year: i64| 365 * (year - 1970) + leaps(year - 1) - leaps(1969);

    // 365 days a year overestimates the year; walk back to the one that holds `days`.
    let mut year = 1970 + days / 365;
    while days_before(year) > days {
        year -= 1;
    }

    let day_of_year = days - days_before(year);
    let leap = leaps(year) - leaps(year - 1) == 1;
    let starts = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let start = |month: usize| starts[month] + i64::from(leap && month >= 2);
    let month = (0..12)
        .rev()
        .find(|&m| start(m) <= day_of_year)
        .expect("January starts at 0");
    format!(
        "{year:04}-{:02}-{:02}",
        month + 1,
        day_of_year - start(month) + 1
    )
}

/// Timestamps anywhere in range, with the first and last second of days weighted up.
fn timestamps() -> impl Strategy<Value = i64> {
    let last_day = MAX_TIMESTAMP / 86_400;
    prop_oneof![
        0..=MAX_TIMESTAMP,
        (0..=last_day).prop_map(|day| day * 86_400),
        (0..=last_day).prop_map(|day| day * 86_400 + 86_399),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_same_request_always_signs_the_same(headers in headers(), timestamp in timestamps()) {
        let first = sign_with(&headers, timestamp).unwrap();
        let second = sign_with(&headers, timestamp).unwrap();
        prop_assert_eq!(first, second);
    }

    #[test]
    fn header_order_case_and_surrounding_whitespace_do_not_change_the_signature(
        (headers, shuffled) in headers().prop_flat_map(|h| (Just(h.clone()), Just(h).prop_shuffle())),
        flips in any::<u64>(),
        padding in prop::collection::vec(("[ \t]{0,2}", "[ \t]{0,2}"), 6),
    ) {
        let original = sign_with(&headers, 1_700_000_000).unwrap();

        let variant: Vec<(String, String)> = shuffled
            .iter()
            .zip(&padding)
            .map(|((name, value), (before, after))| {
                (
                    format!("{before}{}{after}", recase(name, flips)),
                    format!("{after}{}{before}", recase(value, flips.rotate_left(17))),
                )
            })
            .collect();
        let changed = sign_with(&variant, 1_700_000_000).unwrap();

        prop_assert_eq!(original.canonical_request(), changed.canonical_request());
        prop_assert_eq!(original.signature(), changed.signature());
        prop_assert_eq!(original.authorization(), changed.authorization());
    }

    #[test]
    fn the_scope_date_is_the_utc_date_of_the_timestamp(timestamp in timestamps()) {
        let expected = civil_date(timestamp);
        let signed = sign_with(&[], timestamp).unwrap();
        let scope_date = signed.credential_scope().split('/').next().unwrap();
        prop_assert_eq!(scope_date, expected.as_str());
        prop_assert_eq!(utc_date(timestamp).unwrap(), expected);
    }

    #[test]
    fn out_of_range_timestamps_are_errors(
        timestamp in prop_oneof![i64::MIN..0, MAX_TIMESTAMP + 1..=i64::MAX],
    ) {
        let error = sign_with(&[], timestamp).unwrap_err();
        prop_assert_eq!(error.kind(), ErrorKind::InvalidInput);
        prop_assert_eq!(error.field(), Some("timestamp"));
        let date_error = utc_date(timestamp).unwrap_err();
        prop_assert_eq!(date_error.field(), Some("timestamp"));
    }
}

/// Guards `civil_date` itself, so the property above compares against a known-good date.
#[test]
fn the_independent_calendar_knows_its_edges() {
    assert_eq!(civil_date(0), "1970-01-01");
    assert_eq!(civil_date(68_169_600), "1972-02-29");
    assert_eq!(civil_date(951_782_400), "2000-02-29");
    assert_eq!(civil_date(951_868_800), "2000-03-01");
    assert_eq!(civil_date(4_107_542_400), "2100-03-01");
    assert_eq!(civil_date(1_551_113_065), "2019-02-25");
    assert_eq!(civil_date(MAX_TIMESTAMP), "9999-12-31");
}
