//! Population-wide viewing and buying kernels of the daily loop.
//!
//! Every random draw comes from a [`Stream`] keyed by (seed, day, entity), so a fan's or a
//! work's outcome does not depend on the thread count or on which other entities exist.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::chunks::CHUNK;
use crate::rng::Stream;

/// Stream ids: one per purpose, so draws for different purposes never coincide.
const STREAM_FAN_VIEWS: u64 = 1;
const STREAM_WORK_VIEWS: u64 = 2;
const STREAM_BUY: u64 = 3;

/// Views per fan above this are counted in the last histogram bin for the median.
const VIEW_HIST: usize = 1 << 14;

/// What the fans did today, summed over the population.
#[derive(Clone, Debug, PartialEq)]
pub struct FanDay {
    pub views: u64,
    pub reached: u64,
    pub active: u64,
    pub median_views: f64,
    pub mean_views: f64,
}

/// Draw each fan's views (Poisson around its activity) and whether any of them was a
/// commerce work (each view is commerce with probability `commerce_share`).
pub fn fan_day(seed: u64, day: u64, activity: &[f32], commerce_share: f64) -> FanDay {
    let n = activity.len();
    let share = commerce_share.clamp(0.0, 1.0);
    // P(at least one of v views is commerce) by views, computed once per call.
    let p_reached: Vec<f64> = (0..VIEW_HIST)
        .map(|v| 1.0 - (1.0 - share).powi(v as i32))
        .collect();
    let partial: Vec<(u64, u64, u64, Vec<u32>)> = activity
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(c, chunk)| {
            let mut hist = vec![0u32; VIEW_HIST];
            let (mut views, mut reached, mut active) = (0u64, 0u64, 0u64);
            for (j, &a) in chunk.iter().enumerate() {
                let mut s = Stream::new(seed, day, (c * CHUNK + j) as u64, STREAM_FAN_VIEWS);
                let v = s.poisson(a as f64);
                views += v;
                if v > 0 {
                    active += 1;
                    if s.uniform() < p_reached[(v as usize).min(VIEW_HIST - 1)] {
                        reached += 1;
                    }
                }
                hist[(v as usize).min(VIEW_HIST - 1)] += 1;
            }
            (views, reached, active, hist)
        })
        .collect();
    let mut hist = vec![0u64; VIEW_HIST];
    let (mut views, mut reached, mut active) = (0u64, 0u64, 0u64);
    for (v, r, a, h) in partial {
        views += v;
        reached += r;
        active += a;
        hist.iter_mut().zip(h).for_each(|(x, y)| *x += y as u64);
    }
    FanDay {
        views,
        reached,
        active,
        median_views: histogram_median(&hist, n as u64),
        mean_views: if n > 0 { views as f64 / n as f64 } else { 0.0 },
    }
}

/// Median of integer values from their histogram (mean of the two middle values).
fn histogram_median(hist: &[u64], n: u64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let value_at = |rank: u64| {
        let mut seen = 0u64;
        for (v, &k) in hist.iter().enumerate() {
            seen += k;
            if seen > rank {
                return v as f64;
            }
        }
        (hist.len() - 1) as f64
    };
    if n % 2 == 1 {
        value_at(n / 2)
    } else {
        0.5 * (value_at(n / 2 - 1) + value_at(n / 2))
    }
}

/// Per-work inputs of the viewing step.
pub struct ViewInputs<'a> {
    pub work_uid: &'a [i64],
    pub impressions: &'a [i64],
    /// Probability that one discovery impression becomes a view.
    pub p_view: &'a [f64],
    /// Expected views from the follow page.
    pub follow_views: &'a [f64],
    /// Probability that a view engages (watches through, likes): the climbing signal.
    pub engage_rate: &'a [f64],
    /// Probability that a discovery view turns into a follow.
    pub follow_rate: &'a [f64],
}

/// Per-work outcomes of the viewing step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewOutcome {
    pub views_discovery: Vec<i64>,
    pub views_follow: Vec<i64>,
    pub engaged: Vec<i64>,
    pub follows: Vec<i64>,
}

/// Draw views, engagement and follows for every work of the day.
pub fn view_works(seed: u64, day: u64, input: &ViewInputs<'_>) -> ViewOutcome {
    let rows: Vec<[i64; 4]> = (0..input.work_uid.len())
        .into_par_iter()
        .map(|w| {
            let mut s = Stream::new(seed, day, input.work_uid[w] as u64, STREAM_WORK_VIEWS);
            let discovery = s.binomial(input.impressions[w].max(0) as u64, input.p_view[w]);
            let follow = s.poisson(input.follow_views[w]);
            let engaged = s.binomial(discovery + follow, input.engage_rate[w]);
            let follows = s.binomial(discovery, input.follow_rate[w]);
            [
                discovery as i64,
                follow as i64,
                engaged as i64,
                follows as i64,
            ]
        })
        .collect();
    let column = |k: usize| rows.iter().map(|r| r[k]).collect::<Vec<i64>>();
    ViewOutcome {
        views_discovery: column(0),
        views_follow: column(1),
        engaged: column(2),
        follows: column(3),
    }
}

/// Who has bought from whom: repeat purchases come from a creator's past buyers.
#[derive(Clone, Debug, Default)]
pub struct BuyerMemory {
    per_creator: Vec<Vec<u32>>,
    pairs: HashSet<u64>,
}

impl BuyerMemory {
    pub fn new() -> Self {
        Self::default()
    }

    fn pair(creator: usize, fan: usize) -> u64 {
        ((creator as u64) << 32) | fan as u64
    }

    pub fn buyers_of(&self, creator: usize) -> &[u32] {
        self.per_creator.get(creator).map_or(&[], |v| v.as_slice())
    }

    pub fn has_bought(&self, creator: usize, fan: usize) -> bool {
        self.pairs.contains(&Self::pair(creator, fan))
    }

    fn remember(&mut self, creator: usize, fan: usize) {
        if self.pairs.insert(Self::pair(creator, fan)) {
            if self.per_creator.len() <= creator {
                self.per_creator.resize_with(creator + 1, Vec::new);
            }
            self.per_creator[creator].push(fan as u32);
        }
    }

    /// Number of distinct (creator, fan) buyer pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// Per-work and per-population inputs of the buying step.
pub struct BuyInputs<'a> {
    pub work_uid: &'a [i64],
    pub work_creator: &'a [i64],
    pub work_category: &'a [i64],
    pub views_discovery: &'a [i64],
    pub views_follow: &'a [i64],
    /// Purchase probability per discovery / follow-page view.
    pub p_discovery: &'a [f64],
    pub p_follow: &'a [f64],
    pub price: &'a [f64],
    /// The price a fan of this category considers fair.
    pub reference_price: &'a [f64],
    /// Share of a creator's follow-page buyers drawn from its past buyers.
    pub repeat_share: &'a [f64],
    /// Fans by interest category: `fan_pool[pool_offsets[k]..pool_offsets[k+1]]`.
    pub pool_offsets: &'a [i64],
    pub fan_pool: &'a [i64],
    pub fan_sensitivity: &'a [f32],
}

/// The orders of the day, one entry per order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Orders {
    pub fan: Vec<i64>,
    pub work: Vec<i64>,
    pub price: Vec<f64>,
    pub repeat: Vec<bool>,
    pub from_follow: Vec<bool>,
}

/// Turn views into orders. Works are taken in order (so buyer memory and budgets evolve
/// the same way every run); candidates are drawn by thinning, so the cost is per order,
/// not per view. A candidate buys when it can afford the price and accepts it.
pub fn buy(
    seed: u64,
    day: u64,
    input: &BuyInputs<'_>,
    capacity_left: &mut [i64],
    fan_budget: &mut [f64],
    memory: &mut BuyerMemory,
) -> Orders {
    let mut orders = Orders::default();
    for w in 0..input.work_uid.len() {
        let creator = input.work_creator[w] as usize;
        let category = input.work_category[w] as usize;
        let (lo, hi) = (
            input.pool_offsets[category] as usize,
            input.pool_offsets[category + 1] as usize,
        );
        let mut s = Stream::new(seed, day, input.work_uid[w] as u64, STREAM_BUY);
        for (from_follow, views, p) in [
            (false, input.views_discovery[w], input.p_discovery[w]),
            (true, input.views_follow[w], input.p_follow[w]),
        ] {
            let candidates = s.binomial(views.max(0) as u64, p.clamp(0.0, 1.0));
            for _ in 0..candidates {
                if capacity_left[creator] <= 0 {
                    break;
                }
                let past = memory.buyers_of(creator);
                let fan =
                    if from_follow && !past.is_empty() && s.uniform() < input.repeat_share[creator]
                    {
                        past[s.below(past.len() as u64) as usize] as usize
                    } else if hi > lo {
                        input.fan_pool[lo + s.below((hi - lo) as u64) as usize] as usize
                    } else {
                        continue;
                    };
                let price = input.price[w];
                let ratio = input.reference_price[w] / price.max(1e-9);
                let accept = ratio.powf(input.fan_sensitivity[fan] as f64).min(1.0);
                if fan_budget[fan] < price || s.uniform() >= accept {
                    continue;
                }
                fan_budget[fan] -= price;
                capacity_left[creator] -= 1;
                orders.fan.push(fan as i64);
                orders.work.push(w as i64);
                orders.price.push(price);
                orders.repeat.push(memory.has_bought(creator, fan));
                orders.from_follow.push(from_follow);
                memory.remember(creator, fan);
            }
        }
    }
    orders
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fan_day_matches_activity() {
        let activity = vec![50.0f32; 100_000];
        let day = fan_day(1, 0, &activity, 0.05);
        assert!((day.mean_views - 50.0).abs() < 0.2);
        assert!((day.median_views - 50.0).abs() <= 1.0);
        let expected = 1.0 - (0.95f64).powf(50.0);
        assert!((day.reached as f64 / 100_000.0 - expected).abs() < 0.01);
        assert_eq!(day, fan_day(1, 0, &activity, 0.05));
    }

    #[test]
    fn buying_respects_budget_capacity_and_remembers_buyers() {
        let input = BuyInputs {
            work_uid: &[10, 11],
            work_creator: &[0, 0],
            work_category: &[0, 0],
            views_discovery: &[5000, 5000],
            views_follow: &[0, 5000],
            p_discovery: &[0.05, 0.05],
            p_follow: &[0.1, 0.1],
            price: &[80.0, 80.0],
            reference_price: &[80.0, 80.0],
            repeat_share: &[0.5],
            pool_offsets: &[0, 100],
            fan_pool: &(0..100).collect::<Vec<i64>>(),
            fan_sensitivity: &[1.0; 100],
        };
        let mut capacity = vec![300i64];
        let mut budget = vec![200.0f64; 100];
        let mut memory = BuyerMemory::new();
        let orders = buy(3, 0, &input, &mut capacity, &mut budget, &mut memory);
        assert!(orders.fan.len() <= 300);
        assert!(budget.iter().all(|&b| b >= 0.0));
        // Each fan can afford at most two orders at 80 from a budget of 200, and with 1000
        // candidates for 100 fans nearly all of them get there.
        let mut per_fan = vec![0; 100];
        orders.fan.iter().for_each(|&f| per_fan[f as usize] += 1);
        assert!(per_fan.iter().all(|&k| k <= 2));
        assert!(orders.fan.len() >= 190, "{}", orders.fan.len());
        assert!(orders.repeat.iter().any(|&r| r));
        assert_eq!(memory.len(), 100);
    }
}
