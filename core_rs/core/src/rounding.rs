//! Integer apportionment by cumulative rounding: share an integer amount over weights in
//! index order so the parts sum exactly to the amount and each part is within one unit of
//! its exact quota. Prefix sums make it parallel without changing a single result.

use crate::chunks::{self, CHUNK};

/// The ratio amount / total as a 64.64 fixed-point number rounded down, for taking
/// floor(amount * x / total) at many x in 0..=total with one 64 x 64 -> 128-bit multiply
/// instead of a division (a hardware division costs several times more, and the kernels
/// take one per work).
#[derive(Clone, Copy, Debug)]
pub struct FixedRatio {
    whole: u64,
    frac: u64,
    amount: u64,
    total: u64,
}

impl FixedRatio {
    /// `total` must be positive; the ratio may exceed one.
    pub fn new(amount: u64, total: u64) -> Self {
        let q = ((amount as u128) << 64) / total as u128;
        Self {
            whole: (q >> 64) as u64,
            frac: q as u64,
            amount,
            total,
        }
    }

    /// The ratio with its fixed-point value left to be made when first needed by
    /// [`FixedRatio::floor_at_lazily`]: most ratios of the split are only ever taken at 0
    /// and at their total, which need no division.
    pub fn lazy(amount: u64, total: u64) -> Self {
        Self {
            whole: 0,
            frac: 0,
            amount,
            total,
        }
    }

    /// [`FixedRatio::floor_at`] of a [`FixedRatio::lazy`] ratio (or any other).
    #[inline]
    pub fn floor_at_lazily(&mut self, x: u64) -> u64 {
        if x == self.total {
            return self.amount;
        }
        // A positive ratio is at least 2^-64, so its fixed-point value is not zero.
        if self.whole == 0 && self.frac == 0 {
            if x == 0 || self.amount == 0 {
                return 0;
            }
            *self = Self::new(self.amount, self.total);
        }
        self.floor_at(x)
    }

    /// floor(amount * x / total), exactly, for x in 0..=total, by one 64-bit division when
    /// the product fits (else a 128-bit one), without making the fixed-point value: for a
    /// ratio taken at a few points only.
    #[inline]
    pub fn floor_dividing(&self, x: u64) -> u64 {
        if x == self.total {
            return self.amount;
        }
        match self.amount.checked_mul(x) {
            Some(product) => product / self.total,
            None => (self.amount as u128 * x as u128 / self.total as u128) as u64,
        }
    }

    /// floor(amount * x / total), exactly, for x in 0..=total: the fixed-point product,
    /// or in the rare case it cannot decide, one exact division.
    #[inline]
    pub fn floor_at(&self, x: u64) -> u64 {
        debug_assert!(x <= self.total);
        self.floor_times(x)
            .unwrap_or_else(|| (self.amount as u128 * x as u128 / self.total as u128) as u64)
    }

    /// floor(amount * x / total) when the fixed-point product proves it, else `None`
    /// (x above total, or, with a chance of about x / 2^64, a product too close to an
    /// integer): the caller then divides exactly.
    #[inline]
    pub fn floor_times(&self, x: u64) -> Option<u64> {
        if x > self.total {
            return None;
        }
        let product = x as u128 * self.frac as u128;
        let (high, low) = ((product >> 64) as u64, product as u64);
        // The exact fraction lies in [frac, frac + 1) / 2^64, so amount * x / total lies
        // in whole * x + [product, product + x) / 2^64: its floor is whole * x + high
        // unless low + x carries. whole * x <= amount * x / total <= amount: no overflow.
        low.checked_add(x).map(|_| self.whole * x + high)
    }
}

/// Cumulative rounding of `amount` over weights with the given `total`, as a stream: the
/// part of each successive weight, starting from the weight `before` seen earlier (so a
/// range of entries can be rounded on its own, in parallel, with the same result).
#[derive(Clone, Copy, Debug)]
pub struct Rounding {
    ratio: Option<FixedRatio>,
    before: u64,
    handed: u64,
}

impl Rounding {
    /// Zero parts when `amount` or `total` is zero. Weights must not sum past `total`.
    pub fn new(amount: u64, total: u64, before: u64) -> Self {
        let ratio = (amount > 0 && total > 0).then(|| FixedRatio::new(amount, total));
        Self {
            ratio,
            before,
            handed: ratio.map_or(0, |r| r.floor_at(before)),
        }
    }

    /// The part of the next entry, of weight `weight`.
    #[inline]
    pub fn part(&mut self, weight: u64) -> i64 {
        let Some(ratio) = self.ratio else { return 0 };
        self.before += weight;
        let handed = ratio.floor_at(self.before);
        let part = (handed - self.handed) as i64;
        self.handed = handed;
        part
    }
}

/// Offsets of fixed chunks (the running sum before each) and the grand total.
pub fn chunk_offsets(chunk_totals: &[u64]) -> (Vec<u64>, u64) {
    let mut offsets = Vec::with_capacity(chunk_totals.len());
    let mut running = 0u64;
    for t in chunk_totals {
        offsets.push(running);
        running += t;
    }
    (offsets, running)
}

/// Share integer `amounts[g]` over the float weights of each group g (`group[k]` as 0
/// or 1) by cumulative rounding of the group's running sum, in index order: each part
/// within one unit of its quota, non-negative, and each group's parts sum exactly to its
/// amount (a group of zero total weight shares equally). One array, the same parts as
/// apportioning each group's weights on its own.
///
/// The running sums are serial (their rounding depends on the order); the rest is
/// parallel over fixed chunks. Running sums never decrease and every step from a running
/// sum to its rounded target is monotone, so a target never falls below the one before
/// it (no clamp from below), and each target is a function of its own running sum: a
/// chunk finds the target before it by looking back to each group's previous entry.
pub fn apportion_float_by_group(amounts: [i64; 2], weights: &[f64], group: &[bool]) -> Vec<i64> {
    let n = weights.len();
    if n <= CHUNK {
        if let Some(parts) = apportion_in_one_chunk(amounts, weights, group) {
            return parts;
        }
    }
    apportion_by_chunks(amounts, weights, group)
}

/// The cumulative target of a group's entry: nothing when the group has nothing to share,
/// the whole `amount` at its last entry, else its running share of the `total` weight
/// rounded half up, at most `amount`.
#[inline]
fn rounded_target(running: f64, total: f64, amount: i64, last: bool) -> i64 {
    if amount <= 0 || total <= 0.0 {
        0
    } else if last {
        amount
    } else {
        // floor(x) clamped at zero, as truncation of max(x, 0): the same integer, and
        // `f64::floor` is a libm call on the baseline x86-64 target (no SSE4.1).
        let x = (running / total) * amount as f64 + 0.5;
        (x.max(0.0) as i64).min(amount)
    }
}

/// [`apportion_float_by_group`] over fixed chunks (in parallel when there are several).
fn apportion_by_chunks(amounts: [i64; 2], weights: &[f64], group: &[bool]) -> Vec<i64> {
    let n = weights.len();
    // Two sums kept in registers, picked without a branch.
    let mut sums = [0.0f64; 2];
    let running: Vec<f64> = weights
        .iter()
        .zip(group)
        .map(|(&w, &g)| {
            let r = if g { sums[1] } else { sums[0] } + w;
            sums = if g { [sums[0], r] } else { [r, sums[1]] };
            r
        })
        .collect();
    let in_group_1 = group.iter().filter(|&&g| g).count();
    let count = [n - in_group_1, in_group_1];
    let last = [false, true].map(|g| group.iter().rposition(|&x| x == g));
    let target = |k: usize| -> i64 {
        let g = group[k] as usize;
        rounded_target(running[k], sums[g], amounts[g], Some(k) == last[g])
    };
    // A group of zero total weight shares its amount equally (rare: serial).
    let equal = [0, 1].map(|g| amounts[g] > 0 && count[g] > 0 && sums[g] <= 0.0);
    if equal.contains(&true) {
        let mut seen = [0usize; 2];
        let mut before = [0i64; 2];
        return (0..n)
            .map(|k| {
                let g = group[k] as usize;
                let t = if equal[g] {
                    seen[g] += 1;
                    let share = FixedRatio::new(amounts[g] as u64, count[g] as u64);
                    share.floor_at(seen[g] as u64) as i64
                } else {
                    target(k)
                };
                let part = t - before[g];
                before[g] = t;
                part
            })
            .collect();
    }
    let mut parts = vec![0i64; n];
    chunks::for_each_chunk_mut(&mut parts, |c, out| {
        let start = c * CHUNK;
        // Each group's target just before this chunk (0 before its first entry).
        let mut before = [0i64; 2];
        let mut found = [false; 2];
        for k in (0..start).rev() {
            let g = group[k] as usize;
            if !found[g] {
                found[g] = true;
                before[g] = target(k);
                if found == [true; 2] {
                    break;
                }
            }
        }
        for (i, p) in out.iter_mut().enumerate() {
            let k = start + i;
            let g = group[k] as usize;
            let t = target(k);
            *p = t - before[g];
            before[g] = t;
        }
    });
    parts
}

/// [`apportion_float_by_group`] of one chunk in two passes: the groups' sums, counts and
/// last entries, then the running sums again (the same additions in the same order, so
/// the same bits) with each part. `None` when a group of zero weight must share equally.
fn apportion_in_one_chunk(amounts: [i64; 2], weights: &[f64], group: &[bool]) -> Option<Vec<i64>> {
    let mut sums = [0.0f64; 2];
    let mut count = [0usize; 2];
    let mut last = [usize::MAX; 2];
    for (k, (&w, &g)) in weights.iter().zip(group).enumerate() {
        let g = g as usize;
        sums[g] += w;
        count[g] += 1;
        last[g] = k;
    }
    if (0..2).any(|g| amounts[g] > 0 && count[g] > 0 && sums[g] <= 0.0) {
        return None;
    }
    let mut running = [0.0f64; 2];
    let mut before = [0i64; 2];
    let parts = weights
        .iter()
        .zip(group)
        .enumerate()
        .map(|(k, (&w, &g))| {
            let g = g as usize;
            running[g] += w;
            let t = rounded_target(running[g], sums[g], amounts[g], k == last[g]);
            let part = t - before[g];
            before[g] = t;
            part
        })
        .collect();
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_chunk_gives_the_chunked_parts() {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for n in [1usize, 2, 17, 1000, CHUNK] {
            let group: Vec<bool> = (0..n).map(|_| next() < 0.6).collect();
            // Skewed weights with zeros, as boosts are.
            let weights: Vec<f64> = (0..n)
                .map(|_| {
                    if next() < 0.2 {
                        0.0
                    } else {
                        (8.0 * next()).exp()
                    }
                })
                .collect();
            for amounts in [[1_000_003, 77_777_777], [0, 5], [n as i64 / 3, 1]] {
                let one = apportion_in_one_chunk(amounts, &weights, &group).expect("weights");
                assert_eq!(one, apportion_by_chunks(amounts, &weights, &group), "n {n}");
            }
        }
        // A group of zero weight shares equally: left to the chunked path.
        assert!(apportion_in_one_chunk([4, 4], &[0.0, 1.0], &[true, false]).is_none());
    }

    #[test]
    fn integer_parts_sum_exactly_and_stay_near_quota() {
        let w: Vec<u64> = (0..200_000).map(|i| (i % 17) as u64).collect();
        let total: u64 = (0..w.len()).filter(|i| i % 3 != 0).map(|i| w[i]).sum();
        let mut rounding = Rounding::new(1_234_567, total, 0);
        let parts: Vec<i64> = (0..w.len())
            .map(|i| if i % 3 != 0 { rounding.part(w[i]) } else { 0 })
            .collect();
        assert_eq!(parts.iter().sum::<i64>(), 1_234_567);
        for (i, &p) in parts.iter().enumerate() {
            let quota = if i % 3 != 0 {
                1_234_567.0 * w[i] as f64 / total as f64
            } else {
                0.0
            };
            assert!((p as f64 - quota).abs() < 1.0 + 1e-9);
        }
    }

    #[test]
    fn fixed_ratio_floors_are_exact() {
        let max = i64::MAX as u64;
        let cases: [(u64, u64, u64); 6] = [
            (7, 3, 3),
            (0, 5, 7),
            (max, 3, 3),
            (1 << 62, (1 << 61) + 7, (1 << 61) + 7),
            (999_999_999_999, 123_456_789_012, 1_000_000_000_039),
            (5, 5, 25),
        ];
        for (a, s, w) in cases {
            let want = (a as u128 * s as u128 / w as u128) as u64;
            assert_eq!(FixedRatio::new(a, w).floor_at(s), want, "{a} {s} {w}");
        }
        for i in 1..20_000u64 {
            let (a, w) = (i * 7919 % 100_003, i * 104_729 % 1_000_003 + 1);
            let s = i * 31 % (w + 1);
            assert_eq!(FixedRatio::new(a, w).floor_at(s), a * s / w);
        }
    }

    #[test]
    fn fixed_ratio_is_exact_or_declines() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> (x % 64)) >> 1
        };
        let mut declined = 0;
        for _ in 0..300_000 {
            let (a, w) = (next(), next().max(1));
            let s = next() % (w + 1);
            let want = (a as u128 * s as u128 / w as u128) as i128;
            match FixedRatio::new(a, w).floor_times(s) {
                Some(q) => assert_eq!(q as i128, want, "{a} * {s} / {w}"),
                None => declined += 1,
            }
            assert_eq!(FixedRatio::new(a, w).floor_at(s) as i128, want);
        }
        assert!(
            declined < 3_000,
            "the exact division is the exception: {declined}"
        );
        // Products that land exactly on an integer, from below in fixed point.
        assert_eq!(FixedRatio::new(1, 3).floor_times(3), None);
        assert_eq!(FixedRatio::new(1, 3).floor_at(3), 1);
        assert_eq!(FixedRatio::new(2, 6).floor_at(6), 2);
        let max = i64::MAX as u64;
        for (a, s, w) in [
            (max, max, max),
            (max, 1, max),
            (max, 3, 7),
            (1, 1, 1),
            (0, 7, 7),
            (6, 7, 42),
            (6, 7, 43),
            (5, 0, 3),
        ] {
            let want = (a as u128 * s as u128 / w as u128) as i128;
            assert_eq!(FixedRatio::new(a, w).floor_at(s) as i128, want);
            if let Some(q) = FixedRatio::new(a, w).floor_times(s) {
                assert_eq!(q as i128, want, "{a} * {s} / {w}");
            }
        }
        // Beyond the total the fixed-point product declines.
        assert_eq!(FixedRatio::new(3, 7).floor_times(8), None);
        // A lazy ratio gives the same floors.
        for (a, w) in [(0u64, 5u64), (7, 3), (3, 7), (max, max), (1, max)] {
            let mut lazy = FixedRatio::lazy(a, w);
            for x in [0, 1, w / 2, w - 1, w] {
                let want = (a as u128 * x as u128 / w as u128) as u64;
                assert_eq!(lazy.floor_at_lazily(x), want, "{a} * {x} / {w}");
                assert_eq!(
                    FixedRatio::lazy(a, w).floor_dividing(x),
                    want,
                    "{a} * {x} / {w}"
                );
            }
        }
    }

    #[test]
    fn rounding_a_range_on_its_own_gives_the_same_parts() {
        let w: Vec<u64> = (0..10_000).map(|i| (i % 23) * 1_000_003).collect();
        let total: u64 = w.iter().sum();
        let mut whole = Rounding::new(987_654_321, total, 0);
        let parts: Vec<i64> = w.iter().map(|&x| whole.part(x)).collect();
        assert_eq!(parts.iter().sum::<i64>(), 987_654_321);
        let before: u64 = w[..6000].iter().sum();
        let mut tail = Rounding::new(987_654_321, total, before);
        for (i, &x) in w.iter().enumerate().skip(6000) {
            assert_eq!(tail.part(x), parts[i]);
        }
        let mut none = Rounding::new(0, total, 0);
        assert!(w.iter().all(|&x| none.part(x) == 0));
    }

    #[test]
    fn float_parts_sum_exactly() {
        let w = [0.5, 2.25, 0.0, 7.125, 1.0];
        let parts = apportion_float_by_group([1001, 0], &w, &[false; 5]);
        assert_eq!(parts.iter().sum::<i64>(), 1001);
        assert!(parts.iter().all(|&p| p >= 0));
        let equal = apportion_float_by_group([5, 3], &[0.0; 4], &[false, true, false, true]);
        assert_eq!(equal, vec![2, 1, 3, 2]);
    }

    /// The serial algorithm, one group at a time, as it was before the grouped one.
    fn apportion_serial(amount: i64, weights: &[f64]) -> Vec<i64> {
        let n = weights.len();
        let mut parts = vec![0i64; n];
        if n == 0 || amount <= 0 {
            return parts;
        }
        let total: f64 = weights.iter().fold(0.0, |a, &w| a + w);
        if total <= 0.0 {
            for (before, p) in parts.iter_mut().enumerate() {
                let floor = |s: usize| (amount as u128 * s as u128 / n as u128) as i64;
                *p = floor(before + 1) - floor(before);
            }
            return parts;
        }
        let (mut running, mut target_before) = (0.0f64, 0i64);
        for (k, (p, &w)) in parts.iter_mut().zip(weights).enumerate() {
            running += w;
            let target = if k + 1 == n {
                amount
            } else {
                let t = ((running / total) * amount as f64 + 0.5).floor();
                (t.max(0.0) as i64).clamp(target_before, amount)
            };
            *p = target - target_before;
            target_before = target;
        }
        parts
    }

    #[test]
    fn grouped_parts_equal_each_group_on_its_own() {
        let spread = |i: u64| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / 2f64.powi(53);
        let n = 30_000u64;
        let cases: Vec<(Vec<f64>, Vec<bool>)> = vec![
            (
                (0..n).map(|i| 1e6 * spread(i).powi(3)).collect(),
                (0..n).map(|i| spread(i + n) < 0.9).collect(),
            ),
            (
                (0..n).map(|i| (i % 7) as f64).collect(),
                vec![true; n as usize],
            ),
            (
                (0..n).map(|i| if i % 2 == 0 { 0.0 } else { 3.5 }).collect(),
                (0..n).map(|i| i % 2 == 0).collect(),
            ),
            (vec![], vec![]),
        ];
        for (weights, group) in cases {
            for amounts in [[1_000_003, 77], [0, 5], [123_456_789_012, 0], [1, 1]] {
                let got = apportion_float_by_group(amounts, &weights, &group);
                for g in [false, true] {
                    let members: Vec<usize> =
                        (0..weights.len()).filter(|&k| group[k] == g).collect();
                    let w: Vec<f64> = members.iter().map(|&k| weights[k]).collect();
                    let want = apportion_serial(amounts[g as usize], &w);
                    let have: Vec<i64> = members.iter().map(|&k| got[k]).collect();
                    assert_eq!(have, want, "group {g}, amounts {amounts:?}");
                }
            }
        }
    }
}
