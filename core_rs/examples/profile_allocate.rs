//! Times `allocate` on a synthetic day of 10^7 works and 10^6 creators (both constraints
//! binding): `cargo run --release --no-default-features --example profile_allocate`.

use std::time::Instant;

use _core::allocate::{allocate_checked, Method, Policy};
use _core::rng::Stream;

fn main() {
    // As the Python module does at import (see `py.rs`): keep freed memory for reuse.
    // SAFETY: mallopt only tunes glibc's allocator thresholds.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 31);
    }
    let n_works: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
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
    let policy = Policy {
        gini_cap: Some(0.3),
        ordinary_floor: Some(0.7),
        method: Method::Blend,
    };
    for _ in 0..5 {
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
