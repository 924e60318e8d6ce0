//! Ratios of ours to a floor, measured in alternating batches.
//!
//! Criterion times each benchmark on its own, one after the other; on a
//! machine shared with other builds the load can change between the two
//! halves of a comparison and make the ratio of two criterion medians
//! anything from 0.6 to 1.6 (seen here). So the ratio is measured apart:
//! short batches of ours and of the floor alternate, each round gives one
//! ratio of neighbouring batches, and the median over the rounds is
//! reported with its quartiles. A neighbour's burst then slows both sides
//! of the rounds it lands on, and the median discards the rounds it skews.

use std::time::{Duration, Instant};

/// How long one batch should last by default: long enough to swamp the
/// clock's resolution, short enough that load rarely changes within a
/// round.
const BATCH: Duration = Duration::from_micros(250);

/// How long one comparison may run, and at most how many rounds.
const BUDGET_TIME: Duration = Duration::from_secs(4);
const MAX_ROUNDS: usize = 20_000;

/// Whether this process was started by `cargo bench` (rather than by
/// `cargo test --benches`, which wants a quick smoke run) and `name` passes
/// the filter given on the command line, if any.
pub fn wanted(name: &str) -> bool {
    // Criterion's options that take a value as the next argument; any other
    // argument not starting with '-' is the filter.
    const VALUED: [&str; 13] = [
        "--warm-up-time",
        "--measurement-time",
        "--sample-size",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--save-baseline",
        "--baseline",
        "--load-baseline",
        "--profile-time",
        "--color",
        "--output-format",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    let benching = args.iter().any(|arg| arg == "--bench");
    let filter = args
        .iter()
        .enumerate()
        .find(|(i, arg)| {
            !arg.starts_with('-') && (*i == 0 || !VALUED.contains(&args[i - 1].as_str()))
        })
        .map(|(_, arg)| arg);
    benching && filter.is_none_or(|filter| name.contains(filter.as_str()))
}

/// The outcome of one comparison.
pub struct Comparison {
    /// Median time per call of ours and of the floor, in nanoseconds.
    pub ours: f64,
    pub floor: f64,
    /// Quartiles of the per-round ratio ours/floor: 25th, 50th, 75th.
    pub ratio: [f64; 3],
    pub rounds: usize,
}

/// Runs `ours` and `floor` in alternating batches and compares them.
#[allow(dead_code)] // Each bench includes this file; not all use both.
pub fn compare(ours: impl FnMut(), floor: impl FnMut()) -> Comparison {
    compare_in_batches(BATCH, ours, floor)
}

/// As [`compare`], with batches of about `batch`: for routines so slow
/// that the default batch would hold one or two calls, whose ratios then
/// scatter widely.
#[allow(dead_code)]
pub fn compare_in_batches(
    batch: Duration,
    mut ours: impl FnMut(),
    mut floor: impl FnMut(),
) -> Comparison {
    let ours_batch = batch_size(batch, &mut ours);
    let floor_batch = batch_size(batch, &mut floor);

    let started = Instant::now();
    let mut ours_times = Vec::new();
    let mut floor_times = Vec::new();
    let mut ratios = Vec::new();
    while started.elapsed() < BUDGET_TIME && ratios.len() < MAX_ROUNDS {
        // Alternate which goes first, so that neither always runs on caches
        // the other warmed.
        let (a, b) = if ratios.len() % 2 == 0 {
            let a = time(&mut ours, ours_batch);
            (a, time(&mut floor, floor_batch))
        } else {
            let b = time(&mut floor, floor_batch);
            (time(&mut ours, ours_batch), b)
        };
        ours_times.push(a);
        floor_times.push(b);
        ratios.push(a / b);
    }

    Comparison {
        ours: quantile(&mut ours_times, 0.5),
        floor: quantile(&mut floor_times, 0.5),
        ratio: [0.25, 0.5, 0.75].map(|q| quantile(&mut ratios, q)),
        rounds: ratios.len(),
    }
}

/// Prints a comparison on one line, with the budget's verdict.
pub fn print(name: &str, comparison: &Comparison, budget: Option<f64>) {
    let [low, median, high] = comparison.ratio;
    let verdict = match budget {
        Some(budget) if median <= budget => format!("within {budget:.2}x"),
        Some(budget) => format!("OVER the {budget:.2}x budget"),
        None => String::new(),
    };
    println!(
        "{name:<24} ours {:>11}  floor {:>11}  ratio {median:.3}x (quartiles {low:.3}-{high:.3}, \
         {} rounds)  {verdict}",
        human(comparison.ours),
        human(comparison.floor),
        comparison.rounds,
    );
}

/// How many calls make a batch of about `batch`.
fn batch_size(batch: Duration, routine: &mut impl FnMut()) -> usize {
    let mut calls = 1;
    loop {
        let started = Instant::now();
        for _ in 0..calls {
            routine();
        }
        if started.elapsed() >= batch || calls >= 1 << 24 {
            return calls;
        }
        calls *= 2;
    }
}

/// Nanoseconds per call over one batch.
fn time(routine: &mut impl FnMut(), calls: usize) -> f64 {
    let started = Instant::now();
    for _ in 0..calls {
        routine();
    }
    started.elapsed().as_nanos() as f64 / calls as f64
}

fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let index = ((values.len() - 1) as f64 * q).round() as usize;
    values[index]
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
