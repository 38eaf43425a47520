//! Daily traffic allocation: a base layer for new works, a boost layer for climbing works,
//! and fairness control that reshapes the boost layer across creators so that the Gini of
//! per-creator impressions stays under a cap and ordinary creators keep a floor share.
//!
//! Semantics (DESIGN.md §4; `docs/allocation.md` spells out every step so the NumPy
//! reference in `tests/reference.py` can reproduce the result exactly):
//! 1. Base layer: new works get their demand; if the budget cannot cover it, the budget is
//!    shared over new works by cumulative rounding in proportion to demand and nothing is
//!    boosted.
//! 2. Plain boost: the rest goes to climbing works, in proportion to demand when short.
//! 3. If the plain allocation meets every constraint it is returned unchanged.
//! 4. Otherwise each active creator's boost moves along a path toward a group-constant
//!    target z (the mean boost, or the smallest ordinary target that meets the floor):
//!    `blend` takes B(s) = (1-s) b + s z with the smallest s meeting both constraints
//!    (the floor is linear in s, the Gini convex: Newton from the left); `cap` first blends
//!    just enough for the floor, then clips boosts at a level L and hands the clipped mass
//!    back evenly within the same group, with the largest L that meets the cap.
//! 5. Integer rounding keeps totals exact; the Gini of the integer result is verified and
//!    the target tightened until it holds (a few rounds at most).

use rayon::prelude::*;

use crate::blocks::{Blocks, Layout, Narrow, Record, Wide, Work};
use crate::gini::{chunked_sum, gini_i64, CHUNK};
use crate::profile;
use crate::rounding::{apportion_float_by_group, chunk_offsets, FixedRatio, Rounding};
use crate::sort::float_key;

/// How fairness reshapes the boost layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Move every creator's boost toward the (group) mean.
    Blend,
    /// Lower the top boosts to a common level and hand the mass back evenly.
    Cap,
}

/// The fairness policy of one round.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub gini_cap: Option<f64>,
    pub ordinary_floor: Option<f64>,
    pub method: Method,
}

impl Policy {
    /// Check the policy values; the message names the offending field.
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("gini_cap", self.gini_cap),
            ("ordinary_floor", self.ordinary_floor),
        ] {
            if let Some(v) = value {
                if !v.is_finite() || !(0.0..=1.0).contains(&v) {
                    return Err(format!("{name}: must be between 0 and 1, got {v}"));
                }
            }
        }
        Ok(())
    }
}

/// The result of one round.
#[derive(Clone, Debug, PartialEq)]
pub struct Allocation {
    pub impressions: Vec<i64>,
    pub gini_before: f64,
    pub gini_after: f64,
    pub ordinary_share_before: f64,
    pub ordinary_share_after: f64,
    pub feasible: bool,
}

/// Rounds of tightening the Gini target after integer rounding.
const MAX_ROUNDS: usize = 16;
/// Newton iterations per round.
const MAX_NEWTON: usize = 60;
/// Bisection steps for the cap level and for locating a Gini minimum.
const BISECTIONS: usize = 40;
/// Newton aims this far below the target so it lands inside, not on, the boundary.
const NEWTON_MARGIN: f64 = 1e-9;
/// The first round aims this far below the cap: integer rounding usually moves the Gini by
/// less, so one round is enough and the tightening rounds are the exception.
const ROUNDING_MARGIN: f64 = 1e-6;

/// Validate inputs; errors name the argument and the reason.
pub fn validate(
    work_creator: &[i64],
    demand: &[i64],
    is_new: &[bool],
    n_creators: usize,
    budget: i64,
    policy: &Policy,
) -> Result<(), String> {
    let n = work_creator.len();
    if demand.len() != n {
        return Err(format!(
            "demand: length {} does not match work_creator length {n}",
            demand.len()
        ));
    }
    if is_new.len() != n {
        return Err(format!(
            "is_new: length {} does not match work_creator length {n}",
            is_new.len()
        ));
    }
    if budget < 0 {
        return Err(format!("budget: must be >= 0, got {budget}"));
    }
    policy.validate()?;
    // One pass per array over fixed chunks; a chunk with a bad value is searched again.
    let bad_creator = |c: i64| c < 0 || c as u64 >= n_creators as u64;
    if let Some(i) = first_index(work_creator, bad_creator) {
        return Err(format!(
            "work_creator: value {} at index {i} is outside [0, {n_creators}) (creator_ordinary has {n_creators} entries)",
            work_creator[i]
        ));
    }
    if let Some(i) = first_index(demand, |d| d < 0) {
        return Err(format!("demand: negative value {} at index {i}", demand[i]));
    }
    let total: i128 = demand
        .par_chunks(CHUNK)
        .map(|c| c.iter().map(|&d| d as i128).sum::<i128>())
        .sum();
    if total > i64::MAX as i128 {
        return Err("demand: the total exceeds 2**63 - 1 impressions".to_string());
    }
    Ok(())
}

/// Index of the first value for which `bad` holds, scanning fixed chunks in parallel.
fn first_index(values: &[i64], bad: impl Fn(i64) -> bool + Sync) -> Option<usize> {
    let chunk = values
        .par_chunks(CHUNK)
        .enumerate()
        .filter(|(_, c)| c.iter().fold(false, |any, &v| any | bad(v)))
        .map(|(k, _)| k)
        .min()?;
    let start = chunk * CHUNK;
    values[start..]
        .iter()
        .position(|&v| bad(v))
        .map(|i| start + i)
}

/// Per-creator sums over the works of one round (one row per creator, so that a work
/// touches one cache line). The pairs are indexed by `is_new as usize`, so a work adds to
/// them without a branch.
#[derive(Clone, Copy, Default)]
struct CreatorRow {
    works: i64,
    /// Plain impressions of climbing works (the boost), then of new works (the base).
    plain: [i64; 2],
    /// Demand of climbing works, then of new works.
    demand: [i64; 2],
}

/// Per-creator sums of one round, and the works grouped by creator block for the split.
struct CreatorSums<R: Record> {
    rows: Vec<CreatorRow>,
    blocks: Blocks<R>,
}

/// The active creators (a work this round) and their sums, as columns in creator order.
struct Active {
    index: Vec<usize>,
    ordinary: Vec<bool>,
    base: Vec<i64>,
    boost: Vec<i64>,
}

/// Group works by creator block and sum them per creator. `plain_values` streams each
/// work's plain impressions (see [`Blocks::new`]): a new work's are its base part (its
/// demand, or its share in a shortage), a climbing work's its boost. Also returns the
/// active creators' columns.
fn creator_sums<R: Record, F, V>(
    (work_creator, demand, is_new, creator_ordinary): Inputs<'_>,
    chunks: &ChunkDemand,
    plain_values: F,
) -> (CreatorSums<R>, Active)
where
    F: Fn(usize) -> V + Sync,
    V: FnMut(usize) -> i64,
{
    let n_creators = creator_ordinary.len();
    let works = (work_creator, demand, is_new);
    let blocks: Blocks<R> = Blocks::new(works, chunks.layout, &chunks.blocks, plain_values);
    profile::mark("group");
    let mut rows = vec![CreatorRow::default(); n_creators];
    let width = blocks.width();
    // Each block's active creators are read off its rows while they are in cache.
    let by_block: Vec<Vec<(usize, i64, i64)>> = rows
        .par_chunks_mut(width)
        .enumerate()
        .map(|(b, rows)| {
            for piece in blocks.block(b) {
                for r in piece {
                    let (w, value) = (r.work(), r.value());
                    let row = &mut rows[w.local];
                    row.works += 1;
                    row.plain[w.is_new as usize] += value;
                    row.demand[w.is_new as usize] += w.demand;
                }
            }
            rows.iter()
                .enumerate()
                .filter(|(_, row)| row.works > 0)
                .map(|(j, row)| (b * width + j, row.plain[1], row.plain[0]))
                .collect()
        })
        .collect();
    let active: Vec<(usize, i64, i64)> = by_block.into_par_iter().flatten().collect();
    profile::mark("creator_sums");
    let active = Active {
        ordinary: active.par_iter().map(|a| creator_ordinary[a.0]).collect(),
        base: active.par_iter().map(|a| a.1).collect(),
        boost: active.par_iter().map(|a| a.2).collect(),
        index: active.par_iter().map(|a| a.0).collect(),
    };
    (CreatorSums { rows, blocks }, active)
}

/// Gini and ordinary share of per-creator totals over the active creators.
fn diagnostics(totals: &[i64], ordinary: &[bool]) -> (f64, f64) {
    // Integer sums over fixed chunks: the same for any number of threads.
    let (total, ord) = totals
        .par_chunks(CHUNK)
        .zip(ordinary.par_chunks(CHUNK))
        .map(|(t, o)| {
            t.iter()
                .zip(o)
                .fold((0i128, 0i128), |(all, ord), (&t, &o)| {
                    (all + t as i128, ord + if o { t as i128 } else { 0 })
                })
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let share = if total == 0 {
        0.0
    } else {
        ord as f64 / total as f64
    };
    let gini = gini_i64(totals).expect("creator totals are sums of non-negative parts");
    (gini, share)
}

/// Gini of the totals `total_at(k)` and its slope along `direction`, both over the order
/// of the totals (ties by index): Σ (2i − n − 1)·t_(i) / denom, summed in that order.
fn gini_and_slope(
    n: usize,
    total_at: impl Fn(usize) -> f64 + Sync,
    direction: &[f64],
    denom: f64,
) -> (f64, f64) {
    // (key, index) pairs are distinct, so any sort gives the order a stable sort gives.
    let mut pairs: Vec<(u64, u32)> = (0..n)
        .into_par_iter()
        .map(|k| (float_key(total_at(k)), k as u32))
        .collect();
    pairs.par_sort_unstable();
    let mut level = 0.0f64;
    let mut slope = 0.0f64;
    for (i, &(key, k)) in pairs.iter().enumerate() {
        let coef = (2 * i as i64 + 1 - n as i64) as f64;
        level += coef * f64::from_bits(key);
        slope += coef * direction[k as usize];
    }
    (level / denom, slope / denom)
}

/// Value bins of [`gini_upper_bound`] at most, as a power of two.
const BOUND_BITS: u32 = 18;
/// The upper bound decides only when it clears the target by this much: more than the
/// rounding error of either sum over a million totals.
const BOUND_MARGIN: f64 = 1e-9;

/// An upper bound on what [`gini_and_slope`] returns as the Gini, without sorting.
///
/// Totals are counted into bins of their float bits (bins follow value order; up to 2^18,
/// about two per total). With ranks i = 1..n, Σ (2i − n − 1)·t_(i) = 2·Σ i·t_(i) − (n +
/// 1)·Σ t, and Σ i·t_(i) is at most Σ over bins of (the bin's largest possible value) ×
/// (the sum of its ranks): the bound exceeds the Gini by about the bins' relative width,
/// a few 10^-4 for a million totals. Counts are integers and the sums run in a fixed
/// order, so the result does not depend on the number of threads.
fn gini_upper_bound(n: usize, total_at: impl Fn(usize) -> f64 + Sync, denom: f64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let keys: Vec<u64> = (0..n)
        .into_par_iter()
        .map(|k| float_key(total_at(k)))
        .collect();
    // Zeros rank first and add nothing; the bins span the positive totals only.
    let (lo, hi) = keys
        .par_chunks(CHUNK)
        .map(|c| {
            c.iter()
                .filter(|&&k| k != 0)
                .fold((u64::MAX, 0), |(lo, hi), &k| (lo.min(k), hi.max(k)))
        })
        .reduce(|| (u64::MAX, 0), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    let sum = chunked_sum(n, |k| f64::from_bits(keys[k]));
    if hi == 0 {
        return -(n as f64 + 1.0) * sum / denom; // every total is zero
    }
    // About two bins per total, up to 2^18: a small round should not clear a large table.
    let bits = BOUND_BITS.min(usize::BITS - n.leading_zeros() + 1);
    let shift = (u64::BITS - (hi - lo).leading_zeros()).saturating_sub(bits);
    let n_bins = ((hi - lo) >> shift) as usize + 1;
    // One count table per fixed range of totals, allocated on this thread; zeros in the
    // last slot.
    let step = n.div_ceil(rayon::current_num_threads().clamp(1, 8));
    let mut counts: Vec<Vec<u32>> = (0..n.div_ceil(step)).map(|_| vec![0; n_bins + 1]).collect();
    counts
        .par_iter_mut()
        .zip(keys.par_chunks(step))
        .for_each(|(table, keys)| {
            for &k in keys {
                let bin = if k == 0 {
                    n_bins
                } else {
                    ((k - lo) >> shift) as usize
                };
                table[bin] += 1;
            }
        });
    let mut before: u64 = counts.iter().map(|c| c[n_bins] as u64).sum();
    let mut weighted = 0.0f64;
    for b in 0..n_bins {
        let m: u64 = counts.iter().map(|c| c[b] as u64).sum();
        if m == 0 {
            continue;
        }
        let top_key = ((b as u64) << shift | ((1 << shift) - 1)).min(hi - lo);
        let ranks = m as f64 * before as f64 + (m * (m + 1) / 2) as f64;
        weighted += f64::from_bits(lo + top_key) * ranks;
        before += m;
    }
    (2.0 * weighted - (n as f64 + 1.0) * sum) / denom
}

/// The state of the fairness search over the active creators.
struct Search<'a> {
    base: &'a [f64],
    plain: &'a [f64],
    target: &'a [f64],
    direction: Vec<f64>,
    denom: f64,
}

impl Search<'_> {
    fn blended(&self, s: f64) -> Vec<f64> {
        self.plain
            .par_iter()
            .zip(self.target.par_iter())
            .map(|(b, z)| (1.0 - s) * b + s * z)
            .collect()
    }

    fn eval(&self, s: f64) -> (f64, f64) {
        let blended = |k: usize| (1.0 - s) * self.plain[k] + s * self.target[k];
        gini_and_slope(
            self.base.len(),
            |k| self.base[k] + blended(k),
            &self.direction,
            self.denom,
        )
    }

    /// Smallest s >= start with Gini <= tau (Newton from the left on a convex function);
    /// when none exists, the s of least Gini found. Returns (s, reached).
    fn newton(&self, start: f64, tau: f64) -> (f64, bool) {
        // Often the start already meets the target by a wide margin (the floor's blend
        // alone lowers the Gini enough): a bound without sorting proves it.
        let total_at =
            |k: usize| self.base[k] + ((1.0 - start) * self.plain[k] + start * self.target[k]);
        if gini_upper_bound(self.base.len(), total_at, self.denom) <= tau - BOUND_MARGIN {
            return (start, true);
        }
        let mut s = start;
        let mut previous = start;
        for _ in 0..MAX_NEWTON {
            let (g, slope) = self.eval(s);
            if g <= tau {
                return (s, true);
            }
            if slope >= 0.0 {
                return (self.least_gini(previous, s), false);
            }
            if s >= 1.0 {
                return (1.0, false);
            }
            let next = (s + (tau - NEWTON_MARGIN - g) / slope).min(1.0);
            if next <= s {
                return (s, false);
            }
            previous = s;
            s = next;
        }
        (s, false)
    }

    /// Bisection on the sign of the slope over [lo, hi] for the least Gini.
    fn least_gini(&self, mut lo: f64, mut hi: f64) -> f64 {
        for _ in 0..BISECTIONS {
            let mid = 0.5 * (lo + hi);
            if self.eval(mid).1 < 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        if self.eval(lo).0 <= self.eval(hi).0 {
            lo
        } else {
            hi
        }
    }
}

/// Boosts clipped at `level`, the clipped mass handed back evenly within each group
/// (`group` true/false; one group when every entry is true).
fn clipped(boost: &[f64], ordinary: &[bool], level: f64) -> Vec<f64> {
    let mut removed = [0.0f64; 2];
    let mut members = [0usize; 2];
    for (b, &o) in boost.iter().zip(ordinary) {
        removed[o as usize] += (b - level).max(0.0);
        members[o as usize] += 1;
    }
    let handback = [0, 1].map(|g| {
        if members[g] > 0 {
            removed[g] / members[g] as f64
        } else {
            0.0
        }
    });
    boost
        .iter()
        .zip(ordinary)
        .map(|(b, &o)| b.min(level) + handback[o as usize])
        .collect()
}

/// Largest clip level with Gini <= tau (bisection); level 0 when none meets it.
fn cap_level(base: &[f64], boost: &[f64], ordinary: &[bool], tau: f64, denom: f64) -> (f64, bool) {
    let zeros = vec![0.0; base.len()];
    let gini_at = |level: f64| {
        let boost = clipped(boost, ordinary, level);
        gini_and_slope(base.len(), |k| base[k] + boost[k], &zeros, denom).0
    };
    let top = boost.iter().copied().fold(0.0f64, f64::max);
    if gini_at(top) <= tau {
        return (top, true);
    }
    if gini_at(0.0) > tau {
        return (0.0, false);
    }
    let (mut ok, mut bad) = (0.0f64, top);
    for _ in 0..BISECTIONS {
        let mid = 0.5 * (ok + bad);
        if gini_at(mid) <= tau {
            ok = mid;
        } else {
            bad = mid;
        }
    }
    (ok, true)
}

/// Allocate one round's impressions. Inputs must pass [`validate`] (a violation panics).
pub fn allocate(
    work_creator: &[i64],
    demand: &[i64],
    is_new: &[bool],
    creator_ordinary: &[bool],
    budget: i64,
    policy: &Policy,
) -> Allocation {
    allocate_checked(
        work_creator,
        demand,
        is_new,
        creator_ordinary,
        budget,
        policy,
    )
    .expect("allocate: inputs must pass validate")
}

/// Validate and allocate, with the value checks folded into the first pass over the works
/// (a separate [`validate`] reads every array once more). The error is [`validate`]'s.
pub fn allocate_checked(
    work_creator: &[i64],
    demand: &[i64],
    is_new: &[bool],
    creator_ordinary: &[bool],
    budget: i64,
    policy: &Policy,
) -> Result<Allocation, String> {
    profile::start();
    let n_creators = creator_ordinary.len();
    let n = work_creator.len();
    let invalid = || {
        let err = validate(work_creator, demand, is_new, n_creators, budget, policy);
        Err(err.expect_err("a check failed, so validate reports it"))
    };
    if demand.len() != n || is_new.len() != n || budget < 0 || policy.validate().is_err() {
        return invalid();
    }
    // New and climbing demand per fixed chunk (totals, and the offsets of the cumulative
    // rounding), the largest demand (it decides how grouped works are stored), and whether
    // a creator index or a demand is out of range.
    // Works per creator block are counted here too, for the grouping.
    let layout = Layout::new(n_creators);
    let chunk_demand: Vec<ChunkPass> = demand
        .par_chunks(CHUNK)
        .zip(is_new.par_chunks(CHUNK))
        .zip(work_creator.par_chunks(CHUNK))
        .map(|((d, n), c)| first_pass(d, n, c, n_creators, layout))
        .collect();
    let total: i128 = chunk_demand.iter().map(|c| c.new + c.climbing).sum();
    if chunk_demand.iter().any(|c| c.bad) || total > i64::MAX as i128 {
        return invalid();
    }
    let max_demand = chunk_demand.iter().map(|c| c.max).max().unwrap_or(0);
    profile::mark("first_pass");
    let chunks = ChunkDemand {
        new: chunk_demand.iter().map(|c| c.new).collect(),
        climbing: chunk_demand.iter().map(|c| c.climbing).collect(),
        layout,
        blocks: chunk_demand.into_iter().map(|c| c.blocks).collect(),
    };
    let args = (work_creator, demand, is_new, creator_ordinary);
    Ok(if Narrow::holds(max_demand) {
        allocate_grouped::<Narrow>(args, budget, policy, &chunks)
    } else {
        allocate_grouped::<Wide>(args, budget, policy, &chunks)
    })
}

/// The first pass over one fixed chunk of works. Branch-free: which works are new is
/// unpredictable, and accumulators stay in registers.
fn first_pass(
    demand: &[i64],
    is_new: &[bool],
    work_creator: &[i64],
    n_creators: usize,
    layout: Layout,
) -> ChunkPass {
    let last_block = layout.n_blocks - 1;
    let mut blocks = vec![0u32; layout.n_blocks];
    let (mut all, mut new, mut max, mut bad) = (0i128, 0i128, 0i64, false);
    for ((&d, &n), &c) in demand.iter().zip(is_new).zip(work_creator) {
        all += d as i128;
        new += (d & -(n as i64)) as i128;
        max = max.max(d);
        let out_of_range = (d < 0) | (c as u64 >= n_creators as u64);
        bad |= out_of_range;
        // A bad index is counted somewhere harmless; the round is refused anyway.
        blocks[if out_of_range {
            last_block
        } else {
            layout.block(c)
        }] += 1;
    }
    ChunkPass {
        new,
        climbing: all - new,
        max,
        bad,
        blocks,
    }
}

/// What the first pass learns about one fixed chunk of works.
#[derive(Default)]
struct ChunkPass {
    new: i128,
    climbing: i128,
    max: i64,
    bad: bool,
    blocks: Vec<u32>,
}

/// New and climbing demand per fixed chunk of works, and works per creator block.
struct ChunkDemand {
    new: Vec<i128>,
    climbing: Vec<i128>,
    layout: Layout,
    blocks: Vec<Vec<u32>>,
}

/// The inputs of [`allocate`], as a tuple.
type Inputs<'a> = (&'a [i64], &'a [i64], &'a [bool], &'a [bool]);

/// [`allocate`] with grouped works stored as `R`.
fn allocate_grouped<R: Record>(
    (work_creator, demand, is_new, creator_ordinary): Inputs<'_>,
    budget: i64,
    policy: &Policy,
    chunks: &ChunkDemand,
) -> Allocation {
    let n_creators = creator_ordinary.len();
    let (new_by_chunk, climb_by_chunk) = (&chunks.new, &chunks.climbing);
    let new_total: i128 = new_by_chunk.iter().sum();
    let climb_total: i128 = climb_by_chunk.iter().sum();
    let budget_i = budget as i128;
    let shortage = budget_i <= new_total;

    // Plain allocation: base layer, then the boost layer in proportion to demand. In a
    // shortage the budget is shared over new works; otherwise every new work gets its
    // demand and the rest R is shared over climbing works (all of their demand when R
    // covers it: the rounding then hands out exactly that). Computed while grouping.
    let (by_chunk, amount, weight_total) = if shortage {
        (new_by_chunk, budget_i, new_total)
    } else {
        let rest = (budget_i - new_total).min(climb_total);
        (climb_by_chunk, rest, climb_total)
    };
    let (offsets, _) = chunk_offsets(by_chunk);
    let plain_values = |start: usize| {
        let before = offsets.get(start / CHUNK).copied().unwrap_or(weight_total);
        let mut rounding = Rounding::new(amount, weight_total, before);
        // Branch-free: a work outside the shared group rounds a zero weight (nothing).
        let otherwise = (!shortage) as i64;
        move |i: usize| {
            let (d, eligible) = (demand[i], is_new[i] == shortage);
            let part = rounding.part(d * eligible as i64);
            if eligible {
                part
            } else {
                d * otherwise
            }
        }
    };
    let pool: i64 = if shortage {
        0
    } else {
        (budget_i - new_total).min(climb_total) as i64
    };
    let inputs = (work_creator, demand, is_new, creator_ordinary);
    let (mut sums, active): (CreatorSums<R>, Active) = creator_sums(inputs, chunks, plain_values);
    profile::mark("active");
    let Active {
        index: active,
        ordinary,
        base: base_of,
        boost: boost_of,
    } = active;
    let plain_totals: Vec<i64> = base_of
        .par_iter()
        .zip(&boost_of)
        .map(|(a, b)| a + b)
        .collect();
    profile::mark("plain_totals");
    let (gini_before, share_before) = diagnostics(&plain_totals, &ordinary);
    profile::mark("gini_before");
    let total: i64 = plain_totals.par_iter().sum();
    let cap_ok = |g: f64| policy.gini_cap.is_none_or(|cap| g <= cap);
    let floor_ok = |share: f64| total == 0 || policy.ordinary_floor.is_none_or(|f| share >= f);

    let plain = |sums: &CreatorSums<R>| Allocation {
        impressions: sums.blocks.values_in_work_order(work_creator),
        gini_before,
        gini_after: gini_before,
        ordinary_share_before: share_before,
        ordinary_share_after: share_before,
        feasible: cap_ok(gini_before) && floor_ok(share_before),
    };
    if pool == 0 || (cap_ok(gini_before) && floor_ok(share_before)) {
        return plain(&sums);
    }

    // Fairness over the active creators.
    let n = active.len();
    let base_f: Vec<f64> = base_of.par_iter().map(|&b| b as f64).collect();
    let plain_f: Vec<f64> = boost_of.par_iter().map(|&b| b as f64).collect();
    let n_ord = ordinary.par_iter().filter(|&&o| o).count();
    let n_head = n - n_ord;
    let ordinary_sum = |column: &[i64]| -> i64 {
        column
            .par_iter()
            .zip(&ordinary)
            .filter(|(_, &o)| o)
            .map(|(&v, _)| v)
            .sum()
    };
    let boost_ord = ordinary_sum(&boost_of);
    let base_ord = ordinary_sum(&base_of);
    let pool_f = pool as f64;
    let total_f = total as f64;
    let mean = pool_f / n as f64;
    let need_ord = policy.ordinary_floor.map(|f| f * total_f - base_ord as f64);
    let target_ord = if n_ord == 0 {
        0.0
    } else if n_head == 0 {
        pool_f
    } else {
        (n_ord as f64 * mean)
            .max(need_ord.unwrap_or(f64::NEG_INFINITY))
            .clamp(0.0, pool_f)
    };
    let target_head = pool_f - target_ord;
    let z_ord = if n_ord > 0 {
        target_ord / n_ord as f64
    } else {
        0.0
    };
    let z_head = if n_head > 0 {
        target_head / n_head as f64
    } else {
        0.0
    };
    let target: Vec<f64> = ordinary
        .par_iter()
        .map(|&o| if o { z_ord } else { z_head })
        .collect();
    let floor_binding = !floor_ok(share_before);
    let s_floor = if !floor_binding {
        0.0
    } else {
        let gap = target_ord - boost_ord as f64;
        if gap > 0.0 {
            ((need_ord.unwrap_or(0.0) - boost_ord as f64) / gap).clamp(0.0, 1.0)
        } else {
            1.0
        }
    };
    let search = Search {
        base: &base_f,
        plain: &plain_f,
        target: &target,
        direction: target
            .par_iter()
            .zip(&plain_f)
            .map(|(z, b)| z - b)
            .collect(),
        denom: n as f64 * total_f,
    };
    profile::mark("fairness_setup");

    let mut tau = policy
        .gini_cap
        .map_or(f64::INFINITY, |cap| cap - ROUNDING_MARGIN);
    let mut s = s_floor;
    let mut step = 1.0f64;
    let mut result = None;
    for _round in 0..MAX_ROUNDS {
        let (boost, ord_pool_f) = match policy.method {
            Method::Blend => {
                if policy.gini_cap.is_some() {
                    s = search.newton(s, tau).0;
                }
                profile::mark("search");
                (
                    search.blended(s),
                    (1.0 - s) * boost_ord as f64 + s * target_ord,
                )
            }
            Method::Cap => {
                // With a floor, mass stays within its group so the floor keeps holding;
                // without one it may cross groups, which can equalise further.
                let grouping: Vec<bool> = if policy.ordinary_floor.is_some() {
                    ordinary.clone()
                } else {
                    vec![true; n]
                };
                let floored = search.blended(s_floor);
                let level = if policy.gini_cap.is_some() {
                    cap_level(&base_f, &floored, &grouping, tau, search.denom).0
                } else {
                    f64::INFINITY
                };
                let boost = clipped(&floored, &grouping, level);
                let ord_pool_f = if policy.ordinary_floor.is_some() {
                    (1.0 - s_floor) * boost_ord as f64 + s_floor * target_ord
                } else {
                    boost
                        .iter()
                        .zip(&ordinary)
                        .filter(|(_, &o)| o)
                        .map(|(b, _)| b)
                        .sum()
                };
                (boost, ord_pool_f)
            }
        };
        let ord_pool = if n_ord == 0 {
            0
        } else if n_head == 0 {
            pool
        } else {
            let mut p = ord_pool_f.ceil() as i64;
            if floor_binding {
                p = p.max(need_ord.unwrap_or(0.0).ceil() as i64 + 1);
            }
            p.clamp(0, pool)
        };
        profile::mark("blend");
        // Each group's pool over its members, in creator order.
        let active_boost = apportion_float_by_group([pool - ord_pool, ord_pool], &boost, &ordinary);
        profile::mark("apportion");
        // A creator's total does not depend on how its boost is split over its works, so
        // the rounds check creator totals and the works are split once, at the end.
        let totals: Vec<i64> = base_of
            .par_iter()
            .zip(&active_boost)
            .map(|(a, b)| a + b)
            .collect();
        let (gini_after, share_after) = diagnostics(&totals, &ordinary);
        profile::mark("gini_after");
        let done = cap_ok(gini_after);
        result = Some((gini_after, share_after, active_boost));
        if done {
            break;
        }
        // Rounding moved the Gini above the cap: aim below by twice the excess, doubling
        // each round, since a step smaller than one impression changes no integer.
        step *= 2.0;
        tau -= step * (gini_after - policy.gini_cap.unwrap_or(1.0)) + 1e-12;
    }
    let (gini_after, share_after, active_boost) = result.expect("at least one round runs");
    let mut creator_boost = vec![0i64; n_creators];
    for (&c, &b) in active.iter().zip(&active_boost) {
        creator_boost[c] = b;
    }
    split_over_works(&mut sums, &creator_boost);
    profile::mark("split");
    let impressions = sums.blocks.values_in_work_order(work_creator);
    profile::mark("write_back");
    Allocation {
        impressions,
        gini_before,
        gini_after,
        ordinary_share_before: share_before,
        ordinary_share_after: share_after,
        feasible: cap_ok(gini_after) && floor_ok(share_after),
    }
}

/// What splitting needs per creator: its boost, the total weight of its eligible works,
/// the weight already used, and which works are eligible.
#[derive(Clone, Copy)]
struct SplitRow {
    /// boost / (total weight of the eligible works), for taking floor(boost * running /
    /// total) without a division.
    ratio: FixedRatio,
    running: i64,
    /// floor(boost * running / total): the part handed out so far.
    handed: i64,
    /// Bit 0: climbing works weigh their demand; bit 1: new works do; bit 2: every work
    /// weighs one. Read without a branch (which works are new is unpredictable).
    select: u8,
}

const SPLIT_CLIMBING: u8 = 0b001;
const SPLIT_NEW: u8 = 0b010;
const SPLIT_EVEN: u8 = 0b100;

impl SplitRow {
    fn new(row: &CreatorRow, boost: i64) -> SplitRow {
        let (select, total) = if row.demand[0] > 0 {
            (SPLIT_CLIMBING, row.demand[0])
        } else if row.demand[1] > 0 {
            (SPLIT_NEW, row.demand[1])
        } else {
            (SPLIT_EVEN, row.works)
        };
        SplitRow {
            // A creator without works has no total and takes nothing.
            ratio: FixedRatio::new(boost as u64, total.max(1) as u64),
            running: 0,
            handed: 0,
            select,
        }
    }

    /// The weight of a work of this creator: its demand if its kind is split by demand,
    /// one if every work counts the same, else zero.
    #[inline]
    fn weight(&self, work: &Work) -> i64 {
        let by_demand = (self.select >> work.is_new as u8) & 1;
        (work.demand & -(by_demand as i64)) + ((self.select >> 2) & 1) as i64
    }

    /// The next work's share of the boost, given its weight.
    #[inline]
    fn take(&mut self, weight: i64) -> i64 {
        self.running += weight;
        // running <= total, so handed <= boost fits.
        let handed = self.ratio.floor_at(self.running as u64) as i64;
        let part = handed - self.handed;
        self.handed = handed;
        part
    }
}

/// Split each creator's boost over its works by cumulative rounding in work order (see
/// [`SplitRow`]): climbing works by demand, else new works by demand, else every work
/// evenly; a new work keeps its demand as base. Block by block in parallel; within a block
/// the works come in work order, so the result is that of one scan in work order.
fn split_over_works<R: Record>(sums: &mut CreatorSums<R>, creator_boost: &[i64]) {
    let width = sums.blocks.width();
    let rows = &sums.rows;
    sums.blocks.for_each_block_mut(|b, pieces| {
        let first = b * width;
        let last = (first + width).min(rows.len());
        let mut table: Vec<SplitRow> = rows[first..last]
            .iter()
            .zip(&creator_boost[first..last])
            .map(|(row, &boost)| SplitRow::new(row, boost))
            .collect();
        for piece in pieces {
            for r in piece.iter_mut() {
                let w = r.work();
                let t = &mut table[w.local];
                // A weight of zero takes nothing: the running weight, so the part, stays.
                let part = t.take(t.weight(&w));
                r.set_value((w.demand & -(w.is_new as i64)) + part);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gini_bound_is_above_the_gini_and_close() {
        let spread =
            |i: u64| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / (1u64 << 53) as f64;
        let cases: Vec<Vec<f64>> = vec![
            (0..200_000)
                .map(|i| 300.0 * (4.0 * spread(i)).exp())
                .collect(),
            (0..50_000).map(|i| (1000.0 * spread(i)).floor()).collect(),
            (0..50_000)
                .map(|i| if i % 10 == 0 { 1e7 * spread(i) } else { 0.0 })
                .collect(),
            vec![42.0; 1000],
            vec![0.0, 0.0, 5.0],
        ];
        for totals in cases {
            let n = totals.len();
            let denom = n as f64 * totals.iter().sum::<f64>();
            let zeros = vec![0.0; n];
            let (exact, _) = gini_and_slope(n, |k| totals[k], &zeros, denom);
            let bound = gini_upper_bound(n, |k| totals[k], denom);
            assert!(
                bound >= exact - 1e-12,
                "bound {bound} below the Gini {exact}"
            );
            assert!(
                bound - exact < 1e-3,
                "bound {bound} far above the Gini {exact}"
            );
        }
    }
}
