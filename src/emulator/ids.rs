//! `RequestId` and `FunctionRequestId` values: random-looking, unique within
//! one emulator, and shaped like the service's version-4 UUIDs.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// A generator of UUID-shaped ids.
///
/// Not cryptographic: the ids only have to be unique and look like the
/// service's, so a counter scrambled by SplitMix64 from a per-process random
/// seed is enough, and it needs no dependency.
pub(crate) struct Ids {
    seed: u64,
    counter: AtomicU64,
}

impl Ids {
    pub(crate) fn new() -> Ids {
        // RandomState is seeded from the operating system's randomness, so
        // two emulators (or two runs) do not hand out the same ids.
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(0x5cf_e4a1);
        Ids {
            seed: hasher.finish(),
            counter: AtomicU64::new(0),
        }
    }

    /// The next id, as `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
    pub(crate) fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let high = splitmix64(self.seed ^ n.wrapping_mul(2));
        let low = splitmix64(self.seed ^ n.wrapping_mul(2).wrapping_add(1));

        // Set the version (4) and variant (10xx) bits, as RFC 9562 does for
        // random UUIDs, so that strict parsers in client code accept them.
        let high = (high & !0xf000) | 0x4000;
        let low = (low & !(0xc000 << 48)) | (0x8000 << 48);
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xffff,
            high & 0xffff,
            low >> 48,
            low & 0xffff_ffff_ffff
        )
    }
}

/// One step of SplitMix64: a bijective scramble of a 64-bit counter.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_uuid_shaped_version_4_and_unique() {
        let ids = Ids::new();
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let id = ids.next();
            let parts: Vec<&str> = id.split('-').collect();
            let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
            assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
            assert!(
                id.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()),
                "{id}"
            );
            assert!(parts[2].starts_with('4'), "{id}");
            assert!(
                matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
                "{id}"
            );
            assert!(seen.insert(id));
        }
    }
}
