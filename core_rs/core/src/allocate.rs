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

use std::cell::RefCell;

use rayon::prelude::*;

use crate::blocks::{Blocks, Layout, Work, DEMAND_LIMIT};
use crate::chunks::{self, CHUNK};
use crate::gini::{gini_i64, gini_in_near_order, gini_sorted};
use crate::profile;
use crate::rounding::{apportion_float_by_group, chunk_offsets, FixedRatio, Rounding};
use crate::sort::{float_key, sorted_with_index};

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
/// less, so one round is often enough.
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
    if let Some(i) = first_index(demand, |d| d >= DEMAND_LIMIT) {
        return Err(format!(
            "demand: value {} at index {i} is 2**47 or more (one work asks for at most 2**47 - 1 impressions)",
            demand[i]
        ));
    }
    let total = chunks::sum_i128(n, |i| demand[i] as i128);
    if total > i64::MAX as i128 {
        return Err("demand: the total exceeds 2**63 - 1 impressions".to_string());
    }
    Ok(())
}

/// Index of the first value for which `bad` holds: fixed chunks are scanned (in
/// parallel), and the first chunk with a bad value is searched again.
fn first_index(values: &[i64], bad: impl Fn(i64) -> bool + Sync + Send) -> Option<usize> {
    let flagged = chunks::map_chunks(values, |_, c| c.iter().fold(false, |any, &v| any | bad(v)));
    let chunk = flagged.iter().position(|&f| f)?;
    let start = chunk * CHUNK;
    values[start..]
        .iter()
        .position(|&v| bad(v))
        .map(|i| start + i)
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
///
/// The phases, in order: [`scan_works`], [`PlainShares::new`], [`group_works`],
/// [`diagnostics`] of the plain allocation (returned as it is when it meets the policy),
/// [`Targets::new`], [`fair_boosts`], [`split_over_works`].
pub fn allocate_checked(
    work_creator: &[i64],
    demand: &[i64],
    is_new: &[bool],
    creator_ordinary: &[bool],
    budget: i64,
    policy: &Policy,
) -> Result<Allocation, String> {
    profile::start();
    let round = Round {
        work_creator,
        demand,
        is_new,
        creator_ordinary,
    };
    let refusal = || {
        let n_creators = creator_ordinary.len();
        let err = validate(work_creator, demand, is_new, n_creators, budget, policy);
        Err(err.expect_err("a check failed, so validate reports it"))
    };
    let n = work_creator.len();
    if demand.len() != n || is_new.len() != n || budget < 0 || policy.validate().is_err() {
        return refusal();
    }
    let layout = Layout::new(creator_ordinary.len());
    let Some(scan) = scan_works(round, layout) else {
        return refusal();
    };
    profile::mark("scan_works");
    let plain = PlainShares::new(&scan, budget as u64);
    let (mut grouped, active) = group_works(round, layout, &scan, &plain);
    // Totals are sums of the works' impressions, so they fit: total <= budget.
    let (total, share_before) = (active.sums.total, active.sums.ordinary_share());
    let cap_ok = |g: f64| policy.gini_cap.is_none_or(|cap| g <= cap);
    let floor_ok = |share: f64| total == 0 || policy.ordinary_floor.is_none_or(|f| share >= f);
    let search_from_zero = policy.method == Method::Blend
        && policy.gini_cap.is_some()
        && floor_ok(share_before)
        && total < 1 << 53;
    let (gini_before, order_before) = if search_from_zero {
        let (gini, order) = gini_in_order(&active.totals);
        (gini, Some(order))
    } else {
        let gini = gini_i64(&active.totals).expect("creator totals are non-negative");
        (gini, None)
    };
    profile::mark("gini_before");
    if plain.pool == 0 || (cap_ok(gini_before) && floor_ok(share_before)) {
        return Ok(Allocation {
            impressions: grouped.blocks.values_in_work_order(work_creator),
            gini_before,
            gini_after: gini_before,
            ordinary_share_before: share_before,
            ordinary_share_after: share_before,
            feasible: cap_ok(gini_before) && floor_ok(share_before),
        });
    }
    let targets = Targets::new(&active, plain.pool, total, policy, !floor_ok(share_before));
    profile::mark("targets");
    let fair = fair_boosts(&active, &targets, plain.pool, total, policy, order_before);
    let mut creator_boost = vec![0i64; creator_ordinary.len()];
    for (&c, &b) in active.index.iter().zip(&fair.boost) {
        creator_boost[c] = b;
    }
    split_over_works(&mut grouped, &creator_boost);
    profile::mark("split");
    let impressions = grouped.blocks.values_in_work_order(work_creator);
    profile::mark("write_back");
    Ok(Allocation {
        impressions,
        gini_before,
        gini_after: fair.gini,
        ordinary_share_before: share_before,
        ordinary_share_after: fair.share,
        feasible: cap_ok(fair.gini) && floor_ok(fair.share),
    })
}

/// The inputs of one round.
#[derive(Clone, Copy)]
struct Round<'a> {
    work_creator: &'a [i64],
    demand: &'a [i64],
    is_new: &'a [bool],
    creator_ordinary: &'a [bool],
}

/// What the first pass learns about the works, per fixed chunk.
struct WorkScan {
    /// Demand of new works, and of climbing works, per chunk (the offsets of the cumulative
    /// rounding, so that chunks can be rounded on their own).
    new: Vec<u64>,
    climbing: Vec<u64>,
    new_total: u64,
    climbing_total: u64,
    /// Works per creator block in each chunk, for the grouping.
    blocks: Vec<Vec<u32>>,
}

/// What the first pass learns about one chunk of works.
struct ChunkScan {
    new: u64,
    climbing: u64,
    bad: bool,
    blocks: Vec<u32>,
}

/// The one pass over the works before grouping them: demand sums per chunk, works per
/// creator block, and whether every creator index and demand is in range (`None` if not:
/// the caller reports [`validate`]'s error).
fn scan_works(round: Round<'_>, layout: Layout) -> Option<WorkScan> {
    let n_creators = round.creator_ordinary.len();
    let chunks = chunks::map_ranges(round.work_creator.len(), |_, range| {
        scan_chunk(
            &round.demand[range.clone()],
            &round.is_new[range.clone()],
            &round.work_creator[range],
            n_creators,
            layout,
        )
    });
    if chunks.iter().any(|c| c.bad) {
        return None;
    }
    // Each chunk's sums are exact (below 2^16 * 2^47); their total may still pass 2^63.
    let new_total: u128 = chunks.iter().map(|c| c.new as u128).sum();
    let climbing_total: u128 = chunks.iter().map(|c| c.climbing as u128).sum();
    if new_total + climbing_total > i64::MAX as u128 {
        return None;
    }
    Some(WorkScan {
        new: chunks.iter().map(|c| c.new).collect(),
        climbing: chunks.iter().map(|c| c.climbing).collect(),
        new_total: new_total as u64,
        climbing_total: climbing_total as u64,
        blocks: chunks.into_iter().map(|c| c.blocks).collect(),
    })
}

/// [`scan_works`] over one chunk. Branch-free: which works are new is unpredictable, and
/// the accumulators stay in registers.
fn scan_chunk(
    demand: &[i64],
    is_new: &[bool],
    work_creator: &[i64],
    n_creators: usize,
    layout: Layout,
) -> ChunkScan {
    let last_block = layout.n_blocks - 1;
    let mut blocks = vec![0u32; layout.n_blocks];
    let (mut all, mut new, mut bad) = (0u64, 0u64, false);
    for ((&d, &n), &c) in demand.iter().zip(is_new).zip(work_creator) {
        // Wrapping: a chunk with a demand out of range is refused, whatever its sum.
        all = all.wrapping_add(d as u64);
        new = new.wrapping_add((d & -(n as i64)) as u64);
        // A negative demand reads as one above 2^63 here.
        let out_of_range = (d as u64 >= DEMAND_LIMIT as u64) | (c as u64 >= n_creators as u64);
        bad |= out_of_range;
        // A bad index is counted somewhere harmless; the round is refused anyway.
        blocks[if out_of_range {
            last_block
        } else {
            layout.block(c)
        }] += 1;
    }
    ChunkScan {
        new,
        climbing: all.wrapping_sub(new),
        bad,
        blocks,
    }
}

/// The plain allocation (spec steps 1 and 2): in a shortage the budget is shared over new
/// works; otherwise every new work gets its demand and the rest is shared over climbing
/// works (all of their demand when it covers it: the rounding then hands out exactly that).
struct PlainShares {
    shortage: bool,
    /// The amount shared by cumulative rounding, and the total weight it is shared over.
    amount: u64,
    weight_total: u64,
    /// The shared works' weight before each chunk.
    offsets: Vec<u64>,
    /// The boost layer: what climbing works get in all.
    pool: i64,
}

impl PlainShares {
    fn new(scan: &WorkScan, budget: u64) -> PlainShares {
        let shortage = budget <= scan.new_total;
        let pool = if shortage {
            0
        } else {
            (budget - scan.new_total).min(scan.climbing_total)
        };
        let (by_chunk, amount, weight_total) = if shortage {
            (&scan.new, budget, scan.new_total)
        } else {
            (&scan.climbing, pool, scan.climbing_total)
        };
        PlainShares {
            shortage,
            amount,
            weight_total,
            offsets: chunk_offsets(by_chunk).0,
            pool: pool as i64,
        }
    }

    /// The plain impressions of works `start`, `start + 1`, ... in turn (`start` a multiple
    /// of `CHUNK`): a new work's are its base part, a climbing work's its boost.
    fn stream<'a>(&self, round: Round<'a>, start: usize) -> impl FnMut(usize) -> i64 + 'a {
        let before = self
            .offsets
            .get(start / CHUNK)
            .copied()
            .unwrap_or(self.weight_total);
        let mut rounding = Rounding::new(self.amount, self.weight_total, before);
        let shortage = self.shortage;
        // Branch-free: a work outside the shared group rounds a zero weight (nothing).
        let otherwise = (!shortage) as i64;
        move |i: usize| {
            let (d, eligible) = (round.demand[i], round.is_new[i] == shortage);
            let part = rounding.part((d * eligible as i64) as u64);
            if eligible {
                part
            } else {
                d * otherwise
            }
        }
    }
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

/// The works grouped by creator block (their values: the plain allocation), and the
/// per-creator sums the split needs.
struct Grouped {
    rows: Vec<CreatorRow>,
    blocks: Blocks,
}

/// The active creators (a work this round), in creator order, as columns, and the sums
/// over them the fairness search starts from.
struct Active {
    index: Vec<usize>,
    ordinary: Vec<bool>,
    base: Vec<i64>,
    boost: Vec<i64>,
    /// base + boost.
    totals: Vec<i64>,
    sums: GroupSums,
}

/// Integer sums over the active creators (exact, so the same in any order).
#[derive(Clone, Copy, Default)]
struct GroupSums {
    n_ordinary: usize,
    /// Base and boost of the ordinary creators.
    base_ordinary: i64,
    boost_ordinary: i64,
    /// Every creator's total, and the ordinary creators'.
    total: i64,
    total_ordinary: i64,
}

impl GroupSums {
    fn add(self, other: GroupSums) -> GroupSums {
        GroupSums {
            n_ordinary: self.n_ordinary + other.n_ordinary,
            base_ordinary: self.base_ordinary + other.base_ordinary,
            boost_ordinary: self.boost_ordinary + other.boost_ordinary,
            total: self.total + other.total,
            total_ordinary: self.total_ordinary + other.total_ordinary,
        }
    }

    /// The ordinary creators' share of the total (0 when it is 0).
    fn ordinary_share(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.total_ordinary as f64 / self.total as f64
        }
    }
}

impl Active {
    /// The active rows of one block (creators `first..first + rows.len()`), branch-free:
    /// every row is written at the next free place, which advances only past active
    /// ones (about half of the creators are active, unpredictably).
    fn of_block(rows: &[CreatorRow], first: usize, creator_ordinary: &[bool]) -> Active {
        let m = rows.len() + 1;
        let mut index = vec![0usize; m];
        let mut ordinary = vec![false; m];
        let mut base = vec![0i64; m];
        let mut boost = vec![0i64; m];
        let mut totals = vec![0i64; m];
        let mut sums = GroupSums::default();
        let mut next = 0;
        for (j, row) in rows.iter().enumerate() {
            let o = creator_ordinary[first + j];
            let (b, z) = (row.plain[1], row.plain[0]);
            index[next] = first + j;
            ordinary[next] = o;
            base[next] = b;
            boost[next] = z;
            totals[next] = b + z;
            let active = row.works > 0;
            // Inactive rows hold zeros, so only the ordinary mask is needed.
            let mask = -(o as i64);
            sums.n_ordinary += (o & active) as usize;
            sums.base_ordinary += b & mask;
            sums.boost_ordinary += z & mask;
            sums.total += b + z;
            sums.total_ordinary += (b + z) & mask;
            next += active as usize;
        }
        for column in [&mut base, &mut boost, &mut totals] {
            column.truncate(next);
        }
        index.truncate(next);
        ordinary.truncate(next);
        Active {
            index,
            ordinary,
            base,
            boost,
            totals,
            sums,
        }
    }

    /// The blocks' active creators, one after another.
    fn concat(parts: Vec<Active>) -> Active {
        let mut parts = parts.into_iter();
        let mut all = parts.next().expect("at least one block");
        for part in parts {
            all.index.extend(part.index);
            all.ordinary.extend(part.ordinary);
            all.base.extend(part.base);
            all.boost.extend(part.boost);
            all.totals.extend(part.totals);
            all.sums = all.sums.add(part.sums);
        }
        all
    }
}

/// Group the works by creator block with their plain allocation, sum them per creator,
/// and list the active creators.
fn group_works(
    round: Round<'_>,
    layout: Layout,
    scan: &WorkScan,
    plain: &PlainShares,
) -> (Grouped, Active) {
    let works = (round.work_creator, round.demand, round.is_new);
    let blocks = Blocks::new(works, layout, &scan.blocks, |start| {
        plain.stream(round, start)
    });
    profile::mark("group");
    let mut rows = vec![CreatorRow::default(); round.creator_ordinary.len()];
    let width = blocks.width();
    // Each block's active creators are read off its rows while they are in cache.
    let sum_block = |b: usize, rows: &mut [CreatorRow]| -> Active {
        for piece in blocks.block(b) {
            for r in piece {
                let (w, value) = (r.work(), r.value());
                let row = &mut rows[w.local];
                row.works += 1;
                row.plain[w.is_new as usize] += value;
                row.demand[w.is_new as usize] += w.demand;
            }
        }
        Active::of_block(rows, b * width, round.creator_ordinary)
    };
    let active = if blocks.n_blocks > 1 {
        Active::concat(
            rows.par_chunks_mut(width)
                .enumerate()
                .map(|(b, rows)| sum_block(b, rows))
                .collect(),
        )
    } else {
        sum_block(0, &mut rows)
    };
    profile::mark("active");
    (Grouped { rows, blocks }, active)
}

/// Exact Gini and ordinary share of the active creators' totals `base + boost`. `near` is
/// the order of the float totals they were rounded from, when the search has it: in that
/// order the Gini needs no sort (and when the order is off, or the creators span several
/// chunks, it sorts).
fn diagnostics(
    base: &[i64],
    boost: &[i64],
    ordinary: &[bool],
    near: Option<&[(u64, u32)]>,
) -> (f64, f64) {
    let mut sums = GroupSums::default();
    // The pass in near order is serial and reads the columns at random: it pays within
    // one chunk, where they sit in cache; beyond, the parallel sort does.
    let near = near.filter(|near| !chunks::is_parallel(near.len()));
    let in_near_order = near.and_then(|near| {
        gini_in_near_order(near.iter().map(|&(_, k)| {
            let k = k as usize;
            let t = base[k] + boost[k];
            sums.total += t;
            sums.total_ordinary += t & -(ordinary[k] as i64);
            // Totals are sums of non-negative parts, so they read as u64.
            t as u64
        }))
    });
    let gini = in_near_order.unwrap_or_else(|| {
        let n = base.len();
        let totals = chunks::map(n, |k| base[k] + boost[k]);
        // Exact integer sums (they fit: totals add up to at most the budget).
        sums.total = chunks::sum_i128(n, |k| totals[k] as i128) as i64;
        sums.total_ordinary =
            chunks::sum_i128(n, |k| if ordinary[k] { totals[k] as i128 } else { 0 }) as i64;
        gini_i64(&totals).expect("creator totals are sums of non-negative parts")
    });
    (gini, sums.ordinary_share())
}

/// The exact Gini of the totals, and their order (ties by index) as the pairs
/// [`gini_and_slope_in_order`] takes. The blend search starts at s = 0 when the floor
/// holds, where its float totals are these integers exactly (below 2^53), so its first
/// evaluation needs no sort of its own.
fn gini_in_order(totals: &[i64]) -> (f64, Vec<(u64, u32)>) {
    // Below 2^53 the float keys order the totals as the integers do, and spread a skewed
    // distribution over the buckets better.
    let keys = chunks::map(totals.len(), |k| float_key(totals[k] as f64));
    let order = sorted_with_index(&keys);
    let sorted = chunks::map(order.len(), |i| f64::from_bits(order[i].0) as u64);
    (gini_sorted(&sorted), order)
}

/// The group targets of the fairness search (spec step 4).
struct Targets {
    n_ord: usize,
    n_head: usize,
    /// Plain boost and base of the ordinary group.
    boost_ord: i64,
    /// What the ordinary group needs beyond its base for the floor.
    need_ord: Option<f64>,
    /// The ordinary group's target boost Z_o.
    target_ord: f64,
    /// Whether the plain allocation misses the floor, and the blend that meets it.
    floor_binding: bool,
    s_floor: f64,
    /// z_c per active creator.
    target: Vec<f64>,
}

impl Targets {
    fn new(
        active: &Active,
        pool: i64,
        total: i64,
        policy: &Policy,
        floor_binding: bool,
    ) -> Targets {
        let ordinary = &active.ordinary;
        let n = ordinary.len();
        let n_ord = active.sums.n_ordinary;
        let n_head = n - n_ord;
        let boost_ord = active.sums.boost_ordinary;
        let base_ord = active.sums.base_ordinary;
        let (pool_f, total_f) = (pool as f64, total as f64);
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
        Targets {
            n_ord,
            n_head,
            boost_ord,
            need_ord,
            target_ord,
            floor_binding,
            s_floor,
            target: chunks::map(n, |k| if ordinary[k] { z_ord } else { z_head }),
        }
    }

    /// The ordinary group's share of the pool, in whole impressions, from its share as a
    /// float (spec step 7).
    fn ordinary_pool(&self, ord_pool_f: f64, pool: i64) -> i64 {
        if self.n_ord == 0 {
            0
        } else if self.n_head == 0 {
            pool
        } else {
            let mut p = ord_pool_f.ceil() as i64;
            if self.floor_binding {
                p = p.max(self.need_ord.unwrap_or(0.0).ceil() as i64 + 1);
            }
            p.clamp(0, pool)
        }
    }
}

/// The integer boosts of the active creators and the diagnostics they give.
struct FairBoosts {
    boost: Vec<i64>,
    gini: f64,
    share: f64,
}

/// The fairness search with its verification rounds (spec steps 5 to 8): float boosts by
/// the policy's method, integer boosts per group, the exact Gini of the result; when
/// rounding pushed it over the cap, again with a tighter target.
fn fair_boosts(
    active: &Active,
    targets: &Targets,
    pool: i64,
    total: i64,
    policy: &Policy,
    order_at_zero: Option<Vec<(u64, u32)>>,
) -> FairBoosts {
    let n = active.index.len();
    let path = BlendPath {
        base: chunks::map(n, |k| active.base[k] as f64),
        plain: chunks::map(n, |k| active.boost[k] as f64),
        target: &targets.target,
        direction: chunks::map(n, |k| targets.target[k] - active.boost[k] as f64),
        denom: n as f64 * total as f64,
        evaluated: RefCell::new(Vec::new()),
        last_order: RefCell::new(None),
    };
    if let Some(order) = order_at_zero {
        let at_zero = gini_and_slope_in_order(&order, Some(&path.direction), path.denom);
        path.evaluated
            .borrow_mut()
            .push((0.0f64.to_bits(), at_zero));
        *path.last_order.borrow_mut() = Some(order);
    }
    let boost_ord = targets.boost_ord as f64;
    let mut tau = policy
        .gini_cap
        .map_or(f64::INFINITY, |cap| cap - ROUNDING_MARGIN);
    let mut s = targets.s_floor;
    let mut step = 1.0f64;
    let mut result = None;
    for _round in 0..MAX_ROUNDS {
        let (boost, ord_pool_f) = match policy.method {
            Method::Blend => {
                if policy.gini_cap.is_some() {
                    s = path.newton(s, tau).0;
                }
                profile::mark("search");
                (
                    path.blended(s),
                    (1.0 - s) * boost_ord + s * targets.target_ord,
                )
            }
            Method::Cap => cap_boosts(&path, targets, &active.ordinary, policy, tau),
        };
        let ord_pool = targets.ordinary_pool(ord_pool_f, pool);
        // Each group's pool over its members, in creator order.
        let boost = apportion_float_by_group([pool - ord_pool, ord_pool], &boost, &active.ordinary);
        profile::mark("apportion");
        // A creator's total does not depend on how its boost is split over its works, so
        // the rounds check creator totals and the works are split once, at the end.
        let (gini, share) = diagnostics(
            &active.base,
            &boost,
            &active.ordinary,
            path.last_order.borrow().as_deref(),
        );
        profile::mark("gini_after");
        let done = policy.gini_cap.is_none_or(|cap| gini <= cap);
        result = Some(FairBoosts { boost, gini, share });
        if done {
            break;
        }
        // Rounding moved the Gini above the cap: aim below by twice the excess, doubling
        // each round, since a step smaller than one impression changes no integer.
        step *= 2.0;
        tau -= step * (gini - policy.gini_cap.unwrap_or(1.0)) + 1e-12;
    }
    result.expect("at least one round runs")
}

/// The `cap` method's float boosts and the ordinary group's float pool: blend just enough
/// for the floor, then clip at the largest level that meets the target `tau`.
fn cap_boosts(
    path: &BlendPath<'_>,
    targets: &Targets,
    ordinary: &[bool],
    policy: &Policy,
    tau: f64,
) -> (Vec<f64>, f64) {
    let n = ordinary.len();
    // With a floor, mass stays within its group so the floor keeps holding; without one it
    // may cross groups, which can equalise further.
    let grouping: Vec<bool> = if policy.ordinary_floor.is_some() {
        ordinary.to_vec()
    } else {
        vec![true; n]
    };
    let s_floor = targets.s_floor;
    let floored = path.blended(s_floor);
    let level = if policy.gini_cap.is_some() {
        cap_level(&path.base, &floored, &grouping, tau, path.denom)
    } else {
        f64::INFINITY
    };
    let boost = clipped(&floored, &grouping, level);
    let ord_pool_f = if policy.ordinary_floor.is_some() {
        (1.0 - s_floor) * targets.boost_ord as f64 + s_floor * targets.target_ord
    } else {
        boost
            .iter()
            .zip(ordinary)
            .filter(|(_, &o)| o)
            .map(|(b, _)| b)
            .sum()
    };
    (boost, ord_pool_f)
}

/// Gini of the totals `total_at(k)` over their order (ties by index): Σ (2i − n − 1)·t_(i)
/// / denom, summed in that order; and with a `direction`, the Gini's slope along it.
fn gini_and_slope(
    n: usize,
    total_at: impl Fn(usize) -> f64 + Sync + Send,
    direction: Option<&[f64]>,
    denom: f64,
) -> (f64, f64) {
    let keys = chunks::map(n, |k| float_key(total_at(k)));
    let order = sorted_with_index(&keys);
    profile::mark("sort");
    gini_and_slope_in_order(&order, direction, denom)
}

/// [`gini_and_slope`] from the totals' order: (float key of the total, index) pairs.
fn gini_and_slope_in_order(
    order: &[(u64, u32)],
    direction: Option<&[f64]>,
    denom: f64,
) -> (f64, f64) {
    let n = order.len();
    let coef = |i: usize| (2 * i as i64 + 1 - n as i64) as f64;
    let mut level = 0.0f64;
    let mut slope = 0.0f64;
    match direction {
        Some(direction) => {
            for (i, &(key, k)) in order.iter().enumerate() {
                level += coef(i) * f64::from_bits(key);
                slope += coef(i) * direction[k as usize];
            }
        }
        None => {
            for (i, &(key, _)) in order.iter().enumerate() {
                level += coef(i) * f64::from_bits(key);
            }
        }
    }
    (level / denom, slope / denom)
}

/// The blend path B(s) = (1 − s)·b + s·z over the active creators, and the search on it.
struct BlendPath<'a> {
    base: Vec<f64>,
    plain: Vec<f64>,
    target: &'a [f64],
    direction: Vec<f64>,
    denom: f64,
    /// Evaluations already made, by the bits of s: a verification round starts where the
    /// last one ended.
    evaluated: RefCell<Vec<(u64, (f64, f64))>>,
    /// The totals' order at the last point evaluated: the integer totals rounded from
    /// them are nearly in that order, so their Gini needs no sort.
    last_order: RefCell<Option<Vec<(u64, u32)>>>,
}

impl BlendPath<'_> {
    fn blended(&self, s: f64) -> Vec<f64> {
        let (plain, target) = (&self.plain, self.target);
        chunks::map(plain.len(), |k| (1.0 - s) * plain[k] + s * target[k])
    }

    /// Gini and slope at s.
    fn eval(&self, s: f64) -> (f64, f64) {
        if let Some(&(_, known)) = self.evaluated.borrow().iter().find(|e| e.0 == s.to_bits()) {
            return known;
        }
        let (base, plain, target) = (&self.base, &self.plain, self.target);
        let keys = chunks::map(base.len(), |k| {
            float_key(base[k] + ((1.0 - s) * plain[k] + s * target[k]))
        });
        let order = sorted_with_index(&keys);
        profile::mark("sort");
        let value = gini_and_slope_in_order(&order, Some(&self.direction), self.denom);
        *self.last_order.borrow_mut() = Some(order);
        let mut evaluated = self.evaluated.borrow_mut();
        if evaluated.len() == 4 {
            evaluated.remove(0);
        }
        evaluated.push((s.to_bits(), value));
        value
    }

    /// Smallest s >= start with Gini <= tau (Newton from the left on a convex function);
    /// when none exists, the s of least Gini found. Returns (s, reached).
    fn newton(&self, start: f64, tau: f64) -> (f64, bool) {
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
fn cap_level(base: &[f64], boost: &[f64], ordinary: &[bool], tau: f64, denom: f64) -> f64 {
    let gini_at = |level: f64| {
        let boost = clipped(boost, ordinary, level);
        gini_and_slope(base.len(), |k| base[k] + boost[k], None, denom).0
    };
    let top = boost.iter().copied().fold(0.0f64, f64::max);
    if gini_at(top) <= tau {
        return top;
    }
    if gini_at(0.0) > tau {
        return 0.0;
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
    ok
}

/// What splitting needs per creator: its boost over the total weight of its eligible
/// works, the weight already used, and which works are eligible.
#[derive(Clone, Copy)]
struct SplitRow {
    /// boost / total; its fixed-point value is made when first needed, and only for a
    /// creator with several works (see [`SplitRow::take`]).
    ratio: FixedRatio,
    /// Whether floors are taken by one division each rather than the fixed-point ratio.
    divide: bool,
    running: u64,
    /// floor(boost * running / total): the part handed out so far.
    handed: u64,
    /// Bit 0: climbing works weigh their demand; bit 1: new works do; bit 2: every work
    /// weighs one. Read without a branch (which works are new is unpredictable).
    select: u8,
}

/// Creators with at most this many works split their boost by divisions.
const DIVIDE_MAX_WORKS: i64 = 3;

const SPLIT_CLIMBING: u8 = 0b001;
const SPLIT_NEW: u8 = 0b010;
const SPLIT_EVEN: u8 = 0b100;

impl SplitRow {
    fn new(row: &CreatorRow, boost: i64) -> SplitRow {
        // Branch-free (which creators have climbing works is unpredictable): climbing
        // works by demand if any ask, else new works by demand, else every work evenly.
        let climbing = row.demand[0] > 0;
        let new = !climbing & (row.demand[1] > 0);
        let even = !climbing & !new;
        let select =
            (SPLIT_CLIMBING * climbing as u8) | (SPLIT_NEW * new as u8) | (SPLIT_EVEN * even as u8);
        let total = (row.demand[0] & -(climbing as i64))
            | (row.demand[1] & -(new as i64))
            | (row.works & -(even as i64));
        SplitRow {
            ratio: FixedRatio::lazy(boost as u64, total as u64),
            divide: row.works <= DIVIDE_MAX_WORKS,
            running: 0,
            handed: 0,
            select,
        }
    }

    /// The weight of a work of this creator: its demand if its kind is split by demand,
    /// one if every work counts the same, else zero.
    #[inline]
    fn weight(&self, work: &Work) -> u64 {
        let by_demand = (self.select >> work.is_new as u8) & 1;
        ((work.demand & -(by_demand as i64)) + ((self.select >> 2) & 1) as i64) as u64
    }

    /// The next work's share of the boost, given its weight.
    #[inline]
    fn take(&mut self, weight: u64) -> i64 {
        self.running += weight;
        // running <= total, so handed <= boost. Most creators have one eligible work,
        // which takes all. One with a few takes a division per work (its product fits 64
        // bits at the shipped sizes), cheaper than making the fixed-point ratio, which
        // pays for a creator with many.
        let handed = if self.divide {
            self.ratio.floor_dividing(self.running)
        } else {
            self.ratio.floor_at_lazily(self.running)
        };
        let part = handed - self.handed;
        self.handed = handed;
        part as i64
    }
}

/// Split each creator's boost over its works by cumulative rounding in work order (see
/// [`SplitRow`]): climbing works by demand, else new works by demand, else every work
/// evenly; a new work keeps its demand as base. Block by block (in parallel when there
/// are several); within a block the works come in work order, so the result is that of
/// one scan in work order.
fn split_over_works(grouped: &mut Grouped, creator_boost: &[i64]) {
    let width = grouped.blocks.width();
    let rows = &grouped.rows;
    grouped.blocks.for_each_block_mut(|b, pieces| {
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
