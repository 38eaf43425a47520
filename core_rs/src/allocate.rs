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

use crate::gini::{gini_u64, CHUNK};
use crate::rounding::{apportion_float, apportion_integer, cumulative_floor};
use crate::sort::{argsort_u64, float_key};

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
/// touches one cache line).
#[derive(Clone, Copy, Default)]
struct CreatorRow {
    works: i64,
    base: i64,
    boost: i64,
    climb_demand: i64,
    new_demand: i64,
}

impl CreatorRow {
    fn add(&mut self, other: &CreatorRow) {
        self.works += other.works;
        self.base += other.base;
        self.boost += other.boost;
        self.climb_demand += other.climb_demand;
        self.new_demand += other.new_demand;
    }
}

/// Contiguous ranges of works summed in parallel; integer sums do not depend on them.
fn work_parts(n_works: usize) -> Vec<std::ops::Range<usize>> {
    let parts = if n_works < 1 << 20 {
        1
    } else {
        rayon::current_num_threads().clamp(1, 4)
    };
    let step = n_works.div_ceil(parts).max(1);
    (0..parts)
        .map(|p| (p * step).min(n_works)..((p + 1) * step).min(n_works))
        .collect()
}

struct CreatorSums {
    rows: Vec<CreatorRow>,
    parts: Vec<std::ops::Range<usize>>,
    by_part: Vec<Vec<CreatorRow>>,
}

fn creator_sums(
    work_creator: &[i64],
    demand: &[i64],
    is_new: &[bool],
    impressions: &[i64],
    base: impl Fn(usize) -> i64 + Sync,
    n_creators: usize,
) -> CreatorSums {
    let parts = work_parts(work_creator.len());
    let by_part: Vec<Vec<CreatorRow>> = parts
        .par_iter()
        .map(|range| {
            let mut rows = vec![CreatorRow::default(); n_creators];
            for i in range.clone() {
                let row = &mut rows[work_creator[i] as usize];
                let b = base(i);
                row.works += 1;
                row.base += b;
                row.boost += impressions[i] - b;
                if is_new[i] {
                    row.new_demand += demand[i];
                } else {
                    row.climb_demand += demand[i];
                }
            }
            rows
        })
        .collect();
    let mut rows = by_part[0].clone();
    for part in &by_part[1..] {
        rows.par_iter_mut()
            .zip(part.par_iter())
            .for_each(|(a, b)| a.add(b));
    }
    CreatorSums {
        rows,
        parts,
        by_part,
    }
}

/// Gini and ordinary share of per-creator totals over the active creators.
fn diagnostics(totals: &[i64], ordinary: &[bool]) -> (f64, f64) {
    let as_u64: Vec<u64> = totals.iter().map(|&t| t as u64).collect();
    let total: i128 = totals.iter().map(|&t| t as i128).sum();
    let ord: i128 = totals
        .iter()
        .zip(ordinary)
        .filter(|(_, &o)| o)
        .map(|(&t, _)| t as i128)
        .sum();
    let share = if total == 0 {
        0.0
    } else {
        ord as f64 / total as f64
    };
    (gini_u64(&as_u64), share)
}

/// Gini of `base + boost` (floats) and its slope along `direction`, both over the order of
/// the totals (ties by index). `order` is the previous order: successive calls move the
/// totals only a little, so an adaptive sort from it costs far less than a fresh sort.
fn gini_and_slope(
    base: &[f64],
    boost: &[f64],
    direction: &[f64],
    denom: f64,
    order: &mut Vec<u32>,
) -> (f64, f64) {
    let n = base.len();
    let totals: Vec<f64> = base
        .par_iter()
        .zip(boost.par_iter())
        .map(|(a, b)| a + b)
        .collect();
    if order.len() != n {
        let keys: Vec<u64> = totals.par_iter().map(|&t| float_key(t)).collect();
        *order = argsort_u64(&keys);
    } else {
        let mut pairs: Vec<(u64, u32)> = order
            .iter()
            .map(|&k| (float_key(totals[k as usize]), k))
            .collect();
        pairs.sort();
        order.iter_mut().zip(&pairs).for_each(|(o, p)| *o = p.1);
    }
    let mut level = 0.0f64;
    let mut slope = 0.0f64;
    for (i, &k) in order.iter().enumerate() {
        let coef = (2 * i as i64 + 1 - n as i64) as f64;
        level += coef * totals[k as usize];
        slope += coef * direction[k as usize];
    }
    (level / denom, slope / denom)
}

/// The state of the fairness search over the active creators.
struct Search<'a> {
    base: &'a [f64],
    plain: &'a [f64],
    target: &'a [f64],
    direction: Vec<f64>,
    denom: f64,
    order: std::cell::RefCell<Vec<u32>>,
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
        gini_and_slope(
            self.base,
            &self.blended(s),
            &self.direction,
            self.denom,
            &mut self.order.borrow_mut(),
        )
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
fn cap_level(base: &[f64], boost: &[f64], ordinary: &[bool], tau: f64, denom: f64) -> (f64, bool) {
    let zeros = vec![0.0; base.len()];
    let mut order = Vec::new();
    let mut gini_at = |level: f64| {
        gini_and_slope(
            base,
            &clipped(boost, ordinary, level),
            &zeros,
            denom,
            &mut order,
        )
        .0
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

/// Allocate one round's impressions. Inputs must have passed [`validate`].
pub fn allocate(
    work_creator: &[i64],
    demand: &[i64],
    is_new: &[bool],
    creator_ordinary: &[bool],
    budget: i64,
    policy: &Policy,
) -> Allocation {
    let n_works = work_creator.len();
    let n_creators = creator_ordinary.len();
    let (new_total, climb_total) = demand
        .par_chunks(CHUNK)
        .zip(is_new.par_chunks(CHUNK))
        .map(|(d, n)| {
            let (mut fresh, mut climbing) = (0i128, 0i128);
            for (&d, &n) in d.iter().zip(n) {
                if n {
                    fresh += d as i128;
                } else {
                    climbing += d as i128;
                }
            }
            (fresh, climbing)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let budget_i = budget as i128;
    let shortage = budget_i <= new_total;

    // Plain allocation: base layer, then the boost layer in proportion to demand.
    let mut impressions = if shortage {
        apportion_integer(n_works, budget_i, |i| is_new[i], |i| demand[i])
    } else {
        let rest = budget_i - new_total;
        if rest >= climb_total {
            let mut all = vec![0i64; n_works];
            all.par_chunks_mut(CHUNK)
                .zip(demand.par_chunks(CHUNK))
                .for_each(|(a, d)| a.copy_from_slice(d));
            all
        } else {
            let mut boost = apportion_integer(n_works, rest, |i| !is_new[i], |i| demand[i]);
            boost
                .par_chunks_mut(CHUNK)
                .enumerate()
                .for_each(|(c, out)| {
                    for (j, x) in out.iter_mut().enumerate() {
                        let i = c * CHUNK + j;
                        if is_new[i] {
                            *x = demand[i];
                        }
                    }
                });
            boost
        }
    };
    let pool: i64 = if shortage {
        0
    } else {
        (budget_i - new_total).min(climb_total) as i64
    };
    // A work's base part: everything it got in a shortage, else a new work's demand.
    let sums = {
        let imp = &impressions;
        let base_of = |i: usize| {
            if shortage {
                imp[i]
            } else if is_new[i] {
                demand[i]
            } else {
                0
            }
        };
        creator_sums(work_creator, demand, is_new, imp, base_of, n_creators)
    };
    let active: Vec<usize> = (0..n_creators)
        .filter(|&c| sums.rows[c].works > 0)
        .collect();
    let ordinary: Vec<bool> = active.iter().map(|&c| creator_ordinary[c]).collect();
    let plain_totals: Vec<i64> = active
        .iter()
        .map(|&c| sums.rows[c].base + sums.rows[c].boost)
        .collect();
    let (gini_before, share_before) = diagnostics(&plain_totals, &ordinary);
    let total: i64 = plain_totals.iter().sum();
    let cap_ok = |g: f64| policy.gini_cap.is_none_or(|cap| g <= cap);
    let floor_ok = |share: f64| total == 0 || policy.ordinary_floor.is_none_or(|f| share >= f);

    let plain = |impressions: Vec<i64>| Allocation {
        impressions,
        gini_before,
        gini_after: gini_before,
        ordinary_share_before: share_before,
        ordinary_share_after: share_before,
        feasible: cap_ok(gini_before) && floor_ok(share_before),
    };
    if pool == 0 || (cap_ok(gini_before) && floor_ok(share_before)) {
        return plain(impressions);
    }

    // Fairness over the active creators.
    let n = active.len();
    let base_f: Vec<f64> = active.iter().map(|&c| sums.rows[c].base as f64).collect();
    let plain_f: Vec<f64> = active.iter().map(|&c| sums.rows[c].boost as f64).collect();
    let n_ord = ordinary.iter().filter(|&&o| o).count();
    let n_head = n - n_ord;
    let boost_ord: i64 = active
        .iter()
        .zip(&ordinary)
        .filter(|(_, &o)| o)
        .map(|(&c, _)| sums.rows[c].boost)
        .sum();
    let base_ord: i64 = active
        .iter()
        .zip(&ordinary)
        .filter(|(_, &o)| o)
        .map(|(&c, _)| sums.rows[c].base)
        .sum();
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
        .iter()
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
        direction: target.iter().zip(&plain_f).map(|(z, b)| z - b).collect(),
        denom: n as f64 * total_f,
        order: std::cell::RefCell::new(Vec::new()),
    };

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
        let mut creator_boost = vec![0i64; n_creators];
        for (group, group_pool) in [(true, ord_pool), (false, pool - ord_pool)] {
            let members: Vec<usize> = (0..n).filter(|&k| ordinary[k] == group).collect();
            let weights: Vec<f64> = members.iter().map(|&k| boost[k]).collect();
            for (k, part) in members.iter().zip(apportion_float(group_pool, &weights)) {
                creator_boost[active[*k]] = part;
            }
        }
        // A creator's total does not depend on how its boost is split over its works, so
        // the rounds check creator totals and the works are split once, at the end.
        let totals: Vec<i64> = active
            .iter()
            .map(|&c| sums.rows[c].base + creator_boost[c])
            .collect();
        let (gini_after, share_after) = diagnostics(&totals, &ordinary);
        let done = cap_ok(gini_after);
        result = Some((gini_after, share_after, creator_boost));
        if done {
            break;
        }
        // Rounding moved the Gini above the cap: aim below by twice the excess, doubling
        // each round, since a step smaller than one impression changes no integer.
        step *= 2.0;
        tau -= step * (gini_after - policy.gini_cap.unwrap_or(1.0)) + 1e-12;
    }
    let (gini_after, share_after, creator_boost) = result.expect("at least one round runs");
    split_over_works(
        work_creator,
        demand,
        is_new,
        &sums,
        &creator_boost,
        &mut impressions,
    );
    Allocation {
        impressions,
        gini_before,
        gini_after,
        ordinary_share_before: share_before,
        ordinary_share_after: share_after,
        feasible: cap_ok(gini_after) && floor_ok(share_after),
    }
}

/// What splitting needs per creator, in one cache line's worth: its boost, the total
/// weight of its eligible works, the weight already used, and which works are eligible.
#[derive(Clone, Copy, Default)]
struct SplitRow {
    boost: i64,
    total: i64,
    running: i64,
    /// floor(boost * running / total): the part handed out so far.
    handed: i64,
    mode: u8,
}

const SPLIT_CLIMBING: u8 = 0;
const SPLIT_NEW: u8 = 1;
const SPLIT_EVEN: u8 = 2;

/// Split each creator's boost over its works by cumulative rounding in work order (see
/// [`SplitRow`]): climbing works by demand, else new works by demand, else every work
/// evenly; a new work keeps its demand as base. Parallel over the
/// same ranges as the sums, each starting from the weight the earlier ranges used.
fn split_over_works(
    work_creator: &[i64],
    demand: &[i64],
    is_new: &[bool],
    sums: &CreatorSums,
    creator_boost: &[i64],
    impressions: &mut [i64],
) {
    let mut table: Vec<SplitRow> = vec![SplitRow::default(); creator_boost.len()];
    table
        .par_iter_mut()
        .zip(sums.rows.par_iter())
        .zip(creator_boost.par_iter())
        .for_each(|((t, row), &boost)| {
            let (mode, total) = if row.climb_demand > 0 {
                (SPLIT_CLIMBING, row.climb_demand)
            } else if row.new_demand > 0 {
                (SPLIT_NEW, row.new_demand)
            } else {
                (SPLIT_EVEN, row.works)
            };
            *t = SplitRow {
                boost,
                total,
                running: 0,
                handed: 0,
                mode,
            };
        });
    let mut tables = Vec::with_capacity(sums.parts.len());
    for p in 0..sums.parts.len() {
        tables.push(table.clone());
        if p + 1 < sums.parts.len() {
            let part = &sums.by_part[p];
            table
                .par_iter_mut()
                .zip(part.par_iter())
                .for_each(|(t, r)| {
                    t.running += match t.mode {
                        SPLIT_CLIMBING => r.climb_demand,
                        SPLIT_NEW => r.new_demand,
                        _ => r.works,
                    };
                    if t.total > 0 {
                        t.handed =
                            cumulative_floor(t.boost as i128, t.running as i128, t.total as i128)
                                as i64;
                    }
                });
        }
    }
    let mut slices: Vec<&mut [i64]> = Vec::new();
    let mut rest = impressions;
    for range in &sums.parts {
        let (head, tail) = rest.split_at_mut(range.len());
        slices.push(head);
        rest = tail;
    }
    slices
        .into_par_iter()
        .zip(tables.into_par_iter())
        .zip(sums.parts.par_iter())
        .for_each(|((out, mut table), range)| {
            for (slot, i) in out.iter_mut().zip(range.clone()) {
                let t = &mut table[work_creator[i] as usize];
                let weight = match t.mode {
                    SPLIT_CLIMBING if !is_new[i] => demand[i],
                    SPLIT_NEW if is_new[i] => demand[i],
                    SPLIT_EVEN => 1,
                    _ => 0,
                };
                let base = if is_new[i] { demand[i] } else { 0 };
                let extra = if weight > 0 {
                    t.running += weight;
                    let handed =
                        cumulative_floor(t.boost as i128, t.running as i128, t.total as i128)
                            as i64;
                    let part = handed - t.handed;
                    t.handed = handed;
                    part
                } else {
                    0
                };
                *slot = base + extra;
            }
        });
}
