//! Times `allocate` on a round of 10^7 works and 10^6 creators (both constraints binding):
//! `cargo run --release --example profile_allocate [N | DIR]`, with
//! a synthetic round of N works (default 10^7) or a round saved in DIR (see [`load`]).
//! With `--features profile` every phase of the kernel prints its time too.

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
    let (work_creator, demand, is_new, ordinary, budget) = match arg.as_deref() {
        Some(dir) if std::path::Path::new(dir).is_dir() => load(dir),
        _ => synthetic(arg.and_then(|s| s.parse().ok()).unwrap_or(10_000_000)),
    };
    let policy = Policy {
        gini_cap: Some(0.3),
        ordinary_floor: Some(0.7),
        method: Method::Blend,
    };
    for _ in 0..11 {
        let t = Instant::now();
        let a =
            allocate_checked(&work_creator, &demand, &is_new, &ordinary, budget, &policy).unwrap();
        println!(
            "total {:?} gini {:.4} -> {:.4} feasible {}",
            t.elapsed(),
            a.gini_before,
            a.gini_after,
            a.feasible
        );
    }
}

type Round = (Vec<i64>, Vec<i64>, Vec<bool>, Vec<bool>, i64);

/// A round saved as raw little-endian files (`work_creator`, `demand`: i64; `is_new`,
/// `ordinary`: one byte each; `budget`: text), e.g. the benchmark's round.
fn load(dir: &str) -> Round {
    let read = |name: &str| std::fs::read(format!("{dir}/{name}")).expect("readable file");
    let i64s = |name: &str| -> Vec<i64> {
        read(name)
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect()
    };
    let bools = |name: &str| -> Vec<bool> { read(name).iter().map(|&b| b != 0).collect() };
    let budget = String::from_utf8(read("budget")).expect("text");
    (
        i64s("work_creator"),
        i64s("demand"),
        bools("is_new"),
        bools("ordinary"),
        budget.trim().parse().expect("an integer budget"),
    )
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
