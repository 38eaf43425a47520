//! Samplers on the keyed streams, sized to the fans' day: inversion with one uniform for
//! the small cases (nearly all of them), a rounded normal for the large ones.

use crate::rng::Stream;

/// Means at or above this use the rounded normal approximation.
const NORMAL_FROM: f64 = 30.0;
/// Reciprocals 1/k for the inversion loops (a multiply instead of a divide per step).
const INVERSES: usize = 256;
static INVERSE: [f64; INVERSES] = {
    let mut t = [0.0; INVERSES];
    let mut k = 1;
    while k < INVERSES {
        t[k] = 1.0 / k as f64;
        k += 1;
    }
    t
};

#[inline(always)]
fn inverse(k: u64) -> f64 {
    if (k as usize) < INVERSES {
        INVERSE[k as usize]
    } else {
        1.0 / k as f64
    }
}

/// Poisson(lambda) by inversion from zero with one uniform, or a rounded normal from
/// a mean of 30 (the reference for [`poisson_from_mode`]).
#[cfg_attr(not(test), allow(dead_code))]
pub fn poisson(s: &mut Stream, lambda: f64) -> u64 {
    if let Some(k) = poisson_outside_inversion(s, lambda) {
        return k;
    }
    let u = s.uniform();
    let p = (-lambda).exp();
    inversion_up(u, lambda, 0, p, p)
}

/// A Poisson draw that needs no inversion: 0 for a mean that is not positive, the
/// rounded normal from a mean of [`NORMAL_FROM`]; `None` otherwise.
#[inline]
fn poisson_outside_inversion(s: &mut Stream, lambda: f64) -> Option<u64> {
    if lambda.is_nan() || lambda <= 0.0 {
        return Some(0);
    }
    if lambda >= NORMAL_FROM {
        let x = lambda + lambda.sqrt() * s.normal() + 0.5;
        return Some(if x < 0.0 { 0 } else { x as u64 });
    }
    None
}

/// The inversion upwards from k (with P(X ≤ k) = `cdf` and P(X = k) = `p`): the smallest
/// k with u ≤ P(X ≤ k).
#[inline]
fn inversion_up(u: f64, lambda: f64, mut k: u64, mut cdf: f64, mut p: f64) -> u64 {
    // The bound only guards against a cdf that rounds below u at the far tail.
    while u > cdf && k < 400 {
        k += 1;
        p *= lambda * inverse(k);
        cdf += p;
    }
    k
}

/// Where the inversion of Poisson(lambda) starts: the mode `m = floor(lambda)`, with
/// P(X ≤ m) and P(X = m). Computed once per fan (its activity never changes).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PoissonStart {
    pub cdf: f64,
    pub pmf: f64,
}

impl PoissonStart {
    pub fn new(lambda: f64) -> Self {
        if !(lambda > 0.0 && lambda < NORMAL_FROM) {
            return PoissonStart::default();
        }
        let m = lambda as u64;
        let mut p = (-lambda).exp();
        let mut cdf = p;
        for k in 1..=m {
            p *= lambda * inverse(k);
            cdf += p;
        }
        PoissonStart { cdf, pmf: p }
    }
}

/// Poisson(lambda) as [`poisson`] (inversion below a mean of 30, the rounded normal
/// above), the inversion searching from the mode (`start`, from [`PoissonStart::new`])
/// rather than from zero: about √lambda steps instead of lambda.
#[inline]
pub fn poisson_from_mode(s: &mut Stream, lambda: f64, start: &PoissonStart) -> u64 {
    if let Some(k) = poisson_outside_inversion(s, lambda) {
        return k;
    }
    let u = s.uniform();
    let (mut k, mut cdf, mut p) = (lambda as u64, start.cdf, start.pmf);
    if u <= cdf {
        // Down: the smallest k with u ≤ P(X ≤ k); P(X ≤ k − 1) = P(X ≤ k) − P(X = k).
        let inv = 1.0 / lambda;
        while k > 0 {
            let below = cdf - p;
            if u > below {
                break;
            }
            cdf = below;
            p *= k as f64 * inv;
            k -= 1;
        }
        k
    } else {
        inversion_up(u, lambda, k, cdf, p)
    }
}

/// How far below the bound 1 − np of P(X = 0) a uniform must lie for [`binomial`] to
/// return 0 without computing (1 − p)^n, whose rounding error is below 1e-13.
const ZERO_MARGIN: f64 = 1e-9;

/// Binomial(n, p) by inversion with one uniform for a mean below 30 (with p ≤ 1/2 by
/// symmetry), a rounded normal above.
pub fn binomial(s: &mut Stream, n: u64, p: f64) -> u64 {
    if n == 0 || p.is_nan() || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    if p > 0.5 {
        return n - binomial(s, n, 1.0 - p);
    }
    let mean = n as f64 * p;
    if mean < NORMAL_FROM {
        let u = s.uniform();
        // P(X = 0) = (1 − p)^n ≥ 1 − np: a uniform clearly below that bound is a zero
        // without the power (the same answer: the margin dwarfs the power's rounding).
        if u < 1.0 - mean - ZERO_MARGIN {
            return 0;
        }
        return binomial_inversion(u, n, p, mean);
    }
    let sd = (mean * (1.0 - p)).sqrt();
    let x = (mean + sd * s.normal() + 0.5).floor();
    x.clamp(0.0, n as f64) as u64
}

/// The inversion of Binomial(n, p) (p ≤ 1/2, mean `n·p` below 30) from zero: the
/// smallest k with u ≤ P(X ≤ k).
#[inline]
fn binomial_inversion(u: f64, n: u64, p: f64, mean: f64) -> u64 {
    let q = 1.0 - p;
    let mut pk = if n <= 64 {
        q.powi(n as i32)
    } else {
        (n as f64 * (-p).ln_1p()).exp()
    };
    if u <= pk {
        return 0;
    }
    let ratio = p / q;
    let mut cdf = pk;
    let mut k = 0u64;
    while u > cdf && k < n {
        pk *= (n - k) as f64 * inverse(k + 1) * ratio;
        k += 1;
        cdf += pk;
        // Past the mean the terms only shrink: stop once they no longer move the sum.
        if pk < 1e-18 && k as f64 > mean {
            break;
        }
    }
    k
}

/// Binomial(n, p) conditioned on at least one success (n ≥ 1, 0 < p ≤ 1): inversion from
/// one uniform drawn above P(X = 0).
pub fn binomial_at_least_one(s: &mut Stream, n: u64, p: f64) -> u64 {
    if p >= 1.0 || n <= 1 {
        return n;
    }
    let q = 1.0 - p;
    let p0 = if n <= 64 {
        q.powi(n as i32)
    } else {
        (n as f64 * (-p).ln_1p()).exp()
    };
    let u = p0 + (1.0 - p0) * s.uniform();
    let ratio = p / q;
    let (mut pk, mut cdf, mut k) = (p0, p0, 0u64);
    while (u > cdf || k == 0) && k < n {
        pk *= (n - k) as f64 * inverse(k + 1) * ratio;
        k += 1;
        cdf += pk;
    }
    k
}

/// Trials up to which [`BinomialTable`] tabulates the cdfs.
const TABLE_TRIALS: usize = 256;

/// Binomial(n, p) for one `p` and any `n`: the same inversion as [`binomial`] (one
/// uniform, `p ≤ 1/2` by symmetry, the rounded normal from a mean of 30), with the cdf of
/// every `n` up to [`TABLE_TRIALS`] tabulated once, so that a draw is a uniform and a
/// binary search instead of a power and a walk from zero.
#[derive(Clone, Debug)]
pub struct BinomialTable {
    p: f64,
    /// Largest `n` tabulated (0 when `p` is 0 or 1: no table needed).
    max_n: usize,
    /// `cdf[offsets[n]..offsets[n + 1]]`: P(X ≤ k) for `p' = min(p, 1 − p)`, k = 0, 1, …,
    /// up to where it reaches 1 (the last entry is set to 1).
    offsets: Vec<u32>,
    cdf: Vec<f64>,
}

impl BinomialTable {
    pub fn new(p: f64) -> Self {
        let mut table = BinomialTable {
            p,
            max_n: 0,
            offsets: vec![0],
            cdf: Vec::new(),
        };
        if !(p > 0.0 && p < 1.0) {
            return table;
        }
        let q = p.min(1.0 - p);
        // Means from NORMAL_FROM on take the normal path, as in `binomial`.
        let max_n = ((NORMAL_FROM / q).ceil() as usize).saturating_sub(1);
        table.max_n = max_n.min(TABLE_TRIALS);
        for n in 0..=table.max_n {
            if n == 0 {
                table.cdf.push(1.0);
            } else {
                let mut pk = (1.0 - q).powi(n as i32);
                let ratio = q / (1.0 - q);
                let mut cdf = pk;
                table.cdf.push(cdf);
                for k in 0..n {
                    pk *= (n - k) as f64 * inverse(k as u64 + 1) * ratio;
                    cdf += pk;
                    if cdf >= 1.0 || k + 1 == n || (pk < 1e-18 && (k + 1) as f64 > n as f64 * q) {
                        break;
                    }
                    table.cdf.push(cdf);
                }
                table.cdf.push(1.0);
            }
            table.offsets.push(table.cdf.len() as u32);
        }
        table
    }

    #[inline]
    pub fn draw(&self, s: &mut Stream, n: u64) -> u64 {
        if n as usize > self.max_n || self.max_n == 0 {
            return binomial(s, n, self.p);
        }
        let cdf =
            &self.cdf[self.offsets[n as usize] as usize..self.offsets[n as usize + 1] as usize];
        let u = s.uniform();
        let k = cdf.partition_point(|&c| c < u).min(cdf.len() - 1) as u64;
        if self.p > 0.5 {
            n - k
        } else {
            k
        }
    }
}

/// Multinomial(n, weights / total) into `counts` (zeroed, one per weight): a uniform
/// index per trial when the weights are equal, one uniform per trial when there are few
/// trials, else by conditional binomials (O(k + n) multiply-adds rather than a search per
/// trial).
pub fn multinomial(s: &mut Stream, n: u64, weights: &[f64], total: f64, counts: &mut [u32]) {
    let Some(last) = weights.len().checked_sub(1) else {
        return;
    };
    if last == 0 {
        counts[0] = n as u32;
        return;
    }
    if weights.iter().all(|&w| w == weights[0]) {
        // Equal weights (the common case: trust moves only with orders).
        uniform_counts(s, n, counts);
        return;
    }
    if n <= 4 * weights.len() as u64 + 16 {
        // Few trials: one uniform each, found by a branch-free count over the weights.
        for _ in 0..n {
            let mut u = s.uniform() * total;
            let mut i = 0;
            for &w in &weights[..last] {
                u -= w;
                i += (u >= 0.0) as usize;
            }
            counts[i] += 1;
        }
        return;
    }
    let (mut left, mut rest) = (n, total);
    for (i, &w) in weights.iter().enumerate() {
        if left == 0 {
            break;
        }
        let x = if i == last {
            left
        } else {
            binomial(s, left, (w / rest).min(1.0))
        };
        counts[i] = x as u32;
        left -= x;
        rest -= w;
    }
}

/// Multinomial(n, equal probabilities over `counts.len()` cells) added into `counts`: a
/// uniform index from 32 random bits per trial, two trials per draw.
#[inline]
pub fn uniform_counts(s: &mut Stream, n: u64, counts: &mut [u32]) {
    let k = counts.len() as u64;
    let index = |bits: u64| ((bits * k) >> 32) as usize;
    for _ in 0..n / 2 {
        let bits = s.next_u64();
        counts[index(bits >> 32)] += 1;
        counts[index(bits & 0xFFFF_FFFF)] += 1;
    }
    if n % 2 == 1 {
        counts[index(s.next_u64() >> 32)] += 1;
    }
}

/// Index of the entry of `cumulative` (inclusive prefix sums) that a draw below its last
/// value falls in: the first `i` with `cumulative[i] > r`.
#[inline]
pub fn pick(cumulative: &[u64], r: u64) -> usize {
    cumulative.partition_point(|&c| c <= r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(draws: &[u64]) -> (f64, f64) {
        let n = draws.len() as f64;
        let mean = draws.iter().sum::<u64>() as f64 / n;
        let var = draws
            .iter()
            .map(|&x| (x as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var)
    }

    #[test]
    fn poisson_and_binomial_moments() {
        for lambda in [0.3, 4.0, 29.0, 45.0, 400.0] {
            let d: Vec<u64> = (0..40_000)
                .map(|i| poisson(&mut Stream::new(1, 0, i, 0), lambda))
                .collect();
            let (m, v) = moments(&d);
            assert!((m - lambda).abs() < 0.03 * lambda + 0.02, "{lambda}: {m}");
            assert!((v - lambda).abs() < 0.06 * lambda + 0.02, "{lambda}: {v}");
        }
        for (n, p) in [
            (5u64, 0.3),
            (40, 0.1),
            (1000, 0.01),
            (200, 0.9),
            (10_000, 0.4),
            (1 << 40, 1e-12),
        ] {
            let d: Vec<u64> = (0..40_000)
                .map(|i| binomial(&mut Stream::new(2, 0, i, 0), n, p))
                .collect();
            let (m, v) = moments(&d);
            let (em, ev) = (n as f64 * p, n as f64 * p * (1.0 - p));
            assert!((m - em).abs() < 0.03 * em + 0.02, "{n} {p}: {m}");
            assert!((v - ev).abs() < 0.08 * ev + 0.02, "{n} {p}: {v}");
            assert!(d.iter().all(|&x| x <= n));
        }
        assert_eq!(binomial(&mut Stream::new(0, 0, 0, 0), 7, 1.0), 7);
        assert_eq!(binomial(&mut Stream::new(0, 0, 0, 0), 7, 0.0), 0);
    }

    /// [`binomial`] without the zero shortcut: the plain inversion it must reproduce.
    fn binomial_without_shortcut(s: &mut Stream, n: u64, p: f64) -> u64 {
        if n == 0 || p.is_nan() || p <= 0.0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        if p > 0.5 {
            return n - binomial_without_shortcut(s, n, 1.0 - p);
        }
        let mean = n as f64 * p;
        if mean >= NORMAL_FROM {
            return binomial(s, n, p);
        }
        binomial_inversion(s.uniform(), n, p, mean)
    }

    #[test]
    fn the_zero_shortcut_gives_the_same_draws() {
        // Means from 1e-9 to near the normal's threshold, n from 1 to 2^40, both powers.
        let mut cases = 0u64;
        let mut zeros = 0u64;
        for (i, n) in [1u64, 2, 3, 7, 64, 65, 1000, 123_457, 1 << 20, 1 << 40]
            .into_iter()
            .enumerate()
        {
            for mean in [1e-9, 1e-4, 0.01, 0.2, 0.9, 1.0, 3.0, 12.0, 29.9] {
                let p = (mean / n as f64).min(0.5);
                for j in 0..4000u64 {
                    let (mut a, mut b) = (
                        Stream::new(9, i as u64, j, 1),
                        Stream::new(9, i as u64, j, 1),
                    );
                    let x = binomial(&mut a, n, p);
                    assert_eq!(x, binomial_without_shortcut(&mut b, n, p), "{n} {p} {j}");
                    assert_eq!(a.next_u64(), b.next_u64(), "the same stream after {n} {p}");
                    cases += 1;
                    zeros += (x == 0) as u64;
                }
            }
        }
        assert!(zeros > cases / 4, "{zeros} of {cases}");
    }

    #[test]
    fn multinomial_adds_up_and_follows_the_weights() {
        let weights = [1.0, 3.0, 0.0, 4.0];
        let mut sums = [0u64; 4];
        for i in 0..20_000 {
            let mut counts = [0u32; 4];
            multinomial(&mut Stream::new(5, 0, i, 0), 40, &weights, 8.0, &mut counts);
            assert_eq!(counts.iter().sum::<u32>(), 40);
            assert_eq!(counts[2], 0);
            sums.iter_mut()
                .zip(counts)
                .for_each(|(s, c)| *s += c as u64);
        }
        let total = (40 * 20_000) as f64;
        for (sum, w) in sums.iter().zip(weights) {
            assert!((*sum as f64 / total - w / 8.0).abs() < 0.005, "{sums:?}");
        }
    }

    #[test]
    fn equal_weights_are_uniform() {
        let mut sums = [0u64; 3];
        for i in 0..20_000 {
            let mut counts = [0u32; 3];
            multinomial(&mut Stream::new(6, 0, i, 0), 7, &[0.8; 3], 2.4, &mut counts);
            assert_eq!(counts.iter().sum::<u32>(), 7);
            sums.iter_mut()
                .zip(counts)
                .for_each(|(s, c)| *s += c as u64);
        }
        for sum in sums {
            assert!(
                (sum as f64 / (7.0 * 20_000.0) - 1.0 / 3.0).abs() < 0.005,
                "{sums:?}"
            );
        }
    }

    #[test]
    fn binomial_table_matches_the_distribution() {
        for p in [0.25, 0.7, 0.02, 0.5, 0.0, 1.0] {
            let table = BinomialTable::new(p);
            for n in [0u64, 1, 7, 64, 119, 120, 200, 5000] {
                let d: Vec<u64> = (0..20_000)
                    .map(|i| table.draw(&mut Stream::new(3, n, i, 0), n))
                    .collect();
                let (m, v) = moments(&d);
                let (em, ev) = (n as f64 * p, n as f64 * p * (1.0 - p));
                assert!((m - em).abs() < 0.03 * em + 0.03, "{n} {p}: {m}");
                assert!((v - ev).abs() < 0.1 * ev + 0.03, "{n} {p}: {v}");
                assert!(d.iter().all(|&x| x <= n));
            }
        }
        // Exact probabilities on a small case: Binomial(3, 0.25).
        let table = BinomialTable::new(0.25);
        let mut counts = [0u64; 4];
        for i in 0..200_000 {
            counts[table.draw(&mut Stream::new(4, 0, i, 0), 3) as usize] += 1;
        }
        for (k, expect) in [27.0 / 64.0, 27.0 / 64.0, 9.0 / 64.0, 1.0 / 64.0]
            .iter()
            .enumerate()
        {
            assert!(
                (counts[k] as f64 / 200_000.0 - expect).abs() < 0.004,
                "{counts:?}"
            );
        }
    }

    #[test]
    fn at_least_one_is_the_truncated_binomial() {
        // Binomial(3, 0.4) given ≥ 1: P(1) = 0.432, P(2) = 0.288, P(3) = 0.064, over 0.784.
        let mut counts = [0u64; 4];
        for i in 0..200_000 {
            counts[binomial_at_least_one(&mut Stream::new(8, 0, i, 0), 3, 0.4) as usize] += 1;
        }
        assert_eq!(counts[0], 0);
        for (k, expect) in [(1, 0.432), (2, 0.288), (3, 0.064)] {
            assert!(
                (counts[k] as f64 / 200_000.0 - expect / 0.784).abs() < 0.004,
                "{counts:?}"
            );
        }
        assert_eq!(
            binomial_at_least_one(&mut Stream::new(8, 0, 0, 0), 1, 0.01),
            1
        );
    }

    #[test]
    fn poisson_from_the_mode_is_the_same_inversion() {
        for lambda in [0.2, 0.9, 1.0, 3.5, 12.0, 29.9, 31.0] {
            let start = PoissonStart::new(lambda);
            let mut differ = 0;
            for i in 0..20_000 {
                let a = poisson(&mut Stream::new(9, 0, i, 0), lambda);
                let b = poisson_from_mode(&mut Stream::new(9, 0, i, 0), lambda, &start);
                differ += (a != b) as u32;
            }
            // The same uniform inverted: equal but for rounding at a boundary.
            assert!(differ <= 2, "{lambda}: {differ}");
        }
    }

    #[test]
    fn pick_finds_the_bucket() {
        let cumulative = [2u64, 2, 5];
        assert_eq!(pick(&cumulative, 0), 0);
        assert_eq!(pick(&cumulative, 1), 0);
        assert_eq!(pick(&cumulative, 2), 2);
        assert_eq!(pick(&cumulative, 4), 2);
    }
}
