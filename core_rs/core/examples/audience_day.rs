//! Times the fans' day at the baseline's size: `cargo run --release --example audience_day
//! [FANS]` (default 200k fans, 20k creators, 2·10^4 works, 6 categories, a warm-started
//! graph with a heavy tail). Prints the time of each call, per day, and the minimum and
//! median over `DAYS` days (default 10, after 3 warm-up days).

use std::time::Instant;

use ecosim_core::audience::{Audience, Offers, WorksToday};
use ecosim_core::rng::Stream;

const CATEGORIES: usize = 6;

/// CPU time of the process over all threads, in ms (the machine is shared: wall time
/// includes the waits for a core).
fn cpu_ms() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 * 1e-6
}
const WORKS: usize = 20_000;

fn main() {
    // As the Python module does at import: keep freed memory for reuse.
    // SAFETY: mallopt only tunes glibc's allocator thresholds.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 31);
    }
    let fans: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let days: u64 = std::env::var("DAYS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let creators = fans / 10;
    let mut s = Stream::new(1, 0, 0, 0);
    let interest: Vec<u16> = (0..fans)
        .map(|_| s.below(CATEGORIES as u64) as u16)
        .collect();
    // Views a day: lognormal, median about 42, mean about 66 (F10).
    let activity: Vec<f32> = (0..fans)
        .map(|_| (42.0 * (0.95 * s.normal()).exp()) as f32)
        .collect();
    let sensitivity: Vec<f32> = (0..fans)
        .map(|_| (0.5 + s.uniform() * 1.5) as f32)
        .collect();
    let mut audience =
        Audience::new(interest, activity, sensitivity, CATEGORIES, creators).expect("valid");
    // Followers: Pareto tail, a few creators with 1% of the fans.
    let targets: Vec<u32> = (0..creators)
        .map(|_| ((20.0 / (1.0 - s.uniform()).powf(1.0 / 1.1)) as usize).min(fans / 100) as u32)
        .collect();
    let category: Vec<i64> = (0..creators).map(|c| (c % CATEGORIES) as i64).collect();
    let t = Instant::now();
    let edges = audience
        .warm_start(1, &targets, &category, 0.7, 0.5)
        .expect("warm start");
    println!(
        "warm start: {edges} follows in {:.1} ms; {fans} fans, {creators} creators, {WORKS} works",
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut budget = vec![500.0f64; fans];
    let alive = vec![true; creators];
    let mut timings: Vec<[f64; 6]> = Vec::new();
    for day in 0..days + 3 {
        let mut w = Stream::new(2, day, 0, 0);
        let creator: Vec<i64> = (0..WORKS)
            .map(|_| w.below(creators as u64) as i64)
            .collect();
        let mut has_work = vec![false; creators];
        creator.iter().for_each(|&c| has_work[c as usize] = true);
        let appeal: Vec<f64> = (0..WORKS).map(|_| 0.2 + w.uniform()).collect();
        let work_category: Vec<i64> = (0..WORKS).map(|i| category[creator[i] as usize]).collect();
        let commerce: Vec<bool> = (0..WORKS).map(|_| w.uniform() < 0.3).collect();
        let engage_rate = vec![0.1; WORKS];
        let follow_rate = vec![0.002; WORKS];
        let uid: Vec<i64> = (0..WORKS).map(|i| (day as i64) << 32 | i as i64).collect();

        let c0 = cpu_ms();
        let t0 = Instant::now();
        let fpw: f64 = std::env::var("FPW")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.25);
        let plan = audience.plan(7, day, &has_work, fpw).expect("plan");
        let t1 = Instant::now();
        let c1 = cpu_ms();
        // Impressions: the screens twice over (two covers), uneven across works.
        let weights: Vec<f64> = (0..WORKS).map(|_| w.uniform().powi(3)).collect();
        let total: f64 = weights.iter().sum();
        let mut impressions: Vec<i64> = weights
            .iter()
            .map(|x| (x / total * 2.0 * plan.screens as f64) as i64 + 1)
            .collect();
        impressions[0] += 2 * plan.screens as i64;
        let works = WorksToday {
            creator: &creator,
            impressions: &impressions,
            appeal: &appeal,
            category: &work_category,
            commerce: &commerce,
            engage_rate: &engage_rate,
            follow_rate: &follow_rate,
            uid: &uid,
        };
        let c2 = cpu_ms();
        let t2 = Instant::now();
        let viewing = audience
            .view(7, day, &works, 2, false, 1.5, &alive)
            .expect("view");
        let t3 = Instant::now();
        let c3 = cpu_ms();
        let p_buy: Vec<f64> = commerce
            .iter()
            .map(|&c| if c { 0.0005 } else { 0.0 })
            .collect();
        let price = vec![80.0; WORKS];
        let offers = Offers {
            p_buy: &p_buy,
            price: &price,
            reference_price: &price,
            follow_factor: 3.0,
            cohort: 1.0,
            seeding: &[],
        };
        let mut capacity = vec![1000i64; creators];
        let orders = audience
            .buy(7, day, &offers, &mut capacity, &mut budget)
            .expect("buy");
        let t4 = Instant::now();
        let c4 = cpu_ms();
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
        let times = [
            ms(t0, t1),
            ms(t2, t3),
            ms(t3, t4),
            c1 - c0,
            c3 - c2,
            c4 - c3,
        ];
        println!(
            "day {day}: wall (cpu) plan {:.1} ({:.1}) ms, view {:.1} ({:.1}) ms, buy {:.1} ({:.1}) ms; \
             views {} (follow page {}), follows {}, unfollows {}, reached {}, orders {}, \
             relations {}, {:.0} MB",
            times[0],
            times[3],
            times[1],
            times[4],
            times[2],
            times[5],
            viewing.fan_views,
            plan.follow_views,
            viewing.total_follows,
            viewing.unfollows,
            viewing.reached,
            orders.fan.len(),
            audience.relation_count(),
            audience.memory_bytes() as f64 / 1e6
        );
        if day >= 3 {
            timings.push(times);
        }
    }
    let names = [
        "plan wall",
        "view wall",
        "buy wall",
        "plan cpu",
        "view cpu",
        "buy cpu",
    ];
    for (i, name) in names.iter().enumerate() {
        let mut t: Vec<f64> = timings.iter().map(|x| x[i]).collect();
        t.sort_by(f64::total_cmp);
        println!(
            "{name}: min {:.1} ms, median {:.1} ms",
            t[0],
            t[t.len() / 2]
        );
    }
}
