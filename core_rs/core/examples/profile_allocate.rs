//! Times `allocate` on a round of 10^7 works and 10^6 creators (both constraints binding):
//! `cargo run --release --example profile_allocate [N | DIR]`, with
//! a synthetic round of N works (default 10^7) or a round saved in DIR (see [`load`]; the
//! core benchmark saves a recorded model round with `--save-round DIR`). `RUNS=k` sets the
//! number of calls (default 11); the last line gives the minimum and the median. With
//! `--features profile` every phase of the kernel prints its time too.

use std::time::Instant;

use ecosim_core::allocate::{allocate_checked, Method, Policy};
use ecosim_core::rng::Stream;

fn main() {
    // As the Python module does at import (see `py.rs`): keep freed memory for reuse.
    // SAFETY: mallopt only tunes glibc's allocator thresholds.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 31);
    }
    let arg = std::env::args().nth(1);
    let ((work_creator, demand, is_new, ordinary, budget), policy) = match arg.as_deref() {
        Some(dir) if std::path::Path::new(dir).is_dir() => load(dir),
        _ => {
            let n = arg.and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
            let policy = Policy {
                gini_cap: Some(0.3),
                ordinary_floor: Some(0.7),
                method: Method::Blend,
            };
            (synthetic(n), policy)
        }
    };
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(11);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let a =
            allocate_checked(&work_creator, &demand, &is_new, &ordinary, budget, &policy).unwrap();
        let elapsed = t.elapsed();
        times.push(elapsed);
        println!(
            "total {elapsed:?} gini {:.4} -> {:.4} feasible {}",
            a.gini_before, a.gini_after, a.feasible
        );
    }
    times.sort();
    if let (Some(min), Some(median)) = (times.first(), times.get(times.len() / 2)) {
        println!("min {min:?} median {median:?} over {runs} calls");
    }
}

type Round = (Vec<i64>, Vec<i64>, Vec<bool>, Vec<bool>, i64);

/// A round saved as raw little-endian files (`work_creator`, `demand`: i64; `is_new`,
/// `ordinary`: one byte each; `budget`: text) and its policy (`policy`: text, "gini_cap
/// ordinary_floor method" with `none` for a missing bound; cap 0.3, floor 0.7, blend when
/// absent), e.g. the benchmark's round.
fn load(dir: &str) -> (Round, Policy) {
    let read = |name: &str| std::fs::read(format!("{dir}/{name}")).expect("readable file");
    let i64s = |name: &str| -> Vec<i64> {
        read(name)
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect()
    };
    let bools = |name: &str| -> Vec<bool> { read(name).iter().map(|&b| b != 0).collect() };
    let budget = String::from_utf8(read("budget")).expect("text");
    let policy_text = std::fs::read_to_string(format!("{dir}/policy"))
        .unwrap_or_else(|_| "0.3 0.7 blend".to_string());
    let fields: Vec<&str> = policy_text.split_whitespace().collect();
    let bound = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    let policy = Policy {
        gini_cap: bound(0),
        ordinary_floor: bound(1),
        method: if fields.get(2) == Some(&"cap") {
            Method::Cap
        } else {
            Method::Blend
        },
    };
    let round = (
        i64s("work_creator"),
        i64s("demand"),
        bools("is_new"),
        bools("ordinary"),
        budget.trim().parse().expect("an integer budget"),
    );
    (round, policy)
}

/// A synthetic round of `n_works` works and `n_works / 10` creators.
fn synthetic(n_works: usize) -> Round {
    let n_creators = n_works / 10;
    let mut work_creator = Vec::with_capacity(n_works);
    let mut demand = Vec::with_capacity(n_works);
    let mut is_new = Vec::with_capacity(n_works);
    let ordinary: Vec<bool> = (0..n_creators)
        .map(|c| Stream::new(1, 0, c as u64, 9).uniform() > 0.05)
        .collect();
    for w in 0..n_works {
        let mut s = Stream::new(1, 0, w as u64, 8);
        let c = s.below(n_creators as u64) as usize;
        let new = s.uniform() < 0.3;
        let mut d = if new {
            300
        } else {
            (7.0 + 1.5 * s.normal()).exp() as i64
        };
        if !new && !ordinary[c] {
            d *= 20;
        }
        work_creator.push(c as i64);
        demand.push(d);
        is_new.push(new);
    }
    let budget = (demand.iter().sum::<i64>() as f64 * 0.6) as i64;
    (work_creator, demand, is_new, ordinary, budget)
}
