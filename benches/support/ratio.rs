//! Ratios of ours to a floor, read back from what criterion wrote in this
//! run.
//!
//! Criterion reports each benchmark on its own; the figure we care about is
//! how far ours is from a floor measured minutes apart on the same machine,
//! so after the groups have run this reads both medians from criterion's
//! `estimates.json` files and prints their ratio. The median rather than the
//! mean: on a machine shared with other builds, a few slow samples are the
//! neighbours' doing, not ours.

use std::path::PathBuf;
use std::time::SystemTime;

/// One comparison: two benchmark ids, `group/function[/value]` as criterion
/// names them, and the ratio we promise not to exceed, if any.
pub struct Pair<'a> {
    pub ours: &'a str,
    pub floor: &'a str,
    pub budget: Option<f64>,
}

/// The start of a bench run: estimates older than this are from an earlier
/// run (or a filtered-out benchmark) and are never reported.
pub struct Run {
    started: SystemTime,
    home: PathBuf,
}

impl Run {
    /// Call first in `main`, before criterion is configured: it pins
    /// criterion's output directory so that both read the same files.
    pub fn start() -> Run {
        let home = match std::env::var_os("CRITERION_HOME") {
            Some(home) => PathBuf::from(home),
            None => {
                // Criterion's own default is the target directory's
                // `criterion/`; it finds that with `cargo metadata`, which is
                // slow and may disagree with a CARGO_TARGET_DIR set later.
                let home = match std::env::var_os("CARGO_TARGET_DIR") {
                    Some(target) => PathBuf::from(target).join("criterion"),
                    None => PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../criterion"),
                };
                // Single-threaded here: nothing else reads the environment yet.
                std::env::set_var("CRITERION_HOME", &home);
                home
            }
        };
        Run {
            started: SystemTime::now(),
            home,
        }
    }

    /// Prints one line per pair measured in this run.
    pub fn report(&self, title: &str, pairs: &[Pair<'_>]) {
        let mut lines = Vec::new();
        for pair in pairs {
            let (Some(ours), Some(floor)) = (self.median(pair.ours), self.median(pair.floor))
            else {
                continue;
            };
            let ratio = ours / floor;
            let verdict = match pair.budget {
                Some(budget) if ratio <= budget => format!("within {budget:.2}x"),
                Some(budget) => format!("OVER the {budget:.2}x budget"),
                None => String::new(),
            };
            lines.push(format!(
                "  {:<34} {:>12} vs {:<28} {:>12}  = {ratio:.3}x  {verdict}",
                pair.ours,
                human(ours),
                pair.floor,
                human(floor),
            ));
        }
        if lines.is_empty() {
            return;
        }
        println!("\n{title} (medians; ratio = ours / floor)");
        for line in lines {
            println!("{line}");
        }
    }

    /// The median time per iteration, in nanoseconds, if criterion measured
    /// `id` during this run.
    fn median(&self, id: &str) -> Option<f64> {
        let path = self.home.join(id).join("new/estimates.json");
        let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
        if modified < self.started {
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
        estimates["median"]["point_estimate"].as_f64()
    }
}

fn human(nanos: f64) -> String {
    if nanos >= 1e6 {
        format!("{:.3} ms", nanos / 1e6)
    } else if nanos >= 1e3 {
        format!("{:.3} us", nanos / 1e3)
    } else {
        format!("{nanos:.1} ns")
    }
}
